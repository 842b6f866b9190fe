"""The embedded default: SQLite and a worker inside the API process, also under gunicorn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from shared.use_cases import scheduling
from tests.integration.servers import free_port, serving, wait_until_serving
from tests.integration.workers import plan_over_http, run_status, seed_group, wait_for

pytestmark = pytest.mark.integration
GUNICORN = Path(sys.executable).with_name("gunicorn")


def test_serve_plans_with_its_embedded_worker(sqlite):
    url, factory, key, admin = sqlite
    group_id = seed_group(factory, admin)
    with serving({"INTERVISIE_DATABASE_URL": url}) as base:
        run = plan_over_http(base, key, group_id)
        assert run["status"] == "succeeded"
        assert requests.get(f"{base}/readyz", timeout=10).json()["checks"] == {"database": "ok", "broker": "ok", "rate_limits": "ok"}


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2, access_log: Path | None = None):
    port = free_port()
    logging = [f"--access-logfile={access_log}", "--logger-class=services.api.redaction.RedactingGunicornLogger"] if access_log else []
    process = subprocess.Popen(
        [str(GUNICORN), f"--bind=127.0.0.1:{port}", f"--workers={workers}", *logging, "services.api.wsgi:app"],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base + "/healthz", process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_gunicorn_workers_each_run_their_embedded_worker_after_the_fork(sqlite):
    url, factory, key, admin = sqlite
    group_ids = [seed_group(factory, admin) for _ in range(6)]
    with gunicorn({"INTERVISIE_DATABASE_URL": url}) as base:
        runs = [plan_over_http(base, key, group_id) for group_id in group_ids]
    assert [run["status"] for run in runs] == ["succeeded"] * 6


def test_a_run_left_queued_by_a_stopped_process_is_planned_after_a_restart(sqlite):
    url, factory, key, admin = sqlite
    group_id = seed_group(factory, admin)
    import uuid
    from datetime import UTC, datetime

    with factory.begin() as session:  # recorded, but its message died with the old process
        run = scheduling.request_run(session, admin, uuid.UUID(group_id), datetime.now(UTC))
        run_id = run.id
    time.sleep(1.5)
    with serving({"INTERVISIE_DATABASE_URL": url, "INTERVISIE_SWEEP_SECONDS": "1"}):
        wait_for(lambda: run_status(factory, run_id) == "succeeded", 60, "the restarted process to plan it")


def _feed_path(base: str, key: str, group_id: str) -> str:
    links = requests.get(f"{base}/v1/groups/{group_id}/feed", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    return links["url"].split("/feeds/", 1)[1].removesuffix(".ics")


def test_feed_tokens_stay_out_of_the_gunicorn_access_log(sqlite, tmp_path):
    url, factory, key, admin = sqlite
    group_id = seed_group(factory, admin)
    log = tmp_path / "access.log"
    with gunicorn({"INTERVISIE_DATABASE_URL": url, "INTERVISIE_SECRET_KEY": "k"}, workers=1, access_log=log) as base:
        token = _feed_path(base, key, group_id)
        assert requests.get(f"{base}/feeds/{token}.ics", timeout=10).status_code == 200
        assert requests.get(f"{base}/feeds/{token}", timeout=10).status_code == 200
        assert requests.get(f"{base}/feeds/{token}x.ics", timeout=10).status_code == 404
    text = log.read_text()
    assert "/feeds/[redacted].ics" in text
    assert token not in text


def test_feed_tokens_stay_out_of_the_serve_log(sqlite, tmp_path):
    url, factory, key, admin = sqlite
    group_id = seed_group(factory, admin)
    log = tmp_path / "serve.log"
    with serving({"INTERVISIE_DATABASE_URL": url, "INTERVISIE_SECRET_KEY": "k"}, log_path=log) as base:
        token = _feed_path(base, key, group_id)
        assert requests.get(f"{base}/feeds/{token}.ics", timeout=10).status_code == 200
        assert requests.get(f"{base}/feeds/{token}x", timeout=10).status_code == 404
    process_log = log.read_text()
    assert "/feeds/[redacted].ics" in process_log
    assert token not in process_log


def test_the_production_configuration_serves_with_threads_and_logs_json_lines_without_tokens(sqlite, tmp_path):
    """`gunicorn -c python:services.api.gunicorn_config` as the Dockerfile runs it."""
    url, factory, key, admin = sqlite
    group_id = seed_group(factory, admin)
    port = free_port()
    env = {**os.environ, "INTERVISIE_DATABASE_URL": url, "INTERVISIE_BIND": f"127.0.0.1:{port}", "INTERVISIE_WEB_WORKERS": "2",
           "INTERVISIE_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    with open(tmp_path / "gunicorn.log", "wb") as log:
        process = subprocess.Popen([str(GUNICORN), "-c", "python:services.api.gunicorn_config", "services.api.wsgi:app"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(base + "/healthz", process)
            feed = requests.get(f"{base}/v1/groups/{group_id}/feed", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
            assert requests.get(feed["url"], timeout=10).status_code == 200
            assert requests.get(feed["page_url"], timeout=10).status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=30)
    text = (tmp_path / "gunicorn.log").read_text()
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    access = [record for record in records if record["logger"] == "gunicorn.access"]  # besides the app's own JSON lines
    paths = [record["path"] for record in access]
    assert "/feeds/[redacted].ics" in paths and "/feeds/[redacted]" in paths
    token = feed["url"].rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in text and key not in text
    assert access and all(isinstance(record["status"], int) and record["request_id"] for record in access)
    assert "gthread" in text  # the worker class the configuration asks for
