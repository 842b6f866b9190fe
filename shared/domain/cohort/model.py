"""The choice as a set-packing problem over columns (one candidate series of one group each), its
rows, its linear relaxation (for prices and bounds) and the integer program that picks the plan.

Rows, for every person in more than one group of the batch (``Shared``):

* ``overlap`` at a UTC minute ``t``: at most one of her sessions may cover ``t`` (for a
  facilitator, a session covers its length plus her ``break_minutes``). One row at every start
  point of her sessions covers every pair that would overlap.
* ``day`` and ``week`` (a facilitator with a daily or weekly limit): at most her room in that
  local day or ISO week, the sessions she already has counted (busy time from her calendar does
  not count).

Each row means the same for every series there is, not only for the columns it was built from,
which is what lets :mod:`.pricing` price a series that is not a column yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from heapq import heappop, heappush

from ortools.linear_solver import pywraplp
from ortools.math_opt.python import mathopt

from .. import availability as av
from .. import bookings as bk
from ..planning import GUIDED, PlanRequest, Series
from .plans import required

OVERLAP, DAY, WEEK = "overlap", "day", "week"
NODE_LIMIT = 2_000
"""Branch-and-bound nodes: the limit that keeps the result the same from run to run."""
SOLVER_SEED = 20270101


@dataclass(frozen=True)
class Column:
    group: int
    series: Series
    indices: tuple[int, ...]
    """The series' starts as indices into its group's :class:`~..planning.SeriesSpace`."""
    utc: tuple[int, ...]
    cost: int


@dataclass
class Shared:
    """A person in several groups of the batch, and what limits her sessions."""

    person_id: str
    groups: list[int]
    pad: int
    timezone: str
    capacity: bk.Capacity | None
    booked: list[int] = field(default_factory=list)
    """UTC minutes of the sessions she already has (for her daily and weekly room)."""
    clock: av.ZoneClock | None = None

    def day_of(self, utc: int) -> int:
        return bk.local_day(self.clock, utc)

    def monday_of(self, utc: int) -> int:
        return bk.local_monday(self.clock, utc)

    def limits(self):
        """``(kind, limit, period of a UTC minute)`` for each of her limits."""
        if self.capacity is None or self.clock is None:
            return []
        return [
            (kind, limit, key)
            for kind, limit, key in ((DAY, self.capacity.max_sessions_per_day, self.day_of),
                                     (WEEK, self.capacity.max_sessions_per_week, self.monday_of))
            if limit
        ]


def shared_people(requests: Sequence[PlanRequest], active: Sequence[bool], low: int, high: int) -> list[Shared]:
    """The people in more than one group that has guided series to choose (``active``); ``low``
    and ``high`` bound the UTC minutes her clock must cover."""
    groups_of: dict[str, list[int]] = defaultdict(list)
    for g, request in enumerate(requests):
        if active[g]:
            for person_id in required(request, GUIDED):
                groups_of[person_id].append(g)
    found = []
    for person_id, member_of in sorted(groups_of.items()):
        if len(member_of) < 2:
            continue
        first = requests[member_of[0]]
        is_facilitator = first.facilitator.id == person_id
        capacity = first.capacity if is_facilitator else None
        timezone = first.facilitator.timezone if is_facilitator else next(m.timezone for m in first.members if m.id == person_id)
        person = Shared(person_id, member_of, capacity.pad if capacity else 0, timezone, capacity)
        if capacity and (capacity.max_sessions_per_day or capacity.max_sessions_per_week):
            person.clock = av.clock_for(timezone, low - 8 * av.MINUTES_PER_DAY, high + 8 * av.MINUTES_PER_DAY)
            person.booked = [
                av.utc_minutes(b.start) for b in first.bookings if b.person_id == person_id and b.source == bk.SESSION
            ]
        found.append(person)
    return found


@dataclass(frozen=True)
class Row:
    kind: str
    person: int
    """Index into the shared people."""
    at: int
    """``overlap``: the UTC minute; ``day``/``week``: the period's key."""
    room: int
    members: tuple[int, ...]
    """Column indices."""


def build_rows(columns: Sequence[Column], people: Sequence[Shared], lengths: Sequence[int]) -> list[Row]:
    by_group: dict[int, list[int]] = defaultdict(list)
    for index, column in enumerate(columns):
        by_group[column.group].append(index)
    rows: list[Row] = []
    for p, person in enumerate(people):
        sessions = [(utc, c) for g in person.groups for c in by_group.get(g, ()) for utc in columns[c].utc]
        if len({columns[c].group for _, c in sessions}) < 2:
            continue
        rows.extend(_overlap_rows(p, person, sessions, columns, lengths))
        for kind, limit, period in person.limits():
            existing: dict[int, int] = defaultdict(int)
            for utc in person.booked:
                existing[period(utc)] += 1
            on: dict[int, set[int]] = defaultdict(set)
            for utc, c in sessions:
                on[period(utc)].add(c)
            for key, members in sorted(on.items()):
                room = max(limit - existing[key], 0)
                if len({columns[c].group for c in members}) > room:
                    rows.append(Row(kind, p, key, room, tuple(sorted(members))))
    return rows


