"""VTIMEZONE components in the yearly-rule form that Outlook reads.

Every ``TZID`` an iCalendar object uses needs a ``VTIMEZONE`` that defines it (RFC 5545 3.6.5).
Calendar clients differ in how much of that component they understand: Outlook maps it onto a
Windows time zone and only handles one ``STANDARD`` and one ``DAYLIGHT`` observance, each with
``RRULE:FREQ=YEARLY;BYMONTH=..;BYDAY=..``; a long list of ``RDATE`` transitions (what
icalendar's ``add_missing_timezones()`` writes) is read by some clients with the spring change an
hour late. So the rule is derived here from the zone's own transitions (``zoneinfo``) in the
years the events fall in, and written the way Outlook expects:

    BEGIN:VTIMEZONE
    TZID:Europe/Amsterdam
    BEGIN:STANDARD
    DTSTART:20261025T030000                  local time of the change, in TZOFFSETFROM
    RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10  last Sunday of October
    TZNAME:CET
    TZOFFSETFROM:+0200
    TZOFFSETTO:+0100
    END:STANDARD
    BEGIN:DAYLIGHT ... 20260329T020000 ... BYDAY=-1SU;BYMONTH=3 ... END:DAYLIGHT
    END:VTIMEZONE

The rule is checked against every change in the years asked for, so it is exact there (that is
all a reader needs for the events in the file); where those years fit both "last Sunday" and
"fourth Sunday", later years decide. A zone without daylight saving time in those years gets a
single ``STANDARD``. A zone whose changes cannot be written as one yearly rule per direction
(Morocco's follow Ramadan; a zone that changes or drops its rule inside the period) falls back to
listing its transitions as ``RDATE`` for the years covered: correct in every RFC 5545 reader, but
Outlook may show those sessions an hour off around a change.

The component itself is built with icalendar (:func:`vtimezone_component`) and serialised by it;
only the rule is worked out here. Pure: the standard library, icalendar and the domain's own
clock arithmetic; results are cached because they depend on nothing but the zone name, the years
and the installed tz database.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import (
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vDatetime,
    vDDDLists,
    vRecur,
    vText,
    vUTCOffset,
)

from shared.domain.availability import zone_clock

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# How many years past the requested ones may be looked at to tell "last Sunday" from "fourth
# Sunday" when the requested years alone fit both: seven covers every weekday alignment.
_DISAMBIGUATION_YEARS = 7


@dataclass(frozen=True, slots=True)
class Observance:
    """One ``STANDARD`` or ``DAYLIGHT`` sub-component.

    ``start`` is the naive local wall-clock time of the first change, read in ``offset_from``
    (RFC 5545: DTSTART of an observance is local time before the onset). ``rrule`` is the yearly
    rule (``FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU``) or ``None``; ``rdates`` are further onsets in the
    same local form when no rule fits.
    """

    kind: str
    start: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    rrule: str | None = None
    rdates: tuple[datetime, ...] = ()


@dataclass(frozen=True, slots=True)
class _Transition:
    at: int  # UTC instant, POSIX seconds
    offset_from: timedelta
    offset_to: timedelta
    name: str

    @property
    def local(self) -> datetime:
        """Wall-clock time of the change, read in the offset in force before it."""
        return datetime(1970, 1, 1) + timedelta(seconds=self.at) + self.offset_from

    @property
    def signature(self) -> tuple:
        """What must repeat every year for one yearly rule to describe this change."""
        local = self.local
        return (
            local.month,
            local.weekday(),
            local.time(),
            self.offset_from,
            self.offset_to,
            self.name,
        )


def observances(tzid: str, first_year: int, last_year: int) -> tuple[Observance, ...]:
    """The observances that describe ``tzid`` for every instant in ``first_year..last_year``.

    Callers pass one year before their earliest event, so that every event comes after the first
    onset of each observance (readers disagree about instants before it).
    """
    return _observances(tzid, first_year, last_year)


def build_vtimezone(tzid: str, first_year: int, last_year: int) -> list[str]:
    """The unfolded content lines of the ``VTIMEZONE`` for ``tzid`` in those years."""
    lines = vtimezone_component(tzid, first_year, last_year).content_lines(sorted=False)
    return [str(line) for line in lines if line]


def vtimezone_component(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The ``VTIMEZONE`` for ``tzid`` in those years, as a new icalendar component."""
    timezone = Timezone()
    timezone["TZID"] = vText(tzid)
    for observance in _observances(tzid, first_year, last_year):
        part = TimezoneStandard() if observance.kind == "STANDARD" else TimezoneDaylight()
        part["DTSTART"] = vDatetime(observance.start)  # naive: local time, no TZID
        if observance.rrule:
            part["RRULE"] = vRecur.from_ical(observance.rrule)
        if observance.rdates:
            part["RDATE"] = vDDDLists(list(observance.rdates))
        part["TZNAME"] = vText(observance.name)
        part["TZOFFSETFROM"] = vUTCOffset(observance.offset_from)
        part["TZOFFSETTO"] = vUTCOffset(observance.offset_to)
        timezone.add_component(part)
    return timezone


