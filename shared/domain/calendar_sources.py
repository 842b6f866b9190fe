"""Published calendars (a secret ICS address) and CalDAV calendars (a collection with a user name
and an app password) as sources of a person's busy time: which addresses are taken, how they are
shown, how much of them is fetched and kept, and what a failed fetch is called.

Pure rules; the request lives at the worker's edge (services.scheduler.calendar_fetch), the
expansion of a feed into busy intervals in :mod:`shared.domain.busy_times`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from urllib.parse import urlsplit

MAX_SOURCES = 5
"""Sources a person may have."""
MAX_URL_LENGTH = 2000
MAX_FEED_BYTES = 10 * 1024 * 1024
"""A feed larger than this (after gzip) is refused: a school's five-year timetable is about 2 MiB."""
FETCH_SECONDS = 30
"""The whole fetch (connecting, redirects, reading) ends after this."""
MAX_REDIRECTS = 5
FETCH_LEASE = timedelta(minutes=3)
"""How long a worker holds a source it fetches: longer than a fetch and its expansion can take."""
LOST_AFTER = timedelta(minutes=5)
"""A fetch asked for that no worker has claimed after this is asked for again (its message was
lost): long enough for a backlog of fetches to be worked off first."""

PENDING, OK, FAILED = "pending", "ok", "failed"
STATUSES = (PENDING, OK, FAILED)
"""``pending``: not fetched yet; ``ok``: the last fetch succeeded (or found the feed unchanged);
``failed``: the last fetch failed (``last_error`` says why) and the busy times of the last
good one are kept."""

PARTICIPANT, FACILITATOR = "participant", "facilitator"
OWNER_KINDS = (PARTICIPANT, FACILITATOR)

ICS, CALDAV = "ics", "caldav"
KINDS = (ICS, CALDAV)
"""``ics``: a published address, fetched with a conditional GET; ``caldav``: a calendar
collection on a CalDAV server, asked for its free and busy time (RFC 4791 7.10) with a user name
and an app password."""
MAX_CREDENTIAL_LENGTH = 200
"""Of a CalDAV user name, and of its app password."""

_WEBCAL = re.compile(r"^webcals?://", re.IGNORECASE)


def normalised(url: str) -> str:
    """The address as it is fetched: ``webcal://`` and ``webcals://`` (what calendar apps
    publish, for a subscribe button) are read as ``https://``."""
    return _WEBCAL.sub("https://", url.strip(), count=1)


def masked(url: str) -> str:
    """How an address is shown back: its scheme and host only (the path and query hold the
    secret), e.g. ``https://outlook.office365.com/…``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default = {"https": 443, "http": 80}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{host}{port}/…"


def url_digest(secret: bytes, url: str) -> str:
    """A keyed fingerprint of the address, so that the same calendar added twice is found
    without storing the address in the clear."""
    return hmac.new(secret, f"calendar-source:{url}".encode(), hashlib.sha256).hexdigest()


def free_busy_query(start: datetime, end: datetime) -> bytes:
    """The body of a CalDAV ``free-busy-query`` REPORT (RFC 4791 7.10) for ``[start, end)``
    (aware): the server answers a VFREEBUSY of the collection's busy time, with no titles, places
    or people at all."""
    first, last = (moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") for moment in (start, end))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">'
        f'<C:time-range start="{first}" end="{last}"/>'
        "</C:free-busy-query>"
    ).encode()


_VALIDATOR = re.compile(r"[\x20-\x7e]{1,500}")


def validator(value: str | None) -> str | None:
    """An ETag or Last-Modified of a feed worth keeping for the next conditional request: one
    line of printable ASCII (anything else could not be sent back as a header)."""
    return value if value is not None and _VALIDATOR.fullmatch(value) else None


# -- what a fetch found ------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    """The feed, with the validators for the next conditional request."""

    body: bytes
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class Unchanged:
    """304 Not Modified: the busy times stand."""


FAILURE_CODES = (
    "not-found", "forbidden", "http-error", "too-slow", "cut-off", "too-large", "too-many-redirects",
    "unreachable", "not-a-calendar", "refused-address", "unreadable-address", "unexpected",
)
"""Why a fetch failed, as a stable code (``last_error_code``) beside the words of ``last_error``:
``not-found`` (404, 410), ``forbidden`` (401, 403), ``http-error`` (any other status),
``too-slow``, ``cut-off`` (the answer stopped early), ``too-large``, ``too-many-redirects``,
``unreachable`` (no connection, TLS failed, no HTTP), ``not-a-calendar``, ``refused-address``
(the SSRF rules), ``unreadable-address`` (the secret key changed) and ``unexpected``."""


@dataclass(frozen=True)
class Failed:
    reason: str
    """In words, for the person whose calendar it is: never the address itself."""
    code: str
    """One of :data:`FAILURE_CODES`."""


_NOT_FOUND = frozenset({404, 410})
_FORBIDDEN = frozenset({401, 403})


def answered(status: int) -> Failed:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "an unknown status"
    code = "not-found" if status in _NOT_FOUND else "forbidden" if status in _FORBIDDEN else "http-error"
    return Failed(f"the calendar server answered {status} {phrase}", code)


_ANSWERED = re.compile(r"the calendar server answered ([0-9]{3}) ")


def answered_status(reason: str | None) -> int | None:
    """The HTTP status that a reason of :func:`answered` names, else None."""
    match = _ANSWERED.match(reason or "")
    return int(match.group(1)) if match else None


def too_slow() -> Failed:
    return Failed(f"the calendar server did not send the whole calendar within {FETCH_SECONDS} seconds", "too-slow")


def cut_off() -> Failed:
    return Failed("the calendar server stopped before it had sent the whole calendar", "cut-off")


def too_large() -> Failed:
    return Failed(f"the calendar is larger than {MAX_FEED_BYTES // (1024 * 1024)} MiB", "too-large")


def too_many_redirects() -> Failed:
    return Failed(f"the calendar server redirected more than {MAX_REDIRECTS} times", "too-many-redirects")


def unreachable(why: str) -> Failed:
    return Failed(f"the calendar server could not be reached ({why})", "unreachable")


def not_a_calendar(why: str) -> Failed:
    return Failed(f"the address does not serve a calendar that can be read: {why}", "not-a-calendar")


def refused(why: str) -> Failed:
    return Failed(f"the address was refused ({why})", "refused-address")


UNREADABLE_ADDRESS = Failed(
    "the stored address can no longer be read (the service's secret key was changed); remove this "
    "calendar and add it again",
    "unreadable-address",
)
UNEXPECTED = Failed("an unexpected error stopped the fetch; it is logged, and the next refresh may succeed", "unexpected")
