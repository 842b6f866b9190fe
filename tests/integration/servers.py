"""Real processes for integration tests: the API served by ``intervisie serve``, and friends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

INTERVISIE = Path(sys.executable).with_name("intervisie")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextmanager
def running(
    command: list[str], env: dict[str, str], base: str, *, cwd: Path | None = None,
    log_path: Path | None = None, ready: str = "/healthz",
) -> Iterator[subprocess.Popen]:
    """Run a server ``command`` until it answers ``base + ready``; yield its process, and stop
    it afterwards. Its output goes to ``log_path``, or to a temporary file: never to an unread
    pipe, which would stall a chatty server once the pipe's buffer is full."""
    with tempfile.TemporaryDirectory() as scratch:
        log_path = log_path or Path(scratch) / "server.log"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(command, env={**os.environ, **env}, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_until_serving(base + ready, process)
                yield process
            finally:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@contextmanager
def serving(
    env: dict[str, str], cwd: Path | None = None, *, port: int | None = None, log_path: Path | None = None
) -> Iterator[str]:
    """Run ``intervisie serve`` on a loopback port; yield its base URL (its log as :func:`running`)."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(INTERVISIE), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, env, base, cwd=cwd, log_path=log_path):
        yield base


@contextmanager
def serving_database(url: str, log_path: Path, **settings: str) -> Iterator[str]:
    """``intervisie serve`` on a free loopback port over the migrated database ``url``, with its
    own address as the public URL and more ``INTERVISIE_*`` ``settings``; yields the base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"INTERVISIE_DATABASE_URL": url, "INTERVISIE_PUBLIC_URL": base, "INTERVISIE_SECRET_KEY": "browser-test", **settings}
    with serving(env, port=port, log_path=log_path):
        yield base