def _overlap_rows(p: int, person: Shared, sessions, columns, lengths) -> list[Row]:
    # One session a day: her day rows already keep apart sessions on one local day.
    one_a_day = person.capacity is not None and person.capacity.max_sessions_per_day == 1 and person.clock is not None
    intervals = sorted((utc, utc + lengths[columns[c].group] + person.pad, c) for utc, c in sessions)
    active: list[tuple[int, int]] = []  # heap of (end, column)
    emitted: set[frozenset[int]] = set()
    rows = []
    for index, (start, end, c) in enumerate(intervals):
        while active and active[0][0] <= start:
            heappop(active)
        heappush(active, (end, c))
        if index + 1 < len(intervals) and intervals[index + 1][0] == start:
            continue  # one row per start point, once all starting there are in
        members = frozenset(other for _, other in active)
        if len({columns[other].group for other in members}) < 2 or members in emitted:
            continue
        if one_a_day and len({
            person.day_of(u) for other in members for u in columns[other].utc
            if start - lengths[columns[other].group] - person.pad < u <= start
        }) < 2:
            continue
        emitted.add(members)
        rows.append(Row(OVERLAP, p, start, 1, tuple(sorted(members))))
    return rows


def relaxation(columns: Sequence[Column], rows: Sequence[Row], groups: int) -> tuple[float, list[float], list[float], list[float]]:
    """The linear relaxation, counting planned groups only: its value, a price (dual value, at
    least 0) per row, one per group (of choosing at most one column), and each column's value."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    x = [solver.NumVar(0.0, 1.0, "") for _ in columns]
    of_group: dict[int, list[int]] = defaultdict(list)
    for index, column in enumerate(columns):
        of_group[column.group].append(index)
    one_each = {}
    for g, members in of_group.items():
        constraint = one_each[g] = solver.Constraint(-solver.infinity(), 1.0)
        for c in members:
            constraint.SetCoefficient(x[c], 1.0)
    constraints = []
    for row in rows:
        constraint = solver.Constraint(-solver.infinity(), float(row.room))
        for c in row.members:
            constraint.SetCoefficient(x[c], 1.0)
        constraints.append(constraint)
    objective = solver.Objective()
    for variable in x:
        objective.SetCoefficient(variable, 1.0)
    objective.SetMaximization()
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        raise RuntimeError("the relaxation of a batch has no optimum")
    prices = [max(0.0, constraint.dual_value()) for constraint in constraints]
    group_prices = [max(0.0, one_each[g].dual_value()) if g in one_each else 0.0 for g in range(groups)]
    return objective.Value(), prices, group_prices, [variable.solution_value() for variable in x]


def rounded(columns: Sequence[Column], rows: Sequence[Row], groups: int, values: Sequence[float]) -> list[int | None]:
    """A choice from the relaxation's values: columns by value (then by cost), each taken when
    its group has none yet and every row it is in has room left."""
    rows_of: dict[int, list[int]] = defaultdict(list)
    for r, row in enumerate(rows):
        for c in row.members:
            rows_of[c].append(r)
    used = [0] * len(rows)
    chosen: list[int | None] = [None] * groups
    for c in sorted(range(len(columns)), key=lambda c: (-values[c], columns[c].cost, c)):
        column = columns[c]
        if chosen[column.group] is not None or any(used[r] >= rows[r].room for r in rows_of[c]):
            continue
        chosen[column.group] = c
        for r in rows_of[c]:
            used[r] += 1
    return chosen


def choose(columns: Sequence[Column], rows: Sequence[Row], groups: int, time_limit: float,
           hint: Sequence[int] = ()) -> tuple[list[int | None], bool]:
    """The chosen column per group (None: no series), and whether that is proven best among
    these columns.

    One objective, lexicographic by weight: a planned group is worth more than every cost
    together. (Solving the two objectives one after the other, tried too, took four times as
    long and proved less.) ``hint``: columns of a choice to start from."""
    model = mathopt.Model(name="cohort")
    x = [model.add_binary_variable() for _ in columns]
    of_group: dict[int, list[int]] = defaultdict(list)
    for index, column in enumerate(columns):
        of_group[column.group].append(index)
    for members in of_group.values():
        if len(members) > 1:
            model.add_linear_constraint(mathopt.fast_sum(x[c] for c in members) <= 1)
    for row in rows:
        model.add_linear_constraint(mathopt.fast_sum(x[c] for c in row.members) <= row.room)
    highest: dict[int, int] = defaultdict(int)
    for column in columns:
        highest[column.group] = max(highest[column.group], column.cost)
    weight = 1 + sum(highest.values())
    model.maximize(mathopt.fast_sum((weight - column.cost) * x[c] for c, column in enumerate(columns)))
    parameters = mathopt.SolveParameters(
        time_limit=timedelta(seconds=time_limit),
        node_limit=NODE_LIMIT,
        random_seed=SOLVER_SEED,
        relative_gap_tolerance=0.0,
        absolute_gap_tolerance=0.999,  # the objective is integral: a gap below 1 is closed
    )
    hints = []
    if hint:
        chosen = set(hint)
        hints = [mathopt.SolutionHint(variable_values={x[c]: 1.0 if c in chosen else 0.0 for c in range(len(columns))})]
    result = mathopt.solve(
        model, mathopt.SolverType.HIGHS, params=parameters,
        model_params=mathopt.ModelSolveParameters(solution_hints=hints) if hints else None,
    )
    if not result.has_primal_feasible_solution():
        return [None] * groups, False
    values = result.variable_values()
    chosen_of: list[int | None] = [None] * groups
    for c, variable in enumerate(x):
        if values[variable] > 0.5:
            chosen_of[columns[c].group] = c
    return chosen_of, result.termination.reason == mathopt.TerminationReason.OPTIMAL
