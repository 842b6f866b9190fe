"""Group composition: propose intervision groups from a pool of sign-ups.

Every proposed group has between ``min_size`` and ``max_size`` members who share one theme (or
one role), at most ``max_per_organization`` of them from one organisation, and a guided plan at a
fixed slot (checked with :func:`planning.find_plan`, whose slot and first session the group
reports). Among all such proposals the result maximises, in this order:

1. the number of people placed;
2. closeness to the ideal size: the *size penalty* ``Σ (size − ideal_size)²`` over the groups is
   minimal (squared, so that 5 + 5 beats 4 + 6 and 7 + 7 beats 6 + 8);
3. shared availability: the number of weekly patterns (weekday and 15-minute start) at which the
   whole group and the facilitator could hold all guided sessions, summed over the groups. This
   is a group's ``score``.

How (see :mod:`shared.domain.candidate_groups` for the availability part):

* For each key (theme or role), the sets of people of that key who are free at one fixed slot
  are computed over every pattern and series; only the maximal sets matter. Call them *pools*.
* A mixed-integer program chooses, per pool ``c``, who is placed there (``y[i, c]``) and how many
  groups of each size it holds (``n[c, s]``): everyone in at most one pool, ``Σ y = Σ s · n`` per
  pool, and per organisation at most ``max_per_organization · Σ n`` members in the pool. This
  aggregate is exact: any proposal maps onto it (each group lies in some pool), and any solution
  of it splits into groups by dealing the pool's members, sorted by organisation, round-robin
  into balanced groups — which keeps every organisation within its cap and, the penalty being
  convex, costs no more than the sizes the solver counted. The objective is
  ``W · placed − penalty`` with ``W`` larger than any penalty, so it is lexicographic.
* The solver is HiGHS, through OR-Tools MathOpt. CP-SAT was tried first on the same model: it
  did not improve on a greedy start within 20 s for 1,000 sign-ups, while the LP-based branch and
  bound proves the optimum in seconds (the relaxation of this packing is tight). Above
  :data:`MODEL_SIZE_LIMIT` memberships the model keeps only some of the pools (see
  :func:`_thin`); the result is then claimed optimal only when it meets a bound that holds for the
  whole problem.
* The problem falls apart where no person links two pools (by role, at least one part per role):
  each part is its own program, with its share of the time and node limits, so a small part
  proves its optimum at once. Sets of people and their memberships are kept as integer bit masks
  and unpacked once with numpy, which keeps 5,000 sign-ups (some 14,000 pools of 300 people) to
  seconds before the solver starts.
* The third objective is improved afterwards by a bounded local search that swaps members between
  groups of one key (or with unplaced people of that key), keeping sizes, caps and feasibility.
* Deterministic: candidates are ordered by id, pools and variables in a fixed order, the solver
  runs with a fixed seed and a node limit, and the local search is bounded by a count of
  evaluations. The wall-clock ``time_limit_seconds`` bounds the preparation and the solver
  together (the solver gets what the preparation left, at least half a second); a solve that it
  cuts short (rather than the node limit or a proof) may differ between a quiet and a busy
  machine.

People who are not placed get a reason a person can read (Dutch, or English on request) and a
code, see :data:`REASON_CODES`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from time import monotonic

import numpy as np
from babel.lists import format_list
from ortools.math_opt.python import mathopt

from . import i18n
from .candidate_groups import SlotGrid, build_grid, maximal_sets
from .i18n import N_
from .model import GroupConstraints, Person
from .planning import Plan, PlanRequest, Slot, find_plan
from .themes import role_label, theme_label

THEME = "theme"
ROLE = "role"
GROUP_BY: tuple[str, ...] = (THEME, ROLE)

NOTHING_TO_GROUP_BY = "nothing_to_group_by"
NO_ONE_SHARES_KEY = "no_one_shares_key"
OUTSIDE_GROUP_HOURS = "outside_group_hours"
FACILITATOR_UNAVAILABLE = "facilitator_unavailable"
NO_SHARED_TIME = "no_shared_time"
ONLY_OWN_ORGANIZATION = "only_own_organization"
TOO_FEW_AT_SHARED_TIMES = "too_few_at_shared_times"
GROUPS_FULL = "groups_full"
REASON_CODES: tuple[str, ...] = (
    NOTHING_TO_GROUP_BY,  # no theme (or role) at all
    NO_ONE_SHARES_KEY,  # nobody else chose that theme or role
    OUTSIDE_GROUP_HOURS,  # never free at a fixed slot within the group's days, hours and holidays
    FACILITATOR_UNAVAILABLE,  # free at fixed slots, but never when the facilitator is
    NO_SHARED_TIME,  # others share the key, but none of them is free at a fixed slot with you
    ONLY_OWN_ORGANIZATION,  # only colleagues of the own organisation share a fixed slot
    TOO_FEW_AT_SHARED_TIMES,  # others from other organisations share slots, but never enough
    GROUPS_FULL,  # a group was possible, but the optimum left no room for this person
)
"""Reason codes of :class:`Unplaced`, from the most basic to the last. A person with several
themes gets the reason of the theme that came furthest."""

SOLVER_SEED = 20270101
MODEL_SIZE_LIMIT = 10_000  # memberships (person, pool) above which pools are thinned
NODES_PER_SECOND = 10  # the node limit per second of time limit: reached first on typical pools
MIN_SOLVER_SECONDS = 0.5  # the solver's time, over all parts, when preparing took the whole limit
# (unless the problem was thinned: then the greedy proposal stands, see _solve)
LOCAL_SEARCH_EVALUATIONS = 200_000  # a count, not a clock: the result stays deterministic

_OPEN_FACILITATOR_ID = "facilitator"


# -- values -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A participant in the pool. ``person`` carries the time zone, availability and school-holiday
    region; ``organization`` is compared as given (the same string is the same organisation)."""

    id: str
    organization: str
    role: str
    themes: tuple[str, ...]
    person: Person

    def keys(self, group_by: str) -> tuple[str, ...]:
        """The themes (or the role) this candidate can be grouped by, sorted, without repeats."""
        if group_by == ROLE:
            return (self.role,) if self.role else ()
        return tuple(sorted(set(theme for theme in self.themes if theme)))


