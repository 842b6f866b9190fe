"""Availability arithmetic on sorted integer intervals.

Two clocks are used throughout, both as whole minutes counted from 1970-01-01 00:00:

* **UTC minutes** (``u``): absolute instants. Intervals are half-open ``(start, end)`` tuples
  in sorted, disjoint, non-touching lists.
* **Local minutes** (``L``): the naive wall clock of one time zone, so that ``L // 1440`` is
  the local day number and ``L % 1440`` the minute of that day.

A :class:`ZoneClock` converts between the two with the zone's daylight-saving transitions
precomputed once per (zone, years), so that expanding a weekly window over months costs a few
integer operations per week instead of a ``zoneinfo`` call per occurrence.

Weekly windows are wall-clock times in the person's own zone, so a New York member's 13:00–15:00
is 19:00–21:00 in Amsterdam for most of the year, but 18:00–20:00 in the weeks of March when the
United States has already moved its clocks and Europe has not.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from operator import itemgetter
from zoneinfo import ZoneInfo

from .dutch_holidays import holiday_day_ranges
from .model import GroupConstraints, Person

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PROBE_STEP = 720  # minutes; no zone changes its clocks twice within twelve hours

Interval = tuple[int, int]


# -- clocks ------------------------------------------------------------------------------------


def day_number(day: date) -> int:
    """Days since 1970-01-01."""
    return day.toordinal() - EPOCH_ORDINAL


def day_date(number: int) -> date:
    return date.fromordinal(number + EPOCH_ORDINAL)


def weekday_of(number: int) -> int:
    """Weekday (Monday 0) of a day number; 1970-01-01 was a Thursday."""
    return (number + 3) % 7


def minute_of(moment: time) -> int:
    """Minute of the day of a wall-clock time, rounded down."""
    return moment.hour * 60 + moment.minute


def _minute_ceil(moment: time) -> int:
    return minute_of(moment) + (1 if moment.second or moment.microsecond else 0)


def _end_minute(moment: time) -> int:
    # As the end of a window or of the group's day, 00:00 and time.max (the API's "24:00") both
    # mean midnight at the end of the day.
    if moment == time(0) or moment >= time(23, 59, 59):
        return MINUTES_PER_DAY
    return minute_of(moment)


def utc_minutes(moment: datetime, *, ceil: bool = False) -> int:
    """Minutes since the epoch of an aware datetime (rounded down, or up with ``ceil``)."""
    seconds = (moment - _EPOCH) // timedelta(microseconds=1)
    return -(-seconds // 60_000_000) if ceil else seconds // 60_000_000


def to_datetime(u: int, zone: ZoneInfo) -> datetime:
    """The aware datetime in ``zone`` of a UTC minute."""
    return (_EPOCH + timedelta(minutes=u)).astimezone(zone)


def _offset_minutes(zone: ZoneInfo, u: int) -> int:
    offset = (_EPOCH + timedelta(minutes=u)).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) // 60 if offset is not None else 0


@cache
def _year_transitions(name: str, year: int) -> tuple[tuple[int, int], ...]:
    """``(utc_minute, new_offset)`` for every clock change of the zone in ``year``."""
    zone = ZoneInfo(name)
    start = utc_minutes(datetime(year, 1, 1, tzinfo=UTC))
    end = utc_minutes(datetime(year + 1, 1, 1, tzinfo=UTC))
    changes: list[tuple[int, int]] = []
    previous_u, previous = start, _offset_minutes(zone, start)
    probe = start
    while probe < end - 1:
        probe = min(probe + _PROBE_STEP, end - 1)
        offset = _offset_minutes(zone, probe)
        if offset != previous:
            low, high = previous_u, probe
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_minutes(zone, middle) == previous:
                    low = middle
                else:
                    high = middle
            changes.append((high, offset))
            previous = offset
        previous_u = probe
    return tuple(changes)


@dataclass(frozen=True, slots=True)
class ZoneClock:
    """UTC ↔ local wall-clock minutes for one zone over a range of years.

    ``offsets[i]`` applies before ``utc_changes[i]`` (and ``offsets[-1]`` after the last change).
    ``local_changes[i]`` is the first local minute that maps with ``offsets[i + 1]``: local times
    in a spring-forward gap or an autumn fold map like ``zoneinfo`` does with ``fold=0`` (with the
    offset from before the change).
    """

    name: str
    utc_changes: tuple[int, ...]
    local_changes: tuple[int, ...]
    offsets: tuple[int, ...]

    def offset_at(self, u: int) -> int:
        return self.offsets[bisect_right(self.utc_changes, u)]

    def local(self, u: int) -> int:
        return u + self.offsets[bisect_right(self.utc_changes, u)]

    def utc(self, local: int) -> int:
        return local - self.offsets[bisect_right(self.local_changes, local)]

    def exists(self, local: int) -> bool:
        """False for a wall-clock minute skipped by a spring-forward change."""
        return self.local(self.utc(local)) == local

    def local_periods(self, first: int, stop: int) -> list[tuple[int, int, int]]:
        """``(start, end, offset)`` pieces of the local range ``[first, stop)`` with one offset."""
        pieces = []
        index = bisect_right(self.local_changes, first)
        start = first
        while start < stop:
            end = self.local_changes[index] if index < len(self.local_changes) else stop
            end = min(end, stop)
            pieces.append((start, end, self.offsets[index]))
            start = end
            index += 1
        return pieces


@lru_cache(maxsize=512)
def zone_clock(name: str, first_year: int, last_year: int) -> ZoneClock:
    """The clock of an IANA zone, exact for the years ``first_year`` … ``last_year``."""
    zone = ZoneInfo(name)
    offsets = [_offset_minutes(zone, utc_minutes(datetime(first_year, 1, 1, tzinfo=UTC)))]
    utc_changes: list[int] = []
    local_changes: list[int] = []
    for year in range(first_year, last_year + 1):
        for u, offset in _year_transitions(name, year):
            utc_changes.append(u)
            local_changes.append(u + max(offsets[-1], offset))
            offsets.append(offset)
    return ZoneClock(name, tuple(utc_changes), tuple(local_changes), tuple(offsets))


def clock_for(name: str, first_u: int, stop_u: int) -> ZoneClock:
    """A clock that is exact (with two days to spare) over the UTC range ``[first_u, stop_u)``."""
    first_year = (_EPOCH + timedelta(minutes=first_u - 2 * MINUTES_PER_DAY)).year
    last_year = (_EPOCH + timedelta(minutes=stop_u + 2 * MINUTES_PER_DAY)).year
    return zone_clock(name, first_year, last_year)


# -- interval lists ----------------------------------------------------------------------------


def merge(intervals: list[Interval]) -> list[Interval]:
    """Sort and merge overlapping or touching intervals."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(intervals: list[Interval], blocked: list[Interval]) -> list[Interval]:
    """``intervals`` minus ``blocked`` (both sorted and disjoint).

    Blocked ranges are few (holidays, appointments) and intervals many (weekly occurrences), so
    each blocked range is located by bisection and only the occurrences it touches are cut.
    """
    if not blocked or not intervals:
        return intervals
    result = list(intervals)
    for block_start, block_end in blocked:
        index = bisect_left(result, (block_start,))
        if index and result[index - 1][1] > block_start:
            index -= 1
        stop, pieces = index, []
        while stop < len(result) and result[stop][0] < block_end:
            start, end = result[stop]
            if start < block_start:
                pieces.append((start, block_start))
            if end > block_end:
                pieces.append((block_end, end))
            stop += 1
        if stop > index:
            result[index:stop] = pieces
    return result


