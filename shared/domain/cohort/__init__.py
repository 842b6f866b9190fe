"""Planning a batch of groups together, so that no person is booked twice and as many groups as
possible get a plan — a whole programme of hundreds of groups at once, with a proven bound.

Planning groups one by one in some order misses assignments: group A can meet on Tuesday or
Thursday, group B only on Tuesday, and their facilitator once an evening — planned first, A takes
the earliest Tuesday and B is left without. :func:`plan_cohort` instead chooses the guided series
of all groups at once:

1. **Candidates, by need.** For each group the plan engine lists series its remaining guided
   sessions could take on their own, bookings included (:func:`planning.candidate_series`):
   fixed-slot series, spread over many days first, up to :data:`FIXED_PER_GROUP` a group
   whatever the size of the batch; series without a fixed slot only for a group that has no
   fixed-slot series at all.
2. **Column generation.** The choice is a set packing (:mod:`.model`): at most one series per
   group; for every person in several groups no two sessions that overlap (with a
   facilitator's break), and her sessions per local day and ISO week within her capacity. Its
   linear relaxation prices every row; :mod:`.pricing` finds, over *every* series each group has
   (:func:`planning.series_space`, fixed slot or not), the cheapest at those prices, adds it when
   it would pay, and solves again — until no series would. Every round's prices prove a bound
   on the groups *any* choice of series can plan (see :mod:`.pricing`), the columns never
   generated included: ``upper_bound`` is the best of these, rounded down, and never more than
   the groups that could be planned each on its own.
3. **Choice.** The relaxation's values, rounded greedily, give a first choice; a mixed-integer
   program (HiGHS through OR-Tools MathOpt) starts from it and picks at most one column per
   group — among every column up to :data:`WHOLE_PROGRAM_UP_TO` of them, else among those the
   relaxation used (a restricted program that 500 groups build and solve in a second, where the
   whole one took half a minute to build). The objective is lexicographic: first the number of
   groups planned, then the engine's own preference summed over the groups (a fixed slot before
   none, the earliest first session, the same week of the month, the earlier time of day).
4. **Improvement.** When fewer groups are planned than the bound, a large-neighbourhood round
   gives the groups left out, and the groups that share someone with them, more candidates
   (without a fixed slot too) and solves again from the choice so far — when the neighbourhood
   is narrow enough to search more deeply than the start did.
5. **The rest of each plan.** In the order of the batch, each group with a chosen series gets its
   whole plan (:func:`planning.plan_with_series`): the self-directed sessions are planned around
   everything chosen so far. A group without a series is planned by the engine alone around
   everything chosen so far; its answer is then usually the engine's diagnostics. On small
   batches not proven optimal, planning one by one in the batch's order is tried too, and is
   the answer should it plan more.

``optimal`` is True exactly when the groups planned reach ``upper_bound``: no choice among every
series that exists plans more. (The preference among equally many is the solver's best among the
columns; it is not part of the claim.) The solve is deterministic: a fixed number of rounds, a
fixed seed and a node limit; wall-clock limits only stop a machine much slower than assumed.

Sessions planned in the batch are named ``<key>#<number>`` in diagnostics until they have ids.
"""

from __future__ import annotations

import math
import time as clock
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..availability import utc_minutes
from ..planning import (
    Infeasible,
    Plan,
    Series,
    SeriesSpace,
    candidate_series,
    remaining_guided,
    series_space,
)
from . import model
from .model import Column, build_rows, choose, relaxation, rounded, shared_people
from .plans import CohortGroup, conflicts_of, cost, planned, planned_session_id, whole_plans
from .pricing import Pricer, price

__all__ = ["CohortGroup", "CohortResult", "conflicts_of", "plan_cohort", "planned_session_id"]

