"""Properties of the plan search, checked against the brute-force oracle in ``oracle.py``.

Groups are small (3–4 members and a facilitator) so that the oracle, which walks every 15-minute
point, stays quick. The group meets on Amsterdam's clock; its people live near it (Amsterdam,
London, New York) or far from UTC on either side (Los Angeles, Pago Pago, Tokyo, Kiritimati),
where an Amsterdam evening is another day of theirs. Examples are derandomised and no example
database is used, so every run checks the same groups.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shared.domain.model import Availability, GroupConstraints, Person, UnavailableRange, WeeklyWindow
from shared.domain.planning import Infeasible, Plan, PlanRequest, Slot, find_plan
from tests.unit import oracle

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DAY = 24 * 60
ZONES = (
    "Europe/Amsterdam", "Europe/London", "America/New_York",
    "America/Los_Angeles", "Pacific/Pago_Pago", "Asia/Tokyo", "Pacific/Kiritimati",
)
# Amsterdam wall-clock windows that many people share, so that plans are often possible.
COMMON = [(1, 19 * 60, 21 * 60 + 30), (2, 19 * 60 + 30, 22 * 60), (3, 13 * 60, 16 * 60), (1, 20 * 60, 22 * 60)]
PROPERTY_SETTINGS = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _shift(zone: str, day: date) -> int:
    """How many minutes Amsterdam's clock is ahead of ``zone``'s on ``day``."""
    noon = datetime.combine(day, time(12), tzinfo=AMSTERDAM)
    return (noon.utcoffset() - noon.astimezone(ZoneInfo(zone)).utcoffset()) // timedelta(minutes=1)


def _shifted(day: int, start: int, end: int, shift: int) -> tuple[WeeklyWindow, ...]:
    """An Amsterdam window on a clock ``shift`` minutes behind: on another weekday where the
    shift crosses midnight, in two pieces where the window then spans one."""
    start, end = day * DAY + start - shift, day * DAY + end - shift
    pieces = []
    while start < end:
        stop = min(end, (start // DAY + 1) * DAY)
        pieces.append(WeeklyWindow(start // DAY % 7, _clock(start % DAY), _clock(stop % DAY) if stop % DAY else time.max))
        start = stop
    return tuple(pieces)


@st.composite
def weekly_windows(draw, shift: int, shared: tuple[tuple[int, int, int], ...]) -> tuple[WeeklyWindow, ...]:
    if draw(st.integers(0, 14)) == 0:
        return ()  # no weekly restriction
    windows = [piece for window in shared if draw(st.integers(0, 24)) for piece in _shifted(*window, shift)]
    for _ in range(draw(st.integers(0 if windows else 1, 2))):
        if draw(st.booleans()):
            windows.extend(_shifted(*draw(st.sampled_from(COMMON)), shift))
            continue
        day = draw(st.integers(0, 6))
        start = draw(st.integers(6 * 4, 20 * 4)) * 15 + draw(st.sampled_from((0, 0, 0, 5, 10)))
        end = min(start + draw(st.integers(4, 16)) * 15, 23 * 60 + 45)
        if start >= 5 * 60:  # keep clear of the night hours in which clocks change
            end_time = time.max if draw(st.integers(0, 9)) == 0 else _clock(end)  # the API's "24:00"
            windows.append(WeeklyWindow(day, _clock(start), end_time))
    return tuple(windows)


def _alternating(starts_on: date) -> list[UnavailableRange]:
    """Away on Tuesdays in even months and Wednesdays in odd months: no weekday lasts three months."""
    days, day = [], starts_on
    while day < starts_on + timedelta(days=400):
        if (day.weekday(), day.month % 2) in {(1, 0), (2, 1)}:
            days.append(UnavailableRange(day, day))
        day += timedelta(days=1)
    return days


@st.composite
def people(draw, pid: str, starts_on: date, shared, alternating: bool = False, zones: tuple[str, ...] = ZONES) -> Person:
    zone = draw(st.sampled_from(zones))
    unavailable = _alternating(starts_on) if alternating else []
    for _ in range(draw(st.integers(0, 2))):
        first = starts_on + timedelta(days=draw(st.integers(0, 300)))
        if draw(st.booleans()):
            unavailable.append(UnavailableRange(first, first + timedelta(days=draw(st.integers(0, 30)))))
        else:
            start = datetime.combine(first, _clock(draw(st.integers(8 * 4, 21 * 4)) * 15), tzinfo=ZoneInfo(zone))
            unavailable.append(UnavailableRange(start, start + timedelta(minutes=draw(st.integers(1, 16)) * 15)))
    region = draw(st.sampled_from((None, None, None, "noord", "midden", "zuid")))
    return Person(pid, zone, Availability(draw(weekly_windows(_shift(zone, starts_on), shared)), tuple(unavailable)), region)


@st.composite
def plan_requests(draw, facilitator_zones: tuple[str, ...] = ZONES) -> PlanRequest:
    starts_on = draw(st.dates(date(2026, 1, 1), date(2029, 6, 30)))
    mode = draw(st.sampled_from(("shared", "shared", "shared", "random", "alternating")))
    shared = {
        "shared": (draw(st.sampled_from(COMMON)),),
        "random": (),
        "alternating": ((1, 19 * 60, 22 * 60), (2, 19 * 60, 22 * 60)),
    }[mode]
    count = draw(st.integers(3, 4))
    members = tuple(draw(people(f"m{index}", starts_on, shared)) for index in range(count))
    weekdays = draw(st.sampled_from((frozenset(range(5)), frozenset(range(5)), frozenset({1, 2, 3}), frozenset(range(7)))))
    constraints = GroupConstraints(
        weekdays=weekdays,
        earliest=draw(st.sampled_from((time(8), time(8), time(9), time(12), time(18, 30)))),
        latest=draw(st.sampled_from((time(21), time(22), time(22), time(23), time.max))),
        skip_public_holidays=draw(st.booleans()),
        school_holiday_region=draw(st.sampled_from((None, None, "noord", "zuid"))),
        self_directed_quorum=draw(st.sampled_from((None, None, count - 1, 2))),
    )
    not_before = None
    if draw(st.integers(0, 4)) == 0:
        not_before = datetime.combine(starts_on + timedelta(days=draw(st.integers(-10, 40))), time(12), tzinfo=AMSTERDAM)
    return PlanRequest(
        timezone="Europe/Amsterdam",
        starts_on=starts_on,
        session_minutes=draw(st.sampled_from((90, 90, 60, 75, 120))),
        guided_sessions=draw(st.integers(1, 3)),
        follow_up_sessions=draw(st.integers(0, 4)),
        facilitator=draw(people("f", starts_on, shared, alternating=mode == "alternating", zones=facilitator_zones)),
        members=members,
        constraints=constraints,
        not_before=not_before,
    )


def wall(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None)


def month_of(moment: datetime) -> int:
    local = wall(moment)
    return local.year * 12 + local.month - 1


@PROPERTY_SETTINGS
@given(plan_requests())
def test_every_planned_session_satisfies_the_hard_rules(request):
    plan = find_plan(request)
    event(type(plan).__name__)
    if isinstance(plan, Infeasible):
        return
    members = request.members
    quorum = request.constraints.self_directed_quorum
    guided = [session for session in plan.sessions if session.kind == "guided"]
    follow_ups = [session for session in plan.sessions if session.kind == "self_directed"]
    assert [session.kind for session in plan.sessions] == ["guided"] * len(guided) + ["self_directed"] * len(follow_ups)
    assert len(guided) == request.guided_sessions and len(follow_ups) <= request.follow_up_sessions
    assert [session.number for session in plan.sessions] == list(range(1, len(plan.sessions) + 1))

    low, high = oracle.first_window(request)
    assert low <= wall(guided[0].start).date() < high
    months = [month_of(session.start) for session in plan.sessions]
    assert months[: len(guided)] == list(range(months[0], months[0] + len(guided)))  # consecutive
    assert months == sorted(set(months))  # one per calendar month
    for before, after in zip(plan.sessions, plan.sessions[1:]):
        assert wall(after.start) - wall(before.start) >= timedelta(days=21)

    for session in plan.sessions:
        assert oracle.group_allows(request, session.start)
        assert session.end - session.start == timedelta(minutes=request.session_minutes)
        assert request.not_before is None or session.start >= request.not_before
        required = oracle.required_people(request, session.kind)
        assert tuple(oracle.absent_people(request, session.start, required)) == session.absent_ids
        if session.kind == "guided":
            assert session.absent_ids == () and session.chair_id is None
            assert session.keeps_slot == (plan.slot is not None)
        else:
            assert session.chair_id in {member.id for member in members} and session.chair_id not in session.absent_ids
            if session.absent_ids:
                assert quorum is not None and len(members) - len(session.absent_ids) >= quorum
        if plan.slot is not None and session.keeps_slot:
            local = session.start.astimezone(ZoneInfo("Europe/Amsterdam"))
            assert (local.weekday(), local.time().replace(tzinfo=None)) == (plan.slot.weekday, plan.slot.start)
        assert session.keeps_slot or session.note

    # A month the engine leaves without a full-attendance session really has none; a skipped
    # month has not even a quorum.
    previous = guided[-1].start
    for session in follow_ups:
        if session.absent_ids:
            local = wall(session.start)
            assert not oracle.month_has_start(request, local.year, local.month, previous, len(members))
        previous = session.start
    for skipped in plan.skipped_months:
        before = [session.start for session in plan.sessions if month_of(session.start) < skipped.year * 12 + skipped.month - 1]
        minimum = len(members) if quorum is None else min(quorum, len(members))
        assert not oracle.month_has_start(request, skipped.year, skipped.month, before[-1], minimum)
    event(f"skipped months: {bool(plan.skipped_months)}, absences: {any(session.absent_ids for session in follow_ups)}")
    if len(follow_ups) < request.follow_up_sessions:
        assert len(follow_ups) + len(plan.skipped_months) == request.follow_up_sessions + 6


@PROPERTY_SETTINGS
@given(plan_requests())
def test_engine_finds_the_oracles_fixed_slot_plan_or_proves_there_is_none(request):
    plan = find_plan(request)
    starts = oracle.guided_starts(request)
    best = oracle.fixed_slot_plan(request, starts)
    possible = oracle.any_guided_plan(request, starts)
    event("fixed slot" if best else "series without a slot" if possible else "infeasible")
    if best is not None:
        assert isinstance(plan, Plan)
        assert plan.sessions[0].start == best.first
        assert plan.slot == Slot(best.weekday, best.start, best.week_of_month)
    elif possible:
        assert isinstance(plan, Plan) and plan.slot is None
        assert all(not session.keeps_slot for session in plan.sessions)
    else:
        assert isinstance(plan, Infeasible)
    if isinstance(plan, Infeasible):
        assert not possible
        low, high = oracle.first_window(request)
        assert (plan.months[0].year, plan.months[0].month) == (low.year, low.month)


def _without(request: PlanRequest, person_id: str) -> PlanRequest:
    if person_id == request.facilitator.id:
        return replace(request, facilitator=Person(person_id, "Europe/Amsterdam"))  # no restriction at all
    return replace(request, members=tuple(member for member in request.members if member.id != person_id))


@settings(PROPERTY_SETTINGS, max_examples=15)
@given(plan_requests())
def test_blockers_are_exactly_the_people_whose_removal_alone_allows_a_plan(request):
    plan = find_plan(request)
    event(type(plan).__name__)
    if not isinstance(plan, Infeasible):
        return
    everyone = [request.facilitator, *request.members]
    expected = tuple(person.id for person in everyone if oracle.any_guided_plan(_without(request, person.id)))
    event(f"blockers: {len(expected)}")
    assert plan.blockers == expected


@settings(PROPERTY_SETTINGS, max_examples=60)
@given(plan_requests())
def test_same_request_gives_the_same_answer(request):
    copy = replace(request, members=tuple(replace(member) for member in request.members), facilitator=replace(request.facilitator))
    assert find_plan(request) == find_plan(copy) == find_plan(request)
