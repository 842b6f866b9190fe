"""iCalendar output: iTIP invitations (RFC 5546) and subscribable feeds.

Three kinds of object come out of here, all as UTF-8 bytes with CRLF line ends:

* :func:`build_invitation` — one ``VCALENDAR`` for one recipient and one change of one session:
  ``METHOD:REQUEST`` for a new or changed session, ``METHOD:CANCEL`` for a cancelled session or
  for a member who left. Only that recipient appears as ``ATTENDEE``, so no member's address
  reaches the others.
  :func:`build_invitations` writes the same bytes for every recipient of one change at once.
* :func:`build_feed` — ``METHOD:PUBLISH`` with every session of a facilitator, participant or
  group: no ``ATTENDEE`` lines, cancelled sessions kept with ``STATUS:CANCELLED``, and the same
  bytes for the same data (``DTSTAMP`` is the event's last change, never "now").
* :func:`build_calendar_object` — one session without ``METHOD``, as a CalDAV server stores it.

Every component is built and serialised by icalendar (folding, escaping, parameter quoting and
CRLF are its work). Each ``VEVENT`` gets its property objects ready-made (``vText``,
``vDatetime``, ...) instead of going through ``Component.add``, which looks the type up and
converts again. A feed is the calendar's own properties plus the ``to_ical()`` bytes of each
``VTIMEZONE`` and ``VEVENT``, which are kept in bounded caches keyed by the (frozen) event and
the language: folding is most of icalendar's cost, and an unchanged session need not be
folded again (see ``bench/ics_feed.py``). The bytes are those icalendar writes for the whole
tree, which a unit test checks. The invitations of one change are put together the same way from
content lines (:func:`build_invitations`), folded by :func:`_folded` rather than icalendar's
character-by-character loop; unit tests hold both to icalendar's bytes. Every ``TZID`` gets a
``VTIMEZONE`` in the yearly-rule form from :mod:`shared.domain.vtimezone`; a session in UTC is
written with ``Z`` and needs none (icalendar never writes ``TZID=UTC``, as RFC 5545 3.2.19 asks).

Choices that are not obvious from the RFCs:

* A member who left gets ``METHOD:CANCEL`` with ``STATUS:CANCELLED`` and herself as the only
  ``ATTENDEE``. RFC 5546 3.2.5 would have the organizer leave ``STATUS`` out when only some
  attendees are uninvited, but that distinction exists for a message listing the whole
  attendee list; this one is addressed to her alone, and for her the session is off. It is
  also the form Outlook/Exchange and Google Calendar send to a removed guest, so every client
  (Apple Calendar included) removes or strikes the event, whereas a CANCEL without STATUS is
  handled inconsistently (some clients keep the event, some call it "cancelled" anyway).
* The ``ORGANIZER`` is the programme (its reply address and name), for guided sessions too: a
  calendar sends its REPLY to the organizer, and the service reads replies there. The
  facilitator is an ``ATTENDEE`` with ``ROLE=CHAIR`` in her own invitation.
* Feeds keep ``ORGANIZER`` (with its ``CN``): RFC 5546 3.2.1 requires it in a PUBLISH'ed
  VEVENT (libical rejects the feed without it). Members' addresses (``ATTENDEE``) never appear
  in a feed.
* A cancelled session is ``TRANSP:TRANSPARENT`` and its SUMMARY starts with "Geannuleerd:",
  because Google and Outlook draw a subscribed ``STATUS:CANCELLED`` event like any other.
* The meeting link is written as :mod:`shared.domain.meeting_links` makes it, in LOCATION, URL,
  CONFERENCE and the DESCRIPTION alike: percent-encoded where a URI may not hold a character
  (Teams puts JSON in its query), so every client's click reaches the same meeting. A stored
  value that is no http(s) link leaves those out instead of failing the feed it is in.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import (
    Alarm,
    Calendar,
    Conference,
    Event,
    Parameters,
    Timezone,
    vCalAddress,
    vDatetime,
    vDuration,
    vInt,
    vText,
    vUri,
)

from shared.domain import meeting_links, texts, vtimezone

PRODID = "-//Intervisie//Intervisie agenda//NL"
METHODS = ("REQUEST", "CANCEL")
ROLES = ("REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT", "CHAIR")
KINDS = ("guided", "self_directed")
STATUSES = ("scheduled", "cancelled")
REFRESH = timedelta(hours=1)
"""How often subscribers should fetch a feed again (REFRESH-INTERVAL and X-PUBLISHED-TTL)."""

_EMPTY_FEED_YEAR = 2026
"""Year of the VTIMEZONE in a feed without events (RFC 5545 wants at least one component).
No event refers to it, so any year would do; a constant keeps the bytes stable."""

_CACHED_EVENTS = 4096
"""How many serialised VEVENTs are kept (about 1.5 kB each). A feed with more sessions than
this still renders correctly, but folds every event again on each request."""

_END = b"END:VCALENDAR\r\n"


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
    facilitator: Contact | None = None
    """Who guides a guided session (the organizer is the programme, which receives the replies)."""

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
        ZoneInfo(self.timezone)  # an unknown zone fails here, not halfway through a feed

    @property
    def meeting_link(self) -> str | None:
        """The meeting link as every calendar, mail and page writes it (percent-encoded where a
        URI may not hold a character), or None. A stored ``meeting_url`` that is no http(s) link
        leaves out only the link: the session itself is still shown (see :mod:`.meeting_links`)."""
        return meeting_links.to_uri(self.meeting_url) if self.meeting_url else None


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
    calendar = _calendar(method)
    for timezone in _vtimezones([event]):
        calendar.add_component(timezone)
    calendar.add_component(
        _vevent(
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
    :func:`_with_components`), so the calendar's own lines and VTIMEZONE are serialised once,
    the VEVENT's lines once per language, and per recipient only those two lines. A unit test
    compares the result with :func:`build_invitation` for each recipient.
    """
    for invitee in invitees:
        _check_invitation(event, method=method, role=invitee.role, issued_at=issued_at)
    head = _invitation_head(method, tuple(_zone_years([event])))
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
        built.append(b"".join([head, template.vevent(invitee, method), _END]))
    return built


