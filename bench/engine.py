"""Benchmark of the pure plan search: ``python -m bench.engine [--groups N] [--oracle N]``.

Generates groups deterministically (seeded), plans each with ``find_plan`` and prints a Markdown
table: median and p95 milliseconds per group, total seconds, how many plans succeeded or were
infeasible, the engine's speed against the brute-force oracle of the unit tests on a subset of
the same groups, and the tracemalloc peak of one plan.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time as clock
import tracemalloc
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.domain.model import Availability, GroupConstraints, Person, UnavailableRange, WeeklyWindow
from shared.domain.planning import Infeasible, PlanRequest, find_plan

SEED = 20270101

# (zone, hours to subtract from an Amsterdam wall-clock time to get a similar local time)
ZONES = [("Europe/Amsterdam", 0)] * 17 + [
    ("Europe/London", 1),
    ("America/New_York", 6),
    ("America/Curacao", 5),
]
COMMON_WINDOWS = [(day, start, hours) for day in range(5) for start, hours in ((19.0, 2.5), (18.5, 3.5), (13.0, 3.0), (15.0, 2.0))]


def _time(hours: float) -> time:
    minutes = round(hours * 60) % (24 * 60)
    return time(minutes // 60, minutes % 60)


def _window(day: int, start: float, hours: float, shift: int) -> WeeklyWindow:
    local = start - shift
    if local < 0:  # wraps to the previous day in that zone
        day, local = (day - 1) % 7, local + 24
    end = min(local + hours, 23.75)
    return WeeklyWindow(day, _time(local), _time(end))


def _person(rng: random.Random, pid: str, starts_on: date, common: list[tuple[int, float, float]], region_share: float) -> Person:
    zone, shift = rng.choice(ZONES)
    windows = []
    for window in common:
        if rng.random() < 0.95:
            windows.append(window)
    while len(windows) < rng.randint(2, 4):
        day = rng.choice((0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5))
        if rng.random() < 0.6:
            windows.append((day, rng.choice((18.0, 18.5, 19.0, 19.5)), rng.choice((2.0, 2.5, 3.0, 3.5))))
        else:
            windows.append((day, rng.choice((12.5, 13.0, 14.0, 15.0)), rng.choice((2.0, 2.5, 3.0, 3.5))))
    weekly = tuple(_window(day, start, hours, shift) for day, start, hours in windows[:4])
    unavailable = []
    tz = ZoneInfo(zone)
    for _ in range(rng.randint(5, 10)):
        first = starts_on + timedelta(days=rng.randint(-30, 540))
        if rng.random() < 0.7:
            unavailable.append(UnavailableRange(first, first + timedelta(days=rng.randint(0, 13)), "vakantie"))
        else:
            start = datetime.combine(first, _time(rng.choice((9, 13, 17, 18.5))), tzinfo=tz)
            unavailable.append(UnavailableRange(start, start + timedelta(hours=rng.randint(2, 5)), "afspraak"))
    region = rng.choice(("noord", "midden", "zuid")) if rng.random() < region_share else None
    return Person(pid, zone, Availability(weekly, tuple(unavailable)), region)


def generate_groups(count: int, seed: int = SEED) -> list[PlanRequest]:
    rng = random.Random(seed)
    groups = []
    for number in range(count):
        starts_on = date(2027, 1, 1) + timedelta(days=rng.randint(0, 364))
        common = rng.sample(COMMON_WINDOWS, rng.randint(1, 2))
        facilitator = _person(rng, f"g{number}-facilitator", starts_on, common, 0.0)
        members = tuple(_person(rng, f"g{number}-m{index}", starts_on, common, 0.5) for index in range(8))
        constraints = GroupConstraints(
            school_holiday_region=rng.choice(("noord", "midden", "zuid")) if rng.random() < 0.3 else None,
            self_directed_quorum=6 if rng.random() < 0.4 else None,
        )
        groups.append(PlanRequest(
            timezone="Europe/Amsterdam",
            starts_on=starts_on,
            session_minutes=90,
            guided_sessions=3,
            follow_up_sessions=9,
            facilitator=facilitator,
            members=members,
            constraints=constraints,
        ))
    return groups


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _oracle_plan(request):
    from tests.unit import oracle

    starts = oracle.guided_starts(request)
    return oracle.fixed_slot_plan(request, starts), oracle.any_guided_plan(request, starts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--oracle", type=int, default=20, help="groups to time against the oracle")
    arguments = parser.parse_args(argv)

    groups = generate_groups(arguments.groups)
    durations, outcomes = [], []
    started = clock.perf_counter()
    for request in groups:
        before = clock.perf_counter()
        outcomes.append(find_plan(request))
        durations.append((clock.perf_counter() - before) * 1000)
    total = clock.perf_counter() - started
    infeasible = sum(isinstance(outcome, Infeasible) for outcome in outcomes)
    fixed = sum(not isinstance(outcome, Infeasible) and outcome.slot is not None for outcome in outcomes)
    skipped = sum(len(outcome.skipped_months) for outcome in outcomes if not isinstance(outcome, Infeasible))

    subset = groups[: arguments.oracle]
    oracle_ms, engine_ms, agree = [], [], 0
    for request, outcome in zip(subset, outcomes):
        before = clock.perf_counter()
        oracle_slot, oracle_any = _oracle_plan(request)
        oracle_ms.append((clock.perf_counter() - before) * 1000)
        before = clock.perf_counter()
        find_plan(request)
        engine_ms.append((clock.perf_counter() - before) * 1000)
        if isinstance(outcome, Infeasible):
            agree += not oracle_any
        elif oracle_slot is None:
            agree += outcome.slot is None and oracle_any
        else:
            agree += outcome.slot is not None and outcome.sessions[0].start == oracle_slot.first

    tracemalloc.start()
    find_plan(groups[len(groups) // 2])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    count = len(groups)
    median = statistics.median(durations)
    rows = [
        ("groups", f"{count} (8 members + facilitator, 3 guided + 9 follow-up sessions, starts in 2027)"),
        ("median per group", f"{median:.2f} ms"),
        ("p95 per group", f"{_percentile(durations, 0.95):.2f} ms"),
        ("max per group", f"{max(durations[1:]):.2f} ms (first plan, cold caches: {durations[0]:.0f} ms)"),
        ("total", f"{total:.2f} s"),
        ("succeeded", f"{count - infeasible} ({(count - infeasible) / count:.0%}); fixed slot {fixed}, skipped months {skipped}"),
        ("infeasible", f"{infeasible} ({infeasible / count:.0%})"),
    ]
    if subset:
        oracle_median = statistics.median(oracle_ms)
        engine_median = statistics.median(engine_ms)
        rows += [
            (f"oracle median ({len(subset)} groups)", f"{oracle_median:.0f} ms (guided plan only)"),
            ("engine / oracle", f"{engine_median:.2f} ms vs {oracle_median:.0f} ms: {oracle_median / engine_median:.0f}× faster"),
            ("agrees with oracle", f"{agree} of {len(subset)}"),
        ]
    rows.append(("tracemalloc peak, one plan", f"{peak / 1024:.0f} KiB"))
    print(f"Python {sys.version.split()[0]}, target: median ≤ 5 ms, total ≤ 5 s\n")
    print("| measure | result |")
    print("| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
