"""Many groups, one calendar: properties over random cohorts, checked by code written apart from
the engine (``oracle.py`` and the checks below use ``zoneinfo`` and plain datetimes).

* Bookings are busy time: a plan made with bookings is the plan made with the same time written
  as unavailability (folded here, independently of ``bookings.blocks``).
* Whether groups are planned one by one around each other (as single runs are) or together as a
  batch, nobody is ever booked twice, facilitators' capacities hold, and every session keeps
  the rules of a plan.
* On small cohorts the batch plans as many groups as an exhaustive search over every series of
  every group.

Examples are derandomised and no example database is used, so every run checks the same cohorts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shared.domain import bookings as bk
from shared.domain.cohort import CohortGroup, plan_cohort
from shared.domain.model import Availability, GroupConstraints, Person, UnavailableRange, WeeklyWindow
from shared.domain.planning import Infeasible, Plan, PlanRequest, find_plan
from tests.unit import oracle
from tests.unit.test_planning_properties import COMMON, plan_requests

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Windows of exactly one 90-minute session (one start a day), so that groups compete for them.
WINDOWS = ((1, 19 * 60), (1, 20 * 60 + 30), (3, 19 * 60), (2, 19 * 60 + 30))
PAIRWISE_CAPACITIES = (None, bk.Capacity(max_sessions_per_day=1), bk.Capacity(max_sessions_per_week=1), bk.Capacity(break_minutes=30))
CAPACITIES = (
    None,
    bk.Capacity(max_sessions_per_day=1),
    bk.Capacity(max_sessions_per_week=1),
    bk.Capacity(break_minutes=30),
    bk.Capacity(max_sessions_per_day=1, max_sessions_per_week=2, break_minutes=15),
)


# -- an independent fold of bookings into unavailability ---------------------------------------------


def folded(person: Person, bookings: list[bk.Booking], capacity: bk.Capacity | None) -> Person:
    """``person`` with each booking (and what a capacity makes of it) as unavailable time."""
    pad = timedelta(minutes=capacity.break_minutes or 0) if capacity else timedelta(0)
    extra = [UnavailableRange(b.start - pad, b.end + pad) for b in bookings]
    zone = ZoneInfo(person.timezone)
    if capacity and capacity.max_sessions_per_day:
        per_day = defaultdict(int)
        for b in bookings:
            per_day[b.start.astimezone(zone).date()] += 1
        extra += [UnavailableRange(day, day) for day, count in per_day.items() if count >= capacity.max_sessions_per_day]
    if capacity and capacity.max_sessions_per_week:
        per_week = defaultdict(int)
        for b in bookings:
            local = b.start.astimezone(zone).date()
            per_week[local - timedelta(days=local.weekday())] += 1
        extra += [
            UnavailableRange(monday, monday + timedelta(days=6))
            for monday, count in per_week.items() if count >= capacity.max_sessions_per_week
        ]
    availability = replace(person.availability, unavailable=(*person.availability.unavailable, *extra))
    return replace(person, availability=availability)


@st.composite
def requests_with_bookings(draw) -> PlanRequest:
    request = draw(plan_requests())
    people = [request.facilitator, *request.members]
    bookings = []
    for number in range(draw(st.integers(1, 8))):
        person = draw(st.sampled_from(people))
        day = request.starts_on + timedelta(days=draw(st.integers(0, 200)))
        _, start, _ = draw(st.sampled_from(COMMON))  # where shared time is, so that bookings bite
        start += draw(st.sampled_from((-60, -30, 0, 15, 45)))
        begin = datetime.combine(day, time(start // 60, start % 60), tzinfo=AMSTERDAM)
        bookings.append(bk.Booking(person.id, f"other-{number}", begin, begin + timedelta(minutes=draw(st.sampled_from((60, 90, 120))))))
    return replace(request, bookings=tuple(bookings), capacity=draw(st.sampled_from(CAPACITIES)))


def _without_booked(result: Plan | Infeasible) -> Plan | Infeasible:
    if isinstance(result, Plan):
        return result
    months = tuple(
        replace(month, best_slots=tuple(replace(slot, booked=()) for slot in month.best_slots)) for month in result.months
    )
    return replace(result, months=months)


@SETTINGS
@given(requests_with_bookings())
def test_bookings_plan_exactly_like_the_same_time_written_as_unavailability(request):
    def own(person):
        return [b for b in request.bookings if b.person_id == person.id]

    as_unavailable = replace(
        request,
        bookings=(),
        capacity=None,
        facilitator=folded(request.facilitator, own(request.facilitator), request.capacity),
        members=tuple(folded(member, own(member), None) for member in request.members),
    )
    with_bookings = find_plan(request)
    event(type(with_bookings).__name__)
    assert _without_booked(with_bookings) == find_plan(as_unavailable)
    if isinstance(with_bookings, Infeasible):
        for month in with_bookings.months:
            for slot in month.best_slots:
                assert {conflict.person_id for conflict in slot.booked} <= set(slot.absent_ids)
                assert {conflict.session_id for conflict in slot.booked} <= {b.session_id for b in request.bookings}


# -- cohorts ----------------------------------------------------------------------------------------


@st.composite
def cohorts(draw, tight: bool = False) -> list[CohortGroup]:
    """2–4 groups drawing facilitators and members from small pools, so that people are shared.

    ``tight``: one facilitator and one Tuesday evening for everyone, everyone away from the 75th
    to 105th day on, and some groups away for a few weeks before that: few enough series for an
    exhaustive search, and groups that compete for their facilitator's Tuesdays.
    """
    year, month = draw(st.sampled_from(((2027, 1), (2027, 3), (2027, 9), (2028, 2))))
    starts_on = date(year, month, 1)
    away = ()
    if tight:
        back = starts_on + timedelta(days=draw(st.sampled_from((75, 90, 105))))
        away = (UnavailableRange(back, back + timedelta(days=700)),)
    facilitators = [f"f{n}" for n in range(1 if tight else draw(st.integers(1, 2)))]
    pool = [f"p{n}" for n in range(draw(st.integers(4, 9)))]
    capacity = {f: draw(st.sampled_from(PAIRWISE_CAPACITIES if tight else CAPACITIES)) for f in facilitators}
    windows: dict[str, set[tuple[int, int]]] = defaultdict(set)
    absences: dict[str, list[UnavailableRange]] = defaultdict(list)
    plans = []
    for _ in range(draw(st.integers(2, 4))):
        facilitator = draw(st.sampled_from(facilitators))
        members = draw(st.lists(st.sampled_from(pool), min_size=3, max_size=4, unique=True))
        shared = WINDOWS[0] if tight else draw(st.sampled_from(WINDOWS))
        for person in (facilitator, *members):
            windows[person].add(shared)
            if not tight and draw(st.integers(0, 3)) == 0:
                windows[person].add(draw(st.sampled_from(WINDOWS)))
        if tight and draw(st.booleans()):  # the group is away for a while: fewer Tuesdays to choose from
            first = starts_on + timedelta(days=draw(st.integers(0, 70)))
            for person in members:
                absences[person].append(UnavailableRange(first, first + timedelta(days=draw(st.integers(6, 27)))))
        plans.append((facilitator, members))

    def person(pid: str) -> Person:
        weekly = tuple(
            WeeklyWindow(day, time(start // 60, start % 60), time((start + 90) // 60, (start + 90) % 60))
            for day, start in sorted(windows[pid])
        )
        return Person(pid, "Europe/Amsterdam", Availability(weekly, (*away, *absences[pid])))

    return [
        CohortGroup(
            f"g{index}",
            PlanRequest(
                timezone="Europe/Amsterdam", starts_on=starts_on, session_minutes=90, guided_sessions=3,
                follow_up_sessions=draw(st.integers(0, 2)), facilitator=person(facilitator),
                members=tuple(person(m) for m in members), constraints=GroupConstraints(),
                capacity=capacity[facilitator],
            ),
        )
        for index, (facilitator, members) in enumerate(plans)
    ]


def booked_sessions(groups: list[CohortGroup], results) -> dict[str, list[tuple[datetime, datetime, str]]]:
    """Per person, every session they are booked into: (start, end, which)."""
    found = defaultdict(list)
    for group, result in zip(groups, results):
        if not isinstance(result, Plan):
            continue
        for session in result.sessions:
            people = [group.request.facilitator, *group.request.members] if session.kind == "guided" else group.request.members
            for person in people:
                if person.id not in session.absent_ids:
                    found[person.id].append((session.start, session.end, f"{group.key}#{session.number}"))
    return found


def assert_nobody_booked_twice(groups: list[CohortGroup], results) -> None:
    capacities = {g.request.facilitator.id: g.request.capacity for g in groups}
    for person, sessions in booked_sessions(groups, results).items():
        sessions.sort()
        capacity = capacities.get(person)
        gap = timedelta(minutes=capacity.break_minutes or 0) if capacity else timedelta(0)
        for (_, end, first), (start, _, second) in zip(sessions, sessions[1:]):
            assert start >= end + gap, f"{person} is booked into {first} and {second}"
        if capacity:
            days = defaultdict(int)
            weeks = defaultdict(int)
            for start, _, _ in sessions:
                local = start.astimezone(AMSTERDAM).date()
                days[local] += 1
                weeks[local.isocalendar()[:2]] += 1
            assert max(days.values()) <= (capacity.max_sessions_per_day or 99), f"{person}: too many on one day"
            assert max(weeks.values()) <= (capacity.max_sessions_per_week or 99), f"{person}: too many in one week"


def assert_keeps_the_rules(request: PlanRequest, plan: Plan) -> None:
    """The rules of a plan that do not depend on other groups (the engine's own property test
    checks the rest, such as which slot is best)."""
    guided = [s for s in plan.sessions if s.kind == "guided"]
    assert len(guided) == request.guided_sessions
    low, high = oracle.first_window(request)
    assert low <= guided[0].start.astimezone(AMSTERDAM).date() < high
    walls = [s.start.astimezone(AMSTERDAM).replace(tzinfo=None) for s in plan.sessions]
    months = [wall.year * 12 + wall.month for wall in walls]
    assert months[: len(guided)] == list(range(months[0], months[0] + len(guided)))
    assert months == sorted(set(months))
    assert all(after - before >= timedelta(days=21) for before, after in zip(walls, walls[1:]))
    for session in plan.sessions:
        assert oracle.group_allows(request, session.start)
        required = oracle.required_people(request, session.kind)
        unavailable = set(oracle.absent_people(request, session.start, required))
        assert unavailable <= set(session.absent_ids)
        if session.kind == "guided":
            assert session.absent_ids == ()


def one_by_one(groups: list[CohortGroup]) -> list[Plan | Infeasible]:
    """What single runs do, one after another: each plans around what the ones before booked."""
    results, booked = [], []
    for group in groups:
        result = find_plan(replace(group.request, bookings=tuple(booked)))
        results.append(result)
        if isinstance(result, Plan):
            booked += [
                bk.Booking(person, which, start, end)
                for person, sessions in booked_sessions([group], [result]).items()
                for start, end, which in sessions
            ]
    return results


@SETTINGS
@given(cohorts())
def test_planned_one_by_one_or_together_nobody_is_booked_twice(groups):
    for label, results in (("one by one", one_by_one(groups)), ("together", plan_cohort(groups).results)):
        assert_nobody_booked_twice(groups, results)
        for group, result in zip(groups, results):
            if isinstance(result, Plan):
                assert_keeps_the_rules(group.request, result)
        event(f"{label}: {sum(isinstance(r, Plan) for r in results)} of {len(groups)} planned")


@SETTINGS
@given(cohorts())
def test_together_plans_at_least_as_many_groups_as_one_by_one_and_never_more_than_the_bound(groups):
    together = plan_cohort(groups)
    alone = sum(isinstance(r, Plan) for r in one_by_one(groups))
    assert alone <= together.planned <= together.upper_bound <= len(groups)
    assert plan_cohort(groups) == together  # deterministic
    event(f"together {together.planned}, one by one {alone}")


# -- the exhaustive oracle ---------------------------------------------------------------------------


def every_series(request: PlanRequest) -> list[tuple[datetime, ...]]:
    """Every guided series of the group on its own: consecutive months, 21+ days apart (wall
    clock), the first in the window, everyone available (walks every 15-minute point)."""
    low, high, starts = oracle.guided_starts(request)
    by_month = defaultdict(list)
    for moment in starts:
        by_month[(moment.year, moment.month)].append(moment)

    def following(previous: datetime, year: int, month: int, count: int):
        if count == 0:
            yield ()
            return
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        for moment in by_month.get((year, month), []):
            if moment.replace(tzinfo=None) - previous.replace(tzinfo=None) >= timedelta(days=21):
                for rest in following(moment, year, month, count - 1):
                    yield (moment, *rest)

    return [
        (first, *rest)
        for first in starts if low <= first.date() < high
        for rest in following(first, first.year, first.month, request.guided_sessions - 1)
    ]


def conflict_rule(first: CohortGroup, second: CohortGroup):
    """How the sessions of two groups may clash, or None when they share nobody: ``(gap,
    one_a_day, one_a_week)`` — sessions must lie ``gap`` apart (0: just not overlap), and for a
    shared facilitator who takes one a day or one a week, not on one day or in one week."""
    people = {first.request.facilitator.id, *(m.id for m in first.request.members)}
    if not people & {second.request.facilitator.id, *(m.id for m in second.request.members)}:
        return None
    capacity = first.request.capacity if first.request.facilitator.id == second.request.facilitator.id else None
    if capacity is None:
        return timedelta(0), False, False
    return timedelta(minutes=capacity.break_minutes or 0), capacity.max_sessions_per_day == 1, capacity.max_sessions_per_week == 1


def compatible(rule, length: timedelta, one, other) -> bool:
    """Whether two series (of ``(start, local date, ISO week)``) can both be held under ``rule``.
    These limits are between pairs; the oracle's cohorts use no others."""
    gap, one_a_day, one_a_week = rule
    for a, a_day, a_week in one:
        for b, b_day, b_week in other:
            if a < b + length + gap and b < a + length + gap:
                return False
            if (one_a_day and a_day == b_day) or (one_a_week and a_week == b_week):
                return False
    return True


