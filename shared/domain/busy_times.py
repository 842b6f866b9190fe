"""Busy times from the calendar feeds people publish (Outlook/Exchange, Google, iCloud, Zermelo,
Magister): :func:`busy_intervals` turns one ``.ics`` feed into sorted, merged UTC intervals within
a window, and nothing else — no title, description, attendee or location leaves this module.

The expansion is the libraries': icalendar reads the feed, x-wr-timezone gives floating and UTC
times the feed's ``X-WR-TIMEZONE``, recurring-ical-events expands RRULE/RDATE/EXDATE and moved or
cancelled occurrences (RECURRENCE-ID, RANGE=THISANDFUTURE) with dateutil. Plain single events
(most of a feed, and most of its cost) are read from their text by :mod:`.busy_fast` with the
same rules and the same results; only the calendar's head, the series with their overrides and
what the fast path does not know go through the libraries. What is decided here:

* Time zones. A ``TZID`` is read as an IANA name, else as a Windows name (Outlook's
  ``W. Europe Standard Time``, through icalendar's Windows-to-IANA table), else from the feed's
  own ``VTIMEZONE`` of that name, else as floating time. icalendar itself keeps the first
  ``VTIMEZONE`` it ever parsed under a TZID for the whole process, so one feed (or one mail) would
  decide the times of the next; each feed is therefore resolved on its own. Floating times and
  dates are in the feed's ``X-WR-TIMEZONE``, else in ``default_timezone`` (the person's zone).
* What counts as busy. An occurrence is busy unless it is ``TRANSP:TRANSPARENT`` (or Outlook's
  ``X-MICROSOFT-CDO-BUSYSTATUS:FREE``) or ``STATUS:CANCELLED``; an all-day one blocks its whole
  local days. An event of this service's own sessions (its UID ends in
  :data:`.busy_fast.SESSION_UID_SUFFIX`, also inside the GlobalObjectId under which Exchange publishes an
  invitation: an accepted invitation, or a subscribed feed, shown in the person's calendar) is
  not busy time: it is the session itself, not something that clashes with it. ``VFREEBUSY`` periods count unless ``FBTYPE=FREE`` (an unknown type counts as BUSY,
  RFC 5545 3.2.9).
* Limits. A feed is hostile input. :mod:`.feed_text` bounds its size and shape before icalendar
  reads it, and passes on only what says when someone is busy, leaving out the events that
  provably lie outside the window. Before expanding, a rule repeating more often than hourly,
  more than :data:`MAX_TIMES_A_DAY` times a day, with more than :data:`MAX_RULE_STEPS`
  repetitions between its start and the window's end, or that never occurs is refused (dateutil
  would look for its next occurrence until the year 9999), and so is a VTIMEZONE whose clock
  rule is not yearly or never occurs. While expanding, more than :data:`MAX_OCCURRENCES`
  occurrences or more than ``time_limit`` seconds of the thread's CPU time stop it (CPU time, so
  that a loaded machine does not fail a feed that needs little; a wall-clock guard of
  :data:`WALL_FACTOR` times that still ends a starved run). Every refusal is a :class:`FeedError`
  whose reason a person can read.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from datetime import MAXYEAR, UTC, date, datetime, timedelta, tzinfo
from datetime import time as clock
from typing import NamedTuple
from zoneinfo import ZoneInfo

import x_wr_timezone
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr
from icalendar import Calendar
from icalendar.prop import vDDDLists, vDDDTypes, vRecur
from icalendar.timezone import tzp
from recurring_ical_events import CalendarQuery, ComponentsWithName, EventAdapter, Occurrence

from .availability import merge
from .busy_fast import FloatingIn, NotPlain, calendar_of, instant, own_session, single_occurrence
from .feed_text import FeedError, known_zone, read, split, zoneinfo_or_none

HORIZON_MONTHS = 15
"""How far ahead busy times are kept."""
MAX_RULES_PER_EVENT = 4
MAX_TIMES_A_DAY = 24
"""BYHOUR × BYMINUTE × BYSECOND values of one rule."""
MAX_RULE_STEPS = 100_000
"""Repetitions a rule may have from its start to the window's end (every one is computed)."""
MAX_OCCURRENCES = 50_000
"""Occurrences in the window, before merging: a full-time timetable has a few thousand."""
MAX_SECONDS = 10.0
"""CPU seconds of the expanding thread (a five-year Outlook timetable needs about one)."""
WALL_FACTOR = 6
"""The wall-clock guard, as a multiple of the CPU limit: 60 s, which with the fetch's 30 s stays
inside the worker's 120 s for the job."""
_SPAN_MARGIN = timedelta(days=1)
"""Around the window, where recurring-ical-events is asked for occurrences (they all count)."""