@dataclass(frozen=True, kw_only=True)
class CompositionRequest:
    candidates: tuple[Candidate, ...]
    group_by: str  # "theme" | "role"
    starts_on: date
    min_size: int = 3
    max_size: int = 8
    ideal_size: int = 5
    max_per_organization: int = 1
    timezone: str = "Europe/Amsterdam"
    facilitator: Person | None = None
    constraints: GroupConstraints = field(default_factory=GroupConstraints)
    session_minutes: int = 90
    guided_sessions: int = 3
    language: str = "nl"
    time_limit_seconds: float = 20.0


@dataclass(frozen=True)
class ProposedGroup:
    """``key`` is the shared theme or role; ``slot`` and ``first_session`` come from the guided
    plan that :func:`planning.find_plan` found for exactly these members; ``score`` is the number
    of weekly patterns (weekday and 15-minute start) at which all guided sessions would fit."""

    key: str
    member_ids: tuple[str, ...]
    slot: Slot
    first_session: datetime
    score: float


@dataclass(frozen=True)
class Unplaced:
    participant_id: str
    reason: str
    code: str


@dataclass(frozen=True)
class Composition:
    """``optimal``: the solver proved that no proposal places more people, or places as many with
    a smaller size penalty. ``upper_bound``: how many people could be placed at all, each on their
    own — those who share a fixed slot with enough people of one of their themes (or their role)
    to form a group of ``min_size`` within the per-organisation cap."""

    groups: tuple[ProposedGroup, ...]
    unplaced: tuple[Unplaced, ...]
    optimal: bool
    upper_bound: int

    @property
    def placed(self) -> int:
        return sum(len(group.member_ids) for group in self.groups)


def size_penalty(sizes: list[int] | tuple[int, ...], ideal_size: int) -> int:
    """The second objective: ``Σ (size − ideal)²`` over the groups."""
    return sum((size - ideal_size) ** 2 for size in sizes)


# -- texts ---------------------------------------------------------------------------------------

_REASONS: dict[str, str] = {
    NOTHING_TO_GROUP_BY + ":" + THEME: N_("You chose no theme, so you fit no theme group."),
    NOTHING_TO_GROUP_BY + ":" + ROLE: N_("You gave no role, so you fit no group by role."),
    NO_ONE_SHARES_KEY: N_("No one else chose {what}."),
    OUTSIDE_GROUP_HOURS: N_(
        "You are not free at one fixed day and time within the groups' days, hours and holidays "
        "for {count} months in a row."
    ),
    FACILITATOR_UNAVAILABLE: N_(
        "The facilitator is never free at a time you are (the same day and time, {count} months in a row)."
    ),
    NO_SHARED_TIME: N_(
        "No one else with {what} is free at a time you are (the same day and time, {count} months in a row)."
    ),
    ONLY_OWN_ORGANIZATION: N_("Only colleagues from your own school with {what} share your times."),
    TOO_FEW_AT_SHARED_TIMES: N_(
        "At your times at most {others} with {what} from other schools are free; "
        "a group needs at least {min_size} people."
    ),
    GROUPS_FULL: N_(
        "Your times match only groups that are already full; no further group could be formed within "
        "the rules for group size and people per school."
    ),
}
"""Why someone is not placed, by reason code (gettext msgids, see :mod:`shared.domain.i18n`)."""


def _what(keys: list[str], group_by: str, language: str) -> str:
    """``het thema ‘Ouderbetrokkenheid’``, ``the themes ‘Bullying’ and ‘Grief’``, ``de rol ‘Leerkracht’``."""
    _ = i18n.translator(language)
    label = role_label if group_by == ROLE else theme_label
    joined = format_list([f"‘{label(key, language)}’" for key in keys], locale=i18n.locale_of(language))
    if group_by == ROLE:
        return _("the role {keys}", keys=joined)
    return _.ngettext("the theme {keys}", "the themes {keys}", len(keys), keys=joined)


# -- the pool as the solver sees it --------------------------------------------------------------