FIXED_PER_GROUP = 60
"""Candidate series a group starts with (fixed-slot ones where it has any): the same for every
size of batch; column generation adds what the batch needs."""
MORE_PER_GROUP = 400
"""Candidates for a group in the neighbourhood of one left out, in an improvement round..."""
NEIGHBOURHOOD_COLUMNS = 12_000
"""... and for the whole neighbourhood together."""
WHOLE_PROGRAM_UP_TO = 5_000
"""Columns up to which the integer program chooses among all of them."""
MAX_ROUNDS = 60
"""Rounds of column generation: the limit that keeps the result the same from run to run."""
IMPROVEMENT_ROUNDS = 2
ONE_BY_ONE_UP_TO = 60
"""Batches up to this many groups also try one by one when not proven optimal."""
TIME_LIMIT_SECONDS = 30.0
"""Wall-clock stops, split between the phases, in case the machine is much slower than assumed."""
NODE_LIMIT = model.NODE_LIMIT


@dataclass(frozen=True)
class CohortResult:
    results: tuple[Plan | Infeasible, ...]
    """Per group, in the order given."""
    optimal: bool
    """The groups planned are proven the most that any choice of series could plan."""
    upper_bound: int
    """A proven bound on the groups any choice among every series that exists could plan."""
    candidates: int
    """Columns the batch chose from."""
    rounds: int = 0
    """Rounds of column generation."""

    @property
    def planned(self) -> int:
        return planned(self.results)


class _Batch:
    """The groups' columns, grown by need."""

    def __init__(self, groups: Sequence[CohortGroup], spaces: list[SeriesSpace | None]):
        self.groups = groups
        self.spaces = spaces
        self.columns: list[Column] = []
        self.seen: list[set[tuple[int, ...]]] = [set() for _ in groups]
        self.index_of = [{utc: index for index, utc in enumerate(space.utc)} if space else {} for space in spaces]
        self.asked = [0] * len(groups)

    def add_series(self, g: int, series: Series) -> None:
        indices = tuple(self.index_of[g][utc_minutes(start)] for start in series.starts)
        self._add(g, indices, series)

    def add_indices(self, g: int, indices: tuple[int, ...]) -> bool:
        return self._add(g, indices, self.spaces[g].series(indices))

    def _add(self, g: int, indices: tuple[int, ...], series: Series) -> bool:
        if indices in self.seen[g]:
            return False
        self.seen[g].add(indices)
        utc = tuple(self.spaces[g].utc[index] for index in indices)
        self.columns.append(Column(g, series, indices, utc, cost(series, self.groups[g].request)))
        return True

    def candidates(self, g: int, limit: int, by_need: bool) -> None:
        if limit <= self.asked[g]:
            return
        self.asked[g] = limit
        for series in candidate_series(self.groups[g].request, limit, by_need=by_need)[0]:
            self.add_series(g, series)


