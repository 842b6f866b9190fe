"""What a composition is asked and what it answers: the candidates and the request, the proposed
groups, who is not placed and why (by code), and the size penalty that the optimiser and the
answer both count."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from ..model import GroupConstraints, Person
from ..planning import Slot

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