_READ_PROPERTIES = ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "SEQUENCE")
_SINGLE_PROPERTIES = ("UID", "DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "SEQUENCE", "STATUS", "TRANSP")
"""At most one of each in an event (RFC 5545 3.6.1)."""
_PERIOD_SECONDS = {"YEARLY": 365.2425 * 86400, "MONTHLY": 30.436875 * 86400, "WEEKLY": 7 * 86400,
                   "DAILY": 86400, "HOURLY": 3600}
_UNITS_PER_400_YEARS = {"YEARLY": 400, "MONTHLY": 4800, "WEEKLY": 20871, "DAILY": 146097, "HOURLY": 146097 * 24}
"""The Gregorian calendar (leap years and weekdays) repeats itself every 400 years."""
_DAY_PARTS = frozenset({"BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS"})

_PLAIN_WEEKDAY = re.compile(r"(MO|TU|WE|TH|FR|SA|SU)")


class Interval(NamedTuple):
    """A busy time: ``[start, end)`` in UTC (a pair, as :mod:`.availability` reckons with)."""

    start: datetime
    end: datetime


def horizon(now: datetime) -> tuple[datetime, datetime]:
    """The window busy times are kept for: from ``now`` (aware) to :data:`HORIZON_MONTHS` months
    later, in UTC."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    start = now.astimezone(UTC)
    return start, start + relativedelta(months=HORIZON_MONTHS)


def busy_intervals(
    feed: bytes | str, *, window_start: datetime, window_end: datetime, default_timezone: str,
    time_limit: float = MAX_SECONDS, singles_by_text: bool = True,
) -> list[Interval]:
    """The busy times of ``feed`` (the bytes a calendar's ICS link serves) within
    ``[window_start, window_end)`` (aware; usually :func:`horizon`): sorted, in UTC, clipped to the
    window, overlapping and touching ones joined. Floating times and all-day dates without the
    feed's X-WR-TIMEZONE are read in ``default_timezone`` (the person's IANA zone). Raises
    :class:`FeedError` for a feed that cannot or may not be read (see the module), after at most
    about ``time_limit`` seconds of this thread's CPU time expanding (or :data:`WALL_FACTOR` times
    as many seconds on the clock). ``singles_by_text=False`` reads plain single events through
    icalendar and recurring-ical-events too (what :mod:`.busy_fast` is checked against)."""
    if window_start.tzinfo is None or window_end.tzinfo is None or window_end <= window_start:
        raise ValueError("the window needs two aware datetimes, the start before the end")
    limit = _Limit(time_limit)
    window = (window_start.astimezone(UTC), window_end.astimezone(UTC))
    try:
        found = _busy(feed, window, default_timezone, limit, singles_by_text)
    except OverflowError:
        raise FeedError("a date of the feed lies too close to the year 1 or 9999 to be read") from None
    low, high = window
    return [Interval(*pair) for pair in merge([(max(start, low), min(end, high)) for start, end in found])]


class _Limit:
    """The time an expansion may take: CPU seconds of this thread, so that a busy machine does
    not fail a feed that needs little, and a wall-clock guard :data:`WALL_FACTOR` times as long,
    so that a starved one still ends."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.cpu_deadline = time.thread_time() + seconds
        self.wall_deadline = time.monotonic() + WALL_FACTOR * seconds

    def check(self) -> None:
        if time.thread_time() > self.cpu_deadline:
            raise FeedError(f"the feed takes more than {self.seconds:g} s to expand")
        if time.monotonic() > self.wall_deadline:
            raise FeedError(f"the feed takes more than {WALL_FACTOR * self.seconds:g} s on the clock to expand "
                            "(the server is busy; it is tried again at the next refresh)")


