"""Requests this service makes to addresses its clients gave it (webhook endpoints, published
calendars), under the SSRF rules of :mod:`shared.domain.webhooks`.

Every host is resolved here and each address it resolves to is checked just before the request;
the request then goes to the first checked address, the host name kept for the Host header and
TLS (SNI and certificate check), so that a second resolution cannot slip in another address. A
redirect, when followed, is checked the same way before it is. One time limit bounds the whole
exchange, redirects and a slowly dripping answer included, and the answer's body is read up to
a size limit (after gzip, when that was asked for).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from shared.domain import webhooks as rules

Resolver = Callable[[str, int], Iterable[str]]
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024


def resolve(host: str, port: int) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class Refused(Exception):
    """The URL, or an address its host resolves to, must not be called. ``detail`` (what the
    host resolved to) is for the log only: a client is told :data:`rules.NOT_ALLOWED`."""

    def __init__(self, host: str | None, detail: str) -> None:
        super().__init__(f"{host} {detail}" if host else detail)
        self.host, self.detail = host, detail

    @property
    def reason(self) -> str:
        """What a client may be told: what is wrong with the URL itself, or only that its host
        is not allowed (not whether it resolved, nor to what)."""
        return rules.NOT_ALLOWED if self.host else self.detail


class TooLarge(Exception):
    """The answer's body is larger than allowed."""


class TooManyRedirects(Exception):
    """More redirects than allowed."""


class Unreadable(Exception):
    """The body cannot be decoded as its Content-Encoding says (or uses one not asked for)."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    """Lower-case names."""
    body: bytes


@dataclass(frozen=True)
class Limits:
    seconds: float
    """For the whole exchange: connecting, every redirect and reading the last body."""
    max_bytes: int
    truncate: bool = False
    """True: read at most ``max_bytes`` and ignore the rest (only the status counts); False:
    refuse a longer body with :class:`TooLarge`."""
    redirects: int = 0
    """How many redirects to follow; with 0 a 3xx is the answer."""
    gzip: bool = False
    """Ask for gzip and decompress it (the limit is on the decompressed size)."""


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


class _Deadline:
    """The end of the time limit. At the end it cuts the connection under way, so that no read
    waits longer, however slowly the other side drips its answer."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.passed = False
        self._connection: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"timed out: no complete answer within {self.seconds:g} s")
        return left

    def watch(self, connection: http.client.HTTPConnection | None) -> None:
        with self._lock:
            self._connection = connection

    def _cut(self) -> None:
        with self._lock:
            self.passed = True
            sock = self._connection.sock if self._connection is not None else None
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cancel(self) -> None:
        self._timer.cancel()


def checked_address(url: str, *, allow_private: bool, resolve: Resolver) -> str:
    """The address to call for ``url``; raises :class:`Refused` when the URL or any address
    its host resolves to is not allowed, or it does not resolve."""
    problem = rules.url_problem(url, allow_private=allow_private)
    parts = urlsplit(url)
    if problem:
        raise Refused(None, problem)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = list(dict.fromkeys(resolve(parts.hostname, port)))
    except OSError as error:
        problem = f"does not resolve ({getattr(error, 'strerror', None) or error})"
    else:
        problem = rules.resolved_problem(addresses, allow_private=allow_private)
    if problem:
        raise Refused(parts.hostname, problem)
    return addresses[0]


def exchange(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    limits: Limits,
    allow_private: bool,
    body: bytes | None = None,
    resolve: Resolver = resolve,
) -> Answer:
    """Send one request (and follow up to ``limits.redirects`` redirects with GET); return the
    answer. Raises :class:`Refused`, :class:`TooLarge`, :class:`TooManyRedirects`,
    :class:`Unreadable`, TimeoutError, or what the connection raises (OSError,
    http.client.HTTPException). The messages of these never hold the URL."""
    deadline = _Deadline(limits.seconds)
    try:
        for _ in range(limits.redirects + 1):
            answer = _once(method, url, headers, body, limits, deadline, allow_private, resolve)
            location = answer.headers.get("location")
            if limits.redirects == 0 or answer.status not in REDIRECTS or not location:
                return answer
            url = urljoin(url, location.strip())
            if answer.status == 303 or method != "GET":
                method, body = "GET", None
        raise TooManyRedirects(f"more than {limits.redirects} redirects")
    finally:
        deadline.cancel()


def _once(
    method: str, url: str, headers: Mapping[str, str], body: bytes | None, limits: Limits,
    deadline: _Deadline, allow_private: bool, resolve: Resolver,
) -> Answer:
    address = checked_address(url, allow_private=allow_private, resolve=resolve)
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, address, port, deadline.remaining())
    deadline.watch(connection)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = dict(headers)
    if limits.gzip:
        sent["accept-encoding"] = "gzip"
    try:
        connection.connect()
        deadline.watch(connection)  # now with its socket, which the deadline cuts
        connection.request(method, target, body=body, headers=sent)
        response = connection.getresponse()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        if response.status in REDIRECTS and limits.redirects:
            return Answer(response.status, answer_headers, b"")
        return Answer(response.status, answer_headers, _read(response, answer_headers, limits, deadline, connection))
    except (OSError, http.client.HTTPException):
        if deadline.passed:
            raise TimeoutError(f"timed out: no complete answer within {deadline.seconds:g} s") from None
        raise
    finally:
        deadline.watch(None)
        connection.close()


def _read(
    response: http.client.HTTPResponse, headers: Mapping[str, str], limits: Limits, deadline: _Deadline,
    connection: http.client.HTTPConnection,
) -> bytes:
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if limits.truncate:  # only the status counts: the body is read as it comes, to be dropped
        encoding = "identity"
    elif encoding not in ("identity", "") and not (limits.gzip and encoding in ("gzip", "x-gzip")):
        raise Unreadable(f"the answer is encoded as {encoding[:40]!r}, which was not asked for")
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding in ("gzip", "x-gzip") else None
    declared = headers.get("content-length", "")
    if decoder is None and not limits.truncate and declared.isdigit() and int(declared) > limits.max_bytes:
        raise TooLarge(f"the answer is larger than {limits.max_bytes:,} bytes")
    kept, size = [], 0
    while True:
        if connection.sock is not None:
            connection.sock.settimeout(deadline.remaining())
        chunk = response.read1(CHUNK)
        if not chunk:
            if deadline.passed:  # the deadline cut the connection: this end is not the body's
                raise TimeoutError(f"timed out: no complete answer within {deadline.seconds:g} s")
            if response.length:  # http.client's read1 ends quietly where Content-Length promised more
                raise http.client.IncompleteRead(b"", response.length)
            break
        if decoder is not None:
            try:
                # At most one byte past the limit comes out: enough to tell that it is past it.
                chunk = decoder.decompress(chunk, limits.max_bytes + 1 - size)
            except zlib.error as error:
                raise Unreadable(f"the gzip answer is damaged ({error})") from None
        size += len(chunk)
        if size > limits.max_bytes:
            if limits.truncate:
                kept.append(chunk[: limits.max_bytes - (size - len(chunk))])
                break
            raise TooLarge(f"the answer is larger than {limits.max_bytes:,} bytes")
        kept.append(chunk)
    if decoder is not None and not decoder.eof:
        raise Unreadable("the gzip answer ends before its end")
    return b"".join(kept)
