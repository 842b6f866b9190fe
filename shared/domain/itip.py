"""Answers from calendars: iTIP REPLY messages (RFC 5546 3.2.3), and the mails that carry them
(iMIP, RFC 6047).

A calendar that accepts, declines or tentatively accepts an invitation sends a ``METHOD:REPLY``
calendar to the organizer: one VEVENT with the session's UID and SEQUENCE, and the one ATTENDEE
who answers with her PARTSTAT. :func:`parse_reply` reads it with icalendar and says precisely
what is wrong when it cannot be used; :func:`calendar_parts` finds such calendars in a mail,
whether a client sends them as the ``text/calendar`` part of a ``multipart/alternative`` (Outlook,
Google) or as an attached ``.ics`` (Apple), in any transfer encoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes, policy

from icalendar import Calendar

from .attendance import RESPONSE_OF_PARTSTAT

CALENDAR_TYPES = ("text/calendar", "application/ics")
ANSWERED = ("ACCEPTED", "TENTATIVE", "DECLINED")


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


def parse_reply(data: bytes | str) -> Reply:
    """The answer in a ``METHOD:REPLY`` calendar; raises :class:`ReplyError`."""
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
        address = address[len("mailto:"):]
    if "@" not in address:
        raise ReplyError("ATTENDEE", f"{address!r} is not an e-mail address")
    partstat = str(attendees.params.get("PARTSTAT", "NEEDS-ACTION")).strip().upper()
    if partstat not in ANSWERED:
        raise ReplyError("PARTSTAT", f"is {partstat}; an answer is ACCEPTED, TENTATIVE or DECLINED")
    comment = event.get("COMMENT")
    if isinstance(comment, list):
        comment = " ".join(str(part) for part in comment)
    return Reply(uid, sequence, address.lower(), RESPONSE_OF_PARTSTAT[partstat], str(comment)[:500] if comment else None)


def calendar_parts(message: bytes) -> list[bytes]:
    """The calendar objects in a mail (decoded from base64 or quoted-printable), in order."""
    mail = message_from_bytes(message, policy=policy.default)
    found = []
    for part in mail.walk():
        if part.get_content_type() in CALENDAR_TYPES and not part.is_multipart():
            payload = part.get_payload(decode=True)
            if payload:
                found.append(payload)
    return found