@dataclass
class _Pool:
    """A maximal set of people of one key who share a fixed slot."""

    key: str
    members: tuple[int, ...]
    array: np.ndarray  # the same members, for vectorised counting


@dataclass
class _Setup:
    request: CompositionRequest
    candidates: tuple[Candidate, ...]
    keys: list[tuple[str, ...]]
    organizations: list[str]
    grid: SlotGrid
    masks: list[dict[int, int]]  # week masks per candidate, facilitator applied
    patterns: list[int]  # per candidate, the patterns at which they alone hold a series
    open_patterns: list[int]  # the same without the facilitator
    by_key: dict[str, list[int]]  # the candidates of each key
    sets: dict[str, list[int]]  # per key, the maximal sets of people sharing a fixed slot (bit masks)


@dataclass
class _Reach:
    """Per person and key, over the pools of that key (all of them, before any thinning): the
    most others who share a fixed slot with them, the most of those (capped per organisation)
    from other organisations, and the largest group they could be part of."""

    best: dict[tuple[int, str], tuple[int, int, int]]
    placeable: set[int]  # people who could be placed at all: the upper bound
    by_key: dict[str, int]  # per key, the people who could be placed in a group of that key


def _validate(request: CompositionRequest) -> None:
    if request.group_by not in GROUP_BY:
        raise ValueError(f"group_by must be one of {GROUP_BY}, not {request.group_by!r}")
    if not 2 <= request.min_size <= request.ideal_size <= request.max_size:
        raise ValueError("sizes must satisfy 2 <= min_size <= ideal_size <= max_size")
    if request.max_per_organization < 1:
        raise ValueError("max_per_organization must be at least 1")
    if request.time_limit_seconds <= 0:
        raise ValueError("time_limit_seconds must be positive")
    ids = [candidate.id for candidate in request.candidates]
    if len(set(ids)) != len(ids):
        raise ValueError("candidate ids must be unique")


def _prepare(request: CompositionRequest) -> _Setup:
    candidates = tuple(sorted(request.candidates, key=lambda candidate: candidate.id))
    grid = build_grid(
        starts_on=request.starts_on,
        timezone=request.timezone,
        constraints=request.constraints,
        session_minutes=request.session_minutes,
        guided_sessions=request.guided_sessions,
        facilitator=request.facilitator,
    )
    # People with the same zone, weekly windows, unavailability and region share their masks.
    cache: dict[tuple, tuple[dict[int, int], dict[int, int], int, int]] = {}
    masks, patterns, open_patterns = [], [], []
    for candidate in candidates:
        person = candidate.person
        signature = (person.timezone, person.availability, person.school_holiday_region)
        found = cache.get(signature)
        if found is None:
            raw = grid.week_masks(person)
            limited = grid.with_facilitator(raw)
            found = cache[signature] = (raw, limited, grid.series_patterns(raw), grid.series_patterns(limited))
        masks.append(found[1])
        open_patterns.append(found[2])
        patterns.append(found[3])
    keys = [candidate.keys(request.group_by) for candidate in candidates]
    by_key: dict[str, list[int]] = {}
    for index, own in enumerate(keys):
        for key in own:
            by_key.setdefault(key, []).append(index)
    # Only people who can hold a series at all (with the facilitator) take part in the sweep;
    # bit ``i`` of a set is candidate ``i``.
    eligible = grid.eligible_sets([masks[index] if patterns[index] else {} for index in range(len(candidates))])
    sets: dict[str, list[int]] = {}
    for key in sorted(by_key):
        key_mask = sum(1 << index for index in by_key[key] if patterns[index])
        sets[key] = maximal_sets({found & key_mask for found in eligible} - {0})
    return _Setup(
        request=request,
        candidates=candidates,
        keys=keys,
        organizations=[candidate.organization for candidate in candidates],
        grid=grid,
        masks=masks,
        patterns=patterns,
        open_patterns=open_patterns,
        by_key=by_key,
        sets=sets,
    )


@dataclass
class _Survey:
    """Every maximal set of every key, unpacked once: members (as an array of candidate
    indexes) and capacity (members counted at most ``max_per_organization`` per organisation),
    with the organisation counts behind it. What :func:`_reach`, :func:`_pools` and
    :func:`_thin` read, so that thousands of sets of hundreds of people cost seconds."""

    keys: list[str]
    members: list[np.ndarray]
    within_cap: list[np.ndarray]  # per member: their organisation's members in the set, capped
    capacity: list[int]


