"""Who could meet with whom: the fixed monthly slots a group may have, and who is free at each.

A group needs a *fixed slot* for its guided sessions, the shape :func:`planning.find_plan` looks
for first: one weekday and local start time on the group's 15-minute grid (a *pattern*), and one
date of that weekday in each of ``guided_sessions`` consecutive calendar months, at least 21 days
apart, the first within six months of ``starts_on`` (a *series*). A set of people can hold its
guided sessions at a fixed slot exactly when, for some pattern, the weeks in which all of them
(and the facilitator, and the group's own rules) are free contain a series.

The grid answers that with integer bit masks:

* every grid point that the group's rules allow (weekday, hours, holidays) is numbered by its
  pattern and by its week (the ``j``-th occurrence of that weekday in the horizon);
* a person's availability becomes, per pattern, a mask of the weeks they are free at that time;
* the series of a weekday are masks of weeks too, so "these people share a series" is a few
  ``&`` operations, and "who is free at this series" is one ``&`` per session over masks that
  have a bit per person.

:func:`SlotGrid.eligible_sets` collects, over every pattern and series, the set of people free
at it; only the maximal ones matter for composing groups (a group that fits a smaller set fits
the larger one too), so :func:`maximal_sets` keeps those.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from . import availability as av
from .model import GroupConstraints, Person
from .planning import FIRST_SESSION_WINDOW_MONTHS, GRID_MINUTES, MIN_GAP_DAYS
from .planning.months import add_months

_DAY = av.MINUTES_PER_DAY


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_start_day(month: int) -> int:
    return av.day_number(date(month // 12, month % 12 + 1, 1))


_WORD = 64  # bits up to which stepping from the lowest set bit is the faster way


def bits(mask: int) -> Iterable[int]:
    """The indexes of the set bits of ``mask``, lowest first."""
    if mask.bit_length() <= _WORD:
        while mask:
            low = mask & -mask
            yield low.bit_length() - 1
            mask ^= low
        return
    # A set of thousands of people: each step above would copy the whole integer.
    digits = bin(mask)[:1:-1]
    index = digits.find("1")
    while index >= 0:
        yield index
        index = digits.find("1", index + 1)


@dataclass
class SlotGrid:
    """The grid points of a group's rules over the horizon of its guided sessions.

    ``patterns[p]`` is ``(weekday, local minute)``; the ``j``-th week of a weekday is the day
    ``first_days[weekday] + 7 * j``. ``series[weekday]`` lists the week masks of every series
    of that weekday. Build it with :func:`build_grid`.
    """

    timezone: str
    session_minutes: int
    first_u: int
    stop_u: int
    patterns: tuple[tuple[int, int], ...]
    first_days: dict[int, int]
    series: dict[int, tuple[int, ...]]
    point_u: list[int]
    point_pattern: list[int]
    point_week: list[int]
    facilitator: dict[int, int] | None
    _series_cache: dict[tuple[int, int], bool] = field(default_factory=dict)

    # -- one person -------------------------------------------------------------------------

    def week_masks(self, person: Person) -> dict[int, int]:
        """Per pattern index, the weeks in which ``person`` can attend a session at that
        pattern's time (within the group's rules; the facilitator is not applied)."""
        margin = _DAY
        calendar = av.person_calendar(person, self.first_u - margin, self.stop_u + margin)
        starts = av.start_intervals(calendar.free(self.first_u - margin, self.stop_u + margin), self.session_minutes)
        point_u, point_pattern, point_week = self.point_u, self.point_pattern, self.point_week
        masks: dict[int, int] = {}
        for first, stop in starts:
            for index in range(bisect_left(point_u, first), bisect_left(point_u, stop)):
                pattern = point_pattern[index]
                masks[pattern] = masks.get(pattern, 0) | point_week[index]
        return masks

    def with_facilitator(self, masks: dict[int, int]) -> dict[int, int]:
        """``masks`` limited to the weeks in which the facilitator can attend too."""
        facilitator = self.facilitator
        if facilitator is None:
            return masks
        limited = {}
        for pattern, mask in masks.items():
            mask &= facilitator.get(pattern, 0)
            if mask:
                limited[pattern] = mask
        return limited

    # -- series ----------------------------------------------------------------------------

    def has_series(self, pattern: int, weeks: int) -> bool:
        """Whether the weeks ``weeks`` of ``pattern`` contain a whole series."""
        key = (pattern, weeks)
        found = self._series_cache.get(key)
        if found is None:
            found = any(weeks & series == series for series in self.series[self.patterns[pattern][0]])
            self._series_cache[key] = found
        return found

    def series_patterns(self, masks: dict[int, int]) -> int:
        """A bit per pattern at which ``masks`` (one person's, or a group's intersection) holds a
        series."""
        found = 0
        for pattern, weeks in masks.items():
            if self.has_series(pattern, weeks):
                found |= 1 << pattern
        return found

    def shared_patterns(self, members: list[dict[int, int]], candidates: int) -> int:
        """How many of the patterns in ``candidates`` (a bit mask) hold a series that all of
        ``members`` (week masks, facilitator applied) can attend."""
        count = 0
        for pattern in bits(candidates):
            weeks = -1
            for masks in members:
                weeks &= masks.get(pattern, 0)
                if not weeks:
                    break
            if weeks and self.has_series(pattern, weeks):
                count += 1
        return count

    # -- many people -------------------------------------------------------------------------

    def eligible_sets(self, people_masks: list[dict[int, int]]) -> set[int]:
        """For every pattern and series, the set of people (bit ``i`` for ``people_masks[i]``,
        facilitator applied) who can attend all its sessions; empty sets left out."""
        free_at: dict[int, dict[int, int]] = {}
        for person, masks in enumerate(people_masks):
            bit = 1 << person
            for pattern, weeks in masks.items():
                row = free_at.setdefault(pattern, {})
                for week in bits(weeks):
                    row[week] = row.get(week, 0) | bit
        found: set[int] = set()
        for pattern, row in free_at.items():
            weekday = self.patterns[pattern][0]
            present = 0
            for week in row:
                present |= 1 << week
            for series in self.series[weekday]:
                if present & series != series:
                    continue
                together = -1
                for week in bits(series):
                    together &= row[week]
                    if not together:
                        break
                if together:
                    found.add(together)
        return found


def build_grid(
    *,
    starts_on: date,
    timezone: str,
    constraints: GroupConstraints,
    session_minutes: int,
    guided_sessions: int,
    facilitator: Person | None,
) -> SlotGrid:
    """The grid of a group's rules: every 15-minute start in the group's zone, on its weekdays
    and hours and not on a skipped holiday, from ``starts_on`` to the end of the last month that
    a guided series starting within six months can reach."""
    if session_minutes <= 0 or guided_sessions <= 0:
        raise ValueError("session_minutes and guided_sessions must be positive")
    first_day = av.day_number(starts_on)
    high_day = av.day_number(add_months(starts_on, FIRST_SESSION_WINDOW_MONTHS))
    last_month = _month_index(av.day_date(high_day - 1)) + guided_sessions - 1
    stop_day = _month_start_day(last_month + 1)
    clock = av.zone_clock(timezone, starts_on.year - 1, last_month // 12 + 1)
    first_u, stop_u = clock.utc(first_day * _DAY), clock.utc(stop_day * _DAY)

    margin = _DAY
    group = av.group_calendar(constraints, timezone, first_u - margin, stop_u + margin)
    allowed = av.start_intervals(group.free(first_u - margin, stop_u + margin), session_minutes)
    allowed_starts = [first for first, _ in allowed]

    first_days = {weekday: first_day + (weekday - av.weekday_of(first_day)) % 7 for weekday in range(7)}
    points: list[tuple[int, int, int, int]] = []  # (u, weekday, minute, week)
    for day in range(first_day, stop_day):
        weekday = av.weekday_of(day)
        if weekday not in constraints.weekdays:
            continue
        week = (day - first_days[weekday]) // 7
        for minute in range(0, _DAY, GRID_MINUTES):
            local = day * _DAY + minute
            if not clock.exists(local):
                continue  # a wall-clock time that a spring change skips is never planned
            u = clock.utc(local)
            index = bisect_right(allowed_starts, u) - 1
            if index >= 0 and u < allowed[index][1]:
                points.append((u, weekday, minute, week))
    points.sort()
    patterns = tuple(sorted({(weekday, minute) for _, weekday, minute, _ in points}))
    pattern_index = {pattern: index for index, pattern in enumerate(patterns)}

    grid = SlotGrid(
        timezone=timezone,
        session_minutes=session_minutes,
        first_u=first_u,
        stop_u=stop_u,
        patterns=patterns,
        first_days=first_days,
        series={weekday: _weekday_series(first_days[weekday], first_day, high_day, stop_day, guided_sessions)
                for weekday in range(7)},
        point_u=[u for u, _, _, _ in points],
        point_pattern=[pattern_index[(weekday, minute)] for _, weekday, minute, _ in points],
        point_week=[1 << week for _, _, _, week in points],
        facilitator=None,
    )
    if facilitator is not None:
        grid.facilitator = grid.week_masks(facilitator)
    return grid


def _weekday_series(first: int, low_day: int, high_day: int, stop_day: int, count: int) -> tuple[int, ...]:
    """Week masks of every series of one weekday: the first date in ``[low_day, high_day)``, then
    one date in each following month, each at least 21 days after the one before."""
    days = list(range(first, stop_day, 7))
    months = [_month_index(av.day_date(day)) for day in days]
    found: list[int] = []

    def extend(week: int, mask: int, left: int) -> None:
        if left == 0:
            found.append(mask)
            return
        for later in range(week + 1, len(days)):
            if months[later] > months[week] + 1:
                break
            if months[later] == months[week] + 1 and days[later] - days[week] >= MIN_GAP_DAYS:
                extend(later, mask | 1 << later, left - 1)

    for week, day in enumerate(days):
        if low_day <= day < high_day:
            extend(week, 1 << week, count - 1)
    return tuple(found)


def maximal_sets(sets: Iterable[int]) -> list[int]:
    """The sets (bit masks) that are no subset of another, largest first, then by value.

    Each kept set is indexed by its elements (per element, a bit mask of the kept sets holding
    it), so a candidate is compared only with the kept sets that hold its first few elements:
    thousands of sets of hundreds of people each take seconds, not minutes."""
    kept: list[int] = []
    holding: dict[int, int] = {}  # element -> bit k for each kept[k] that holds it
    for candidate in sorted(set(sets), key=lambda s: (-s.bit_count(), s)):
        if not _covered(candidate, kept, holding):
            number = 1 << len(kept)
            kept.append(candidate)
            for element in bits(candidate):
                holding[element] = holding.get(element, 0) | number
    return kept


_FEW = 8  # kept sets left that are cheaper to compare whole than to narrow down further


def _covered(candidate: int, kept: list[int], holding: dict[int, int]) -> bool:
    """Whether ``candidate`` is a subset of some set in ``kept``."""
    if not candidate:
        return bool(kept)
    possible = -1
    for element in bits(candidate):
        possible &= holding.get(element, 0)
        if not possible:
            return False
        if possible.bit_count() <= _FEW:
            return any(candidate & kept[number] == candidate for number in bits(possible))
    return True  # every kept set left holds every element
