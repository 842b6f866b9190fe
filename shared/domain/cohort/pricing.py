"""Pricing every series there is, and the bound that follows.

Given a price ``y ≥ 0`` for every row of :mod:`.model` — a row means the same for every series,
whether a column yet or not — a series costs the sum of the prices of the rows it would be in:
for each shared person of its group, the overlap rows within each session's reach, the day and
week rows of each session. Over a group's :class:`~..planning.SeriesSpace` the cheapest series
is a shortest path (one start per consecutive month, each at least 21 days after the one
before), found here month by month with suffix minima, exactly, over every series.

**The bound.** For any such prices, relaxing the rows into the objective (a Lagrangian
relaxation that keeps "at most one series per group") gives::

    planned ≤ Σ_rows y·room + Σ_groups max(0, 1 − cheapest series of the group)

for every choice of series there is — the columns never generated included. With the prices of
the linear relaxation over the columns this is at least that relaxation's value, and equal to
it once no series prices above its group's price (column generation has converged).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from .. import availability as av
from ..planning import MIN_GAP_DAYS, SeriesSpace
from .model import DAY, OVERLAP, WEEK, Row, Shared

_INF = float("inf")


class Pricer:
    """The series spaces of a batch's groups, with what is needed to price their starts."""

    def __init__(self, spaces: Sequence[SeriesSpace | None], people: Sequence[Shared], lengths: Sequence[int]):
        self.spaces = spaces
        self.people = people
        self.lengths = lengths
        self.local = [np.array(space.starts, dtype=np.int64) if space else None for space in spaces]
        self.utc = [np.array(space.utc, dtype=np.int64) if space else None for space in spaces]
        self.months = [np.array(space.months, dtype=np.int64) if space else None for space in spaces]
        self.shared_of: dict[int, list[int]] = defaultdict(list)
        for p, person in enumerate(people):
            for g in person.groups:
                self.shared_of[g].append(p)
        self._periods: dict[tuple[int, int, str], np.ndarray] = {}

    def exists(self, g: int) -> bool:
        """Whether the group has any series at all."""
        return self.cheapest(g, None)[1] is not None

    def _period_keys(self, g: int, p: int, kind: str) -> np.ndarray:
        key = (g, p, kind)
        if key not in self._periods:
            person = self.people[p]
            period = person.day_of if kind == DAY else person.monday_of
            self._periods[key] = np.array([period(int(u)) for u in self.utc[g]], dtype=np.int64)
        return self._periods[key]

    def penalties(self, g: int, prices: _Prices) -> np.ndarray:
        """What each start of the group costs at these prices."""
        utc = self.utc[g]
        total = np.zeros(len(utc))
        for p in self.shared_of.get(g, ()):
            overlap = prices.overlap.get(p)
            if overlap is not None:
                times, sums = overlap
                reach = self.lengths[g] + self.people[p].pad
                total += sums[np.searchsorted(times, utc + reach, "left")] - sums[np.searchsorted(times, utc, "left")]
            for kind in (DAY, WEEK):
                priced = prices.periods.get((p, kind))
                if priced:
                    keys = self._period_keys(g, p, kind)
                    total += np.array([priced.get(int(k), 0.0) for k in keys])
        return total

    def cheapest(self, g: int, prices: _Prices | None) -> tuple[float, tuple[int, ...] | None]:
        """The cheapest series of the group at these prices (None: at no price), as its cost
        and the indices of its starts; ``(inf, None)`` when the group has no series."""
        space = self.spaces[g]
        if space is None or not space.starts:
            return _INF, None
        local, months = self.local[g], self.months[g]
        penalty = self.penalties(g, prices) if prices is not None else np.zeros(len(local))
        count = space.remaining
        gap = MIN_GAP_DAYS * av.MINUTES_PER_DAY
        # After a start: the first start of the next month at least 21 days later, and where
        # that month ends.
        first = np.maximum(
            np.searchsorted(local, local + gap, "left"), np.searchsorted(months, months + 1, "left")
        )
        stop = np.searchsorted(months, months + 1, "right")
        valid = first < stop
        at = np.minimum(first, len(local) - 1)
        cuts = np.flatnonzero(np.diff(months)) + 1
        blocks = list(zip([0, *cuts.tolist()], [*cuts.tolist(), len(local)], strict=True))
        # values[j][i]: the cheapest run of j + 1 sessions from start i on.
        values = [penalty]
        for _ in range(count - 1):
            suffix = np.empty(len(local))
            for low, high in blocks:  # suffix minima within each month
                suffix[low:high] = np.minimum.accumulate(values[-1][low:high][::-1])[::-1]
            values.append(penalty + np.where(valid, suffix[at], _INF))
        lo, hi = np.searchsorted(local, space.low, "left"), np.searchsorted(local, space.high, "left")
        if lo >= hi or not np.isfinite(values[-1][lo:hi]).any():
            return _INF, None
        start = int(lo + np.argmin(values[-1][lo:hi]))
        chosen = [start]
        for level in range(count - 2, -1, -1):
            previous = chosen[-1]
            chosen.append(int(first[previous] + np.argmin(values[level][first[previous]:stop[previous]])))
        return float(values[-1][start]), tuple(chosen)


class _Prices:
    """Row prices arranged for pricing: per person, overlap rows as sorted minutes with prefix
    sums of their prices, and day and week prices by period."""

    def __init__(self, rows: Sequence[Row], prices: Sequence[float]):
        overlap: dict[int, list[tuple[int, float]]] = defaultdict(list)
        self.periods: dict[tuple[int, str], dict[int, float]] = defaultdict(dict)
        self.total = 0.0
        for row, price in zip(rows, prices, strict=True):
            if price <= 1e-12:
                continue
            self.total += price * row.room
            if row.kind == OVERLAP:
                overlap[row.person].append((row.at, price))
            else:
                periods = self.periods[(row.person, row.kind)]
                periods[row.at] = periods.get(row.at, 0.0) + price
        self.overlap: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for p, points in overlap.items():
            points.sort()
            times = np.array([t for t, _ in points], dtype=np.int64)
            sums = np.concatenate(([0.0], np.cumsum([y for _, y in points])))
            self.overlap[p] = (times, sums)

    def touch(self, pricer: Pricer, g: int) -> bool:
        """Whether any priced row concerns the group's people."""
        return any(p in self.overlap or (p, DAY) in self.periods or (p, WEEK) in self.periods for p in pricer.shared_of.get(g, ()))


def price(pricer: Pricer, rows: Sequence[Row], prices: Sequence[float], group_prices: Sequence[float],
          groups: Sequence[int]) -> tuple[float, list[tuple[int, tuple[int, ...]]]]:
    """The bound these prices prove over ``groups`` (the groups with series), and per group a
    series whose reduced price is positive (a column worth adding), if it has one."""
    arranged = _Prices(rows, prices)
    bound = arranged.total
    new = []
    for g in groups:
        if not arranged.touch(pricer, g):
            bound += 1.0  # a series at no price: the group counts whole
            continue
        cheapest, series = pricer.cheapest(g, arranged)
        if series is None:
            continue
        bound += max(0.0, 1.0 - cheapest)
        if 1.0 - cheapest - group_prices[g] > 1e-7:
            new.append((g, series))
    return bound, new
