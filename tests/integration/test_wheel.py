"""What ships: the built wheel, installed in a fresh virtualenv outside the checkout, serves its
pages (templates and catalogues are in the wheel), its docs without internet (Swagger UI from
the package), and hands out links on the port it was started on."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import requests

from tests.integration.servers import free_port, wait_until_serving

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]


def _fresh_clone(source: Path) -> Path:
    """The files of the repository alone, as in a fresh clone: no build/ or egg-info of an
    earlier build to bring files that the package data would not."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, files.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    return source


def _venv_with_our_dependencies(venv: Path) -> Path:
    """A virtualenv whose dependencies are read from the test's own environment through a .pth
    file, which does not bring the checkout's editable install."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = Path(subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


# setuptools' BuildBackendWarning / SetuptoolsDeprecationWarning: what will stop building one day
DEPRECATED = re.compile(r"DeprecationWarning|BuildBackendWarning|is deprecated")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str]:
    """The wheel, and what its build printed (pip's -v shows the build backend's warnings)."""
    scratch = tmp_path_factory.mktemp("wheel")
    source = _fresh_clone(scratch / "source")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(scratch / "dist"), str(source)],
        check=True, cwd=scratch, capture_output=True, text=True,
    )
    return next((scratch / "dist").glob("intervisie-*.whl")), build.stdout + build.stderr


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory) -> Path:
    """A virtualenv holding only the wheel (and the test's own dependencies)."""
    wheel, _ = built
    venv = _venv_with_our_dependencies(tmp_path_factory.mktemp("venv") / "venv")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True)
    return venv


def test_the_wheel_declares_its_license_as_an_spdx_expression_and_builds_without_deprecations(built):
    wheel, output = built
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read("intervisie-0.1.0.dist-info/METADATA").decode()
        assert "intervisie-0.1.0.dist-info/licenses/LICENSE" in archive.namelist()
    assert "License-Expression: MIT" in metadata.splitlines()
    assert "License-File: LICENSE" in metadata.splitlines()
    assert not any(line.startswith("License:") for line in metadata.splitlines())  # the old free-text field
    assert not DEPRECATED.search(output), output


def test_an_editable_install_works_without_deprecations_and_compiles_the_catalogues(tmp_path):
    """What `make install` does (pip install -e), in a fresh clone."""
    source = _fresh_clone(tmp_path / "source")
    venv = _venv_with_our_dependencies(tmp_path / "venv")
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "-v", "-e", str(source)],
        check=True, capture_output=True, text=True, cwd=tmp_path,
    )
    assert not DEPRECATED.search(install.stdout + install.stderr), install.stdout + install.stderr
    assert sorted(p.parent.parent.name for p in (source / "shared" / "locale").glob("*/LC_MESSAGES/*.mo")) == ["en", "nl"]
    shown = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import importlib.metadata as m, shared; print(m.metadata('intervisie')['License-Expression'], shared.__file__)"],
        check=True, capture_output=True, text=True, cwd=tmp_path,
    ).stdout.split()
    assert shown == ["MIT", str(source / "shared" / "__init__.py")]


def test_the_installed_wheel_serves_pages_docs_and_links_on_its_port(installed, tmp_path):
    python, intervisie = installed / "bin" / "python", installed / "bin" / "intervisie"
    where = subprocess.run([str(python), "-c", "import services, shared; print(services.__file__, shared.__file__)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    assert str(ROOT) not in where and str(installed) in where  # the wheel's code, not the checkout's

    env = {key: value for key, value in os.environ.items() if not key.startswith("INTERVISIE_")}
    env["INTERVISIE_DATABASE_URL"] = f"sqlite:///{tmp_path}/intervisie.db"
    key = subprocess.run([str(intervisie), "db", "upgrade"], env=env, cwd=tmp_path, check=True, capture_output=True)
    key = subprocess.run([str(intervisie), "api-keys", "create", "--role", "admin", "--name", "Organiser"],
                         env=env, cwd=tmp_path, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    port = free_port()  # not 8000: the links must follow the port
    base = f"http://127.0.0.1:{port}"
    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen([str(intervisie), "serve", "--port", str(port)], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(base + "/healthz", server)
            auth = {"Authorization": f"Bearer {key}"}
            facilitator = requests.post(f"{base}/v1/facilitators", json={"name": "Fien Jansen", "email": "fien@example.org"}, headers=auth, timeout=10)
            assert facilitator.status_code == 201, facilitator.text
            links = requests.get(f"{base}/v1/facilitators/{facilitator.json()['id']}/feed", headers=auth, timeout=10).json()
            assert links["page_url"].startswith(f"{base}/feeds/")

            page = requests.get(links["page_url"], timeout=10)
            assert page.status_code == 200 and '<html lang="nl">' in page.text and "Abonneer je op deze agenda" in page.text

            docs = requests.get(f"{base}/docs", timeout=10)
            assert docs.status_code == 200 and "cdn." not in docs.text and "/docs/static/swagger-ui-bundle.js" in docs.text
            script = requests.get(f"{base}/docs/static/swagger-ui-bundle.js", timeout=10)
            assert script.status_code == 200 and len(script.content) > 100_000
            assert requests.get(f"{base}/docs/static/swagger-ui.css", timeout=10).status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=15)