def _busy(
    feed: bytes | str, window: tuple[datetime, datetime], default_timezone: str, limit: _Limit, singles_by_text: bool,
) -> list[Interval]:
    selection = split(read(feed), window)
    # The head (the calendar's own properties, its VTIMEZONEs and VFREEBUSYs) first: the zones
    # are needed to read the single events.
    calendar = _parse([*selection.head, *selection.closing])
    zones = _Zones({str(tz["TZID"]): tz for tz in calendar.walk("VTIMEZONE") if "TZID" in tz})
    named = calendar.get("X-WR-TIMEZONE")
    feed_zone = zones.resolve(str(named)) if named is not None else None
    floating = feed_zone or ZoneInfo(default_timezone)
    walker = x_wr_timezone.UTCChangingWalker(feed_zone) if feed_zone is not None else FloatingIn(floating)
    found: list[Interval] = []
    rest = [event for event in selection.events if not (singles_by_text and event.single)]
    count = 0
    for event in selection.events if singles_by_text else ():
        if not event.single:
            continue
        try:
            occurrence = single_occurrence(event.lines, zones.resolve, walker, floating)
        except NotPlain:
            rest.append(event)
            continue
        if occurrence is not None:
            start, end, busy = occurrence
            count += start < window[1] + _SPAN_MARGIN and end > window[0] - _SPAN_MARGIN
            if busy and start < window[1] and end > window[0]:
                found.append(Interval(start, end))
    if rest:
        events = _parse(["BEGIN:VCALENDAR", *(line for event in rest for line in event.lines), "END:VCALENDAR"])
        calendar.subcomponents.extend(events.subcomponents)
    calendar.subcomponents = [part for part in calendar.subcomponents if not _own_session(part)]
    for event in calendar.walk("VEVENT"):
        _check_event(event)
        _resolve_tzids(event, zones)
    if feed_zone is not None:
        # Google's convention: UTC and floating times of the feed are in its zone (so a series
        # written in UTC keeps its wall-clock time over the clock changes).
        calendar = x_wr_timezone.to_standard(calendar, timezone=feed_zone)
    else:
        calendar = FloatingIn(floating).walk(calendar)
    for event in calendar.walk("VEVENT"):
        _check_rules(event, window[1])
    found += _occurrences(calendar, window, floating, limit, count)
    return found + _free_busy(calendar, floating)


def _own_session(component) -> bool:
    return component.name == "VEVENT" and own_session(str(component.get("UID", "")))


def _parse(lines: list[str]) -> Calendar:
    try:
        calendar = calendar_of(lines)
    except (ValueError, IndexError, KeyError, TypeError, AttributeError) as error:
        # icalendar's message repeats the offending text after a colon; only its kind is told.
        kind = str(error).split(":", 1)[0].strip()[:100] or type(error).__name__
        raise FeedError(f"the feed is not valid iCalendar ({kind})") from None
    if calendar.get("CALSCALE", "GREGORIAN").upper() != "GREGORIAN":
        raise FeedError(f"the feed uses the {calendar['CALSCALE']} calendar; only GREGORIAN is read")
    return calendar


# -- time zones --------------------------------------------------------------------------------