def more_groups_possible(groups: list[CohortGroup], than: int) -> bool:
    """Whether some choice of series plans more than ``than`` groups: a search over every series
    of every group. Which series of two groups can be held together is worked out once, as bit
    sets; the search keeps, for the groups still to place, only the series that fit everything
    placed (forward checking), and gives up on a branch that cannot beat ``than``."""
    options = [
        [tuple((start, start.astimezone(AMSTERDAM).date(), start.astimezone(AMSTERDAM).isocalendar()[:2]) for start in series)
         for series in every_series(group.request)]
        for group in groups
    ]
    everything = {g: (1 << len(options[g])) - 1 for g in range(len(groups))}
    fits_with = {}
    for g in range(len(groups)):
        for h in range(len(groups)):
            rule = conflict_rule(groups[g], groups[h]) if g != h else None
            length = timedelta(minutes=groups[g].request.session_minutes)
            fits_with[g, h] = [
                everything[h] if rule is None
                else sum(1 << j for j, theirs in enumerate(options[h]) if compatible(rule, length, mine, theirs))
                for mine in options[g]
            ]

    def search(domains: dict[int, int], planned: int) -> bool:
        if planned > than:
            return True
        if planned + sum(1 for domain in domains.values() if domain) <= than:
            return False
        g = min(domains, key=lambda index: domains[index].bit_count())
        rest = {h: domain for h, domain in domains.items() if h != g}
        domain = domains[g]
        while domain:
            i = (domain & -domain).bit_length() - 1
            domain &= domain - 1
            if search({h: other & fits_with[g, h][i] for h, other in rest.items()}, planned + 1):
                return True
        return search(rest, planned)

    return search(everything, 0)


@settings(SETTINGS, max_examples=60)
@given(cohorts(tight=True))
def test_together_plans_as_many_groups_as_an_exhaustive_search(groups):
    together = plan_cohort(groups)
    assert_nobody_booked_twice(groups, together.results)
    assert together.planned == len(groups) or not more_groups_possible(groups, together.planned)
    alone = sum(isinstance(r, Plan) for r in one_by_one(groups))
    event(f"{together.planned} of {len(groups)} planned; optimal claimed: {together.optimal}")
    event("one by one plans fewer" if alone < together.planned else "one by one plans as many")
