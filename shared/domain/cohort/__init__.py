"""Planning a batch of groups together, so that no person is booked twice and as many groups as
possible get a plan.

Planning groups one by one in some order misses assignments: group A can meet on Tuesday or
Thursday, group B only on Tuesday, and their facilitator once an evening — planned first, A takes
the earliest Tuesday and B is left without. :func:`plan_cohort` instead chooses the guided series
of all groups at once:

1. **Candidates.** For each group the plan engine lists series its remaining guided sessions
   could take on their own, bookings included (:func:`planning.candidate_series`): fixed-slot
   series first, spread over many days, then every other fixed-slot series, then series without
   a fixed slot. A shared budget (:data:`CANDIDATE_BUDGET`) is divided over the groups, so small
   batches see every series there is and large ones a broad sample.
2. **Choice.** A mixed-integer program picks at most one series per group. For every person in
   more than one group of the batch, sessions that would overlap (for a facilitator: come closer
   than her ``break_minutes``) exclude each other — one *at most one* constraint per start point,
   which covers every overlapping pair of intervals — and her sessions per local day and ISO week
   stay within her capacity, counting the sessions she already has. The objective is
   lexicographic: first the number of groups planned, then the engine's own preference summed
   over the groups (a fixed slot before none, the earliest first session, the same week of the
   month, the earlier time of day). It is solved by HiGHS through OR-Tools MathOpt: this is a set
   packing whose LP relaxation is tight, and HiGHS proves 50 groups with 12,000 candidates optimal
   in about a second where CP-SAT, tried first, had not closed the gap after ten.
3. **The rest of each plan.** In the order of the batch, each group with a chosen series gets its
   whole plan (:func:`planning.plan_with_series`): the self-directed sessions are planned around
   everything chosen so far. A group without a series is planned by the engine alone around
   everything chosen so far: when the candidates were a sample it may still find a plan, else
   its answer is the engine's diagnostics (who is booked, by which session). The same pass with
   no series chosen at all is planning one by one in the batch's order; should that plan more
   groups (possible only when candidates were a sample), it is the answer instead.

The solve is deterministic (a fixed seed and a node limit) and bounded in wall-clock time as
well. ``optimal`` is True only when the solver proved its
choice optimal *and* every group's candidates were all the series there are.

Sessions planned in the batch are named ``<key>#<number>`` in diagnostics until they have ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from heapq import heappop, heappush

from ortools.math_opt.python import mathopt

from . import availability as av
from . import bookings as bk
from .planning import (
    GUIDED,
    Infeasible,
    Plan,
    PlanRequest,
    Series,
    candidate_series,
    find_plan,
    plan_with_series,
    remaining_guided,
)

CANDIDATE_BUDGET = 12_000
"""Candidate series over the whole batch (divided evenly among its groups)."""
MAX_CANDIDATES_PER_GROUP = 6_000
MIN_CANDIDATES_PER_GROUP = 40
NODE_LIMIT = 2_000
"""Branch-and-bound nodes: the limit that keeps the result the same from run to run."""
TIME_LIMIT_SECONDS = 8.0
"""A wall-clock stop in case the machine is much slower than the node limit assumes."""
SOLVER_SEED = 20270101

_DAYS = 400  # more days than a series can start after starts_on
_OFF_WEEK = 4  # later sessions outside the first one's week of the month: 0 to 3
_LATER_DAYS = 128  # how finely the later sessions' dates count (days after the first, summed)


@dataclass(frozen=True)
class CohortGroup:
    """One group of a batch: ``key`` (its id) and the plan request as for a single run. Its
    ``bookings`` must leave out the upcoming sessions of every group of the batch."""

    key: str
    request: PlanRequest


@dataclass(frozen=True)
class CohortResult:
    results: tuple[Plan | Infeasible, ...]
    """Per group, in the order given."""
    optimal: bool
    upper_bound: int
    """Groups that could be planned if each were alone (with their bookings): no batch plans more."""
    candidates: int

    @property
    def planned(self) -> int:
        return _planned(self.results)


def planned_session_id(key: str, number: int) -> str:
    """How a session planned in this batch is named in other groups' diagnostics."""
    return f"{key}#{number}"


def _required(request: PlanRequest, kind: str, absent: tuple[str, ...] = ()) -> list[str]:
    people = (request.facilitator, *request.members) if kind == GUIDED else request.members
    return [person.id for person in people if person.id not in absent]


