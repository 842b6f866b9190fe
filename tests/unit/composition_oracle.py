"""An exhaustive composition oracle for small pools, written independently of the composer.

It shares nothing with ``shared.domain.composition`` or ``shared.domain.candidate_groups``: a set
of people can meet when the scheduling engine itself (:func:`planning.find_plan`, asked for the
guided sessions only) finds a plan at a fixed slot for them. From that single question it

* enumerates every admissible group (one theme or role, ``min_size`` … ``max_size`` people, at
  most ``max_per_organization`` per organisation, a fixed-slot plan) — growing sets one person at
  a time and extending only those that can still meet, since adding a person never helps;
* finds the best packing by dynamic programming over the subsets of the pool: most people placed,
  then the smallest size penalty ``Σ (size − ideal)²``;
* says who could be placed at all (the upper bound) and, for everyone else, how far they came —
  the same facts the composer's reasons state, established here by asking the engine about pairs
  and single people.

Feasibility depends only on who is in the set, and two people with the same zone, availability
and holiday region are interchangeable for it, so answers are cached by the set of those.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from shared.domain.model import Person
from shared.domain.planning import Plan, PlanRequest, find_plan


@dataclass(frozen=True)
class OracleResult:
    placed: int
    penalty: int
    upper_bound: int
    stages: dict[str, str]  # unplaceable person id -> the code of how far they came


def _keys(candidate, group_by: str) -> set[str]:
    if group_by == "role":
        return {candidate.role} if candidate.role else set()
    return {theme for theme in candidate.themes if theme}


def solve(request) -> OracleResult:
    candidates = list(request.candidates)
    count = len(candidates)
    facilitator = request.facilitator or Person("oracle-facilitator", request.timezone)
    open_facilitator = Person("oracle-open-facilitator", request.timezone)

    def signature(person: Person):
        return (person.timezone, person.availability, person.school_holiday_region)

    people_by_signature = {}
    for candidate in candidates:
        people_by_signature.setdefault(signature(candidate.person), candidate.person)

    @cache
    def meets(signatures: frozenset, with_facilitator: bool = True) -> bool:
        members = tuple(people_by_signature[item] for item in sorted(signatures, key=repr))
        plan = find_plan(PlanRequest(
            timezone=request.timezone,
            starts_on=request.starts_on,
            session_minutes=request.session_minutes,
            guided_sessions=request.guided_sessions,
            follow_up_sessions=0,
            facilitator=facilitator if with_facilitator else open_facilitator,
            members=members,
            constraints=request.constraints,
        ))
        return isinstance(plan, Plan) and plan.slot is not None

    def can_meet(indexes) -> bool:
        return meets(frozenset(signature(candidates[i].person) for i in indexes))

    def organisations_fit(indexes) -> bool:
        seen: dict[str, int] = {}
        for i in indexes:
            organization = candidates[i].organization
            seen[organization] = seen.get(organization, 0) + 1
            if seen[organization] > request.max_per_organization:
                return False
        return True

    keys = [_keys(candidate, request.group_by) for candidate in candidates]
    all_keys = sorted(set().union(*keys)) if keys else []

    # Every admissible group, as a bit mask of pool positions (a group of two keys counts once).
    groups: set[int] = set()

    def grow(key: str, members: tuple[int, ...], start: int) -> None:
        if len(members) >= request.min_size:
            groups.add(sum(1 << i for i in members))
        if len(members) == request.max_size:
            return
        for i in range(start, count):
            if key in keys[i]:
                extended = (*members, i)
                if organisations_fit(extended) and can_meet(extended):
                    grow(key, extended, i + 1)

    for key in all_keys:
        grow(key, (), 0)

    @cache
    def best(remaining: int) -> tuple[int, int]:
        """(people placed, −penalty) of the best packing of the people in ``remaining``."""
        if not remaining:
            return (0, 0)
        first = remaining & -remaining
        placed, negative = best(remaining & ~first)  # the first person stays unplaced
        for group in groups:
            if group & first and group & remaining == group:
                size = group.bit_count()
                rest_placed, rest_negative = best(remaining & ~group)
                option = (size + rest_placed, rest_negative - (size - request.ideal_size) ** 2)
                if option > (placed, negative):
                    placed, negative = option
        return placed, negative

    placed, negative = best((1 << count) - 1)
    placeable = {i for group in groups for i in range(count) if group >> i & 1}

    stages: dict[str, str] = {}
    order = ("no_one_shares_key", "no_shared_time", "only_own_organization", "too_few_at_shared_times")
    for i, candidate in enumerate(candidates):
        if i in placeable:
            continue
        if not keys[i]:
            stages[candidate.id] = "nothing_to_group_by"
            continue
        per_key = []
        for key in keys[i]:
            others = [j for j in range(count) if j != i and key in keys[j]]
            partners = [j for j in others if can_meet((i, j))]
            if not others:
                per_key.append("no_one_shares_key")
            elif not partners:
                per_key.append("no_shared_time")
            elif all(candidates[j].organization == candidate.organization for j in partners):
                per_key.append("only_own_organization")
            else:
                per_key.append("too_few_at_shared_times")
        stage = max(per_key, key=order.index)
        if stage != "no_one_shares_key" and not can_meet((i,)):
            alone = frozenset({signature(candidate.person)})
            stage = "facilitator_unavailable" if meets(alone, with_facilitator=False) else "outside_group_hours"
        stages[candidate.id] = stage
    return OracleResult(placed=placed, penalty=-negative, upper_bound=len(placeable), stages=stages)