@lru_cache(maxsize=256)
def vtimezone_ical(tzid: str, first_year: int, last_year: int) -> bytes:
    """:func:`vtimezone_component` serialised by icalendar (``to_ical``), kept for reuse.

    Bytes rather than the component, so that no caller can change what the next one gets.
    """
    return vtimezone_component(tzid, first_year, last_year).to_ical(sorted=False)


def clear_caches() -> None:
    """Forget every zone worked out so far (for benchmarks of a cold start)."""
    for cached in (vtimezone_ical, _observances, _transitions_cached, zone_clock):
        cached.cache_clear()


@lru_cache(maxsize=256)
def _observances(tzid: str, first_year: int, last_year: int) -> tuple[Observance, ...]:
    if first_year > last_year:
        raise ValueError(f"first_year {first_year} is after last_year {last_year}")
    zone = ZoneInfo(tzid)
    transitions = _transitions(zone, first_year, last_year)
    if not transitions:
        at = datetime(first_year, 1, 1, tzinfo=zone)
        offset = at.utcoffset()
        return (Observance("STANDARD", at.replace(tzinfo=None), offset, offset, _name(at)),)
    yearly = _yearly(zone, transitions, first_year, last_year)
    return yearly if yearly is not None else _listed(transitions)


def _yearly(
    zone: ZoneInfo, transitions: list[_Transition], first_year: int, last_year: int
) -> tuple[Observance, ...] | None:
    """One STANDARD and one DAYLIGHT with a yearly RRULE, or ``None`` if they do not fit."""
    by_year: dict[int, list[_Transition]] = {year: [] for year in range(first_year, last_year + 1)}
    for transition in transitions:
        by_year[transition.local.year].append(transition)
    pattern = [t.signature for t in by_year[first_year]]
    if len(pattern) != 2 or any([t.signature for t in ts] != pattern for ts in by_year.values()):
        return None
    offsets = {t.offset_to for t in by_year[first_year]}
    if len(offsets) != 2:
        return None
    daylight_offset = max(offsets)
    result = []
    for index, first in enumerate(by_year[first_year]):
        days = [(ts[index].local.year, ts[index].local.day) for ts in by_year.values()]
        byday = _byday(zone, first, days, last_year)
        if byday is None:
            return None
        kind = "DAYLIGHT" if first.offset_to == daylight_offset else "STANDARD"
        rule = f"FREQ=YEARLY;BYMONTH={first.local.month};BYDAY={byday}"
        result.append(Observance(kind, first.local, first.offset_from, first.offset_to, first.name, rule))
    # STANDARD first, as Outlook and most producers write it.
    return tuple(sorted(result, key=lambda o: o.kind != "STANDARD"))


