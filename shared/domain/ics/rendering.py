"""Writing sessions as iCalendar: the VEVENT of a session, the calendar around it with the
VTIMEZONEs it needs, organizer and attendee addresses, and the published forms — the subscribable
feed (``METHOD:PUBLISH``) and the CalDAV object — whose VEVENTs are kept in a bounded cache."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
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

from .. import texts, vtimezone
from .events import SessionEvent, has_control

PRODID = "-//Intervisie//Intervisie agenda//NL"

REFRESH = timedelta(hours=1)
"""How often subscribers should fetch a feed again (REFRESH-INTERVAL and X-PUBLISHED-TTL)."""

_EMPTY_FEED_YEAR = 2026
"""Year of the VTIMEZONE in a feed without events (RFC 5545 wants at least one component).
No event refers to it, so any year would do; a constant keeps the bytes stable."""

_CACHED_EVENTS = 4096
"""How many serialised VEVENTs are kept (about 1.5 kB each). A feed with more sessions than
this still renders correctly, but folds every event again on each request."""

END = b"END:VCALENDAR\r\n"


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
    calendar = calendar_of("PUBLISH")
    name = vText(calendar_name)  # not calendar_name=: icalendar 7.3 leaves that text unescaped
    calendar["X-WR-CALNAME"] = name
    calendar["NAME"] = name
    calendar["X-WR-TIMEZONE"] = vText(timezone)
    calendar["REFRESH-INTERVAL"] = vDuration(REFRESH, params={"VALUE": "DURATION"})
    calendar["X-PUBLISHED-TTL"] = vDuration(REFRESH)
    if ordered:
        timezones = [vtimezone.vtimezone_ical(*years) for years in zone_years(ordered)]
    else:
        timezones = [vtimezone.vtimezone_ical(timezone, _EMPTY_FEED_YEAR, _EMPTY_FEED_YEAR)]
    vevents = (rendered.get(e.uid) or _published_vevent(e, language) for e in ordered)
    return with_components(calendar, [*timezones, *vevents])


def published_vevent(event: SessionEvent, language: str) -> bytes:
    """The VEVENT bytes of ``event`` as a feed shows it (no ATTENDEE, DTSTAMP its last change)."""
    return _published_vevent(event, texts.language_of(language))


def rendering_key(event: SessionEvent, language: str) -> str:
    """Equal for events whose feed VEVENT is byte-identical: a key to keep rendered bytes by."""
    material = repr((RENDERING_VERSION, event, event.start.utcoffset(), event.end.utcoffset(), texts.language_of(language)))
    return hashlib.sha256(material.encode()).hexdigest()


def build_calendar_object(event: SessionEvent, *, language: str) -> bytes:
    """One session as a CalDAV resource: no METHOD, its VTIMEZONE, no ATTENDEE."""
    timezones = [vtimezone.vtimezone_ical(*years) for years in zone_years([event])]
    vevent = _published_vevent(event, texts.language_of(language))
    return with_components(calendar_of(None), [*timezones, vevent])


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
    vtimezone.clear_caches()


def calendar_of(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar["VERSION"] = vText("2.0")
    calendar["PRODID"] = vText(PRODID)
    calendar["CALSCALE"] = vText("GREGORIAN")
    if method:
        calendar["METHOD"] = vText(method)
    return calendar


def with_components(calendar: Calendar, components: Iterable[bytes]) -> bytes:
    """``calendar`` with the serialised ``components`` inside, in that order.

    Each component's ``to_ical()`` is exactly what icalendar writes for it inside the calendar
    (every content line is folded on its own), so this equals serialising the whole tree.
    """
    own = calendar.to_ical(sorted=False)
    if not own.endswith(END):
        raise AssertionError("icalendar did not end the calendar with END:VCALENDAR")
    return b"".join([own[: -len(END)], *components, END])


def zone_years(events: Sequence[SessionEvent]) -> list[tuple[str, int, int]]:
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


def vtimezones(events: Sequence[SessionEvent]) -> list[Timezone]:
    return [vtimezone.vtimezone_component(*years) for years in zone_years(events)]


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
        found = session_vevent(event, language=language, dtstamp=event.last_modified).to_ical(sorted=False)
        _PUBLISHED.put(key, found)
    return found


def memoised_vevent(event: SessionEvent, language: str) -> bytes | None:
    """The feed VEVENT of ``event`` if this process rendered it already, else None."""
    return _PUBLISHED.get(_memo_key(event, texts.language_of(language)))


def session_vevent(
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
    vevent["ORGANIZER"] = mailto_address(event.organizer.email, cn=event.organizer.name, sent_by=sent_by)
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


def mailto_address(email: str, *, cn: str, sent_by: str | None = None, **params) -> vCalAddress:
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
    if "@" not in email or has_control(email):
        raise ValueError(f"not a usable e-mail address: {email!r}")
    return email.translate(_MAILTO_ESCAPES)
