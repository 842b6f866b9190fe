"""Benchmark of group composition: ``python -m bench.composition [--full] [--people N] [--repeat N]``.

A seeded pool of sign-ups (5 themes, 4 roles, one school per five sign-ups, weekly windows on
evenings and afternoons, mostly in Europe/Amsterdam, school-holiday regions per school and a few
absences) is composed by :func:`shared.domain.composition.compose`. The default run (well under a
minute) composes 5,000 sign-ups by theme — the target of issue 12: at most 30 s, placing at least
99 % of the upper bound — and 1,000 by theme, and prints a table of figure, target, ratio and
met, then the scenarios.

``--full`` adds, for 1,000 sign-ups, grouping by role, a facilitator who is free on four evenings and a harder pool
(one weekly window each, more absences) that shows what happens when the solver cannot prove the
optimum within its limits, and 5,000 by role; it repeats each scenario (``--repeat``, median wall
time) and measures the tracemalloc peak in one more run. Each scenario row gives wall time,
groups made, people placed against the upper bound (people who share a fixed slot with enough
others of one of their themes from other schools to form a group), sizes, size penalty, mean
score and the solver's status.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time as clock
import tracemalloc
from dataclasses import dataclass, replace
from datetime import date, time, timedelta

from shared.domain.composition import Candidate, Composition, CompositionRequest, compose, size_penalty
from shared.domain.model import Availability, Person, UnavailableRange, WeeklyWindow

SEED = 20270901
STARTS_ON = date(2027, 9, 1)
TIME_LIMIT = 20.0
TARGET_SECONDS = 30.0
TARGET_SHARE = 0.99
LARGE = 5000
PEOPLE_PER_SCHOOL = 5

THEMES = {
    "ouderbetrokkenheid": 30,
    "veeleisende-ouders": 25,
    "gedrag-in-de-klas": 20,
    "interculturele-samenwerking-met-ouders": 15,
    "werkdruk-en-balans": 10,
}
ROLES = {"leerkracht": 55, "intern-begeleider": 20, "schoolleider": 15, "zorgcoordinator": 10}
REGIONS = ("noord", "midden", "zuid")

# Local wall-clock windows (start, end) that teachers offer: evenings, and afternoons after school.
EVENINGS = [((19, 0), (21, 30)), ((19, 30), (22, 0)), ((19, 0), (22, 0)), ((18, 30), (21, 0)), ((20, 0), (22, 0))]
AFTERNOONS = [((15, 0), (17, 0)), ((15, 30), (17, 30)), ((14, 0), (17, 0)), ((13, 0), (17, 0))]
# (zone, share): most sign-ups in the Netherlands, a few from Flanders, England and Curaçao.
ZONES = [("Europe/Amsterdam", 90), ("Europe/Brussels", 4), ("Europe/London", 2), ("America/Curacao", 4)]


def _pick(rng: random.Random, weighted: dict[str, int]) -> str:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _weekly(rng: random.Random, zone: str, sparse: bool) -> tuple[WeeklyWindow, ...]:
    if not sparse and rng.random() < 0.03:
        return ()  # "any time"
    windows: set[WeeklyWindow] = set()
    count = 1 if sparse else rng.choices((1, 2, 3, 4), weights=(25, 40, 25, 10))[0]
    while len(windows) < count:
        if zone == "America/Curacao":  # their early afternoon is an Amsterdam evening
            day, (start, end) = rng.randrange(5), rng.choice([((13, 0), (16, 0)), ((13, 30), (16, 30)), ((14, 0), (17, 0))])
        elif rng.random() < 0.65:
            day, (start, end) = rng.randrange(5), rng.choice(EVENINGS)
        else:  # Wednesday afternoons are free in most primary schools
            day, (start, end) = rng.choice((0, 1, 2, 2, 2, 3, 4)), rng.choice(AFTERNOONS)
        windows.add(WeeklyWindow(day, time(*start), time(*end)))
    return tuple(sorted(windows, key=lambda window: (window.day, window.start)))


def _unavailable(rng: random.Random, sparse: bool) -> tuple[UnavailableRange, ...]:
    ranges = []
    for _ in range(rng.choices((0, 1, 2), weights=(10, 40, 50) if sparse else (55, 35, 10))[0]):
        first = STARTS_ON + timedelta(days=rng.randrange(240))
        if rng.random() < 0.7:
            ranges.append(UnavailableRange(first, first + timedelta(days=rng.randint(4, 9)), "vakantie"))
        else:
            ranges.append(UnavailableRange(first, first, "studiedag"))
    return tuple(sorted(ranges, key=lambda item: item.start))


def generate_pool(people: int = 1000, schools: int = 200, seed: int = SEED, sparse: bool = False) -> tuple[Candidate, ...]:
    """A seeded pool of sign-ups; schools differ in size and each lies in one holiday region.
    ``sparse``: one weekly window each and more absences, so that many cannot be placed."""
    rng = random.Random(seed)
    school_regions = [rng.choice(REGIONS) for _ in range(schools)]
    school_weights = [1 / (rank + 1) ** 0.6 for rank in range(schools)]
    zones, zone_weights = zip(*ZONES)
    candidates = []
    for number in range(people):
        school = rng.choices(range(schools), weights=school_weights)[0]
        zone = rng.choices(zones, weights=zone_weights)[0]
        region = school_regions[school] if zone != "America/Curacao" and rng.random() < 0.7 else None
        themes = set()
        for _ in range(rng.choices((1, 2, 3), weights=(55, 35, 10))[0]):
            themes.add(_pick(rng, THEMES))
        person = Person(f"p{number:04d}", zone, Availability(_weekly(rng, zone, sparse), _unavailable(rng, sparse)), region)
        candidates.append(Candidate(
            id=person.id,
            organization=f"school-{school:03d}",
            role=_pick(rng, ROLES),
            themes=tuple(sorted(themes)),
            person=person,
        ))
    return tuple(candidates)


def facilitator() -> Person:
    evenings = tuple(WeeklyWindow(day, time(19, 0), time(22, 0)) for day in range(4))
    return Person("facilitator", "Europe/Amsterdam", Availability(evenings), None)


@dataclass
class Outcome:
    name: str
    seconds: list[float]
    result: Composition
    peak: int
    request: CompositionRequest


def run(name: str, request: CompositionRequest, repeat: int, memory: bool) -> Outcome:
    seconds = []
    result = None
    for _ in range(repeat):
        started = clock.perf_counter()
        again = compose(request)
        seconds.append(clock.perf_counter() - started)
        if result is not None and again != result:
            print(f"warning: {name}: a repeated run gave a different composition", file=sys.stderr)
        result = again
    peak = 0
    if memory:
        tracemalloc.start()
        compose(request)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return Outcome(name, seconds, result, peak, request)


def request_for(people: int, time_limit: float, **changes) -> CompositionRequest:
    sparse = changes.pop("sparse", False)
    pool = generate_pool(people, people // PEOPLE_PER_SCHOOL, sparse=sparse)
    request = CompositionRequest(candidates=pool, group_by="theme", starts_on=STARTS_ON, time_limit_seconds=time_limit)
    return replace(request, **changes)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="every scenario, repeated, with memory peaks")
    parser.add_argument("--people", type=int, default=LARGE, help="sign-ups of the large scenario")
    parser.add_argument("--repeat", type=int, default=None, help="runs per scenario (default 1, 2 with --full)")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT)
    arguments = parser.parse_args(argv)
    repeat = arguments.repeat or (2 if arguments.full else 1)
    limit, large = arguments.time_limit, arguments.people

    headline = f"{large:,} by theme"
    scenarios = [
        (headline, request_for(large, limit)),
        ("1,000 by theme", request_for(1000, limit)),
    ]
    if arguments.full:
        scenarios += [
            ("1,000 by role", request_for(1000, limit, group_by="role")),
            ("1,000 by theme, facilitator Mon–Thu 19:00–22:00", request_for(1000, limit, facilitator=facilitator())),
            ("1,000 by theme, sparse: one weekly window each, more absences", request_for(1000, limit, sparse=True)),
            (f"{large:,} by role", request_for(large, limit, group_by="role")),
        ]
    outcomes = [run(name, request, repeat, arguments.full) for name, request in scenarios]

    first = outcomes[0]
    seconds = statistics.median(first.seconds)
    share = first.result.placed / first.result.upper_bound if first.result.upper_bound else 1.0
    print(f"Group composition: {len(THEMES)} themes, {len(ROLES)} roles, one school per {PEOPLE_PER_SCHOOL} sign-ups, "
          f"seed {SEED}, starts on {STARTS_ON}, sizes 3–8 (ideal 5), 1 per school, time limit {limit:g} s "
          f"(preparation and solver together; HiGHS via OR-Tools MathOpt)\n")
    print("| figure | measured | target | ratio | met |")
    print("| --- | ---: | ---: | ---: | --- |")
    print(f"| {headline}: wall time | {seconds:.1f} s | ≤ {TARGET_SECONDS:g} s | {seconds / TARGET_SECONDS:.2f}× | "
          f"{'yes' if seconds <= TARGET_SECONDS else 'no'} |")
    print(f"| {headline}: placed / upper bound | {first.result.placed:,} / {first.result.upper_bound:,} | "
          f"≥ {TARGET_SHARE:.0%} | {share:.1%} | {'yes' if share >= TARGET_SHARE else 'no'} |\n")
    print("| scenario | wall time (median) | groups | placed / upper bound | share placed | "
          "sizes | size penalty | mean score | solver |" + (" memory peak |" if arguments.full else ""))
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |" + (" --- |" if arguments.full else ""))
    for outcome in outcomes:
        result = outcome.result
        sizes = sorted(len(group.member_ids) for group in result.groups)
        histogram = ", ".join(f"{size}×{sizes.count(size)}" for size in sorted(set(sizes)))
        share = result.placed / result.upper_bound if result.upper_bound else 1.0
        score = statistics.mean(group.score for group in result.groups) if result.groups else 0.0
        print(
            f"| {outcome.name} | {statistics.median(outcome.seconds):.1f} s | {len(result.groups)} | "
            f"{result.placed} / {result.upper_bound} | {100 * share:.1f}% | {histogram} | "
            f"{size_penalty(sizes, outcome.request.ideal_size)} | {score:.1f} | "
            f"{'optimal' if result.optimal else 'feasible'} |" + (f" {outcome.peak / 2**20:.0f} MiB |" if arguments.full else "")
        )
    reasons: dict[str, int] = {}
    for outcome in outcomes:
        for unplaced in outcome.result.unplaced:
            reasons[f"{outcome.name}: {unplaced.code}"] = reasons.get(f"{outcome.name}: {unplaced.code}", 0) + 1
    print("\n| unplaced, by reason | people |\n| --- | --- |")
    for name, count in reasons.items():
        print(f"| {name} | {count} |")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory of the whole benchmark process {rss:.0f} MiB")


if __name__ == "__main__":
    main()
