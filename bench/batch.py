"""Benchmark of planning groups together: ``python -m bench.batch [--repeat N]``.

A seeded programme: 5 facilitators, each free on three evenings a week and taking at most one
session a day and two a week, with 30 minutes between sessions; 50 groups of 5, ten per
facilitator, half of them free on two of her evenings and half on one. Everyone is away for the
summer from mid-June, so every group's three guided sessions must fall in February to June —
the facilitators' weeks are the scarce resource. The batch (:func:`shared.domain.cohort.plan_cohort`)
is timed in this process from the plan requests to the finished plans; for comparison the same
groups are planned one by one in the batch's order (what single runs do).

The bound: no member is in two facilitators' groups, so the programme falls apart into one
problem per facilitator, and each of those (ten groups) is solved again with *every* series of
every group as a candidate — an exhaustive model whose proven optimum is the most groups any
choice can plan. (The batch's own ``upper_bound``, proven by column generation over every series,
is printed beside it.)

Prints a Markdown table: wall time (median of the repeats), groups planned, planned one by one,
the bounds, the share of the exhaustive bound planned, whether the batch proved its own answer,
and how many candidate series it chose from. Target: at most 10 s for the batch.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time as clock
from dataclasses import replace
from datetime import date, time

from shared.domain import bookings as bk
from shared.domain.cohort import CohortGroup, plan_cohort
from shared.domain.model import Availability, GroupConstraints, Person, UnavailableRange, WeeklyWindow
from shared.domain.planning import GUIDED, Plan, PlanRequest, find_plan

SEED = 20270201
STARTS_ON = date(2027, 2, 1)
SUMMER = UnavailableRange(date(2027, 6, 18), date(2027, 12, 31), "zomer")
TARGET_SECONDS = 10.0
FACILITATORS = 5
GROUPS_PER_FACILITATOR = 10
CAPACITY = bk.Capacity(max_sessions_per_day=1, max_sessions_per_week=2, break_minutes=30)


def _window(day: int, start: int, minutes: int) -> WeeklyWindow:
    end = start + minutes
    return WeeklyWindow(day, time(start // 60, start % 60), time(end // 60, end % 60))


def programme(seed: int = SEED) -> list[CohortGroup]:
    rng = random.Random(seed)
    groups = []
    for f in range(FACILITATORS):
        evenings = sorted(rng.sample(range(4), 3))  # three of Monday to Thursday
        facilitator = Person(f"facilitator-{f}", "Europe/Amsterdam", Availability(
            tuple(_window(day, 18 * 60 + 30, 210) for day in evenings), (SUMMER,),
        ))
        for g in range(GROUPS_PER_FACILITATOR):
            days = rng.sample(evenings, 2 if g % 2 == 0 else 1)
            members = tuple(
                Person(f"member-{f}-{g}-{m}", "Europe/Amsterdam", Availability(
                    tuple(_window(day, 19 * 60 + rng.choice((0, 0, 30)), 120) for day in days), (SUMMER,),
                ))
                for m in range(5)
            )
            groups.append(CohortGroup(f"group-{f}-{g}", PlanRequest(
                timezone="Europe/Amsterdam", starts_on=STARTS_ON, session_minutes=90, guided_sessions=3,
                follow_up_sessions=3, facilitator=facilitator, members=members,
                constraints=GroupConstraints(), capacity=CAPACITY,
            )))
    return groups


def one_by_one(groups: list[CohortGroup]) -> int:
    """Groups planned when each is planned alone around those before it, in the batch's order."""
    planned, booked = 0, []
    for group in groups:
        result = find_plan(replace(group.request, bookings=tuple(booked)))
        if not isinstance(result, Plan):
            continue
        planned += 1
        for session in result.sessions:
            people = (group.request.facilitator, *group.request.members) if session.kind == GUIDED else group.request.members
            booked += [bk.Booking(p.id, f"{group.key}#{session.number}", session.start, session.end) for p in people]
    return planned


def exhaustive_bound(groups: list[CohortGroup]) -> tuple[int, bool, int]:
    """The most groups any choice plans, per facilitator with every series as a candidate;
    whether every part was proven; and how many series there are in all."""
    by_facilitator: dict[str, list[CohortGroup]] = {}
    for group in groups:
        by_facilitator.setdefault(group.request.facilitator.id, []).append(group)
    members = [{m.id for g in part for m in g.request.members} for part in by_facilitator.values()]
    assert sum(map(len, members)) == len(set().union(*members)), "facilitators' groups share members"
    parts = [plan_cohort(part, per_group=10**7) for part in by_facilitator.values()]
    return sum(part.planned for part in parts), all(part.optimal for part in parts), sum(part.candidates for part in parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    groups = programme()
    times, results = [], []
    for _ in range(arguments.repeat):
        started = clock.perf_counter()
        results.append(plan_cohort(groups))
        times.append(clock.perf_counter() - started)
    result = results[0]
    assert all(other == result for other in results), "the batch is not deterministic"
    alone = one_by_one(groups)
    bound, proven, every = exhaustive_bound(groups)
    median = statistics.median(times)
    print("| measure | result | target | ratio | met |")
    print("| --- | ---: | ---: | ---: | --- |")
    print(f"| batch of {len(groups)} groups, {FACILITATORS} facilitators: wall time (median of {len(times)}) | "
          f"{median:.2f} s ({min(times):.2f}–{max(times):.2f}) | ≤ {TARGET_SECONDS:.0f} s | {median / TARGET_SECONDS:.2f}× "
          f"| {'yes' if median <= TARGET_SECONDS else 'no'} |")
    print(f"| groups planned together | {result.planned} | | | |")
    print(f"| groups planned one by one, same order | {alone} | | | |")
    print(f"| exhaustive bound (every series of every group, per facilitator) | {bound}{'' if proven else ' (not proven)'} | | | |")
    print(f"| the batch's own proven upper_bound (over every series) | {result.upper_bound} | | | |")
    print(f"| share of the exhaustive bound planned | {result.planned / bound:.0%} | | | |")
    print(f"| batch proved its own answer optimal | {'yes' if result.optimal else 'no'} | | | |")
    print(f"| candidate series the batch chose from, of all there are | {result.candidates:,} of {every:,} | | | |")


if __name__ == "__main__":
    main()