def _members(found: int) -> np.ndarray:
    """The set bits of ``found``, lowest first (as :func:`bits`, vectorised)."""
    packed = np.frombuffer(found.to_bytes((found.bit_length() + 7) // 8, "little"), dtype=np.uint8)
    return np.flatnonzero(np.unpackbits(packed, bitorder="little"))


def _survey(setup: _Setup) -> _Survey:
    cap = setup.request.max_per_organization
    names = sorted(set(setup.organizations))
    code = {name: number for number, name in enumerate(names)}
    organization = np.array([code[name] for name in setup.organizations], dtype=np.int64)
    survey = _Survey([], [], [], [])
    for key in sorted(setup.sets):
        for found in setup.sets[key]:
            members = _members(found)
            counts = np.minimum(np.bincount(organization[members], minlength=len(names)), cap)
            survey.keys.append(key)
            survey.members.append(members)
            survey.within_cap.append(counts[organization[members]])
            survey.capacity.append(int(counts.sum()))
    return survey


def _pools(setup: _Setup, survey: _Survey) -> list[_Pool]:
    """The pools that can hold a group at all (``min_size`` people within the cap)."""
    return [
        _Pool(key, tuple(members.tolist()), members)
        for key, members, capacity in zip(survey.keys, survey.members, survey.capacity)
        if capacity >= setup.request.min_size
    ]


# -- the optimiser ---------------------------------------------------------------------------------


def minimal_size_penalty(count: int, min_size: int, max_size: int, ideal_size: int) -> int | None:
    """The smallest size penalty of any split of ``count`` people into groups of ``min_size`` …
    ``max_size`` (None when no split exists); a lower bound whatever else the groups must meet."""
    best: list[int | None] = [0] + [None] * count
    for total in range(1, count + 1):
        options = [
            best[total - size] + (size - ideal_size) ** 2
            for size in range(min_size, min(max_size, total) + 1)
            if best[total - size] is not None
        ]
        best[total] = min(options) if options else None
    return best[count]


def _thin(pools: list[_Pool]) -> tuple[list[int], bool]:
    """The pools the model uses (indexes), and whether some were left out.

    Small models use every pool and are exact. Above :data:`MODEL_SIZE_LIMIT` memberships, pools
    are kept while one of their members is in fewer than ``keep`` kept pools, taking first the
    pools of the people with the fewest options (so people with rare times keep every pool they
    have, and the people who could join them stay in those pools), then the larger pools;
    ``keep`` is the largest (at most 6) that fits the limit.
    """
    total = sum(len(pool.members) for pool in pools)
    if total <= MODEL_SIZE_LIMIT:
        return list(range(len(pools))), False
    options = np.bincount(np.concatenate([pool.array for pool in pools]))
    rarest = [int(options[pool.array].min()) for pool in pools]
    order = sorted(range(len(pools)), key=lambda number: (rarest[number], -len(pools[number].members), number))
    for keep in range(6, 0, -1):
        kept: list[int] = []
        held = np.zeros_like(options)
        for number in order:
            members = pools[number].array
            if (held[members] < keep).any():
                kept.append(number)
                held[members] += 1
        if sum(len(pools[number].members) for number in kept) <= MODEL_SIZE_LIMIT or keep == 1:
            return sorted(kept), True
    raise AssertionError("unreachable")


@dataclass
class _Solution:
    assignment: dict[int, list[int]]  # pool index -> people placed there
    groups: dict[int, int]  # pool index -> number of groups
    optimal: bool


def _solve(setup: _Setup, pools: list[_Pool], reach: _Reach, deadline: float) -> _Solution:
    """Who goes to which pool and how many groups each pool holds: the greedy proposal, then
    each independent part of the problem (pools linked by people they share; by role, one per
    role at least) as its own mixed-integer program (:func:`_solve_part`), starting from the
    greedy proposal's share of it. The parts share the time left until ``deadline`` and the node
    limit in proportion to their size, so a small part proves its optimum at once and leaves
    the rest of its time to the others."""
    request = setup.request
    numbers, thinned = _thin(pools)
    start = _greedy(setup, pools, numbers)
    parts = _parts(pools, numbers)
    minimum = request.min_size
    reachable: dict[int, list[str]] = {}
    for (index, key), (_, _, capacity) in reach.best.items():
        if capacity >= minimum:
            reachable.setdefault(index, []).append(key)
    sizes = [sum(len(pools[number].members) for number in part) for part in parts]
    nodes = NODES_PER_SECOND * request.time_limit_seconds
    solution = _Solution({}, {}, True)
    for position, part in enumerate(parts):
        people = {index for number in part for index in pools[number].members}
        share = sizes[position] / sum(sizes[position:])
        bounds = _Bounds(
            by_key=dict(Counter(key for index in sorted(people) for key in reachable.get(index, ()))),
            placeable=sum(1 for index in people if index in reach.placeable),
        )
        if thinned and monotonic() >= deadline:
            # Preparing a thinned problem spent the time: building its model would overrun the
            # limit by seconds more, for a result that could not be proven optimal anyway.
            found = _greedy_part(start, part)
        else:
            found = _solve_part(
                setup, pools, part, bounds, start, thinned,
                deadline=deadline, share=share,
                nodes=max(1, int(nodes * sizes[position] / sum(sizes))),
            )
        solution.assignment.update(found.assignment)
        solution.groups.update(found.groups)
        solution.optimal = solution.optimal and found.optimal
    return solution


def _parts(pools: list[_Pool], numbers: list[int]) -> list[list[int]]:
    """The pools ``numbers`` split where no person links them, each part in pool order, the
    parts in the order of their first pool."""
    leader: dict[int, int] = {}

    def find(index: int) -> int:
        root = index
        while leader.setdefault(root, root) != root:
            root = leader[root]
        while leader[index] != root:
            leader[index], index = root, leader[index]
        return root

    for number in numbers:
        members = pools[number].members
        first = find(members[0])
        for index in members[1:]:
            other = find(index)
            if other != first:
                leader[other] = first
    parts: dict[int, list[int]] = {}
    for number in numbers:
        parts.setdefault(find(pools[number].members[0]), []).append(number)
    return list(parts.values())


def _greedy_part(start: dict[int, tuple[list[int], int]], numbers: list[int]) -> _Solution:
    """The greedy proposal's share of the pools ``numbers``, claimed optimal by nobody."""
    mine = [number for number in numbers if number in start]
    return _Solution({n: start[n][0] for n in mine}, {n: start[n][1] for n in mine}, False)


@dataclass
class _Bounds:
    """What :class:`_Reach` says about the people of one part: per key, how many could be
    placed in a group of that key, and how many could be placed at all."""

    by_key: dict[str, int]
    placeable: int


def _solve_part(
    setup: _Setup, pools: list[_Pool], numbers: list[int], bounds: _Bounds,
    start: dict[int, tuple[list[int], int]], thinned: bool, *, deadline: float, share: float, nodes: int,
) -> _Solution:
    """Who goes to which of the pools ``numbers`` and how many groups each holds, by a
    mixed-integer program solved with HiGHS through OR-Tools MathOpt.

    Variables: ``y[i, c]`` (person ``i`` is placed in pool ``c``), ``n[c, s]`` (pool ``c`` holds
    that many groups of size ``s``), and per key and overall the number of groups of each size
    (integers, so that the search branches on them: the penalty depends on nothing else).
    Objective: ``W · Σ y − Σ_s (s − ideal)² · groups of size s`` with ``W`` above any penalty.
    The solver runs for ``share`` of the time left until ``deadline`` once the model is built.
    """
    request = setup.request
    sizes = range(request.min_size, request.max_size + 1)
    penalties = {size: (size - request.ideal_size) ** 2 for size in sizes}
    weight = max(penalties.values()) * (len(setup.candidates) // request.min_size) + 1
    model = mathopt.Model(name="composition")
    places: dict[int, list[mathopt.Variable]] = {}
    chosen: dict[int, list[tuple[int, mathopt.Variable]]] = {}
    counts_of: dict[int, dict[int, mathopt.Variable]] = {}
    by_key: dict[str, dict[int, list[mathopt.Variable]]] = {}
    for number in numbers:
        pool = pools[number]
        members = [(index, model.add_binary_variable()) for index in pool.members]
        for index, variable in members:
            places.setdefault(index, []).append(variable)
        counts = {size: model.add_integer_variable(lb=0, ub=len(pool.members) // size) for size in sizes}
        groups = mathopt.fast_sum(counts.values())
        model.add_linear_constraint(
            mathopt.fast_sum(variable for _, variable in members)
            == mathopt.fast_sum(size * counts[size] for size in sizes)
        )
        by_organization: dict[str, list[mathopt.Variable]] = {}
        for index, variable in members:
            by_organization.setdefault(setup.organizations[index], []).append(variable)
        for organization in sorted(by_organization):
            variables = by_organization[organization]
            if len(variables) > request.max_per_organization:
                model.add_linear_constraint(mathopt.fast_sum(variables) <= request.max_per_organization * groups)
        for size in sizes:
            by_key.setdefault(pool.key, {}).setdefault(size, []).append(counts[size])
        chosen[number] = members
        counts_of[number] = counts
    for index in sorted(places):
        if len(places[index]) > 1:
            model.add_linear_constraint(mathopt.fast_sum(places[index]) <= 1)
    overall: dict[int, list[mathopt.Variable]] = {size: [] for size in sizes}
    key_counts: dict[str, dict[int, mathopt.Variable]] = {}
    for key in sorted(by_key):
        per_size = key_counts[key] = {
            size: model.add_integer_variable(lb=0, ub=len(setup.candidates) // size) for size in sizes
        }
        for size in sizes:
            model.add_linear_constraint(per_size[size] == mathopt.fast_sum(by_key[key][size]))
            overall[size].append(per_size[size])
        model.add_linear_constraint(mathopt.fast_sum(size * per_size[size] for size in sizes) <= bounds.by_key[key])
    totals = {size: model.add_integer_variable(lb=0, ub=len(setup.candidates) // size) for size in sizes}
    for size in sizes:
        model.add_linear_constraint(totals[size] == mathopt.fast_sum(overall[size]))
    placed = mathopt.fast_sum(size * totals[size] for size in sizes)
    objective = weight * placed - mathopt.fast_sum(penalties[size] * totals[size] for size in sizes)
    model.add_linear_constraint(placed <= bounds.placeable)
    # A bound the relaxation cannot see: placing everyone who could be placed costs at least the
    # smallest penalty of that many people (per key when nobody has two keys). Stated as a
    # constraint so that the solver stops, proven optimal, when it finds a proposal that meets it.
    proof = _proof_value(setup, bounds, weight)
    if proof is not None:
        model.add_linear_constraint(objective <= proof)
    model.maximize(objective)

    # The greedy proposal as a start: the branch and bound then only has to improve on it, and
    # it is the answer if the solver finds nothing better within its limits.
    hint: dict[mathopt.Variable, float] = {}
    key_totals: dict[tuple[str, int], int] = {}
    for number in numbers:
        members, count = start.get(number, ([], 0))
        placed_here = set(members)
        for index, variable in chosen[number]:
            hint[variable] = 1.0 if index in placed_here else 0.0
        split = _balanced(len(members), count)
        for size, variable in counts_of[number].items():
            hint[variable] = float(split.count(size))
            key_totals[(pools[number].key, size)] = key_totals.get((pools[number].key, size), 0) + split.count(size)
    for key, per_size in key_counts.items():
        for size, variable in per_size.items():
            hint[variable] = float(key_totals.get((key, size), 0))
    for size, variable in totals.items():
        hint[variable] = float(sum(key_totals.get((key, size), 0) for key in key_counts))
    parameters = mathopt.SolveParameters(
        time_limit=timedelta(seconds=max(MIN_SOLVER_SECONDS, deadline - monotonic()) * share),
        node_limit=nodes,
        random_seed=SOLVER_SEED,
        relative_gap_tolerance=0.0,
        absolute_gap_tolerance=0.999,  # the objective is integral: a gap below 1 is closed
    )
    result = mathopt.solve(
        model, mathopt.SolverType.HIGHS, params=parameters,
        model_params=mathopt.ModelSolveParameters(solution_hints=[mathopt.SolutionHint(variable_values=hint)]),
    )
    if not result.has_primal_feasible_solution():
        return _greedy_part(start, numbers)
    values = result.variable_values()
    assignment: dict[int, list[int]] = {}
    groups: dict[int, int] = {}
    for number in numbers:
        members = [index for index, variable in chosen[number] if values[variable] > 0.5]
        if members:
            assignment[number] = members
            groups[number] = round(sum(values[variable] for variable in counts_of[number].values()))
    value = result.objective_value()
    optimal = (result.termination.reason == mathopt.TerminationReason.OPTIMAL and not thinned) or (
        proof is not None and value >= proof - 0.5
    )
    return _Solution(assignment, groups, optimal)


def _proof_value(setup: _Setup, bounds: _Bounds, weight: int) -> int | None:
    request = setup.request
    sizes = (request.min_size, request.max_size, request.ideal_size)
    if all(len(keys) <= 1 for keys in setup.keys):
        parts = [minimal_size_penalty(count, *sizes) for count in bounds.by_key.values()]
    else:
        parts = [minimal_size_penalty(bounds.placeable, *sizes)]
    if any(part is None for part in parts):
        return None
    return weight * bounds.placeable - sum(parts)


def _balanced(total: int, count: int) -> list[int]:
    """The sizes of ``count`` groups holding ``total`` people, as equal as they can be."""
    if not count:
        return []
    small, extra = divmod(total, count)
    return [small + 1] * extra + [small] * (count - extra)


def _greedy(setup: _Setup, pools: list[_Pool], numbers: list[int]) -> dict[int, tuple[list[int], int]]:
    """A proposal to fall back on when the solver finds none within its limits: pools with the
    fewest people first (they hold the people with the rarest times), each taking as many of its
    still free members as it can group within the per-organisation cap."""
    request = setup.request
    cap, min_size, max_size = request.max_per_organization, request.min_size, request.max_size
    taken: set[int] = set()
    chosen: dict[int, tuple[list[int], int]] = {}
    for number in sorted(numbers, key=lambda n: (len(pools[n].members), n)):
        free = [index for index in pools[number].members if index not in taken]
        by_organization: dict[str, list[int]] = {}
        for index in free:
            by_organization.setdefault(setup.organizations[index], []).append(index)
        best: tuple[int, int] | None = None
        for groups in range(1, len(free) // min_size + 1):
            usable = min(sum(min(len(members), cap * groups) for members in by_organization.values()), max_size * groups)
            if usable >= min_size * groups and (best is None or usable > best[0]):
                best = (usable, groups)
        if best is None:
            continue
        usable, groups = best
        members = []
        for organization in sorted(by_organization):
            members.extend(by_organization[organization][: cap * groups])
        members = sorted(members)[:usable]  # leaving people out keeps every cap
        chosen[number] = (members, groups)
        taken.update(members)
    return chosen


def _deal(members: list[int], setup: _Setup, hint: int) -> list[list[int]]:
    """Split the people placed in one pool into balanced groups within the per-organisation cap:
    sorted by organisation and dealt round-robin, so an organisation with ``n <= cap · G`` members
    puts at most ``ceil(n / G) <= cap`` in each of the ``G`` groups."""
    request = setup.request
    total = len(members)
    largest = max(Counter(setup.organizations[index] for index in members).values())
    options = []
    for count in range(-(-total // request.max_size), total // request.min_size + 1):
        if count and largest <= request.max_per_organization * count:
            penalty = size_penalty(_balanced(total, count), request.ideal_size)
            options.append((penalty, count != hint, count))
    count = min(options)[2]
    ordered = sorted(members, key=lambda index: (setup.organizations[index], setup.candidates[index].id))
    return [ordered[start::count] for start in range(count)]


# -- shared availability: a bounded local search -----------------------------------------------------


class _Improver:
    """Swaps that raise the summed score (shared weekly patterns) and change nothing else: sizes
    stay, the per-organisation cap holds, every group keeps a fixed slot."""

    def __init__(self, setup: _Setup, groups: list[list[int]], group_keys: list[str]):
        self.setup = setup
        self.groups = groups
        self.keys = group_keys
        self.cap = setup.request.max_per_organization
        self.evaluations = 0
        self.placed: set[int] = set()
        self.scores = [self.score(group) for group in groups]

    def score(self, members: list[int]) -> int:
        setup = self.setup
        candidates = -1
        for index in members:
            candidates &= setup.patterns[index]
        if not candidates:
            return 0
        self.evaluations += 1
        return setup.grid.shared_patterns([setup.masks[index] for index in members], candidates)

    def _fits(self, members: list[int], leaving: int, joining: int) -> bool:
        organizations = self.setup.organizations
        if organizations[leaving] == organizations[joining]:
            return True
        wanted = organizations[joining]
        return sum(1 for index in members if index != leaving and organizations[index] == wanted) < self.cap

    def _without(self, members: list[int], leaving: int) -> int:
        patterns = self.setup.patterns
        together = -1
        for index in members:
            if index != leaving:
                together &= patterns[index]
        return together

    def run(self, budget: int) -> None:
        setup = self.setup
        patterns = setup.patterns
        self.placed = {index for group in self.groups for index in group}
        # Everyone of the key who could be in some group; the placed ones are skipped as they go.
        spare: dict[str, list[int]] = {
            key: [index for index in setup.by_key.get(key, ()) if patterns[index]] for key in sorted(set(self.keys))
        }
        improved = True
        while improved and self.evaluations < budget:
            improved = False
            for first in range(len(self.groups)):
                for second in range(first + 1, len(self.groups)):
                    if self.keys[second] == self.keys[first] and self._swap_between(first, second):
                        improved = True
                    if self.evaluations >= budget:
                        return
                if self._swap_in(first, spare[self.keys[first]]):
                    improved = True
                if self.evaluations >= budget:
                    return

    def _swap_between(self, first: int, second: int) -> bool:
        patterns = self.setup.patterns
        improved = False
        for leaving in list(self.groups[first]):
            one = self.groups[first]
            other = self.groups[second]
            rest = self._without(one, leaving)
            for joining in list(other):
                if not rest & patterns[joining] or not self._without(other, joining) & patterns[leaving]:
                    continue
                if not self._fits(one, leaving, joining) or not self._fits(other, joining, leaving):
                    continue
                new_one = [joining if index == leaving else index for index in one]
                new_other = [leaving if index == joining else index for index in other]
                score_one, score_other = self.score(new_one), self.score(new_other)
                if score_one and score_other and score_one + score_other > self.scores[first] + self.scores[second]:
                    self.groups[first], self.groups[second] = new_one, new_other
                    self.scores[first], self.scores[second] = score_one, score_other
                    improved = True
                    break
        return improved

    def _swap_in(self, number: int, spare: list[int]) -> bool:
        patterns = self.setup.patterns
        improved = False
        for leaving in list(self.groups[number]):
            group = self.groups[number]
            rest = self._without(group, leaving)
            for joining in spare:
                if joining in self.placed or not rest & patterns[joining] or not self._fits(group, leaving, joining):
                    continue
                new_group = [joining if index == leaving else index for index in group]
                score = self.score(new_group)
                if score > self.scores[number]:
                    self.groups[number], self.scores[number] = new_group, score
                    self.placed.discard(leaving)
                    self.placed.add(joining)
                    improved = True
                    break
        return improved


# -- reasons -------------------------------------------------------------------------------------------


def _reach(setup: _Setup, survey: _Survey) -> _Reach:
    people = len(setup.candidates)
    best: dict[tuple[int, str], tuple[int, int, int]] = {}
    for key in sorted(set(survey.keys)):
        seen = np.zeros(people, dtype=bool)
        others, elsewhere, capacities = (np.zeros(people, dtype=np.int64) for _ in range(3))
        for number in (n for n, own in enumerate(survey.keys) if own == key):
            members, capacity = survey.members[number], survey.capacity[number]
            seen[members] = True
            others[members] = np.maximum(others[members], len(members) - 1)
            elsewhere[members] = np.maximum(elsewhere[members], capacity - survey.within_cap[number])
            capacities[members] = np.maximum(capacities[members], capacity)
        for index in np.flatnonzero(seen).tolist():
            best[(index, key)] = (int(others[index]), int(elsewhere[index]), int(capacities[index]))
    min_size = setup.request.min_size
    reachable = [(index, key) for (index, key), (_, _, capacity) in best.items() if capacity >= min_size]
    return _Reach(
        best=best,
        placeable={index for index, _ in reachable},
        by_key=dict(Counter(key for _, key in reachable)),
    )


_STAGES = (NOTHING_TO_GROUP_BY, NO_ONE_SHARES_KEY, OUTSIDE_GROUP_HOURS, FACILITATOR_UNAVAILABLE,
           NO_SHARED_TIME, ONLY_OWN_ORGANIZATION, TOO_FEW_AT_SHARED_TIMES, GROUPS_FULL)


def _reason(setup: _Setup, reach: _Reach, index: int) -> Unplaced:
    """Why ``index`` is not placed: per key how far they came (see :data:`REASON_CODES`), the
    furthest of their keys."""
    request = setup.request
    _ = i18n.translator(request.language)
    candidate = setup.candidates[index]
    keys = setup.keys[index]
    if not keys:
        return Unplaced(candidate.id, _(_REASONS[f"{NOTHING_TO_GROUP_BY}:{request.group_by}"]), NOTHING_TO_GROUP_BY)
    stages: dict[str, tuple[int, int]] = {}  # key -> (stage, capped others from other organisations)
    for key in keys:
        others, elsewhere, capacity = reach.best.get((index, key), (0, 0, 0))
        if len(setup.by_key[key]) == 1:
            stages[key] = (_STAGES.index(NO_ONE_SHARES_KEY), 0)
        elif others == 0:
            stages[key] = (_STAGES.index(NO_SHARED_TIME), 0)
        elif capacity >= request.min_size:
            stages[key] = (_STAGES.index(GROUPS_FULL), elsewhere)
        elif elsewhere == 0:
            stages[key] = (_STAGES.index(ONLY_OWN_ORGANIZATION), 0)
        else:
            stages[key] = (_STAGES.index(TOO_FEW_AT_SHARED_TIMES), elsewhere)
    stage = max(value for value, _ in stages.values())
    at_stage = [key for key in keys if stages[key][0] == stage]
    if stage > _STAGES.index(NO_ONE_SHARES_KEY) and not setup.patterns[index]:
        # Nobody could share a time with them: their own times (or the facilitator's) are why.
        stage = _STAGES.index(FACILITATOR_UNAVAILABLE if setup.open_patterns[index] else OUTSIDE_GROUP_HOURS)
        at_stage = list(keys)
    elsewhere = max(stages[key][1] for key in at_stage)
    code = _STAGES[stage]
    text = _(
        _REASONS[code],
        what=_what(at_stage, request.group_by, request.language),
        count=request.guided_sessions,
        min_size=request.min_size,
        others=_.ngettext("one other person", "{count} others", elsewhere),
    )
    return Unplaced(candidate.id, text, code)


# -- the whole composition -------------------------------------------------------------------------------


def _open_facilitator(request: CompositionRequest) -> Person:
    return Person(_OPEN_FACILITATOR_ID, request.timezone)


def plan_request(request: CompositionRequest, members: tuple[Person, ...]) -> PlanRequest:
    """The guided-sessions-only plan request of a proposed group (no facilitator: one who is
    always free)."""
    return PlanRequest(
        timezone=request.timezone,
        starts_on=request.starts_on,
        session_minutes=request.session_minutes,
        guided_sessions=request.guided_sessions,
        follow_up_sessions=0,
        facilitator=request.facilitator or _open_facilitator(request),
        members=members,
        constraints=request.constraints,
        language=request.language,
    )


def compose(request: CompositionRequest) -> Composition:
    """Propose intervision groups for a pool of candidates; see the module docstring."""
    _validate(request)
    deadline = monotonic() + request.time_limit_seconds
    setup = _prepare(request)
    survey = _survey(setup)
    reach = _reach(setup, survey)
    pools = _pools(setup, survey)
    groups: list[list[int]] = []
    group_keys: list[str] = []
    optimal = True
    if pools:
        solution = _solve(setup, pools, reach, deadline)
        optimal = solution.optimal
        for number in sorted(solution.assignment):
            for members in _deal(solution.assignment[number], setup, solution.groups[number]):
                groups.append(members)
                group_keys.append(pools[number].key)
    improver = _Improver(setup, groups, group_keys)
    improver.run(LOCAL_SEARCH_EVALUATIONS)

    proposed = []
    for members, key, score in zip(improver.groups, group_keys, improver.scores):
        ordered = sorted(members, key=lambda index: setup.candidates[index].id)
        people = tuple(setup.candidates[index].person for index in ordered)
        plan = find_plan(plan_request(request, people))
        if not isinstance(plan, Plan) or plan.slot is None or score < 1:
            ids = [setup.candidates[index].id for index in ordered]
            raise RuntimeError(f"composed group {ids} has no guided plan at a fixed slot")
        proposed.append(ProposedGroup(
            key=key,
            member_ids=tuple(setup.candidates[index].id for index in ordered),
            slot=plan.slot,
            first_session=plan.sessions[0].start,
            score=float(score),
        ))
    proposed.sort(key=lambda group: (group.key, group.member_ids))
    placed = {index for members in improver.groups for index in members}
    return Composition(
        groups=tuple(proposed),
        unplaced=tuple(_reason(setup, reach, index) for index in range(len(setup.candidates)) if index not in placed),
        optimal=optimal,
        upper_bound=len(reach.placeable),
    )
