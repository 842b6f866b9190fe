"""The optimiser: who goes to which pool, and how many groups each pool holds.

A mixed-integer program chooses, per pool ``c``, who is placed there (``y[i, c]``) and how many
groups of each size it holds (``n[c, s]``); the objective is ``W · placed − penalty``. It is
solved by HiGHS through OR-Tools MathOpt, part by part where no person links two pools, starting
from a greedy proposal that also stands when the solver finds nothing better within its limits.
:func:`deal` then splits the people of each pool into balanced groups within the cap. See
:mod:`shared.domain.composition` for why this aggregate is exact.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from time import monotonic

import numpy as np
from ortools.math_opt.python import mathopt

from .pools import Pool, Reach, Setup
from .values import size_penalty

SOLVER_SEED = 20270101
MODEL_SIZE_LIMIT = 10_000  # memberships (person, pool) above which pools are thinned
NODES_PER_SECOND = 10  # the node limit per second of time limit: reached first on typical pools
MIN_SOLVER_SECONDS = 0.5  # the solver's time, over all parts, when preparing took the whole limit
# (unless the problem was thinned: then the greedy proposal stands, see solve)


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


def _thin(pools: list[Pool]) -> tuple[list[int], bool]:
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


def solve(setup: Setup, pools: list[Pool], reach: Reach, deadline: float) -> _Solution:
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


def _parts(pools: list[Pool], numbers: list[int]) -> list[list[int]]:
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
    """What :class:`Reach` says about the people of one part: per key, how many could be
    placed in a group of that key, and how many could be placed at all."""

    by_key: dict[str, int]
    placeable: int


def _solve_part(
    setup: Setup, pools: list[Pool], numbers: list[int], bounds: _Bounds,
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


def _proof_value(setup: Setup, bounds: _Bounds, weight: int) -> int | None:
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


def _greedy(setup: Setup, pools: list[Pool], numbers: list[int]) -> dict[int, tuple[list[int], int]]:
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


def deal(members: list[int], setup: Setup, hint: int) -> list[list[int]]:
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