def _byday(
    zone: ZoneInfo, first: _Transition, days: list[tuple[int, int]], last_year: int
) -> str | None:
    """``-1SU`` (last Sunday), ``2SU`` (second Sunday) ... for the days the change fell on.

    When the requested years fit both "last" and "fourth", later years (as long as the change
    keeps the same shape) decide; if they still fit both, "last" is taken, as tzdata's rules say
    ``lastSun`` far more often than ``Sun>=22``.
    """
    weekday = _WEEKDAYS[first.local.weekday()]
    month = first.local.month
    candidates = _candidates(days, month)
    year = last_year
    while len(candidates) > 1 and year < last_year + _DISAMBIGUATION_YEARS:
        year += 1
        same = [t for t in _transitions(zone, year, year) if t.signature == first.signature]
        if len(same) != 1:
            break
        candidates &= _candidates([(year, same[0].local.day)], month)
    if not candidates:
        return None
    return f"-1{weekday}" if -1 in candidates else f"{min(candidates)}{weekday}"


def _candidates(days: list[tuple[int, int]], month: int) -> set[int]:
    """Which of "n-th weekday of the month" (1..4) and "last weekday" (-1) fit every day."""
    fits = {1, 2, 3, 4, -1}
    for year, day in days:
        nth = (day - 1) // 7 + 1
        last = day + 7 > calendar.monthrange(year, month)[1]
        fits &= {nth} | ({-1} if last else set())
    return fits


def _listed(transitions: list[_Transition]) -> tuple[Observance, ...]:
    """Fallback: each kind of change with its first onset as DTSTART and the others as RDATE."""
    groups: dict[tuple, list[_Transition]] = {}
    daylight = {t.offset_to for t in transitions if t.offset_to > t.offset_from}
    for transition in transitions:
        key = (transition.offset_from, transition.offset_to, transition.name)
        groups.setdefault(key, []).append(transition)
    result = []
    for (offset_from, offset_to, name), group in groups.items():
        kind = "DAYLIGHT" if offset_to in daylight else "STANDARD"
        result.append(
            Observance(
                kind,
                group[0].local,
                offset_from,
                offset_to,
                name,
                rdates=tuple(t.local for t in group[1:]),
            )
        )
    return tuple(sorted(result, key=lambda o: (o.start, o.kind)))


@lru_cache(maxsize=1024)
def _transitions_cached(tzid: str, year: int) -> tuple[_Transition, ...]:
    # The neighbouring years too: a change on New Year's night belongs to its local year.
    clock = zone_clock(tzid, year - 1, year + 1)
    zone = ZoneInfo(tzid)
    found = []
    for index, minute in enumerate(clock.utc_changes):
        at = minute * 60
        transition = _Transition(
            at,
            timedelta(minutes=clock.offsets[index]),
            timedelta(minutes=clock.offsets[index + 1]),
            _name(datetime.fromtimestamp(at, zone)),
        )
        if transition.local.year == year:
            found.append(transition)
    return tuple(found)


def _transitions(zone: ZoneInfo, first_year: int, last_year: int) -> list[_Transition]:
    """Every change of UTC offset whose local date lies in ``first_year..last_year``.

    ``zoneinfo`` does not expose its transition table; the availability arithmetic already
    finds the changes (to the minute, which every modern rule falls on), so they come from
    its :func:`~shared.domain.availability.zone_clock`. Changes of abbreviation alone are not
    changes.
    """
    return [
        transition
        for year in range(first_year, last_year + 1)
        for transition in _transitions_cached(zone.key, year)
    ]


def _name(moment: datetime) -> str:
    return moment.tzname() or _offset(moment.utcoffset())


def _offset(offset: timedelta) -> str:
    """A TZNAME for a zone without an abbreviation: ``+0100``, ``-0500``, ``+0545``."""
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")