class _Zones:
    """TZIDs of one feed, resolved without icalendar's process-wide cache (see the module)."""

    def __init__(self, own: dict[str, object]) -> None:
        self.own = own
        self.found: dict[str, tzinfo | None] = {}

    def resolve(self, tzid: str) -> tzinfo | None:
        if tzid not in self.found:
            self.found[tzid] = self._look_up(tzid)
        return self.found[tzid]

    def _look_up(self, tzid: str) -> tzinfo | None:
        known = known_zone(tzid)
        if known is not None:
            return known
        name = tzid.strip().strip('"')
        component = self.own.get(tzid) or self.own.get(name)
        if component is not None:
            _check_zone(name, component)
            try:
                return tzp.create_timezone(component)
            except (ValueError, KeyError, TypeError, AttributeError, IndexError):
                raise FeedError(f"the feed's VTIMEZONE {name[:80]!r} cannot be read") from None
        if name.startswith("/"):  # "/freeassociation.sourceforge.net/Europe/Berlin" (RFC 5545 3.2.19)
            parts = name.strip("/").split("/")
            for index in range(1, len(parts)):
                zone = zoneinfo_or_none("/".join(parts[index:]))
                if zone is not None:
                    return zone
        return None


def _check_zone(name: str, component) -> None:
    """A VTIMEZONE's clock changes are looked up by dateutil from their first onset at every
    conversion: a rule other than yearly, or one that never occurs, would not end."""
    for observance in component.subcomponents:
        rules = observance.get("RRULE")
        start = _dt(observance.get("DTSTART"))
        for rule in rules if isinstance(rules, list) else [] if rules is None else [rules]:
            if not isinstance(rule, vRecur) or not isinstance(start, date):
                raise FeedError(f"the feed's VTIMEZONE {name[:80]!r} cannot be read")
            text = rule.to_ical().decode()[:120]
            if [str(f).upper() for f in rule.get("FREQ", [])] != ["YEARLY"]:
                raise FeedError(f"the feed's VTIMEZONE {name[:80]!r} changes its clocks by RRULE:{text}; "
                                "only yearly changes are read")
            try:
                interval = int((rule.get("INTERVAL") or [1])[0])
                never = interval < 1 or _never_occurs(rule, start, "YEARLY", interval)
            except (ValueError, TypeError, OverflowError):
                never = True
            if never:
                raise FeedError(f"the feed's VTIMEZONE {name[:80]!r} changes its clocks by RRULE:{text}, "
                                "which never occurs")


def _dt(value) -> object:
    """The value of an icalendar date, date-time or period property; None when it cannot be read
    (icalendar keeps such a value as ``vBroken``, whose ``dt`` raises)."""
    try:
        return value.dt
    except (AttributeError, ValueError, TypeError):
        return None


def _label(event) -> str:
    """An event as its owner would find it in their calendar (its start), nothing more."""
    start = _dt(event.get("DTSTART"))
    if isinstance(start, datetime):
        return f"the event of {start:%Y-%m-%d %H:%M}"
    return f"the event of {start:%Y-%m-%d}" if isinstance(start, date) else "an event"


def _check_event(event) -> None:
    for name, message in getattr(event, "errors", ()):
        if name in _READ_PROPERTIES:
            raise FeedError(f"{_label(event)} in the feed: its {name} cannot be read ({message})")
    for name in _SINGLE_PROPERTIES:
        if isinstance(event.get(name), list):
            raise FeedError(f"{_label(event)} in the feed has {len(event[name])} {name} properties; an event has one")
    if event.get("DTSTART") is None:
        raise FeedError("an event in the feed has no DTSTART")
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        if name in event and not isinstance(_dt(event[name]), date):
            raise FeedError(f"{_label(event)} in the feed: its {name} is not a date or a date-time")


