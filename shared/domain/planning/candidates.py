"""Candidate series, for planning groups together: many of the guided series a group could take,
each keeping every rule on its own (bookings included), from which a batch chooses one per group
(see :mod:`shared.domain.cohort`); and the space of *every* series, as the feasible starts that
series are made of, for a batch to search by other means (pricing, bounds)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .. import availability as av
from .guided import GuidedSearch, GuidedSeries
from .horizon import Horizon, Starts
from .months import month_of_day, week_of_month
from .values import DAY, GAP, Series


@dataclass(frozen=True)
class SeriesSpace:
    """Every guided series of a group, implicitly: ``remaining`` sessions, the first in the local
    minutes ``[low, high)``, each next one in the calendar month after the one before and at
    least 21 days (``GAP``) after it, every one at one of ``starts`` (local minutes, sorted: the
    grid points where the group's hours, everyone's availability and their bookings allow a
    session). ``utc`` and ``months`` hold each start's UTC minute and month index."""

    remaining: int
    low: int
    high: int
    starts: tuple[int, ...]
    utc: tuple[int, ...]
    months: tuple[int, ...]
    timezone: str

    def series(self, indices: tuple[int, ...]) -> Series:
        """The series of the starts at ``indices``."""
        starts = [self.starts[index] for index in indices]
        zone = ZoneInfo(self.timezone)
        return Series(
            starts=tuple(av.to_datetime(self.utc[index], zone) for index in indices),
            fixed_slot=len({(av.weekday_of(local // DAY), local % DAY) for local in starts}) == 1,
            same_week=len({week_of_month(local // DAY) for local in starts}) == 1,
        )


class Candidates(GuidedSearch):
    def _starts(self) -> tuple[int, int, int, Starts]:
        """``(remaining, low, high, starts)``: see :class:`SeriesSpace`."""
        remaining, low_day, high_day = self._guided_bounds()
        if not remaining:
            return 0, 0, 0, Starts()
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
        return remaining, low, high, starts

    def space(self, found: tuple[int, int, int, Starts] | None = None) -> SeriesSpace:
        remaining, low, high, starts = found or self._starts()
        ordered = tuple(starts.ordered)
        return SeriesSpace(
            remaining, low, high, ordered,
            tuple(self.clock.utc(local) for local in ordered),
            tuple(month_of_day(local // DAY) for local in ordered),
            self.request.timezone,
        )

    def candidates(self, limit: int, by_need: bool = False,
                   found: tuple[int, int, int, Starts] | None = None) -> tuple[list[GuidedSeries], bool]:
        """Up to ``limit`` guided series, and whether that is every series there is (with
        ``by_need``: every series of the kind offered).

        In this order, each pass in date order and without repeats: per day the earliest
        fixed-slot series; per day further start times a session apart; every other fixed-slot
        series; then series without a fixed slot — with ``by_need`` only when there is no
        fixed-slot series at all. So a short list still covers many days (which a facilitator's
        daily limit makes matter) before it covers many times of one day.
        """
        remaining, low, high, starts = found or self._starts()
        if not remaining:
            return [], True
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
        for passes in (earliest_per_day, spread_per_day, every_fixed, every_other):
            if by_need and found and passes is every_other:
                return found, True  # series without a fixed slot only for groups without one
            for candidate in passes():
                if candidate.starts in seen:
                    continue
                if len(found) == limit:
                    return found, False
                seen.add(candidate.starts)
                found.append(candidate)
        return found, True
