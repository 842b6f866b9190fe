"""Answers from calendars: iTIP REPLY messages (RFC 5546 3.2.3), and the mails that carry them
(iMIP, RFC 6047).

A calendar that accepts, declines or tentatively accepts an invitation sends a ``METHOD:REPLY``
calendar to the organizer: one VEVENT with the session's UID and SEQUENCE, and the one ATTENDEE
who answers with her PARTSTAT. :func:`parse_reply` reads it with icalendar and says precisely
what is wrong when it cannot be used; :func:`calendar_parts` finds such calendars in a mail,
whether a client sends them as the ``text/calendar`` part of a ``multipart/alternative`` (Outlook,
Google) or as an attached ``.ics`` (Apple), in any transfer encoding and in the charset the part
declares.

Both are outside inputs, so both are bounded before any deep parsing: a mail with more than
:data:`MAX_MULTIPARTS` multipart containers is refused before the email parser reads it, a mail
yields at most :data:`MAX_CALENDAR_PARTS` calendars, and a calendar over
:data:`MAX_CALENDAR_BYTES`, with more than :data:`MAX_COMPONENTS` components or nested deeper
than :data:`MAX_DEPTH`, is refused before icalendar reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from icalendar import Calendar

from .attendance import RESPONSE_OF_PARTSTAT

CALENDAR_TYPES = ("text/calendar", "application/ics")
ANSWERED = ("ACCEPTED", "TENTATIVE", "DECLINED")
MAX_CALENDAR_PARTS = 10
"""Calendar parts of one mail that are read; the rest are logged and ignored."""
MAX_CALENDAR_BYTES = 64 * 1024
"""A REPLY is a few kilobytes, with the time zones Outlook adds."""
MAX_COMPONENTS = 32
MAX_MULTIPARTS = 32
"""Multipart containers in one mail: a client's reply has two or three, however many parts."""
_FOLD = re.compile(r"\r?\n[ \t]")
"""A content line's continuation (RFC 5545 3.1): ``BEG\r\n IN:X`` is ``BEGIN:X``."""
_MULTIPART_HEADER = re.compile(rb"(?im)^content-type:[ \t]*(?:\r?\n[ \t]+)?multipart/")
MAX_DEPTH = 4
"""VCALENDAR › VTIMEZONE › STANDARD is as deep as a REPLY goes; a VALARM in a VEVENT too."""


class ReplyError(ValueError):
    """Why a REPLY cannot be used: the property (``field``) and the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True, slots=True)
class Reply:
    uid: str
    sequence: int
    email: str
    """The answering ATTENDEE's address, lower case, without ``mailto:``."""
    response: str
    """``accepted``, ``tentative`` or ``declined``."""
    comment: str | None = None
    dtstamp: datetime | None = None
    """When the calendar wrote the REPLY (UTC); None when it did not say."""
    recurrence_id: datetime | date | None = None
    """The occurrence answered, when the REPLY names one (floating: a naive datetime)."""


