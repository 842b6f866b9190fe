"""A real HTTP server on loopback that publishes calendars as a test tells it: with an ETag and
Last-Modified answered by 304 to a conditional GET, gzipped, redirected, too large, or slow."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Feed:
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    status: int = 200
    gzip: bool = False
    content_encoding: str | None = None
    """A Content-Encoding to claim for the body as it is."""
    redirect_to: str | None = None
    drip_seconds: float | None = None
    """Send the body a byte at a time with this pause between bytes."""
    cut_after: int | None = None
    """Promise the whole body (Content-Length) but close the connection after this many bytes."""
    endless: bool = False
    """An answer that never ends (no Content-Length, bytes until the client stops reading)."""


@dataclass
class Request:
    path: str
    headers: dict[str, str]


@dataclass
class CalendarServer:
    base: str
    feeds: dict[str, Feed] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)

    def publish(self, path: str, feed: Feed) -> str:
        self.feeds[path] = feed
        return self.base + path

    def asked(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]


@contextmanager
def calendar_server() -> Iterator[CalendarServer]:
    server_state: CalendarServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 - http.server's hook name
            headers = {k.lower(): v for k, v in self.headers.items()}
            server_state.requests.append(Request(self.path, headers))
            feed = server_state.feeds.get(self.path)
            if feed is None:
                return self._answer(404, b"not found")
            if feed.redirect_to:
                self.send_response(302)
                self.send_header("Location", feed.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if feed.status == 200 and (
                (feed.etag and headers.get("if-none-match") == feed.etag)
                or (feed.last_modified and not feed.etag and headers.get("if-modified-since") == feed.last_modified)
            ):
                self.send_response(304)
                self._validators(feed)
                self.end_headers()
                return None
            if feed.endless:
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    while True:
                        self.wfile.write(b"BEGIN:VEVENT\r\n" * 4096)
                except OSError:
                    return None
            body = gzip.compress(feed.body) if feed.gzip else feed.body
            self.send_response(feed.status)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if feed.gzip or feed.content_encoding:
                self.send_header("Content-Encoding", feed.content_encoding or "gzip")
            self._validators(feed)
            self.end_headers()
            if feed.cut_after is not None:
                self.wfile.write(body[: feed.cut_after])
                self.close_connection = True
                return None
            if feed.drip_seconds is None:
                self.wfile.write(body)
                return None
            try:
                for byte in body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(feed.drip_seconds)
            except OSError:
                return None
            return None

        def _validators(self, feed: Feed) -> None:
            if feed.etag:
                self.send_header("ETag", feed.etag)
            if feed.last_modified:
                self.send_header("Last-Modified", feed.last_modified)

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server_state = CalendarServer(base=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()


def ics(*events: tuple[datetime, datetime], name: str = "Rooster") -> bytes:
    """A small feed of single events (start, end; aware datetimes), as a timetable publishes it,
    with a title, place and description that must never be stored."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Intervisie tests//calendar server//NL", f"X-WR-CALNAME:{name}"]
    for n, (start, end) in enumerate(events):
        lines += [
            "BEGIN:VEVENT", f"UID:event-{n}@tests.intervisie", f"DTSTAMP:{_utc(start)}",
            f"DTSTART:{_utc(start)}", f"DTEND:{_utc(end)}",
            "SUMMARY:Gesprek met ouders van Sem", "LOCATION:Lokaal 12", "DESCRIPTION:Vertrouwelijk",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def http_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


def week_of_lessons(monday: datetime, hours: int = 3) -> list[tuple[datetime, datetime]]:
    """Lessons of an hour with an hour between, from ``monday`` 08:00 UTC on five days."""
    day = monday.replace(hour=8, minute=0, second=0, microsecond=0)
    return [
        (day + timedelta(days=d, hours=2 * h), day + timedelta(days=d, hours=2 * h + 1))
        for d in range(5) for h in range(hours)
    ]
