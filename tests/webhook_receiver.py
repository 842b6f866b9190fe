"""A real HTTP server on loopback that receives webhooks and answers as a test tells it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    """Statuses to answer with, in turn; 200 once they run out."""
    endless_body: bool = False
    redirect_to: str | None = None

    def events(self, event_type: str | None = None) -> list[dict]:
        return [r.event for r in self.received if event_type is None or r.event["type"] == event_type]


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's hook name
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length).decode()
            receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status = receiver.answers.pop(0) if receiver.answers else 200
            if receiver.redirect_to:
                self.send_response(307)
                self.send_header("Location", receiver.redirect_to)
                self.end_headers()
                return
            self.send_response(status)
            if receiver.endless_body:
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                try:
                    while True:  # an answer that never ends: the sender must stop reading
                        self.wfile.write(b"x" * 65536)
                except OSError:
                    return
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