def clip(intervals: list[Interval], first: int, stop: int) -> list[Interval]:
    """The part of sorted, disjoint ``intervals`` inside ``[first, stop)``."""
    part = intervals[bisect_right(intervals, first, key=_end_of) : bisect_left(intervals, stop, key=_start_of)]
    if part:
        if part[0][0] < first:
            part[0] = (first, part[0][1])
        if part[-1][1] > stop:
            part[-1] = (part[-1][0], stop)
    return part


_start_of = itemgetter(0)
_end_of = itemgetter(1)


def start_intervals(intervals: list[Interval], minutes: int) -> list[Interval]:
    """The start minutes of a session of ``minutes`` that lies inside ``intervals``.

    ``[a, b)`` admits the starts ``a`` … ``b - minutes``, returned half-open as
    ``(a, b - minutes + 1)``; intervals shorter than the session drop out.
    """
    return [(a, b - minutes + 1) for a, b in intervals if b - a >= minutes]


def sweep(lists: list[list[Interval]], required: int = 0) -> list[tuple[int, int, int]]:
    """Overlay k sorted interval lists in one sort-and-sweep pass.

    Returns ``(start, end, present)`` segments, where bit ``i`` of ``present`` says that list ``i``
    covers the whole segment; only segments whose ``present`` includes every bit of ``required``
    (and at least one bit) are returned. Each list must be sorted and disjoint; the k lists are
    merged by one sort of their encoded end points (a k-way merge of sorted runs, done in C).
    """
    if len(lists) > 63:
        raise ValueError("at most 63 interval lists")
    events: list[int] = []
    for index, intervals in enumerate(lists):
        events.extend([point << 6 | index for interval in intervals for point in interval])
    events.sort()
    segments: list[tuple[int, int, int]] = []
    present = 0
    previous = 0
    for event in events:
        point = event >> 6
        if point != previous:
            if present and present & required == required:
                segments.append((previous, point, present))
            previous = point
        present ^= 1 << (event & 63)
    return segments


