"""The pools as the solver sees them.

For each key (theme or role), the sets of people of that key who are free at one fixed slot are
computed over every pattern and series; only the maximal sets matter, and those that can hold a
group at all (``min_size`` people within the per-organisation cap) are the *pools*. Sets of
people are integer bit masks (see :mod:`shared.domain.candidate_groups`), unpacked once with
numpy into the :class:`Survey` that the pools, the thinning of the model and the reasons read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..candidate_groups import SlotGrid, build_grid, maximal_sets
from .values import GROUP_BY, Candidate, CompositionRequest


@dataclass
class Pool:
    """A maximal set of people of one key who share a fixed slot."""

    key: str
    members: tuple[int, ...]
    array: np.ndarray  # the same members, for vectorised counting


@dataclass
class Setup:
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
class Reach:
    """Per person and key, over the pools of that key (all of them, before any thinning): the
    most others who share a fixed slot with them, the most of those (capped per organisation)
    from other organisations, and the largest group they could be part of."""

    best: dict[tuple[int, str], tuple[int, int, int]]
    placeable: set[int]  # people who could be placed at all: the upper bound
    by_key: dict[str, int]  # per key, the people who could be placed in a group of that key


def validate(request: CompositionRequest) -> None:
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


def prepare(request: CompositionRequest) -> Setup:
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
    return Setup(
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
class Survey:
    """Every maximal set of every key, unpacked once: members (as an array of candidate
    indexes) and capacity (members counted at most ``max_per_organization`` per organisation),
    with the organisation counts behind it. What :func:`reach_of`, :func:`pools_of` and the
    optimiser's thinning read, so that thousands of sets of hundreds of people cost seconds."""

    keys: list[str]
    members: list[np.ndarray]
    within_cap: list[np.ndarray]  # per member: their organisation's members in the set, capped
    capacity: list[int]


def _members(found: int) -> np.ndarray:
    """The set bits of ``found``, lowest first (as :func:`bits`, vectorised)."""
    packed = np.frombuffer(found.to_bytes((found.bit_length() + 7) // 8, "little"), dtype=np.uint8)
    return np.flatnonzero(np.unpackbits(packed, bitorder="little"))


def survey_sets(setup: Setup) -> Survey:
    cap = setup.request.max_per_organization
    names = sorted(set(setup.organizations))
    code = {name: number for number, name in enumerate(names)}
    organization = np.array([code[name] for name in setup.organizations], dtype=np.int64)
    survey = Survey([], [], [], [])
    for key in sorted(setup.sets):
        for found in setup.sets[key]:
            members = _members(found)
            counts = np.minimum(np.bincount(organization[members], minlength=len(names)), cap)
            survey.keys.append(key)
            survey.members.append(members)
            survey.within_cap.append(counts[organization[members]])
            survey.capacity.append(int(counts.sum()))
    return survey


def pools_of(setup: Setup, survey: Survey) -> list[Pool]:
    """The pools that can hold a group at all (``min_size`` people within the cap)."""
    return [
        Pool(key, tuple(members.tolist()), members)
        for key, members, capacity in zip(survey.keys, survey.members, survey.capacity)
        if capacity >= setup.request.min_size
    ]


def reach_of(setup: Setup, survey: Survey) -> Reach:
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
    return Reach(
        best=best,
        placeable={index for index, _ in reachable},
        by_key=dict(Counter(key for _, key in reachable)),
    )