def plan_cohort(
    groups: Sequence[CohortGroup], *, per_group: int = FIXED_PER_GROUP, time_limit: float = TIME_LIMIT_SECONDS,
    progress: Callable[[int, int], None] | None = None,
) -> CohortResult:
    """Plan every group of a batch jointly; see the package docstring. ``per_group``: the
    candidates each group starts with; ``progress`` hears ``(planned, total)`` as the best
    choice so far and then the whole plans come in."""
    if not groups:
        return CohortResult((), True, 0, 0)
    if len({group.key for group in groups}) != len(groups):
        raise ValueError("every group of a batch needs its own key")
    deadline = clock.monotonic() + time_limit
    total = len(groups)
    requests = [group.request for group in groups]
    found = [series_space(request, per_group) if remaining_guided(request) else None for request in requests]
    spaces = [pair[0] if pair else None for pair in found]
    batch = _Batch(groups, spaces)
    for g, pair in enumerate(found):
        if pair is not None:
            batch.asked[g] = per_group
            for series in pair[1]:
                batch.add_series(g, series)
    free = sum(space is None for space in spaces)  # nothing guided to plan: always a plan
    active = [bool(batch.seen[g]) for g in range(total)]
    alone = free + sum(active)
    lengths = [request.session_minutes for request in requests]
    utcs = [utc for space in spaces if space for utc in space.utc] or [0]
    people = shared_people(requests, active, min(utcs), max(utcs) + max(lengths) + 1)
    pricer = Pricer(spaces, people, lengths)
    with_series = [g for g in range(total) if active[g]]

    bound, rounds, values = float(alone), 0, [1.0] * len(batch.columns)
    rows = build_rows(batch.columns, people, lengths)
    while rounds < MAX_ROUNDS and rows:
        rounds += 1
        value, prices, group_prices, values = relaxation(batch.columns, rows, total)
        proven, new = price(pricer, rows, prices, group_prices, with_series)
        bound = min(bound, proven + free)
        added = sum(batch.add_indices(g, indices) for g, indices in new)
        rows = build_rows(batch.columns, people, lengths)
        if not added or math.floor(bound + 1e-6) <= math.floor(value + free + 1e-6):
            break
        if clock.monotonic() > deadline - 0.6 * time_limit:
            break
    upper_bound = min(alone, math.floor(bound + 1e-6))

    values = [*values, *[0.0] * (len(batch.columns) - len(values))]  # the last round's new columns
    start = rounded(batch.columns, rows, total, values)
    hint = [c for c in start if c is not None]
    support = {c for c, v in enumerate(values) if v > 1e-6}
    chosen = _choose(batch, support | set(hint), hint, people, lengths, _remaining(deadline, 0.5))
    if sum(c is not None for c in start) > sum(c is not None for c in chosen):
        chosen = start
    count = free + sum(c is not None for c in chosen)
    for _ in range(IMPROVEMENT_ROUNDS):
        if count >= upper_bound or clock.monotonic() > deadline - 0.3 * time_limit:
            break
        left_out = {g for g in with_series if chosen[g] is None}
        around = set(left_out)
        for person in people:
            if left_out & set(person.groups):
                around.update(person.groups)
        more = min(MORE_PER_GROUP, NEIGHBOURHOOD_COLUMNS // len(around))
        if more <= per_group:
            break  # too wide a neighbourhood to search more deeply than the start did
        before = len(batch.columns)
        for g in sorted(around):
            batch.candidates(g, more, by_need=False)
        hint = [c for c in chosen if c is not None]
        better = _choose(batch, support | set(hint) | set(range(before, len(batch.columns))), hint, people, lengths,
                         _remaining(deadline, 0.5))
        better_count = free + sum(c is not None for c in better)
        if better_count >= count:
            chosen, count = better, better_count

    series = [batch.columns[c].series if c is not None else None for c in chosen]
    results = whole_plans(groups, series, (lambda done: progress(done, total)) if progress else None)
    if planned(results) < upper_bound and total <= ONE_BY_ONE_UP_TO:
        one_by_one = whole_plans(groups, [None] * total)
        if planned(one_by_one) > planned(results):
            results = one_by_one
    return CohortResult(
        results=results,
        optimal=planned(results) >= upper_bound,
        upper_bound=upper_bound,
        candidates=len(batch.columns),
        rounds=rounds,
    )


def _choose(batch: _Batch, keep: set[int], hint: list[int], people, lengths, seconds: float) -> list[int | None]:
    """The integer program over every column (up to :data:`WHOLE_PROGRAM_UP_TO` of them), else
    over those the relaxation used, the hint and ``keep``'s others: the restricted program that
    a programme of hundreds of groups can build and solve in seconds."""
    chosen = sorted(keep) if len(batch.columns) > WHOLE_PROGRAM_UP_TO else list(range(len(batch.columns)))
    columns = [batch.columns[c] for c in chosen]
    position = {c: index for index, c in enumerate(chosen)}
    picked, _ = choose(columns, build_rows(columns, people, lengths), len(batch.groups), seconds,
                       [position[c] for c in hint if c in position])
    return [chosen[c] if c is not None else None for c in picked]


def _remaining(deadline: float, share: float) -> float:
    return max(1.0, (deadline - clock.monotonic()) * share)