def _bookings_of(key: str, request: PlanRequest, plan: Plan) -> list[bk.Booking]:
    return [
        bk.Booking(person_id, planned_session_id(key, session.number), session.start, session.end)
        for session in plan.sessions
        for person_id in _required(request, session.kind, session.absent_ids)
    ]


def _series_bookings(key: str, request: PlanRequest, series: Series) -> list[bk.Booking]:
    length = timedelta(minutes=request.session_minutes)
    first_number = max((past.number for past in request.history), default=0) + 1
    return [
        bk.Booking(person_id, planned_session_id(key, first_number + offset), start, start + length)
        for offset, start in enumerate(series.starts)
        for person_id in _required(request, GUIDED)
    ]


def _cost(series: Series, request: PlanRequest) -> int:
    """The engine's preference as one number, lowest best: a fixed slot, then the earliest
    first session, then one week of the month, then the earlier time of day (in quarter hours),
    then — as the engine continues a series — the later sessions in the first one's week of the
    month (without a fixed slot: on its weekday and time) where they can be, then on earlier dates. Each level outweighs everything below it;
    the whole stays below 10⁸, well within the solver's precision in a weighted objective."""
    first = series.starts[0]
    days = min(max(0, (first.date() - request.starts_on).days), _DAYS - 1)
    week, pattern = (first.day - 1) // 7, (first.weekday(), first.time())
    if series.fixed_slot:  # later sessions in the first one's week of the month where they can be
        off_week = sum((start.day - 1) // 7 != week for start in series.starts[1:])
    else:  # without a slot, on the first one's weekday and time where they can be
        off_week = sum((start.weekday(), start.time()) != pattern for start in series.starts[1:])
    later = min(sum((start.date() - first.date()).days for start in series.starts[1:]), _LATER_DAYS - 1)
    cost = (0 if series.fixed_slot else 1) * _DAYS + days
    cost = cost * 2 + (0 if series.same_week else 1)
    cost = cost * 96 + (first.hour * 60 + first.minute) // 15
    return (cost * _OFF_WEEK + min(off_week, _OFF_WEEK - 1)) * _LATER_DAYS + later


class _Model:
    """The choice as a set-packing problem over the candidates of every group: which
    candidates exclude each other (``exclusive``, at most one of each list) and which share a
    limited room (``limited``: at most ``room`` of the list), and what each is worth."""

    def __init__(self, groups: Sequence[CohortGroup], candidates: list[tuple[Series, ...]]):
        self.groups, self.candidates = groups, candidates
        self.exclusive: list[list[tuple[int, int]]] = [
            [(g, c) for c in range(len(series))] for g, series in enumerate(candidates) if len(series) > 1
        ]
        self.limited: list[tuple[list[tuple[int, int]], int]] = []
        self._people_constraints()
        self.costs = [[_cost(series, groups[g].request) for series in candidates[g]] for g in range(len(groups))]

    def _people_constraints(self) -> None:
        """No overlaps (with her break) and capacity for every person in several groups."""
        groups_of: dict[str, set[int]] = defaultdict(set)
        for g, group in enumerate(self.groups):
            for person_id in _required(group.request, GUIDED):
                groups_of[person_id].add(g)
        for person_id, member_of in sorted(groups_of.items()):
            member_of = {g for g in member_of if self.candidates[g]}
            if len(member_of) < 2:
                continue
            first = self.groups[min(member_of)].request
            is_facilitator = first.facilitator.id == person_id
            capacity = first.capacity if is_facilitator else None
            timezone = first.facilitator.timezone if is_facilitator else next(
                m.timezone for m in first.members if m.id == person_id
            )
            sessions = [
                (av.utc_minutes(start), g, c)
                for g in sorted(member_of)
                for c, series in enumerate(self.candidates[g])
                for start in series.starts
            ]
            self._no_overlap(sessions, capacity.pad if capacity else 0)
            if capacity and (capacity.max_sessions_per_day or capacity.max_sessions_per_week):
                # Her sessions fill her days and weeks; busy time from her calendar does not.
                booked = [b for b in first.bookings if b.person_id == person_id and b.source == bk.SESSION]
                self._capacity(sessions, booked, timezone, capacity)

    def _no_overlap(self, sessions: list[tuple[int, int, int]], pad: int) -> None:
        intervals = sorted(
            (start, start + self.groups[g].request.session_minutes + pad, g, c) for start, g, c in sessions
        )
        active: list[tuple[int, int, int]] = []  # heap of (end, g, c)
        emitted: set[frozenset[tuple[int, int]]] = set()
        for index, (start, end, g, c) in enumerate(intervals):
            while active and active[0][0] <= start:
                heappop(active)
            heappush(active, (end, g, c))
            if index + 1 < len(intervals) and intervals[index + 1][0] == start:
                continue  # one constraint per start point, once all starting there are in
            members = frozenset((other_g, other_c) for _, other_g, other_c in active)
            if len({other_g for other_g, _ in members}) < 2 or members in emitted:
                continue
            emitted.add(members)
            self.exclusive.append(sorted(members))

    def _capacity(self, sessions, booked: list[bk.Booking], timezone: str, capacity: bk.Capacity) -> None:
        low = min(start for start, _, _ in sessions) - 8 * av.MINUTES_PER_DAY
        high = max(start for start, _, _ in sessions) + 8 * av.MINUTES_PER_DAY
        clock = av.clock_for(timezone, low, high)

        def day_of(utc: int) -> int:
            return bk.local_day(clock, utc)

        def monday_of(utc: int) -> int:
            return bk.local_monday(clock, utc)

        for limit, key in ((capacity.max_sessions_per_day, day_of), (capacity.max_sessions_per_week, monday_of)):
            if not limit:
                continue
            existing: dict[int, int] = defaultdict(int)
            for booking in booked:
                existing[key(av.utc_minutes(booking.start))] += 1
            chosen_on: dict[int, set[tuple[int, int]]] = defaultdict(set)
            for start, g, c in sessions:
                chosen_on[key(start)].add((g, c))
            for period, members in sorted(chosen_on.items()):
                room = max(limit - existing[period], 0)
                if len({g for g, _ in members}) > room:
                    self.limited.append((sorted(members), room))

    def solve(self) -> tuple[list[int | None], bool]:
        """The chosen candidate per group (None: no series), and whether that is proven best.

        One objective, lexicographic by weight: a planned group is worth more than every cost
        together. (Solving the two objectives one after the other, tried too, took four times
        as long on the benchmark and proved less.)"""
        model = mathopt.Model(name="cohort")
        choices = [[model.add_binary_variable() for _ in series] for series in self.candidates]
        for members in self.exclusive:
            model.add_linear_constraint(mathopt.fast_sum(choices[g][c] for g, c in members) <= 1)
        for members, room in self.limited:
            model.add_linear_constraint(mathopt.fast_sum(choices[g][c] for g, c in members) <= room)
        weight = 1 + sum(max(group_costs, default=0) for group_costs in self.costs)
        model.maximize(mathopt.fast_sum(
            (weight - cost) * choice
            for group_choices, group_costs in zip(choices, self.costs)
            for choice, cost in zip(group_choices, group_costs)
        ))
        parameters = mathopt.SolveParameters(
            time_limit=timedelta(seconds=TIME_LIMIT_SECONDS),
            node_limit=NODE_LIMIT,
            random_seed=SOLVER_SEED,
            relative_gap_tolerance=0.0,
            absolute_gap_tolerance=0.999,  # the objective is integral: a gap below 1 is closed
        )
        result = mathopt.solve(model, mathopt.SolverType.HIGHS, params=parameters)
        if not result.has_primal_feasible_solution():
            return [None] * len(choices), False
        values = result.variable_values()
        chosen = [
            next((c for c, choice in enumerate(group_choices) if values[choice] > 0.5), None)
            for group_choices in choices
        ]
        return chosen, result.termination.reason == mathopt.TerminationReason.OPTIMAL


def conflicts_of(plans: Sequence[tuple[PlanRequest, Plan]]) -> list[tuple[int, int, bk.Conflict]]:
    """``(plan index, session number, conflict)`` for every planned session that runs into a
    booking of one of its people, their facilitator's capacity, or a session of another of
    these plans. Empty for plans made together from these requests; not empty when bookings
    changed since (someone else booked one of the people meanwhile)."""
    proposals, timezones, capacities = [], {}, {}
    booked: dict[tuple[str, str], bk.Booking] = {}
    for index, (request, plan) in enumerate(plans):
        for session in plan.sessions:
            people = _required(request, session.kind, session.absent_ids)
            proposals.append(bk.Proposal(f"{index}#{session.number}", session.start, session.end, tuple(people)))
        for person in (request.facilitator, *request.members):
            timezones[person.id] = person.timezone
        if request.capacity:
            capacities[request.facilitator.id] = request.capacity
        booked.update(((booking.person_id, booking.session_id), booking) for booking in request.bookings)
    return [
        (int(index), int(number), conflict)
        for placed, conflict in bk.conflicts(proposals, list(booked.values()), timezones, capacities)
        for index, number in [placed.split("#")]
    ]


def _planned(results: tuple[Plan | Infeasible, ...]) -> int:
    return sum(isinstance(result, Plan) for result in results)


def _plans(groups: Sequence[CohortGroup], series: list[Series | None]) -> tuple[Plan | Infeasible, ...]:
    """Each group's whole plan in the batch's order: its chosen series with its self-directed
    sessions around everything planned so far, or (without one) the engine's own search."""
    busy: dict[int, list[bk.Booking]] = {
        g: _series_bookings(group.key, group.request, series[g])
        for g, group in enumerate(groups) if series[g] is not None
    }
    results: list[Plan | Infeasible] = []
    for g, group in enumerate(groups):
        others = [booking for other, booked in busy.items() if other != g for booking in booked]
        request = replace(group.request, bookings=(*group.request.bookings, *others))
        chosen = series[g]
        result = plan_with_series(request, chosen) if chosen is not None else find_plan(request)
        if isinstance(result, Plan):
            busy[g] = _bookings_of(group.key, group.request, result)
        results.append(result)
    return tuple(results)


def plan_cohort(
    groups: Sequence[CohortGroup], *, budget: int = CANDIDATE_BUDGET, per_group: int = MAX_CANDIDATES_PER_GROUP
) -> CohortResult:
    """Plan every group of a batch jointly; see the module docstring. ``budget`` and
    ``per_group`` bound the candidate series, over the batch and per group."""
    if not groups:
        return CohortResult((), True, 0, 0)
    if len({group.key for group in groups}) != len(groups):
        raise ValueError("every group of a batch needs its own key")
    limit = max(MIN_CANDIDATES_PER_GROUP, min(per_group, budget // len(groups)))
    candidates: list[tuple[Series, ...]] = []
    complete = True
    for group in groups:
        series, whole = candidate_series(group.request, limit)
        candidates.append(series)
        complete = complete and whole
    chosen, proven = _Model(groups, candidates).solve()
    joint = _plans(groups, [candidates[g][c] if c is not None else None for g, c in enumerate(chosen)])
    # One by one in the batch's order, the engine searching every series: when candidates were
    # only a sample this can, rarely, plan more; the batch never does worse than it.
    results = joint
    if not (proven and complete):
        one_by_one = _plans(groups, [None] * len(groups))
        if _planned(one_by_one) > _planned(joint):
            results, proven = one_by_one, False
    # Each group alone, with only its own bookings: no batch plans a group that cannot be planned
    # alone, nor gives one an earlier or better series than it would get alone.
    alone = [find_plan(group.request) for group in groups]
    upper_bound = sum(isinstance(result, Plan) for result in alone)
    as_good_as_alone = _planned(results) == upper_bound and all(
        _cost_of(together, group.request) == _cost_of(by_itself, group.request)
        for group, together, by_itself in zip(groups, results, alone) if isinstance(by_itself, Plan)
    )
    return CohortResult(
        results=results,
        optimal=(proven and complete) or as_good_as_alone,
        upper_bound=upper_bound,
        candidates=sum(len(series) for series in candidates),
    )


def _cost_of(plan: Plan, request: PlanRequest) -> int:
    """The objective's cost of a plan's guided series (0 without guided sessions to plan)."""
    count = remaining_guided(request)
    if not count:
        return 0
    guided = [session.start for session in plan.sessions if session.kind == GUIDED][:count]
    patterns = {(start.weekday(), start.time()) for start in guided}
    weeks = {(start.day - 1) // 7 for start in guided}
    return _cost(Series(tuple(guided), fixed_slot=len(patterns) == 1, same_week=len(patterns) == 1 and len(weeks) == 1), request)
