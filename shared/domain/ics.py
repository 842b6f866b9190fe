"""iCalendar output: iTIP invitations (RFC 5546) and subscribable feeds.

Three kinds of object come out of here, all as UTF-8 bytes with CRLF line ends:

* :func:`build_invitation` — one ``VCALENDAR`` for one recipient and one change of one session:
  ``METHOD:REQUEST`` for a new or changed session, ``METHOD:CANCEL`` for a cancelled session or
  for a member who left. Only that recipient appears as ``ATTENDEE``, so no member's address
  reaches the others.
* :func:`build_feed` — ``METHOD:PUBLISH`` with every session of a facilitator, participant or
  group: no ``ATTENDEE`` lines, cancelled sessions kept with ``STATUS:CANCELLED``, and the same
  bytes for the same data (``DTSTAMP`` is the event's last change, never "now").
* :func:`build_calendar_object` — one session without ``METHOD``, as a CalDAV server stores it.

The content lines are written here rather than through icalendar's component tree: a feed of
500 sessions renders in a fraction of the time (see ``bench/ics_feed.py``), and the output is
checked against icalendar, vobject, libical and Radicale in the tests. Every ``TZID`` gets a
``VTIMEZONE`` in the yearly-rule form from :mod:`shared.domain.vtimezone`.

Choices that are not obvious from the RFCs:

* A member who left gets ``METHOD:CANCEL`` with ``STATUS:CANCELLED`` and herself as the only
  ``ATTENDEE``. RFC 5546 3.2.5 would have the organizer leave ``STATUS`` out when only some
  attendees are uninvited, but that distinction exists for a message listing the whole
  attendee list; this one is addressed to her alone, and for her the session is off. It is
  also the form Outlook/Exchange and Google Calendar send to a removed guest, so every client
  (Apple Calendar included) removes or strikes the event, whereas a CANCEL without STATUS is
  handled inconsistently (some clients keep the event, some call it "cancelled" anyway).
* Feeds keep ``ORGANIZER`` (with its ``CN``): RFC 5546 3.2.1 requires it in a PUBLISH'ed
  VEVENT (libical rejects the feed without it), and the address is the facilitator's or the
  programme's, which every member already has from the invitations. Members' addresses
  (``ATTENDEE``) never appear in a feed.
* A cancelled session is ``TRANSP:TRANSPARENT`` and its SUMMARY starts with "Geannuleerd:",
  because Google and Outlook draw a subscribed ``STATUS:CANCELLED`` event like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from shared.domain import texts
from shared.domain.vtimezone import build_vtimezone

PRODID = "-//Intervisie//Intervisie agenda//NL"
METHODS = ("REQUEST", "CANCEL")
ROLES = ("REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT", "CHAIR")
KINDS = ("guided", "self_directed")
STATUSES = ("scheduled", "cancelled")
REFRESH = "PT1H"
"""How often subscribers should fetch a feed again (REFRESH-INTERVAL and X-PUBLISHED-TTL)."""

_EMPTY_FEED_YEAR = 2026
"""Year of the VTIMEZONE in a feed without events (RFC 5545 wants at least one component).
No event refers to it, so any year would do; a constant keeps the bytes stable."""


@dataclass(frozen=True, slots=True)
class Contact:
    """Someone who sends or receives calendar mail."""

    name: str
    email: str
    language: str = "nl"


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """One intervision session as the calendar shows it."""

    uid: str
    sequence: int
    number: int
    kind: str
    guided_total: int
    start: datetime
    end: datetime
    timezone: str
    status: str
    group_name: str
    theme: str | None
    meeting_url: str | None
    chair_name: str | None
    last_modified: datetime
    organizer: Contact

    def __post_init__(self) -> None:
        for name in ("start", "end", "last_modified"):
            if getattr(self, name).utcoffset() is None:
                raise ValueError(f"SessionEvent.{name} must be an aware datetime")
        if self.end <= self.start:
            raise ValueError("SessionEvent.end must be after its start")
        if self.kind not in KINDS:
            raise ValueError(f"SessionEvent.kind must be one of {KINDS}, not {self.kind!r}")
        if self.status not in STATUSES:
            raise ValueError(f"SessionEvent.status must be one of {STATUSES}, not {self.status!r}")
        if self.sequence < 0:
            raise ValueError("SessionEvent.sequence cannot be negative")
        if not self.uid or _has_control(self.uid):
            raise ValueError("SessionEvent.uid must be a non-empty single line")
        if self.meeting_url is not None and not _is_uri(self.meeting_url):
            raise ValueError(f"SessionEvent.meeting_url is not a usable URI: {self.meeting_url!r}")
        ZoneInfo(self.timezone)  # an unknown zone fails here, not halfway through a feed


def build_invitation(
    event: SessionEvent,
    recipient: Contact,
    *,
    method: str,
    role: str,
    issued_at: datetime,
    sent_by: str | None = None,
) -> bytes:
    """The iTIP message for one recipient about one change of ``event``.

    ``method`` is ``"REQUEST"`` (new or changed session) or ``"CANCEL"`` (the session is
    cancelled, or ``recipient`` left the group). ``role`` is ``"REQ-PARTICIPANT"`` for members
    and ``"CHAIR"`` for the facilitator of a guided session. ``issued_at`` becomes DTSTAMP.
    ``sent_by`` is the address the mail really comes from when that is not the organizer's
    (ORGANIZER's SENT-BY, RFC 5545 3.2.18), so clients do not flag the message as forged.

    A CANCEL needs a higher SEQUENCE than the last REQUEST the recipient got, or clients
    ignore it as outdated: bump the session's sequence when a member leaves, too.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    if method == "REQUEST" and event.status == "cancelled":
        raise ValueError("a cancelled session is sent with METHOD:CANCEL, not REQUEST")
    language = texts.language_of(recipient.language)
    attendee = (
        f"ATTENDEE;CN={_param(recipient.name)};ROLE={role};PARTSTAT=NEEDS-ACTION"
        # RSVP asks for a REPLY; RFC 5546 has no reply to a CANCEL.
        + (";RSVP=TRUE" if method == "REQUEST" else "")
        + f":{_mailto(recipient.email)}"
    )
    lines = _header(method)
    lines += _vtimezones([event])
    lines += _vevent(
        event,
        language=language,
        dtstamp=issued_at,
        cancelled=method == "CANCEL",
        attendee=attendee,
        sent_by=sent_by,
    )
    lines.append("END:VCALENDAR")
    return _serialise(lines)


def build_feed(
    events: Sequence[SessionEvent], *, calendar_name: str, timezone: str, language: str
) -> bytes:
    """A subscribable ``METHOD:PUBLISH`` calendar of ``events``, byte-identical for equal input.

    ``timezone`` is the subscriber's zone (X-WR-TIMEZONE, which Google and Apple use as the
    calendar's default); each session keeps its own TZID. Events are sorted by start, then UID.
    """
    ordered = sorted(events, key=lambda e: (e.start.astimezone(UTC), e.uid))
    seen: set[str] = set()
    for event in ordered:
        if event.uid in seen:
            raise ValueError(f"UID {event.uid!r} occurs twice in one feed")
        seen.add(event.uid)
    ZoneInfo(timezone)
    language = texts.language_of(language)
    lines = _header("PUBLISH")
    name = _escape(calendar_name)
    lines += [
        f"X-WR-CALNAME:{name}",
        f"NAME:{name}",
        f"X-WR-TIMEZONE:{timezone}",
        f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}",
        f"X-PUBLISHED-TTL:{REFRESH}",
    ]
    if ordered:
        lines += _vtimezones(ordered)
    else:
        lines += build_vtimezone(timezone, _EMPTY_FEED_YEAR, _EMPTY_FEED_YEAR)
    for event in ordered:
        lines += _vevent(event, language=language, dtstamp=event.last_modified)
    lines.append("END:VCALENDAR")
    return _serialise(lines)


