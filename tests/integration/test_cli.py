"""The ``intervisie`` console script, run as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.databases import fresh_postgres_database

SCRIPT = Path(sys.executable).with_name("intervisie")


def run(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT), *args], env={**os.environ, **env}, cwd=cwd,
        capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request, tmp_path):
    if request.param == "sqlite":
        yield {"INTERVISIE_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    else:
        with fresh_postgres_database() as url:
            yield {"INTERVISIE_DATABASE_URL": url}


def test_api_key_is_printed_alone_on_the_last_line_and_works(database_env):
    assert run("db", "upgrade", env=database_env).returncode == 0
    created = run("api-keys", "create", "--role", "platform", "--name", "Schoolplatform", env=database_env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.splitlines()[-1]
    assert key.startswith("ivk_") and " " not in key and len(key) == 47

    from services.api.app import create_app
    from shared.config import Settings

    app = create_app(Settings(database_url=database_env["INTERVISIE_DATABASE_URL"]))
    client = app.test_client()
    assert client.get("/v1/participants", headers={"Authorization": f"Bearer {key}"}).status_code == 200

    listed = run("api-keys", "list", env=database_env)
    assert key[:12] in listed.stdout and key not in listed.stdout
    revoked = run("api-keys", "revoke", key[:12], env=database_env)
    assert revoked.returncode == 0, revoked.stderr
    # Revoked in another process: this one forgets its cached key within KEY_CACHE_SECONDS.
    from shared.use_cases.api_keys import KEY_CACHE_SECONDS

    cache = app.extensions["intervisie"].api_keys
    later = time.monotonic() + KEY_CACHE_SECONDS + 0.1
    cache.clock = lambda: later
    assert client.get("/v1/participants", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_api_keys_create_refuses_unknown_role(tmp_path):
    env = {"INTERVISIE_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    run("db", "upgrade", env=env)
    result = run("api-keys", "create", "--role", "superuser", "--name", "x", env=env)
    assert result.returncode != 0
    assert "superuser" in result.stderr


def test_openapi_command_writes_the_document(tmp_path):
    result = run("openapi", "--output", str(tmp_path / "openapi.yaml"), env={})
    assert result.returncode == 0, result.stderr
    spec = yaml.safe_load((tmp_path / "openapi.yaml").read_text())
    assert spec["info"]["title"] == "Intervisie"
    assert "/v1/participants" in spec["paths"]