def parse_reply(data: bytes | str) -> Reply:
    """The answer in a ``METHOD:REPLY`` calendar; raises :class:`ReplyError`. Bytes are UTF-8
    (RFC 5545 3.1.4); a caller that knows another charset decodes first."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ReplyError("calendar", "is not UTF-8 text; say its charset") from None
    check_shape(data)
    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise ReplyError("calendar", f"not an iCalendar object ({error})") from None
    if calendar.name != "VCALENDAR":
        raise ReplyError("calendar", f"expected a VCALENDAR, found {calendar.name or 'nothing'}")
    method = str(calendar.get("METHOD", "")).strip().upper()
    if method != "REPLY":
        raise ReplyError("METHOD", f"is {method or 'missing'}; only REPLY answers an invitation")
    events = calendar.walk("VEVENT")
    if len(events) != 1:
        raise ReplyError("VEVENT", f"a REPLY here has exactly one VEVENT, not {len(events)}")
    event = events[0]
    uid = str(event.get("UID", "")).strip()
    if not uid:
        raise ReplyError("UID", "is missing")
    try:
        sequence = int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        raise ReplyError("SEQUENCE", "is not a whole number") from None
    if sequence < 0:
        raise ReplyError("SEQUENCE", "is negative")
    attendees = event.get("ATTENDEE")
    if attendees is None:
        raise ReplyError("ATTENDEE", "is missing: a REPLY names the attendee who answers")
    if isinstance(attendees, list):
        if len(attendees) != 1:
            raise ReplyError("ATTENDEE", f"a REPLY names one attendee, not {len(attendees)}")
        attendees = attendees[0]
    address = str(attendees).strip()
    if address.lower().startswith("mailto:"):
        # A mailto URI percent-encodes what an address may hold and a URI may not (RFC 6068):
        # the invitation wrote "a b"@x as %22a%20b%22@x, and the calendar answers with it.
        address = unquote(address[len("mailto:"):])
    if "@" not in address:
        raise ReplyError("ATTENDEE", f"{address!r} is not an e-mail address")
    partstat = str(attendees.params.get("PARTSTAT", "NEEDS-ACTION")).strip().upper()
    if partstat not in ANSWERED:
        raise ReplyError("PARTSTAT", f"is {partstat}; an answer is ACCEPTED, TENTATIVE or DECLINED")
    comments = event.get("COMMENT")
    comments = comments if isinstance(comments, list) else [] if comments is None else [comments]
    # Outlook writes an empty COMMENT (or one of a line break) when nothing was typed.
    comment = " ".join(text for text in (str(part).strip() for part in comments) if text)
    return Reply(
        uid, sequence, address.lower(), RESPONSE_OF_PARTSTAT[partstat], comment[:500] or None,
        dtstamp=_moment(event, "DTSTAMP"), recurrence_id=_moment(event, "RECURRENCE-ID", keep_floating=True),
    )


def _moment(event, name: str, *, keep_floating: bool = False) -> datetime | date | None:
    """A date-time property as UTC (a floating one as given, or as UTC); None when absent."""
    prop = event.get(name)
    if prop is None:
        return None
    try:
        value = prop.dt
    except AttributeError:
        raise ReplyError(name, "is not a date or date-time") from None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        return value if keep_floating else value.replace(tzinfo=UTC)
    if isinstance(value, date) and keep_floating:
        return value
    raise ReplyError(name, "is not a date-time")


def answers_occurrence(reply: Reply, start: datetime, timezone: str) -> bool:
    """Whether the occurrence a REPLY names (if any) is the session starting at ``start``: the
    same instant, or for a floating time or a date, the same wall clock or day in the session's
    own zone."""
    named = reply.recurrence_id
    if named is None:
        return True
    local = start.astimezone(ZoneInfo(timezone))
    if isinstance(named, datetime):
        return named == start if named.tzinfo is not None else named == local.replace(tzinfo=None)
    return named == local.date()


def check_shape(text: str) -> None:
    """Refuse a calendar too big or too deeply nested to be worth parsing (see the module)."""
    if len(text) > MAX_CALENDAR_BYTES:
        raise ReplyError("calendar", f"is over {MAX_CALENDAR_BYTES // 1024} KiB; a REPLY is a few")
    depth = components = 0
    for line in _FOLD.sub("", text).splitlines():  # unfolded, as icalendar will read it
        head = line[:6].upper()
        if head == "BEGIN:":
            components, depth = components + 1, depth + 1
            if components > MAX_COMPONENTS:
                raise ReplyError("calendar", f"has more than {MAX_COMPONENTS} components")
            if depth > MAX_DEPTH:
                raise ReplyError("calendar", f"nests components more than {MAX_DEPTH} deep")
        elif head[:4] == "END:":
            depth -= 1


@dataclass(frozen=True, slots=True)
class CalendarParts:
    """The calendars a mail carries, decoded to text, and how many more were left unread."""

    texts: list[str]
    ignored: int = 0


def read_mail(message: bytes) -> EmailMessage:
    """The parsed mail; raises :class:`ReplyError` for one with more than
    :data:`MAX_MULTIPARTS` multipart containers, before the email parser descends into them
    (tens of thousands of nested ones cost it seconds, then its recursion limit)."""
    containers = len(_MULTIPART_HEADER.findall(message))
    if containers > MAX_MULTIPARTS:
        raise ReplyError("mail", f"has {containers} multipart containers; a reply has a few")
    return message_from_bytes(message, policy=policy.default)


def calendar_parts(mail: EmailMessage, limit: int = MAX_CALENDAR_PARTS) -> CalendarParts:
    """The first ``limit`` calendar objects in a mail, in order: decoded from base64 or
    quoted-printable, then from the charset the part declares (UTF-8 when it declares none;
    what does not decode is replaced, so that a garbled comment cannot lose the answer)."""
    found, ignored = [], 0
    for part in mail.walk():
        if part.get_content_type() not in CALENDAR_TYPES or part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not payload:
            continue
        if len(found) == limit:
            ignored += 1
            continue
        found.append(decode_text(payload, part.get_content_charset()))
    return CalendarParts(found, ignored)


def decode_text(payload: bytes, charset: str | None) -> str:
    """``payload`` in ``charset`` (UTF-8 when None or unknown), undecodable bytes replaced."""
    try:
        return payload.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")