def intersect(lists: list[list[Interval]]) -> list[Interval]:
    """The intervals covered by every list (a k-way sweep, not pairwise checks)."""
    if not lists:
        return []
    everyone = (1 << len(lists)) - 1
    return merge([(a, b) for a, b, present in sweep(lists, everyone) if present == everyone])


# -- expanding availability ---------------------------------------------------------------------


def _week_pattern(windows: list[tuple[int, int, int]]) -> tuple[tuple[Interval, ...], bool]:
    """Weekly windows ``(weekday, start, end)`` as merged minutes of the week, and whether the
    last one (ending at Sunday midnight) touches the first (starting at Monday 00:00)."""
    pattern = merge([(day * MINUTES_PER_DAY + start, day * MINUTES_PER_DAY + end) for day, start, end in windows])
    wraps = bool(pattern) and pattern[-1][1] >= MINUTES_PER_WEEK and pattern[0][0] == 0
    return tuple(pattern), wraps


def _expand_week(clock: ZoneClock, pattern: tuple[Interval, ...], wraps: bool, first_u: int, stop_u: int) -> list[Interval]:
    """UTC intervals of a wall-clock week pattern over ``[first_u, stop_u)``.

    Within one clock period every occurrence is its local time minus one offset, so a period is
    expanded by one comprehension; only the occurrences that run into the next period are
    converted one by one.
    """
    first_local = clock.local(first_u) - MINUTES_PER_DAY
    stop_local = clock.local(stop_u) + MINUTES_PER_DAY
    found: list[Interval] = []
    unsorted = wraps
    for piece_start, piece_end, offset in clock.local_periods(first_local, stop_local):
        day = piece_start // MINUTES_PER_DAY
        monday = (day - weekday_of(day)) * MINUTES_PER_DAY
        run = [
            (week + start - offset, week + end - offset)
            for week in range(monday, piece_end, MINUTES_PER_WEEK)
            for start, end in pattern
            if piece_start <= week + start < piece_end
        ]
        for index in range(len(run) - 1, -1, -1):
            start, end = run[index]
            if end + offset < piece_end:
                break
            run[index] = (start, clock.utc(end + offset))
        if run and found and found[-1][1] >= run[0][0]:
            unsorted = True  # a spring-forward change pulled an occurrence onto the one before
        found.extend(run)
    if unsorted:
        found = merge(found)
    return clip(found, first_u, stop_u)


def _day_ranges_to_utc(clock: ZoneClock, ranges: list[tuple[int, int]]) -> list[Interval]:
    return [
        (clock.utc(first * MINUTES_PER_DAY), clock.utc(stop * MINUTES_PER_DAY)) for first, stop in ranges
    ]