def _resolve_tzids(event, zones: _Zones) -> None:
    """Give every date-time with a TZID the zone this feed means by it (None: floating)."""
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        value = event.get(name)
        if value is not None and "TZID" in value.params and isinstance(value.dt, datetime):
            zone = zones.resolve(value.params["TZID"])
            if value.dt.tzinfo is not zone:
                params = {k: v for k, v in value.params.items() if k != "TZID"}
                event[name] = vDDDTypes(value.dt.replace(tzinfo=zone), params=params)
    for name in ("EXDATE", "RDATE"):
        values = event.get(name)
        if values is None:
            continue
        lists = values if isinstance(values, list) else [values]
        resolved = [
            part if "TZID" not in part.params or all(_zone_of(item.dt) is zone for item in part.dts)
            else vDDDLists([_in_zone(item.dt, zone) for item in part.dts])
            for part in lists
            for zone in [zones.resolve(part.params["TZID"]) if "TZID" in part.params else None]
        ]
        if any(new is not old for new, old in zip(resolved, lists)):
            event[name] = resolved if isinstance(values, list) else resolved[0]


def _zone_of(value) -> tzinfo | None:
    return getattr(value[0] if isinstance(value, tuple) else value, "tzinfo", None)


def _in_zone(value, zone: tzinfo | None):
    if isinstance(value, tuple):  # a PERIOD: (start, end or duration)
        return tuple(_in_zone(part, zone) for part in value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=zone)
    return value


# -- rules -------------------------------------------------------------------------------------


def _check_rules(event, window_end: datetime) -> None:
    rules = event.get("RRULE")
    if rules is None:
        return
    rules = rules if isinstance(rules, list) else [rules]
    if len(rules) > MAX_RULES_PER_EVENT:
        raise FeedError(f"{_label(event)} in the feed has {len(rules)} RRULEs; at most {MAX_RULES_PER_EVENT} are read")
    for rule in rules:
        _check_rule(_label(event), rule, event["DTSTART"].dt, window_end)


def _check_rule(label: str, rule: vRecur, start: date, window_end: datetime) -> None:
    def refuse(why: str) -> FeedError:
        return FeedError(f"{label} in the feed repeats by RRULE:{rule.to_ical().decode()[:200]}{why}")

    freq = str((rule.get("FREQ") or [""])[0]).upper()
    if freq in ("SECONDLY", "MINUTELY"):
        raise refuse(f", every {freq[:-2].lower()}; busy times here repeat at most hourly")
    if freq not in _PERIOD_SECONDS:
        raise refuse(", which has no frequency (FREQ) that is known")
    try:
        interval = int((rule.get("INTERVAL") or [1])[0])
    except (TypeError, ValueError):
        raise refuse(", whose INTERVAL is not a whole number") from None
    if interval < 1:
        raise refuse(", whose INTERVAL is not positive")
    times = math.prod(len(rule.get(part) or [0]) for part in ("BYHOUR", "BYMINUTE", "BYSECOND"))
    if times > MAX_TIMES_A_DAY:
        raise refuse(f", {times} times a day; at most {MAX_TIMES_A_DAY} are read")
    first = _utc_of(start)
    last = min([window_end, *(_utc_of(value) for value in rule.get("UNTIL") or [])])
    steps = max(0.0, (last - first).total_seconds()) / (_PERIOD_SECONDS[freq] * interval) * times
    if steps > MAX_RULE_STEPS:
        raise refuse(f" from {first:%Y-%m-%d}: about {steps:,.0f} repetitions before the end of the window, "
                     f"more than the {MAX_RULE_STEPS:,} read")
    if _hits_every_period(rule, freq, interval):
        return
    try:
        never = _never_occurs(rule, start, freq, interval)
    except (ValueError, TypeError, OverflowError) as error:
        raise refuse(f", which is not a valid rule ({error})") from None
    if never:
        raise refuse(", which never occurs")


def _utc_of(value: date) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return datetime.combine(value, clock(), UTC)


def _hits_every_period(rule: vRecur, freq: str, interval: int) -> bool:
    """Whether the rule's shape alone guarantees an occurrence in every period (so a next one is
    always near): no day-level filter, or weekdays in a weekly rule, or in a daily one without
    INTERVAL."""
    if _DAY_PARTS & set(rule):
        return False
    weekdays = [str(day).strip().upper() for day in rule.get("BYDAY") or []]
    if not weekdays:
        return True
    plain = all(_PLAIN_WEEKDAY.fullmatch(day) for day in weekdays)
    return plain and (freq == "WEEKLY" or (freq in ("DAILY", "HOURLY") and interval == 1))


