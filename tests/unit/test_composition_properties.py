"""Properties of group composition over generated pools, and the exhaustive oracle on small ones.

Pools are small (up to 9 people for the oracle, 12 for the rules) with availability drawn from a
few shared windows, so that groups are often possible and often contested; people live in
Amsterdam, London or New York, some follow a school-holiday region, some are away for a week.
Examples are derandomised and no example database is used, so every run checks the same pools.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shared.domain.composition import Candidate, CompositionRequest, compose, size_penalty
from shared.domain.model import Availability, GroupConstraints, Person, UnavailableRange, WeeklyWindow
from shared.domain.planning import Plan, PlanRequest, find_plan
from tests.unit import composition_oracle

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ZONES = {"Europe/Amsterdam": 0, "Europe/London": 60, "America/New_York": 360}
# Amsterdam wall-clock windows (weekday, start, end in minutes) that several people share.
WINDOWS = [
    (1, 19 * 60, 21 * 60 + 30),
    (1, 20 * 60, 22 * 60),
    (2, 13 * 60, 16 * 60),
    (3, 19 * 60, 20 * 60 + 45),
    (3, 15 * 60, 17 * 60),
]
OUTSIDE_HOURS = (5, 10 * 60, 12 * 60)  # Saturday morning: the groups meet on weekdays
STARTS = [date(2027, 9, 1), date(2027, 2, 15), date(2028, 6, 20)]
ORGANIZATIONS = ("school-a", "school-b", "school-c", "school-d")


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


@st.composite
def people(draw, number: int, starts_on: date) -> Person:
    zone = draw(st.sampled_from(["Europe/Amsterdam"] * 4 + ["Europe/London", "America/New_York"]))
    shift = ZONES[zone]
    windows: tuple[WeeklyWindow, ...] = ()
    if draw(st.integers(0, 11)):  # now and then someone with no weekly restriction
        first = draw(st.sampled_from([WINDOWS[0]] * 4 + WINDOWS[1:] + [OUTSIDE_HOURS]))
        chosen = {first, *draw(st.lists(st.sampled_from(WINDOWS), max_size=1))}
        windows = tuple(WeeklyWindow(day, _clock(start - shift), _clock(end - shift)) for day, start, end in sorted(chosen))
    unavailable: tuple[UnavailableRange, ...] = ()
    if draw(st.integers(0, 5)) == 0:
        first = starts_on + timedelta(days=draw(st.integers(0, 150)))
        unavailable = (UnavailableRange(first, first + timedelta(days=draw(st.integers(0, 9)))),)
    region = draw(st.sampled_from([None, None, "noord", "zuid"]))
    return Person(f"p{number}", zone, Availability(windows, unavailable), region)


@st.composite
def requests(draw, max_people: int) -> CompositionRequest:
    starts_on = draw(st.sampled_from(STARTS))
    count = draw(st.integers(3, max_people))
    candidates = []
    for number in range(count):
        themes = draw(st.lists(st.sampled_from(["ouders", "gedrag"]), min_size=0, max_size=2, unique=True))
        if not themes and draw(st.integers(0, 9)):
            themes = ["ouders"]
        candidates.append(Candidate(
            id=f"p{number}",
            organization=draw(st.sampled_from(ORGANIZATIONS)),
            role=draw(st.sampled_from(["leerkracht", "leerkracht", "intern-begeleider"])),
            themes=tuple(themes),
            person=draw(people(number, starts_on)),
        ))
    min_size = draw(st.integers(2, 3))
    max_size = draw(st.integers(min_size, min_size + 4))
    facilitator = None
    if draw(st.integers(0, 3)) == 0:
        day, start, end = draw(st.sampled_from(WINDOWS))
        facilitator = Person("begeleider", "Europe/Amsterdam", Availability((WeeklyWindow(day, _clock(start), _clock(end)),)))
    return CompositionRequest(
        candidates=tuple(candidates),
        group_by=draw(st.sampled_from(["theme", "theme", "role"])),
        starts_on=starts_on,
        min_size=min_size,
        max_size=max_size,
        ideal_size=draw(st.integers(min_size, max_size)),
        max_per_organization=draw(st.sampled_from([1, 1, 2])),
        facilitator=facilitator,
        constraints=GroupConstraints(
            weekdays=draw(st.sampled_from([frozenset(range(5)), frozenset(range(5)), frozenset({1, 3, 5})])),
            latest=draw(st.sampled_from([time(22, 0), time(22, 0), time(21, 30)])),
            school_holiday_region=draw(st.sampled_from([None, "midden"])),
        ),
        session_minutes=draw(st.sampled_from([90, 90, 60, 120])),
        guided_sessions=draw(st.sampled_from([3, 3, 2, 4])),
        time_limit_seconds=10.0,
    )


def _keys(candidate: Candidate, group_by: str) -> set[str]:
    return {candidate.role} if group_by == "role" else set(candidate.themes)


@PROPERTY_SETTINGS
@given(requests(max_people=12))
def test_every_proposed_group_keeps_the_rules_and_has_a_guided_plan_at_its_slot(request):
    result = compose(request)
    by_id = {candidate.id: candidate for candidate in request.candidates}
    placed = [member for group in result.groups for member in group.member_ids]
    assert len(placed) == len(set(placed)), "somebody is in two groups"
    assert sorted(placed + [item.participant_id for item in result.unplaced]) == sorted(by_id)
    for group in result.groups:
        members = [by_id[member] for member in group.member_ids]
        assert request.min_size <= len(members) <= request.max_size
        assert all(group.key in _keys(member, request.group_by) for member in members)
        organizations = [member.organization for member in members]
        assert max(organizations.count(name) for name in organizations) <= request.max_per_organization
        plan = find_plan(PlanRequest(
            timezone=request.timezone,
            starts_on=request.starts_on,
            session_minutes=request.session_minutes,
            guided_sessions=request.guided_sessions,
            follow_up_sessions=0,
            facilitator=request.facilitator or Person("anyone", request.timezone),
            members=tuple(member.person for member in members),
            constraints=request.constraints,
        ))
        assert isinstance(plan, Plan) and plan.slot == group.slot
        assert plan.sessions[0].start == group.first_session
        assert group.score >= 1
    assert result.placed <= result.upper_bound


@PROPERTY_SETTINGS
@given(requests(max_people=12))
def test_the_same_pool_gives_the_same_proposal_in_any_order(request):
    first = compose(request)
    assert compose(request) == first
    assert compose(replace(request, candidates=request.candidates[::-1])) == first


@settings(PROPERTY_SETTINGS, max_examples=150)
@given(requests(max_people=9))
def test_the_proposal_is_the_exhaustive_optimum_and_the_reasons_are_the_oracles(request):
    result = compose(request)
    expected = composition_oracle.solve(request)
    event(f"groups: {len(result.groups)}")
    for item in result.unplaced:
        event(f"unplaced: {item.code}")
    assert result.optimal
    assert (result.placed, size_penalty([len(group.member_ids) for group in result.groups], request.ideal_size)) == (
        expected.placed, expected.penalty
    )
    assert result.upper_bound == expected.upper_bound
    reasons = {item.participant_id: item.code for item in result.unplaced}
    placeable_but_unplaced = {person for person, code in reasons.items() if code == "groups_full"}
    assert {person: code for person, code in reasons.items() if person not in placeable_but_unplaced} == expected.stages