def build_calendar_object(event: SessionEvent, *, language: str) -> bytes:
    """One session as a CalDAV resource: no METHOD, its VTIMEZONE, no ATTENDEE."""
    lines = _header(None)
    lines += _vtimezones([event])
    lines += _vevent(event, language=texts.language_of(language), dtstamp=event.last_modified)
    lines.append("END:VCALENDAR")
    return _serialise(lines)


def feed_last_modified(events: Iterable[SessionEvent]) -> datetime | None:
    """The latest change among ``events``, in UTC and whole seconds (for ``Last-Modified``).

    A session that left the feed does not move this back, so the HTTP layer should rely on
    the ETag (a hash of the bytes) for revalidation and use this only as a hint.
    """
    latest = max((e.last_modified for e in events), default=None)
    if latest is None:
        return None
    return latest.astimezone(UTC).replace(microsecond=0)


def _header(method: str | None) -> list[str]:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    if method:
        lines.append(f"METHOD:{method}")
    return lines


def _vtimezones(events: Sequence[SessionEvent]) -> list[str]:
    """A VTIMEZONE per zone used, covering the years of its events (plus the one before)."""
    years: dict[str, tuple[int, int]] = {}
    for event in events:
        zone = ZoneInfo(event.timezone)
        first = event.start.astimezone(zone).year - 1
        last = event.end.astimezone(zone).year
        if event.timezone in years:
            known = years[event.timezone]
            first, last = min(first, known[0]), max(last, known[1])
        years[event.timezone] = (first, last)
    lines: list[str] = []
    for tzid in sorted(years):
        lines += build_vtimezone(tzid, *years[tzid])
    return lines


