"""The guided series: the facilitator and every member, one session per calendar month in
consecutive months, at least 21 days apart (on the group's wall clock), the first within six
months; on one fixed weekday and time when such a series exists.

A re-plan whose past guided sessions share a weekday and time continues that slot (same week of
the month preferred) when it can, before looking for a new one. When no series exists at all,
the answer is :class:`Infeasible`: the month diagnostics, and the people without any one of whom
a series would exist.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

from .. import availability as av
from ..model import Person
from . import texts
from .diagnostics import Diagnostics
from .horizon import Horizon, Starts, person_bit
from .months import month_of_day, slot_candidates, week_of_month
from .values import DAY, GAP, Infeasible

_NEVER = -(1 << 62)


@dataclass(frozen=True)
class GuidedSeries:
    """A series of guided sessions the search found."""

    starts: tuple[int, ...]  # local minutes
    pattern: tuple[int, int] | None  # (weekday, minute) of a fixed slot, None without one


class GuidedSearch(Diagnostics):
    def _follows(self, starts: Starts, previous: int, month: int, count: int, weekday: int, minute: int,
                 week: int | None, before: int | None = None) -> Iterator[tuple[int, ...]]:
        """Every series of ``count`` sessions on a weekday/time in consecutive months from
        ``month``, each at least 21 days after the one before, in the order the search prefers
        them: the preferred week first, then by date, month by month."""
        if count == 0:
            yield ()
            return
        for local in slot_candidates(month, weekday, minute, week):
            if local < previous + GAP or local not in starts.members or (before is not None and local >= before):
                continue
            for rest in self._follows(starts, local, month + 1, count - 1, weekday, minute, week):
                yield (local, *rest)

    def _follow(self, starts: Starts, previous: int, month: int, count: int, weekday: int, minute: int,
                week: int | None, before: int | None = None) -> tuple[int, ...] | None:
        """The preferred series of :meth:`_follows`, or None."""
        return next(self._follows(starts, previous, month, count, weekday, minute, week, before), None)

    def _earliest_series(self, starts: Starts, previous: int, month: int, count: int) -> tuple[int, ...] | None:
        """The earliest feasible start in each of ``count`` months, 21 days apart (exact for
        existence: an earlier session never hurts the next one)."""
        series = []
        for step in range(count):
            local = starts.first_in(
                max(previous + GAP, self._month_start(month + step)), self._month_start(month + step + 1)
            )
            if local is None:
                return None
            series.append(local)
            previous = local
        return tuple(series)

    def _fixed_slot(self, starts: Starts, low: int, high: int, count: int) -> GuidedSeries | None:
        """The first fixed-slot series with its first session in ``[low, high)``: earliest first
        date, then one week of the month for all, then the earlier time of day."""
        ordered = starts.ordered
        index, stop = bisect_left(ordered, low), bisect_left(ordered, high)
        while index < stop:
            day = ordered[index] // DAY
            end = bisect_left(ordered, (day + 1) * DAY, index, stop)
            month, weekday, week = month_of_day(day), av.weekday_of(day), week_of_month(day)
            other_weeks = None
            for local in ordered[index:end]:
                rest = self._follow(starts, local, month + 1, count - 1, weekday, local % DAY, week)
                if rest is None:
                    continue
                if all(week_of_month(later // DAY) == week for later in rest):
                    return GuidedSeries((local, *rest), (weekday, local % DAY))
                if other_weeks is None:
                    other_weeks = GuidedSeries((local, *rest), (weekday, local % DAY))
            if other_weeks is not None:
                return other_weeks
            index = end
        return None

    def _any_series(self, starts: Starts, low: int, high: int, count: int) -> GuidedSeries | None:
        """Without a fixed slot: the earliest first session from which a series exists, then per
        month the first session's weekday and time when that still works, else the earliest start."""
        for month in range(month_of_day(low // DAY), month_of_day((high - 1) // DAY) + 1):
            first = starts.first_in(max(low, self._month_start(month)), min(high, self._month_start(month + 1)))
            if first is None or self._earliest_series(starts, first, month + 1, count - 1) is None:
                continue
            weekday, minute = av.weekday_of(first // DAY), first % DAY
            series, previous = [first], first
            for step in range(1, count):
                chosen = None
                for local in slot_candidates(month + step, weekday, minute, None):
                    if (local >= previous + GAP and local in starts.members
                            and self._earliest_series(starts, local, month + step + 1, count - 1 - step) is not None):
                        chosen = local
                        break
                if chosen is None:
                    chosen = self._earliest_series(starts, previous, month + step, 1)[0]
                series.append(chosen)
                previous = chosen
            return GuidedSeries(tuple(series), None)
        return None

    def _guided(self, people: tuple[Person, ...], count: int, low_day: int, high_day: int,
                previous: int | None, history_slot: tuple[int, int, int | None] | None) -> GuidedSeries | Infeasible:
        """The guided series for ``people``, its first session on the local days ``[low_day,
        high_day)``: the history's slot continued, else the first fixed slot, else the first
        series without one; or why there is none."""
        low, high = low_day * DAY, high_day * DAY
        first_month, last_first_month = month_of_day(low_day), month_of_day(high_day - 1)
        last_month = last_first_month + count - 1
        horizon = Horizon(self, people, self.clock.utc(low), first_month)
        earliest_utc = self.clock.utc(low)
        if self.not_before_utc is not None:
            earliest_utc = max(earliest_utc, self.not_before_utc)
        earliest_local = max(low, previous + GAP) if previous is not None else low
        starts = Starts()

        def cover(month: int) -> None:
            # Sweep a few months at a time: most groups find their slot in the first months.
            if month > horizon.covered[0]:
                new = horizon.cover(min(last_month, max(month, horizon.covered[0] + 3)))
                starts.add(self._points(new, horizon.everyone, earliest_utc, earliest_local))

        if history_slot is not None:
            weekday, minute, week = history_slot
            for month in range(first_month, last_first_month + 1):
                cover(month + count - 1)
                found = self._follow(starts, _NEVER, month, count, weekday, minute, week, before=high)
                if found is not None:
                    return GuidedSeries(found, (weekday, minute))
        for month in range(first_month, last_first_month + 1):
            cover(month + count - 1)
            plan = self._fixed_slot(starts, max(low, self._month_start(month)), min(high, self._month_start(month + 1)), count)
            if plan is not None:
                return plan
        cover(last_month)
        plan = self._any_series(starts, low, high, count)
        if plan is not None:
            return plan
        return self._infeasible(horizon, count, low_day, high_day, earliest_utc, earliest_local, first_month, last_month)

    def _infeasible(self, horizon: Horizon, count: int, low_day: int, high_day: int, earliest_utc: int,
                    earliest_local: int, first_month: int, last_month: int) -> Infeasible:
        """Why no series exists in a horizon swept up to ``last_month``: the people without any
        one of whom it would, and the month diagnostics."""
        low, high = low_day * DAY, high_day * DAY
        people = horizon.people
        blockers = []
        for index, person in enumerate(people):
            others = horizon.everyone & ~person_bit(index)
            without = Starts()
            without.add(self._points(horizon.segments, others, earliest_utc, earliest_local))
            if self._any_series(without, low, high, count) is not None:
                blockers.append(person.id)
        months = self._diagnostics(people, horizon.segments, earliest_utc, earliest_local, first_month, last_month)
        reason = texts.infeasible(count, av.day_date(low_day), av.day_date(high_day - 1), blockers, self.language)
        return Infeasible(months=months, blockers=tuple(blockers), reason=reason)
