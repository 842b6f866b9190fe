"""Candidate series, for planning groups together: many of the guided series a group could take,
each keeping every rule on its own (bookings included), from which a batch chooses one per group
(see :mod:`shared.domain.cohort`)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from .. import availability as av
from .guided import GuidedSearch, GuidedSeries
from .horizon import Horizon, Starts
from .months import month_of_day, week_of_month
from .values import DAY, GAP


class Candidates(GuidedSearch):
    def candidates(self, limit: int) -> tuple[list[GuidedSeries], bool]:
        """Up to ``limit`` guided series, and whether that is every series there is.

        In this order, each pass in date order and without repeats: per day the earliest
        fixed-slot series; per day further start times a session apart; every other fixed-slot
        series; then series without a fixed slot. So a short list still covers many days (which
        a facilitator's daily limit makes matter) before it covers many times of one day.
        """
        remaining, low_day, high_day = self._guided_bounds()
        if not remaining:
            return [], True
        people = (self.request.facilitator, *self.request.members)
        low, high = low_day * DAY, high_day * DAY
        last_past = self._local_of(self.history[-1].start) if self.history else None
        horizon = Horizon(self, people, self.clock.utc(low), month_of_day(low_day))
        earliest_utc = (
            self.clock.utc(low) if self.not_before_utc is None else max(self.clock.utc(low), self.not_before_utc)
        )
        earliest_local = max(low, last_past + GAP) if last_past is not None else low
        starts = Starts()
        new = horizon.cover(month_of_day(high_day - 1) + remaining - 1)
        starts.add(self._points(new, horizon.everyone, earliest_utc, earliest_local))
        firsts = starts.ordered[bisect_left(starts.ordered, low):bisect_left(starts.ordered, high)]
        days: dict[int, list[int]] = {}
        for local in firsts:
            days.setdefault(local // DAY, []).append(local)

        def fixed(local: int) -> Iterator[GuidedSeries]:
            day = local // DAY
            weekday, minute = av.weekday_of(day), local % DAY
            for rest in self._follows(starts, local, month_of_day(day) + 1, remaining - 1, weekday, minute, week_of_month(day)):
                yield GuidedSeries((local, *rest), (weekday, minute))

        def spread(times: list[int]) -> list[int]:
            chosen: list[int] = []
            for local in times:
                if not chosen or local >= chosen[-1] + self.minutes:
                    chosen.append(local)
            return chosen

        def earliest_per_day() -> Iterator[GuidedSeries]:
            for times in days.values():
                first = next((series for local in times for series in fixed(local)), None)
                if first is not None:
                    yield first

        def spread_per_day() -> Iterator[GuidedSeries]:
            for times in days.values():
                for local in spread(times):
                    first = next(fixed(local), None)
                    if first is not None:
                        yield first

        def every_fixed() -> Iterator[GuidedSeries]:
            for local in firsts:
                yield from fixed(local)

        def without_slot(previous: int, month: int, count: int) -> Iterator[tuple[int, ...]]:
            if count == 0:
                yield ()
                return
            first = max(previous + GAP, self._month_start(month))
            ordered = starts.ordered
            for local in ordered[bisect_left(ordered, first):bisect_left(ordered, self._month_start(month + 1))]:
                for rest in without_slot(local, month + 1, count - 1):
                    yield (local, *rest)

        def every_other() -> Iterator[GuidedSeries]:
            for local in firsts:
                for rest in without_slot(local, month_of_day(local // DAY) + 1, remaining - 1):
                    series = (local, *rest)
                    if len({(av.weekday_of(point // DAY), point % DAY) for point in series}) > 1:
                        yield GuidedSeries(series, None)

        found: list[GuidedSeries] = []
        seen: set[tuple[int, ...]] = set()
        for candidates in (earliest_per_day(), spread_per_day(), every_fixed(), every_other()):
            for candidate in candidates:
                if candidate.starts in seen:
                    continue
                if len(found) == limit:
                    return found, False
                seen.add(candidate.starts)
                found.append(candidate)
        return found, True