def _local_dates(clock: ZoneClock, first_u: int, stop_u: int) -> tuple[date, date]:
    return (
        day_date(clock.local(first_u) // MINUTES_PER_DAY - 1),
        day_date(clock.local(stop_u) // MINUTES_PER_DAY + 1),
    )


def _aware_minutes(moment: datetime, clock: ZoneClock, *, ceil: bool) -> int:
    if moment.tzinfo is None:  # a naive datetime is meant in the person's own zone
        return clock.utc(utc_minutes(moment.replace(tzinfo=UTC), ceil=ceil))
    return utc_minutes(moment, ceil=ceil)


@dataclass(frozen=True, slots=True)
class Calendar:
    """Availability prepared once for a range of time, expanded on demand with :meth:`free`.

    ``pattern`` holds the weekly windows as merged minutes of the local week (``None``: no weekly
    restriction); ``blocked`` the unavailable ranges and holidays in UTC minutes.
    """

    clock: ZoneClock
    pattern: tuple[Interval, ...] | None
    wraps: bool
    blocked: tuple[Interval, ...]

    def free(self, first_u: int, stop_u: int) -> list[Interval]:
        """The available intervals within ``[first_u, stop_u)`` (inside the prepared range)."""
        if first_u >= stop_u:
            return []
        if self.pattern is None:
            base = [(first_u, stop_u)]
        else:
            base = _expand_week(self.clock, self.pattern, self.wraps, first_u, stop_u)
        return subtract(base, self.blocked)


def person_calendar(person: Person, first_u: int, stop_u: int) -> Calendar:
    """Prepare ``person``'s availability for ``[first_u, stop_u)``.

    Weekly windows are wall-clock times of the person's own zone (and follow its clock changes);
    an empty ``weekly`` is no weekly restriction. Unavailable date ranges block whole days of the
    person's zone (inclusive), datetime ranges ``[start, end)``; a school-holiday region blocks
    that region's school holidays.
    """
    clock = clock_for(person.timezone, first_u, stop_u)
    weekly = person.availability.weekly
    pattern, wraps = None, False
    if weekly:
        pattern, wraps = _week_pattern(
            [(window.day, _minute_ceil(window.start), _end_minute(window.end)) for window in weekly]
        )
    blocked: list[Interval] = []
    for unavailable in person.availability.unavailable:
        if isinstance(unavailable.start, datetime):
            start = _aware_minutes(unavailable.start, clock, ceil=False)
        else:
            start = clock.utc(day_number(unavailable.start) * MINUTES_PER_DAY)
        if isinstance(unavailable.end, datetime):
            end = _aware_minutes(unavailable.end, clock, ceil=True)
        else:  # a date range is inclusive: it blocks the whole of its last day
            end = clock.utc((day_number(unavailable.end) + 1) * MINUTES_PER_DAY)
        if end > first_u and start < stop_u:
            blocked.append((start, end))
    if person.school_holiday_region:
        first_day, last_day = _local_dates(clock, first_u, stop_u)
        ranges = holiday_day_ranges(first_day, last_day, public=False, region=person.school_holiday_region)
        blocked.extend(_day_ranges_to_utc(clock, ranges))
    return Calendar(clock, pattern, wraps, tuple(merge(blocked)))


def group_calendar(constraints: GroupConstraints, zone: str, first_u: int, stop_u: int) -> Calendar:
    """Prepare the group's own rules for ``[first_u, stop_u)``: its weekdays between ``earliest``
    and ``latest`` in the group's zone, minus Dutch public holidays (when skipped) and the
    school holidays of the group's region."""
    clock = clock_for(zone, first_u, stop_u)
    start, end = _minute_ceil(constraints.earliest), _end_minute(constraints.latest)
    pattern, wraps = _week_pattern([(weekday, start, end) for weekday in constraints.weekdays])
    first_day, last_day = _local_dates(clock, first_u, stop_u)
    ranges = holiday_day_ranges(
        first_day,
        last_day,
        public=constraints.skip_public_holidays,
        region=constraints.school_holiday_region,
    )
    return Calendar(clock, pattern, wraps, tuple(_day_ranges_to_utc(clock, ranges)))


def person_intervals(person: Person, first_u: int, stop_u: int) -> list[Interval]:
    """When ``person`` is available within ``[first_u, stop_u)``, as sorted UTC-minute intervals."""
    return person_calendar(person, first_u, stop_u).free(first_u, stop_u)


def group_intervals(constraints: GroupConstraints, zone: str, first_u: int, stop_u: int) -> list[Interval]:
    """When the group's own rules allow a session within ``[first_u, stop_u)``."""
    return group_calendar(constraints, zone, first_u, stop_u).free(first_u, stop_u)


def can_attend(person: Person, start_u: int, end_u: int) -> bool:
    """Whether ``person`` is available for the whole of ``[start_u, end_u)``."""
    margin = MINUTES_PER_DAY
    return any(a <= start_u and end_u <= b for a, b in person_intervals(person, start_u - margin, end_u + margin))
