"""Sending one webhook request: to an address checked just before, without redirects.

The host is resolved here and every address it resolves to is checked against the SSRF rules
again (a DNS answer can change after registration); the request then goes to the first checked
address, with the host name kept for the Host header and TLS (SNI and certificate check), so a
second resolution cannot slip in another address.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.domain import webhooks as rules

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str | None
    duration_ms: int


def resolve(host: str, port: int) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(url: str, body: str, headers: dict[str, str], *, allow_private: bool) -> Outcome:
    """POST ``body``; only the status counts. At most 64 KiB of the answer is read."""
    began = time.monotonic()

    def done(status: int | None, error: str | None) -> Outcome:
        return Outcome(status, error, int((time.monotonic() - began) * 1000))

    problem = rules.url_problem(url, allow_private=allow_private)
    if problem:
        return done(None, f"refused: {problem}")
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    try:
        addresses = resolve(parts.hostname, port)
    except OSError as error:
        problem = f"does not resolve ({error})"
    else:
        problem = rules.resolved_problem(addresses, allow_private=allow_private)
    if problem:
        # The delivery log is the client's to read: it says only that the URL is not allowed
        # (rules.NOT_ALLOWED), as registration does; the worker's log says why.
        log.warning("webhook not sent: %s %s", parts.hostname, problem)
        return done(None, f"refused: {rules.NOT_ALLOWED}")
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, addresses[0], port, rules.REQUEST_TIMEOUT_SECONDS)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        connection.request("POST", target, body=body.encode(), headers={**headers, "user-agent": "Intervisie-Webhooks/1"})
        response = connection.getresponse()
        response.read(rules.MAX_RESPONSE_BYTES)  # redirects are not followed: a 3xx is a failure
        return done(response.status, None if 200 <= response.status < 300 else f"HTTP {response.status}")
    except (OSError, http.client.HTTPException) as error:
        return done(None, f"{type(error).__name__}: {error}")
    finally:
        connection.close()