def _never_occurs(rule: vRecur, start: date, freq: str, interval: int) -> bool:
    """Whether the rule (without COUNT and UNTIL) has no occurrence at all.

    dateutil, asked for the next occurrence of such a rule, looks until the year 9999: seconds
    for a daily rule. Its pattern repeats after a whole number of 400-year calendar cycles that is
    also a whole number of its intervals, so the same rule started that many cycles later, within
    two such spans of the year 9999, either occurs in that span or never."""
    units = _UNITS_PER_400_YEARS[freq]
    cycle_years = 400 * (math.lcm(units, interval) // units)
    first = start if isinstance(start, datetime) else datetime.combine(start, clock())
    first = first.replace(tzinfo=None)
    room = MAXYEAR - cycle_years - first.year
    if room < 0:
        return False  # an interval this long reaches the year 9999 in a few thousand steps
    shifted = first.replace(year=first.year + room // cycle_years * cycle_years)
    probe = vRecur({key: value for key, value in rule.items() if key not in ("UNTIL", "COUNT")})
    return next(iter(rrulestr(probe.to_ical().decode(), dtstart=shifted)), None) is None


# -- expansion ---------------------------------------------------------------------------------


class _Event(EventAdapter):
    """recurring-ical-events' VEVENT, also saying whether it makes its person busy."""

    @property
    def busy(self) -> bool:
        event = self._component
        return not (
            str(event.get("TRANSP", "OPAQUE")).strip().upper() == "TRANSPARENT"
            or str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).strip().upper() == "FREE"
            or str(event.get("STATUS", "")).strip().upper() == "CANCELLED"
        )


class _Occurrence(Occurrence):
    @property
    def busy(self) -> bool:
        return self._adapter.busy


def _occurrences(
    calendar: Calendar, window: tuple[datetime, datetime], floating: tzinfo, limit: _Limit, count: int,
) -> Iterator[Interval]:
    try:
        query = CalendarQuery(calendar, components=[ComponentsWithName("VEVENT", _Event, occurrence=_Occurrence)])
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise FeedError(f"the feed's events cannot be expanded ({type(error).__name__}: {str(error)[:160]})") from None
    low, high = window[0] - _SPAN_MARGIN, window[1] + _SPAN_MARGIN
    for series in query.series:
        limit.check()
        try:
            for occurrence in series.between(low, high):
                count += 1
                if count > MAX_OCCURRENCES:
                    raise FeedError(f"the feed has more than {MAX_OCCURRENCES:,} occurrences of events in the months read")
                if occurrence.busy:
                    start, end = instant(occurrence.start, floating), instant(occurrence.end, floating)
                    if start < window[1] and end > window[0]:
                        yield Interval(start, end)
        except FeedError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as error:
            raise FeedError(f"an event of the feed cannot be expanded ({type(error).__name__}: {str(error)[:160]})") from None


def _free_busy(calendar: Calendar, floating: tzinfo) -> list[Interval]:
    found = []
    for component in calendar.walk("VFREEBUSY"):
        periods = component.get("FREEBUSY")
        if periods is None:
            continue
        for period in periods if isinstance(periods, list) else [periods]:
            if str(period.params.get("FBTYPE", "BUSY")).strip().upper() == "FREE":
                continue
            value = _dt(period)
            if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], datetime)):
                raise FeedError("a FREEBUSY period of the feed cannot be read")
            start, end = value
            start = instant(start, floating)
            end = start + end if isinstance(end, timedelta) else instant(end, floating)
            found.append(Interval(start, end))
            if len(found) > MAX_OCCURRENCES:
                raise FeedError(f"the feed has more than {MAX_OCCURRENCES:,} FREEBUSY periods")
    return found
