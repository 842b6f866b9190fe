"""What ships: the built wheel, installed in a fresh virtualenv outside the checkout, serves its
pages (templates and catalogues are in the wheel), its docs without internet (Swagger UI from
the package), and hands out links on the port it was started on."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import requests

from tests.integration.servers import free_port, wait_until_serving

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A virtualenv holding only the wheel (its dependencies are read from the test's own
    environment through a .pth file, which does not bring the checkout's editable install)."""
    scratch = tmp_path_factory.mktemp("wheel")
    # Built from the files of the repository alone, as from a fresh clone: no build/ or egg-info
    # of an earlier build to bring files that the package data would not.
    source = scratch / "source"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, files.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(scratch / "dist"), str(source)],
        check=True, cwd=scratch,
    )
    wheel = next((scratch / "dist").glob("intervisie-*.whl"))
    venv = scratch / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = Path(subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True)
    return venv


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
