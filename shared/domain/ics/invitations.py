"""Invitations: the iTIP messages (RFC 5546) that put a session into one recipient's calendar
(``METHOD:REQUEST``) or take it out (``METHOD:CANCEL``), one recipient at a time, with the
VEVENT that :mod:`.rendering` writes and only that recipient as ``ATTENDEE``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from icalendar import Event, vCalAddress, vText

from .. import texts, vtimezone
from .events import Contact, SessionEvent
from .rendering import END, calendar_of, mailto_address, session_vevent, vtimezones, with_components, zone_years

METHODS = ("REQUEST", "CANCEL")
ROLES = ("REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT", "CHAIR")


def build_invitation(
    event: SessionEvent,
    recipient: Contact,
    *,
    method: str,
    role: str,
    issued_at: datetime,
    sent_by: str | None = None,
    answer_url: str | None = None,
) -> bytes:
    """The iTIP message for one recipient about one change of ``event``.

    ``method`` is ``"REQUEST"`` (new or changed session) or ``"CANCEL"`` (the session is
    cancelled, or ``recipient`` left the group). ``role`` is ``"REQ-PARTICIPANT"`` for members
    and ``"CHAIR"`` for the facilitator of a guided session. ``issued_at`` becomes DTSTAMP.
    ``sent_by`` is the address the mail really comes from when that is not the organizer's
    (ORGANIZER's SENT-BY, RFC 5545 3.2.18), so clients do not flag the message as forged.
    ``answer_url`` is the recipient's own answer link, added to the DESCRIPTION. A REQUEST
    carries a VALARM: a display reminder one day before.

    A CANCEL needs a higher SEQUENCE than the last REQUEST the recipient got, or clients
    ignore it as outdated: bump the session's sequence when a member leaves, too.
    """
    _check_invitation(event, method=method, role=role, issued_at=issued_at)
    calendar = calendar_of(method)
    for timezone in vtimezones([event]):
        calendar.add_component(timezone)
    calendar.add_component(
        session_vevent(
            event,
            language=texts.language_of(recipient.language),
            dtstamp=issued_at,
            cancelled=method == "CANCEL",
            attendee=_attendee(recipient, role=role, method=method),
            sent_by=sent_by,
            answer_url=answer_url,
            alarm=method == "REQUEST",
        )
    )
    return calendar.to_ical(sorted=False)


@dataclass(frozen=True, slots=True)
class Invitee:
    """One recipient of an invitation: who, in which role, and their own answer link (if any)."""

    contact: Contact
    role: str
    answer_url: str | None = None


def build_invitations(
    event: SessionEvent,
    invitees: Sequence[Invitee],
    *,
    method: str,
    issued_at: datetime,
    sent_by: str | None = None,
) -> list[bytes]:
    """:func:`build_invitation` for each of ``invitees``, the same bytes, in their order.

    Recipients of one change differ only in their ATTENDEE line, the answer link in the
    DESCRIPTION and the language. Every content line is folded on its own (see
    :func:`with_components`), so the calendar's own lines and VTIMEZONE are serialised once,
    the VEVENT's lines once per language, and per recipient only those two lines. A unit test
    compares the result with :func:`build_invitation` for each recipient.
    """
    for invitee in invitees:
        _check_invitation(event, method=method, role=invitee.role, issued_at=issued_at)
    head = _invitation_head(method, tuple(zone_years([event])))
    templates: dict[str, _InvitationTemplate] = {}
    built = []
    for invitee in invitees:
        language = texts.language_of(invitee.contact.language)
        template = templates.get(language)
        if template is None:
            attendee = _attendee(invitee.contact, role=invitee.role, method=method)
            template = templates[language] = _InvitationTemplate(
                event, language, method=method, issued_at=issued_at, sent_by=sent_by, attendee=attendee
            )
        built.append(b"".join([head, template.vevent(invitee, method), END]))
    return built


@lru_cache(maxsize=64)
def _invitation_head(method: str, zone_years: tuple[tuple[str, int, int], ...]) -> bytes:
    """The lines of an invitation before its VEVENT: the calendar's own and its VTIMEZONE."""
    timezones = [vtimezone.vtimezone_ical(*years) for years in zone_years]
    return with_components(calendar_of(method), timezones)[: -len(END)]


_LINK = "{answer link}"
"""Stands for the answer link in a DESCRIPTION written once for every recipient."""


class _InvitationTemplate:
    """An invitation's VEVENT in one language as serialised content lines; the DESCRIPTION
    (with the answer link) and the ATTENDEE are filled in per recipient."""

    def __init__(
        self, event: SessionEvent, language: str, *, method: str, issued_at: datetime, sent_by: str | None,
        attendee: vCalAddress,
    ) -> None:
        self._event, self._language = event, language
        self._component = session_vevent(
            event, language=language, dtstamp=issued_at, cancelled=method == "CANCEL", attendee=attendee,
            sent_by=sent_by, alarm=method == "REQUEST",
        )
        items = self._component.property_items(sorted=False)
        self._lines = [_content_line(name, value) for name, value in items]
        names = [name for name, _ in items]
        # The first DESCRIPTION is the event's own: a VALARM's comes after every VEVENT property.
        self._description = names.index("DESCRIPTION")
        self._attendee = names.index("ATTENDEE")
        self._unlinked = texts.description(event, language)
        self._linked = texts.description(event, language, answer_url=_LINK)

    def vevent(self, invitee: Invitee, method: str) -> bytes:
        lines = list(self._lines)
        description = vText(self._description_text(invitee.answer_url))
        lines[self._description] = _content_line("DESCRIPTION", description)
        lines[self._attendee] = _attendee_line(invitee.contact, invitee.role, method)
        return b"\r\n".join(lines) + b"\r\n"

    def _description_text(self, answer_url: str | None) -> str:
        if not answer_url:
            return self._unlinked
        if self._linked.count(_LINK) != 1:  # the group's own words hold the placeholder too
            return texts.description(self._event, self._language, answer_url=answer_url)
        return self._linked.replace(_LINK, answer_url)


_LINE_WRITER = Event()
"""``content_line`` is the same for every component: it writes a property's name, parameters
and value (and does not change the component)."""


def _content_line(name: str, value) -> bytes:
    """One property as icalendar writes it inside a component (``sorted=False``), folded."""
    return _folded(_LINE_WRITER.content_line(name, value, sorted=False))


@lru_cache(maxsize=4096)
def _attendee_line(recipient: Contact, role: str, method: str) -> bytes:
    """The ATTENDEE line of an invitation; a member gets one for each session of a plan."""
    return _content_line("ATTENDEE", _attendee(recipient, role=role, method=method))


_FOLD_AT = 74
"""icalendar folds a content line before the character that would make it 75 octets long."""
_FOLD_ESCAPES = (ord("\\"), ord("^"))


def _folded(line: str) -> bytes:
    """``Contentline(line).to_ical()``: icalendar's folding, done on the UTF-8 bytes at once.

    icalendar 7 folds one character at a time, which is most of what an invitation costs. Its
    rule: at most 74 octets a line, never inside a character, and a backslash or caret (the
    start of an escape) that would end a line moves to the next one. A unit test checks that
    this gives icalendar's bytes for any line.
    """
    data = line.encode("utf-8")
    size = len(data)
    parts, start = [], 0
    while size - start > _FOLD_AT:
        end = start + _FOLD_AT
        while data[end] & 0xC0 == 0x80:  # a continuation byte: the character starts earlier
            end -= 1
        if data[end - 1] in _FOLD_ESCAPES and end - 1 > start:
            end -= 1
        parts.append(data[start:end])
        start = end
    parts.append(data[start:])
    return b"\r\n ".join(parts)


def _check_invitation(event: SessionEvent, *, method: str, role: str, issued_at: datetime) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    if method == "REQUEST" and event.status == "cancelled":
        raise ValueError("a cancelled session is sent with METHOD:CANCEL, not REQUEST")
    if issued_at.utcoffset() is None:
        raise ValueError("DTSTAMP needs an aware datetime")


def _attendee(recipient: Contact, *, role: str, method: str) -> vCalAddress:
    return mailto_address(
        recipient.email,
        cn=recipient.name,
        role=role,
        partstat="NEEDS-ACTION",
        # RSVP asks for a REPLY; RFC 5546 has no reply to a CANCEL.
        rsvp=True if method == "REQUEST" else None,
    )


def clear_caches() -> None:
    """Forget the invitations' serialised lines (the events' own are :mod:`.rendering`'s)."""
    _attendee_line.cache_clear()
    _invitation_head.cache_clear()