def _vevent(
    event: SessionEvent,
    *,
    language: str,
    dtstamp: datetime,
    cancelled: bool = False,
    attendee: str | None = None,
    sent_by: str | None = None,
) -> list[str]:
    cancelled = cancelled or event.status == "cancelled"
    zone = ZoneInfo(event.timezone)
    tzid = _param(event.timezone)
    organizer = f"ORGANIZER;CN={_param(event.organizer.name)}"
    if sent_by:
        organizer += f';SENT-BY="{_mailto(sent_by)}"'
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_escape(event.uid)}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTAMP:{_utc(dtstamp)}",
        f"DTSTART;TZID={tzid}:{_local(event.start.astimezone(zone))}",
        f"DTEND;TZID={tzid}:{_local(event.end.astimezone(zone))}",
        f"SUMMARY:{_escape(texts.summary(event, language))}",
        f"DESCRIPTION:{_escape(texts.description(event, language))}",
    ]
    if event.meeting_url:
        url = event.meeting_url
        lines += [
            f"LOCATION:{_escape(url)}",
            f"URL:{url}",
            "CONFERENCE;VALUE=URI;FEATURE=VIDEO;"
            f"LABEL={_param(texts.conference_label(language))}:{url}",
        ]
    lines.append(f"{organizer}:{_mailto(event.organizer.email)}")
    if attendee:
        lines.append(attendee)
    lines += [
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"TRANSP:{'TRANSPARENT' if cancelled else 'OPAQUE'}",
        f"LAST-MODIFIED:{_utc(event.last_modified)}",
        "END:VEVENT",
    ]
    return lines


def _serialise(lines: list[str]) -> bytes:
    return "".join(_fold(line) + "\r\n" for line in lines).encode("utf-8")


def _fold(line: str) -> str:
    """Fold at 75 octets (RFC 5545 3.1) without splitting a UTF-8 sequence or an escape."""
    if len(line) <= 75 and line.isascii():
        return line
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts = []
    start, width = 0, 75
    while len(data) - start > width:
        end = start + width
        while data[end] & 0xC0 == 0x80:  # inside a multi-byte character
            end -= 1
        backslashes = 0
        while end - 1 - backslashes > start and data[end - 1 - backslashes] == 0x5C:
            backslashes += 1
        if backslashes % 2:  # keep "\n", "\," together: some readers do not unfold first
            end -= 1
        parts.append(data[start:end])
        start, width = end, 74  # the leading space of a continuation line counts
    parts.append(data[start:])
    return b"\r\n ".join(parts).decode("utf-8")


def _escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11); line breaks of any style become ``\\n``."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def _param(value: str) -> str:
    """A parameter value, quoted when needed (RFC 5545 3.2).

    A DQUOTE cannot occur inside a quoted value; RFC 6868's ``^'`` escape would allow it, but
    Outlook shows it literally, so it becomes an apostrophe. Control characters are dropped.
    """
    value = "".join(" " if c in "\r\n\t" else c for c in value if c >= " " or c in "\r\n\t")
    value = value.replace('"', "'")
    if any(c in value for c in ";:,") or value != value.strip() or not value:
        return f'"{value}"'
    return value


def _mailto(email: str) -> str:
    email = email.strip()
    if "@" not in email or _has_control(email) or any(c in email for c in ' "<>'):
        raise ValueError(f"not a usable e-mail address: {email!r}")
    return f"mailto:{email}"


def _utc(moment: datetime) -> str:
    if moment.utcoffset() is None:
        raise ValueError("DTSTAMP and LAST-MODIFIED need an aware datetime")
    return _local(moment.astimezone(UTC)) + "Z"


def _local(moment: datetime) -> str:
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        f"T{moment.hour:02d}{moment.minute:02d}{moment.second:02d}"
    )


def _has_control(text: str) -> bool:
    return any(c < " " or c == "\x7f" for c in text)


def _is_uri(text: str) -> bool:
    scheme, colon, rest = text.partition(":")
    return bool(
        colon and scheme and rest and scheme.isascii() and scheme[0].isalpha()
        and not _has_control(text) and " " not in text and '"' not in text
    )