@lru_cache(maxsize=64)
def _invitation_head(method: str, zone_years: tuple[tuple[str, int, int], ...]) -> bytes:
    """The lines of an invitation before its VEVENT: the calendar's own and its VTIMEZONE."""
    timezones = [vtimezone.vtimezone_ical(*years) for years in zone_years]
    return _with_components(_calendar(method), timezones)[: -len(_END)]


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
        self._component = _vevent(
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
    return _address(
        recipient.email,
        cn=recipient.name,
        role=role,
        partstat="NEEDS-ACTION",
        # RSVP asks for a REPLY; RFC 5546 has no reply to a CANCEL.
        rsvp=True if method == "REQUEST" else None,
    )


ALARM_BEFORE = timedelta(days=1)
"""When the VALARM of an invitation goes off, before the session starts."""

RENDERING_VERSION = 4
"""Bump when the bytes written for an unchanged event change: stored renderings and feed ETags
then no longer match, and every client fetches anew. (3: titles from the group's name, themes
and zones in words, texts from the gettext catalogues; 4: meeting links percent-encoded where a
URI may not hold a character.)"""


def build_feed(
    events: Sequence[SessionEvent],
    *,
    calendar_name: str,
    timezone: str,
    language: str,
    rendered: Mapping[str, bytes] | None = None,
) -> bytes:
    """A subscribable ``METHOD:PUBLISH`` calendar of ``events``, byte-identical for equal input.

    ``timezone`` is the subscriber's zone (X-WR-TIMEZONE, which Google and Apple use as the
    calendar's default); each session keeps its own TZID. Events are sorted by start, then UID.
    ``rendered`` maps a UID to its VEVENT bytes from :func:`published_vevent`, rendered earlier
    for an equal event (see :func:`rendering_key`); the others are rendered now.
    """
    rendered = rendered or {}
    ordered = sorted(events, key=lambda e: (e.start.astimezone(UTC), e.uid))
    seen: set[str] = set()
    for event in ordered:
        if event.uid in seen:
            raise ValueError(f"UID {event.uid!r} occurs twice in one feed")
        seen.add(event.uid)
    ZoneInfo(timezone)
    language = texts.language_of(language)
    calendar = _calendar("PUBLISH")
    name = vText(calendar_name)  # not calendar_name=: icalendar 7.3 leaves that text unescaped
    calendar["X-WR-CALNAME"] = name
    calendar["NAME"] = name
    calendar["X-WR-TIMEZONE"] = vText(timezone)
    calendar["REFRESH-INTERVAL"] = vDuration(REFRESH, params={"VALUE": "DURATION"})
    calendar["X-PUBLISHED-TTL"] = vDuration(REFRESH)
    if ordered:
        timezones = [vtimezone.vtimezone_ical(*years) for years in _zone_years(ordered)]
    else:
        timezones = [vtimezone.vtimezone_ical(timezone, _EMPTY_FEED_YEAR, _EMPTY_FEED_YEAR)]
    vevents = (rendered.get(e.uid) or _published_vevent(e, language) for e in ordered)
    return _with_components(calendar, [*timezones, *vevents])


def published_vevent(event: SessionEvent, language: str) -> bytes:
    """The VEVENT bytes of ``event`` as a feed shows it (no ATTENDEE, DTSTAMP its last change)."""
    return _published_vevent(event, texts.language_of(language))


def rendering_key(event: SessionEvent, language: str) -> str:
    """Equal for events whose feed VEVENT is byte-identical: a key to keep rendered bytes by."""
    material = repr((RENDERING_VERSION, event, event.start.utcoffset(), event.end.utcoffset(), texts.language_of(language)))
    return hashlib.sha256(material.encode()).hexdigest()


def build_calendar_object(event: SessionEvent, *, language: str) -> bytes:
    """One session as a CalDAV resource: no METHOD, its VTIMEZONE, no ATTENDEE."""
    timezones = [vtimezone.vtimezone_ical(*years) for years in _zone_years([event])]
    vevent = _published_vevent(event, texts.language_of(language))
    return _with_components(_calendar(None), [*timezones, vevent])


def feed_last_modified(events: Iterable[SessionEvent]) -> datetime | None:
    """The latest change among ``events``, in UTC and whole seconds (for ``Last-Modified``).

    A session that left the feed does not move this back, so the HTTP layer should rely on
    the ETag (a hash of the bytes) for revalidation and use this only as a hint.
    """
    latest = max((e.last_modified for e in events), default=None)
    if latest is None:
        return None
    return latest.astimezone(UTC).replace(microsecond=0)


def clear_caches() -> None:
    """Forget every serialised event and zone (for benchmarks of a cold start)."""
    _PUBLISHED.clear()
    _tzid_written_for.cache_clear()
    _attendee_line.cache_clear()
    _invitation_head.cache_clear()
    vtimezone.clear_caches()


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar["VERSION"] = vText("2.0")
    calendar["PRODID"] = vText(PRODID)
    calendar["CALSCALE"] = vText("GREGORIAN")
    if method:
        calendar["METHOD"] = vText(method)
    return calendar


def _with_components(calendar: Calendar, components: Iterable[bytes]) -> bytes:
    """``calendar`` with the serialised ``components`` inside, in that order.

    Each component's ``to_ical()`` is exactly what icalendar writes for it inside the calendar
    (every content line is folded on its own), so this equals serialising the whole tree.
    """
    own = calendar.to_ical(sorted=False)
    if not own.endswith(_END):
        raise AssertionError("icalendar did not end the calendar with END:VCALENDAR")
    return b"".join([own[: -len(_END)], *components, _END])


def _zone_years(events: Sequence[SessionEvent]) -> list[tuple[str, int, int]]:
    """Each TZID used with the years of its events (plus the one before), sorted by TZID."""
    years: dict[str, tuple[int, int]] = {}
    for event in events:
        tzid = _tzid_written_for(event.timezone)
        if tzid is None:
            continue
        zone = ZoneInfo(event.timezone)
        first = event.start.astimezone(zone).year - 1
        last = event.end.astimezone(zone).year
        if tzid in years:
            known = years[tzid]
            first, last = min(first, known[0]), max(last, known[1])
        years[tzid] = (first, last)
    return [(tzid, *years[tzid]) for tzid in sorted(years)]


def _vtimezones(events: Sequence[SessionEvent]) -> list[Timezone]:
    return [vtimezone.vtimezone_component(*years) for years in _zone_years(events)]


@lru_cache(maxsize=64)
def _tzid_written_for(timezone: str) -> str | None:
    """The TZID icalendar writes for a time in ``timezone``: ``None`` for UTC (``Z`` form)."""
    return vDatetime(datetime(2000, 1, 1, tzinfo=ZoneInfo(timezone))).params.get("TZID")


class _Memo:
    """A small thread-safe LRU that can also be asked without computing (unlike lru_cache)."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_PUBLISHED = _Memo(_CACHED_EVENTS)


def _memo_key(event: SessionEvent, language: str) -> tuple:
    # Aware datetimes in the same zone compare equal across a fold (02:30 before and after the
    # clocks go back), so the offsets join the key to keep such events apart.
    return (event, event.start.utcoffset(), event.end.utcoffset(), language)


def _published_vevent(event: SessionEvent, language: str) -> bytes:
    """The VEVENT of ``event`` in a feed or CalDAV object: no ATTENDEE, DTSTAMP its last change."""
    key = _memo_key(event, language)
    found = _PUBLISHED.get(key)
    if found is None:
        found = _vevent(event, language=language, dtstamp=event.last_modified).to_ical(sorted=False)
        _PUBLISHED.put(key, found)
    return found


def memoised_vevent(event: SessionEvent, language: str) -> bytes | None:
    """The feed VEVENT of ``event`` if this process rendered it already, else None."""
    return _PUBLISHED.get(_memo_key(event, texts.language_of(language)))


def _vevent(
    event: SessionEvent,
    *,
    language: str,
    dtstamp: datetime,
    cancelled: bool = False,
    attendee: vCalAddress | None = None,
    sent_by: str | None = None,
    answer_url: str | None = None,
    alarm: bool = False,
) -> Event:
    cancelled = cancelled or event.status == "cancelled"
    zone = ZoneInfo(event.timezone)
    vevent = Event()
    # Ready-made values, set in the order they are written (to_ical(sorted=False)).
    vevent["UID"] = vText(event.uid)
    vevent["SEQUENCE"] = vInt(event.sequence)
    vevent["DTSTAMP"] = vDatetime(dtstamp.astimezone(UTC))
    vevent["DTSTART"] = vDatetime(event.start.astimezone(zone))
    vevent["DTEND"] = vDatetime(event.end.astimezone(zone))
    vevent["SUMMARY"] = vText(texts.summary(event, language))
    vevent["DESCRIPTION"] = vText(texts.description(event, language, answer_url=answer_url))
    link = event.meeting_link
    if link:
        vevent["LOCATION"] = vText(link)
        vevent["URL"] = vUri(link)
        label = texts.conference_label(language)
        vevent["CONFERENCE"] = Conference(link, feature="VIDEO", label=label).to_uri()
    vevent["ORGANIZER"] = _address(event.organizer.email, cn=event.organizer.name, sent_by=sent_by)
    if attendee is not None:
        vevent["ATTENDEE"] = attendee
    vevent["STATUS"] = vText("CANCELLED" if cancelled else "CONFIRMED")
    vevent["TRANSP"] = vText("TRANSPARENT" if cancelled else "OPAQUE")
    vevent["LAST-MODIFIED"] = vDatetime(event.last_modified.astimezone(UTC))
    if alarm:
        reminder = Alarm()
        reminder["ACTION"] = vText("DISPLAY")
        reminder["TRIGGER"] = vDuration(-ALARM_BEFORE)
        reminder["DESCRIPTION"] = vText(texts.summary(event, language))
        vevent.add_component(reminder)
    return vevent


class _Parameters(Parameters):
    """icalendar quotes a CN that holds a space or an apostrophe; here also one that holds a
    backslash. Unquoted, ``CN=Anna\\;PARTSTAT=…`` is valid RFC 5545, but icalendar (and so the
    reply reader, to which a calendar echoes the CN) reads ``\\;`` as an escaped semicolon and
    loses every parameter after it."""

    quote_also = {**Parameters.quote_also, "CN": Parameters.quote_also.get("CN", "") + "\\"}


def _address(email: str, *, cn: str, sent_by: str | None = None, **params) -> vCalAddress:
    """A ``mailto:`` address with its parameters; icalendar quotes them as needed."""
    address = vCalAddress.new(
        _email(email),
        cn=_display_name(cn),
        sent_by=_email(sent_by) if sent_by else None,
        **params,
    )
    address.params = _Parameters(address.params)
    return address


def _display_name(value: str) -> str:
    """A name as a parameter value (RFC 5545 3.2) that every client shows as it is.

    A DQUOTE cannot occur inside a quoted value; RFC 6868's ``^'`` escape would allow it, but
    Outlook shows it literally, so it becomes an apostrophe. Line breaks and tabs become
    spaces and other control characters are dropped, as a name is a single line.
    """
    value = "".join(" " if c in "\r\n\t" else c for c in value if c >= " " or c in "\r\n\t")
    return value.replace('"', "'")


_MAILTO_ESCAPES = str.maketrans({c: f"%{ord(c):02X}" for c in '"\\ <>'})
"""What a ``mailto:`` URI may not hold and an address may (RFC 6068 2): a quoted local part
such as ``"a b"@school.example`` is written ``%22a%20b%22@school.example``. Every other address
is written as it is, as replies are matched on it."""


def _email(email: str) -> str:
    email = email.strip()
    if "@" not in email or _has_control(email):
        raise ValueError(f"not a usable e-mail address: {email!r}")
    return email.translate(_MAILTO_ESCAPES)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None
