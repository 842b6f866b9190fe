"""Radicale, a real CalDAV server, run for a test: its own process on a free loopback port, its
own temporary storage and an empty configuration (the user's and the system's are kept out)."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.integration.servers import free_port, running


@contextmanager
def radicale(users: Mapping[str, str] | None = None) -> Iterator[str]:
    """Yield Radicale's base URL. ``users`` (name: password) sign in with HTTP Basic; without
    them anyone may, under any name. Each user owns the collections under ``/{name}/`` only."""
    with tempfile.TemporaryDirectory() as storage:
        port = free_port()
        config = Path(storage, "config")
        config.write_text("")
        auth = ["--auth-type", "none"]
        if users is not None:
            htpasswd = Path(storage, "users")
            htpasswd.write_text("".join(f"{name}:{password}\n" for name, password in users.items()))
            auth = ["--auth-type", "htpasswd", "--auth-htpasswd-filename", str(htpasswd),
                    "--auth-htpasswd-encryption", "plain"]
        command = [sys.executable, "-m", "radicale", "--config", str(config), "--server-hosts", f"127.0.0.1:{port}",
                   *auth, "--rights-type", "owner_only", "--storage-filesystem-folder", str(Path(storage, "collections"))]
        base = f"http://127.0.0.1:{port}"
        with running(command, {}, base, log_path=Path(storage, "radicale.log"), ready="/.web/"):
            yield base


def make_calendar(url: str, auth: tuple[str, str]) -> str:
    """Create the calendar collection ``url`` (ending in ``/``); return it."""
    created = requests.request("MKCALENDAR", url, auth=auth, timeout=10)
    assert created.status_code == 201, created.text
    return url


def put_event(calendar_url: str, name: str, body: bytes | str, auth: tuple[str, str]) -> None:
    """Store one calendar object (a VCALENDAR with one event) in the collection."""
    put = requests.put(f"{calendar_url}{name}.ics", data=body, auth=auth, timeout=10,
                       headers={"Content-Type": "text/calendar; charset=utf-8"})
    assert put.status_code == 201, put.text
