"""Seeded programmes for the batch benchmarks and tests (:mod:`bench.programme`).

* :func:`programme` — the whole programme: 50 facilitators with ten groups of five each (500
  groups), members living in several zones (Amsterdam, London, Lisbon, Helsinki) with their
  evenings on their own clocks, and one group in ten sharing a member with a group of another
  facilitator. Facilitators take at most one session a day and two a week, 30 minutes apart.
* :func:`hard_programme` — 12 facilitators, 200 groups of five, tight capacities (two sessions
  a week; one a day for half the facilitators, two for the others) and about 15 % of the people
  in two groups.

Everyone is away for the summer from mid-June, so every group's three guided sessions fall in
February to June and the facilitators' weeks are the scarce resource.
"""

from __future__ import annotations

import random
from datetime import date, time

from shared.domain import bookings as bk
from shared.domain.cohort import CohortGroup
from shared.domain.model import Availability, GroupConstraints, Person, UnavailableRange, WeeklyWindow
from shared.domain.planning import PlanRequest

STARTS_ON = date(2027, 2, 1)
SUMMER = UnavailableRange(date(2027, 6, 18), date(2027, 12, 31), "zomer")
ZONES = {"Europe/Amsterdam": 0, "Europe/London": -60, "Europe/Lisbon": -60, "Europe/Helsinki": 60}
"""Members' zones and their offset from Amsterdam in minutes (the same all spring)."""


def _window(day: int, start: int, minutes: int) -> WeeklyWindow:
    end = min(start + minutes, 24 * 60 - 1)
    return WeeklyWindow(day, time(start // 60, start % 60), time(end // 60, end % 60))


def _member(rng: random.Random, person_id: str, days: list[int]) -> Person:
    zone = rng.choice(list(ZONES)) if rng.random() < 0.4 else "Europe/Amsterdam"
    start = 19 * 60 + rng.choice((0, 0, 30)) + ZONES[zone]  # 19:00 or 19:30 in Amsterdam, on her clock
    return Person(person_id, zone, Availability(tuple(_window(day, start, 120) for day in days), (SUMMER,)))


def _request(facilitator: Person, members: tuple[Person, ...], capacity: bk.Capacity) -> PlanRequest:
    return PlanRequest(
        timezone="Europe/Amsterdam", starts_on=STARTS_ON, session_minutes=90, guided_sessions=3,
        follow_up_sessions=3, facilitator=facilitator, members=members,
        constraints=GroupConstraints(), capacity=capacity,
    )


def programme(seed: int = 20270301, facilitators: int = 50, groups_per_facilitator: int = 10) -> list[CohortGroup]:
    rng = random.Random(seed)
    capacity = bk.Capacity(max_sessions_per_day=1, max_sessions_per_week=2, break_minutes=30)
    plan: list[tuple[Person, list[int], list[Person]]] = []
    for f in range(facilitators):
        evenings = sorted(rng.sample(range(4), 3))  # three of Monday to Thursday
        facilitator = Person(f"f{f}", "Europe/Amsterdam", Availability(
            tuple(_window(day, 18 * 60 + 30, 210) for day in evenings), (SUMMER,),
        ))
        for g in range(groups_per_facilitator):
            days = rng.sample(evenings, 2 if g % 2 == 0 else 1)
            members = [_member(rng, f"m{f}-{g}-{m}", days) for m in range(5)]
            plan.append((facilitator, days, members))
    # One group in ten shares a member with a group of another facilitator: she is free on both
    # groups' evenings.
    for index in range(0, len(plan), 10):
        other = (index + 10 * rng.randrange(1, facilitators) + rng.randrange(10)) % len(plan)
        facilitator, days, members = plan[index]
        shared = members[0]
        other_days = plan[other][1]
        both = sorted({*days, *other_days})
        shared = Person(shared.id, shared.timezone, Availability(
            tuple(_window(day, 19 * 60 + ZONES[shared.timezone], 120) for day in both), (SUMMER,),
        ))
        members[0] = shared
        plan[other][2][-1] = shared
    return [
        CohortGroup(f"group-{index}", _request(facilitator, tuple(members), capacity))
        for index, (facilitator, _, members) in enumerate(plan)
    ]


def hard_programme(seed: int = 20270302, facilitators: int = 12, groups: int = 200, share: float = 0.15) -> list[CohortGroup]:
    rng = random.Random(seed)
    tight = bk.Capacity(max_sessions_per_day=1, max_sessions_per_week=2, break_minutes=30)
    loose = bk.Capacity(max_sessions_per_day=2, max_sessions_per_week=2, break_minutes=30)
    people: list[Person] = []
    evenings_of = []
    for f in range(facilitators):
        evenings = sorted(rng.sample(range(4), 3))
        evenings_of.append(evenings)
        people.append(Person(f"f{f}", "Europe/Amsterdam", Availability(
            tuple(_window(day, 18 * 60 + 30, 210) for day in evenings), (SUMMER,),
        )))
    memberships = groups * 5
    twice = round(share * memberships / (1 + share))  # people in two groups
    pool = [f"p{n}" for n in range(memberships - twice)]
    slots = pool + rng.sample(pool, twice)
    rng.shuffle(slots)
    result = []
    days_of: dict[str, set[int]] = {}
    for g in range(groups):
        f = g % facilitators
        days = rng.sample(evenings_of[f], 2 if g % 2 == 0 else 1)
        ids: list[str] = []
        while len(ids) < 5:
            pid = slots.pop() if slots else f"x{g}-{len(ids)}"
            if pid in ids:  # drawn twice for one group: someone new instead
                pid = f"x{g}-{len(ids)}"
            ids.append(pid)
            days_of.setdefault(pid, set()).update(days)
        result.append((f, ids))
    members = {
        pid: Person(pid, "Europe/Amsterdam", Availability(
            tuple(_window(day, 19 * 60 + rng.choice((0, 30)), 120) for day in sorted(days)), (SUMMER,),
        ))
        for pid, days in days_of.items()
    }
    return [
        CohortGroup(f"group-{g}", _request(people[f], tuple(members[pid] for pid in ids), tight if f % 2 == 0 else loose))
        for g, (f, ids) in enumerate(result)
    ]
