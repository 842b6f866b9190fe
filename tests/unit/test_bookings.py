"""Other sessions as busy time: the booking rules, and the plan engine keeping them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.domain import availability as av
from shared.domain import bookings as bk
from shared.domain.cohort import CohortGroup, conflicts_of, plan_cohort
from shared.domain.model import Availability, GroupConstraints, Person, WeeklyWindow
from shared.domain.planning import (
    Infeasible,
    Plan,
    PlanRequest,
    candidate_series,
    find_plan,
    plan_with_series,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TUESDAY = Availability(weekly=(WeeklyWindow(1, time(19), time(21, 30)),))
TUESDAY_AND_THURSDAY = Availability(weekly=(WeeklyWindow(1, time(19), time(21, 30)), WeeklyWindow(3, time(19), time(21, 30))))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM)


def booking(person: str, session: str, day: date, hour: int, minute: int = 0, minutes: int = 90) -> bk.Booking:
    start = at(day, hour, minute)
    return bk.Booking(person, session, start, start + timedelta(minutes=minutes))


def request(facilitator=TUESDAY, member=TUESDAY, **changes) -> PlanRequest:
    plain = PlanRequest(
        timezone="Europe/Amsterdam", starts_on=date(2027, 1, 1), session_minutes=90, guided_sessions=3,
        follow_up_sessions=3, facilitator=Person("fien", "Europe/Amsterdam", facilitator),
        members=tuple(Person(f"m{n}", "Europe/Amsterdam", member) for n in range(4)),
        constraints=GroupConstraints(),
    )
    return replace(plain, **changes)


def minutes(moment: datetime) -> int:
    return av.utc_minutes(moment)


# -- busy time from a calendar -------------------------------------------------------------------


def calendar(person: str, day: date, hour: int, minutes: int = 60) -> bk.Booking:
    start = at(day, hour)
    return bk.Booking(person, f"calendar:{person}:{start.isoformat()}", start, start + timedelta(minutes=minutes), bk.CALENDAR)


def test_busy_time_from_a_calendar_blocks_only_its_own_time():
    """Not a session of hers: no break around it, and it does not fill her day or week."""
    full = bk.Capacity(max_sessions_per_day=1, max_sessions_per_week=1, break_minutes=30)
    busy = calendar("fien", date(2027, 1, 5), 9)
    found = bk.blocks([busy], "Europe/Amsterdam", full)
    assert [(b.start, b.end, b.reason, b.source) for b in found] == [
        (minutes(busy.start), minutes(busy.end), "overlap", "calendar"),
    ]
    session = booking("fien", "s1", date(2027, 1, 5), 19)
    found = bk.blocks([busy, session], "Europe/Amsterdam", full)
    assert {(b.reason, b.source) for b in found} == {("overlap", "calendar"), ("overlap", "session"), ("break", "session"), ("day", "session"), ("week", "session")}
    assert all(b.session_id == "s1" for b in found if b.source == "session")


def test_a_proposal_in_busy_time_conflicts_with_the_calendar_and_one_beside_it_does_not():
    full = {"fien": bk.Capacity(max_sessions_per_day=1, break_minutes=30)}
    busy = calendar("fien", date(2027, 1, 5), 18)
    inside = bk.Proposal("new", at(date(2027, 1, 5), 18, 30), at(date(2027, 1, 5), 20), ("fien",))
    assert bk.conflicts([inside], [busy], {"fien": "Europe/Amsterdam"}, full) == [
        ("new", bk.Conflict("fien", busy.session_id, "overlap", "calendar")),
    ]
    # Right after it: no break asked for, and the day is not full.
    beside = bk.Proposal("new", at(date(2027, 1, 5), 19), at(date(2027, 1, 5), 20, 30), ("fien",))
    assert bk.conflicts([beside], [busy], {"fien": "Europe/Amsterdam"}, full) == []
    # Another of her sessions that day still fills it.
    other = booking("fien", "s1", date(2027, 1, 5), 9)
    assert bk.conflicts([beside], [busy, other], {"fien": "Europe/Amsterdam"}, full) == [
        ("new", bk.Conflict("fien", "s1", "day", "session")),
    ]


def test_the_plan_engine_keeps_clear_of_busy_time_and_names_it_when_nothing_is_left():
    busy = tuple(calendar("m2", date(2027, 1, 5) + timedelta(weeks=w), 19, minutes=150) for w in range(80))
    result = find_plan(request(bookings=busy))
    assert isinstance(result, Infeasible)
    slots = [slot for month in result.months for slot in month.best_slots]
    assert slots and all(any(b.person_id == "m2" and b.source == "calendar" for b in slot.booked) for slot in slots)
    first_tuesdays = tuple(b for b in busy if b.start.day <= 7)
    plan = find_plan(request(bookings=first_tuesdays))
    assert isinstance(plan, Plan) and plan.sessions[0].start == at(date(2027, 1, 12), 19)
    assert not any(s.start < b.end and b.start < s.end for s in plan.sessions for b in first_tuesdays)


# -- the rules ---------------------------------------------------------------------------------


def test_a_booking_blocks_its_own_time_and_with_a_break_the_minutes_around_it():
    one = booking("fien", "s1", date(2027, 1, 5), 19)
    assert [(b.reason, b.session_id) for b in bk.blocks([one], "Europe/Amsterdam")] == [("overlap", "s1")]
    found = bk.blocks([one], "Europe/Amsterdam", bk.Capacity(break_minutes=30))
    assert [(b.start - minutes(one.start), b.end - minutes(one.start), b.reason) for b in found] == [
        (-30, 0, "break"), (0, 90, "overlap"), (90, 120, "break"),
    ]


def test_a_full_day_and_a_full_week_are_blocked_in_the_facilitators_own_zone():
    # Two sessions on Tuesday 5 January in New York; the day there is 06:00 to 06:00 in Amsterdam.
    new_york = ZoneInfo("America/New_York")
    first = bk.Booking("f", "s1", datetime(2027, 1, 5, 9, tzinfo=new_york), datetime(2027, 1, 5, 10, 30, tzinfo=new_york))
    second = bk.Booking("f", "s2", datetime(2027, 1, 5, 20, tzinfo=new_york), datetime(2027, 1, 5, 21, 30, tzinfo=new_york))
    found = bk.blocks([first, second], "America/New_York", bk.Capacity(max_sessions_per_day=2, max_sessions_per_week=3))
    day = [b for b in found if b.reason == "day"]
    assert [(b.start, b.end, b.session_id) for b in day] == [
        (minutes(datetime(2027, 1, 5, tzinfo=new_york)), minutes(datetime(2027, 1, 6, tzinfo=new_york)), "s1"),
    ]
    assert not [b for b in found if b.reason == "week"]  # two of three: room for one more
    third = bk.Booking("f", "s3", datetime(2027, 1, 10, 9, tzinfo=new_york), datetime(2027, 1, 10, 10, tzinfo=new_york))
    week = [b for b in bk.blocks([first, second, third], "America/New_York", bk.Capacity(max_sessions_per_week=3)) if b.reason == "week"]
    assert [(b.start, b.end) for b in week] == [
        (minutes(datetime(2027, 1, 4, tzinfo=new_york)), minutes(datetime(2027, 1, 11, tzinfo=new_york))),  # Monday to Monday
    ]


def test_violations_name_the_new_session_and_the_one_it_runs_into():
    old = bk.Timed("old", 0, 90, new=False)
    assert bk.violations([old, bk.Timed("new", 60, 150, new=True)], "UTC") == [("new", "old", "overlap")]
    assert bk.violations([old, bk.Timed("new", 90, 180, new=True)], "UTC") == []  # back to back is fine
    assert bk.violations([old, bk.Timed("new", 100, 190, new=True)], "UTC", bk.Capacity(break_minutes=15)) == [("new", "old", "break")]
    assert bk.violations([old, bk.Timed("other-old", 30, 60, new=False)], "UTC") == []  # old ones are not judged
    day = [old, bk.Timed("new", 600, 690, new=True)]
    assert bk.violations(day, "UTC", bk.Capacity(max_sessions_per_day=1)) == [("new", "old", "day")]
    assert bk.violations(day, "UTC", bk.Capacity(max_sessions_per_day=2)) == []


@pytest.mark.parametrize("value", [0, -3])
def test_a_capacity_is_positive(value):
    with pytest.raises(ValueError):
        bk.Capacity(max_sessions_per_day=value)


# -- the plan engine ---------------------------------------------------------------------------


def test_a_facilitators_other_sessions_are_busy_time_for_her_next_group():
    alone = find_plan(request())
    assert alone.sessions[0].start == at(date(2027, 1, 5), 19)
    booked = tuple(
        bk.Booking("fien", f"other-{s.number}", s.start, s.end) for s in alone.sessions if s.kind == "guided"
    )
    second = find_plan(request(bookings=booked))
    assert [s.start for s in second.sessions[:3]] == [at(date(2027, 1, 12), 19), at(date(2027, 2, 9), 19), at(date(2027, 3, 9), 19)]
    assert conflicts_of([(request(bookings=booked), second)]) == []
    assert conflicts_of([(request(bookings=booked), alone)]) == [
        (0, 1, bk.Conflict("fien", "other-1", "overlap")),
        (0, 2, bk.Conflict("fien", "other-2", "overlap")),
        (0, 3, bk.Conflict("fien", "other-3", "overlap")),
    ]
    # Two plans made apart from each other clash with each other (each pair is named once).
    twice = conflicts_of([(request(), alone), (request(), alone)])
    assert {(i, n) for i, n, _ in twice} == {(0, s.number) for s in alone.sessions}


def test_a_members_booking_counts_for_self_directed_sessions_too():
    plain = find_plan(request())
    fourth = plain.sessions[3]
    booked = (bk.Booking("m2", "elsewhere", fourth.start - timedelta(minutes=30), fourth.start + timedelta(minutes=30)),)
    moved = find_plan(request(bookings=booked))
    assert moved.sessions[:3] == plain.sessions[:3]
    assert moved.sessions[3].start != fourth.start and moved.sessions[3].absent_ids == ()


def test_the_facilitators_break_and_weekly_limit_keep_her_next_group_away():
    other = (booking("fien", "late", date(2027, 1, 5), 17, 30),)  # ends 19:00 on the first Tuesday
    assert find_plan(request(bookings=other)).sessions[0].start == at(date(2027, 1, 5), 19)
    with_break = find_plan(request(bookings=other, capacity=bk.Capacity(break_minutes=30)))
    assert with_break.sessions[0].start == at(date(2027, 1, 5), 19, 30)
    # Sunday 10 January is in the first Tuesday's ISO week (4–10 January).
    sunday = (booking("fien", "sunday", date(2027, 1, 10), 11),)
    weekly = find_plan(request(bookings=sunday, capacity=bk.Capacity(max_sessions_per_week=1)))
    assert weekly.sessions[0].start == at(date(2027, 1, 12), 19)


def test_diagnostics_say_who_is_booked_by_which_session_apart_from_who_is_unavailable():
    every_tuesday = tuple(
        booking("fien", f"tue-{week}", date(2027, 1, 5) + timedelta(weeks=week), 18, 30, minutes=210) for week in range(60)
    )
    result = find_plan(request(bookings=every_tuesday))
    assert isinstance(result, Infeasible)
    assert result.blockers == ("fien",)
    best = result.months[0].best_slots[0]
    assert best.start == at(date(2027, 1, 5), 19)
    assert best.absent_ids == ("fien",)
    assert best.booked == (bk.Conflict("fien", "tue-0", "overlap"),)
    unavailable = find_plan(request(facilitator=Availability(weekly=(WeeklyWindow(2, time(9), time(12)),))))
    assert unavailable.months[0].best_slots[0].booked == ()  # simply not available: not booked


def test_candidate_series_start_with_the_engines_own_choice_and_each_fits_on_its_own():
    one_start = Availability(weekly=(WeeklyWindow(1, time(19), time(20, 30)), WeeklyWindow(3, time(19), time(20, 30))))
    narrow = request(facilitator=one_start, member=one_start)
    series, complete = candidate_series(narrow, limit=10_000)
    assert complete
    assert series[0].starts == tuple(s.start for s in find_plan(narrow).sessions[:3])
    assert all(s.fixed_slot for s in series[:3]) and not series[-1].fixed_slot
    assert len({s.starts for s in series}) == len(series)
    assert candidate_series(narrow, limit=len(series) - 1) == (series[:-1], False)
    for chosen in series[:: max(1, len(series) // 25)]:
        plan = plan_with_series(narrow, chosen)
        assert tuple(s.start for s in plan.sessions[:3]) == chosen.starts
        assert (plan.slot is not None) == chosen.fixed_slot


def test_a_short_list_of_candidates_covers_many_days_before_many_times():
    open_week = Availability()  # no weekly restriction: every quarter hour of 08:00–22:00 on weekdays
    series, complete = candidate_series(request(facilitator=open_week, member=open_week), limit=60)
    assert not complete and len(series) == 60
    assert len({s.starts[0].date() for s in series}) == 60


def test_a_group_without_guided_sessions_left_has_no_series_to_choose():
    done = request(guided_sessions=0)
    assert candidate_series(done, limit=10) == ((), True)
    assert isinstance(find_plan(done), Plan)


# -- at the edges of the rules ---------------------------------------------------------------------
# One minute of overlap, a break that is not a multiple of the 15-minute grid, and weeks counted on
# the facilitator's own clock where it parts from UTC's: a Sunday evening west of UTC is already
# Monday in UTC, a Monday morning east of it still Sunday.

LOS_ANGELES, TOKYO = ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Tokyo")


def timed(session_id: str, start: datetime, end: datetime, new: bool) -> bk.Timed:
    return bk.Timed(session_id, minutes(start), minutes(end), new)


def test_two_sessions_that_share_one_minute_overlap():
    old = bk.Timed("old", 0, 90, new=False)
    assert bk.violations([old, bk.Timed("new", 89, 179, new=True)], "UTC") == [("new", "old", "overlap")]
    assert bk.violations([bk.Timed("new", -89, 1, new=True), old], "UTC") == [("new", "old", "overlap")]
    assert bk.violations([old, bk.Timed("new", 90, 180, new=True)], "UTC") == []
    assert bk.violations([bk.Timed("new", -90, 0, new=True), old], "UTC") == []
    # Through the check that moves and writes use, with datetimes.
    booked = booking("fien", "booked", date(2027, 1, 5), 19)
    one_minute = bk.Proposal("moved", at(date(2027, 1, 5), 20, 29), at(date(2027, 1, 5), 21, 59), ("fien",))
    assert bk.conflicts([one_minute], [booked], {"fien": "Europe/Amsterdam"}, {}) == [
        ("moved", bk.Conflict("fien", "booked", "overlap")),
    ]
    back_to_back = replace(one_minute, start=at(date(2027, 1, 5), 20, 30), end=at(date(2027, 1, 5), 22))
    assert bk.conflicts([back_to_back], [booked], {"fien": "Europe/Amsterdam"}, {}) == []


def test_a_booking_blocks_a_session_that_would_share_one_minute_with_it():
    tuesday = date(2027, 1, 5)
    evening = minutes(at(tuesday, 19)), minutes(at(tuesday, 20, 30))
    for booked in (booking("fien", "until 19:01", tuesday, 17, 31), booking("fien", "from 20:29", tuesday, 20, 29)):
        block = bk.first_block(bk.blocks([booked], "Europe/Amsterdam"), *evening)
        assert (block.session_id, block.reason) == (booked.session_id, "overlap")
    apart = [booking("fien", "until 19:00", tuesday, 17, 30), booking("fien", "from 20:30", tuesday, 20, 30)]
    assert bk.first_block(bk.blocks(apart, "Europe/Amsterdam"), *evening) is None


def test_a_plan_keeps_clear_of_a_session_that_ends_one_minute_into_its_slot():
    # A session moved by hand to 17:31 ends at 19:01: 19:00 is taken, 19:15 is the first free start.
    moved = (booking("fien", "moved", date(2027, 1, 5), 17, 31),)
    assert find_plan(request(bookings=moved)).sessions[0].start == at(date(2027, 1, 5), 19, 15)
    # One that starts at 20:29 leaves no 90 minutes from 19:00 on that Tuesday.
    late = (booking("fien", "late", date(2027, 1, 5), 20, 29),)
    assert find_plan(request(bookings=late)).sessions[0].start == at(date(2027, 1, 12), 19)


def test_a_break_of_one_minute_parts_back_to_back_sessions():
    old = bk.Timed("old", 0, 90, new=False)
    one = bk.Capacity(break_minutes=1)
    assert bk.violations([old, bk.Timed("new", 90, 180, new=True)], "UTC", one) == [("new", "old", "break")]
    assert bk.violations([bk.Timed("new", -90, 0, new=True), old], "UTC", one) == [("new", "old", "break")]
    assert bk.violations([old, bk.Timed("new", 91, 181, new=True)], "UTC", one) == []
    seven = bk.Capacity(break_minutes=7)
    assert bk.violations([old, bk.Timed("new", 96, 186, new=True)], "UTC", seven) == [("new", "old", "break")]
    assert bk.violations([old, bk.Timed("new", 97, 187, new=True)], "UTC", seven) == []
    # The plan engine: a session that ends at 19:00 keeps her from 19:00, the next start is 19:15.
    other = (booking("fien", "late", date(2027, 1, 5), 17, 30),)
    assert find_plan(request(bookings=other, capacity=one)).sessions[0].start == at(date(2027, 1, 5), 19, 15)


def test_a_batch_keeps_a_break_of_one_minute_between_the_facilitators_groups():
    """One group can meet on Tuesdays 19:00–20:30, the other 20:30–22:00, and their facilitator
    on both: back to back they fit one evening, but not with one minute's break between them."""
    early = Availability(weekly=(WeeklyWindow(1, time(19), time(20, 30)),))
    late = Availability(weekly=(WeeklyWindow(1, time(20, 30), time(22)),))
    both = Availability(weekly=(WeeklyWindow(1, time(19), time(22)),))

    def groups(capacity):
        plain = request(facilitator=both, capacity=capacity, follow_up_sessions=0)
        late_members = tuple(Person(f"l{n}", "Europe/Amsterdam", late) for n in range(4))
        return [
            CohortGroup("early", replace(plain, members=tuple(replace(m, availability=early) for m in plain.members))),
            CohortGroup("late", replace(plain, members=late_members)),
        ]

    def guided_starts(result):
        return [[s.start for s in plan.sessions] for plan in result.results]

    back_to_back = plan_cohort(groups(None))
    assert guided_starts(back_to_back) == [
        [at(date(2027, 1, 5), 19), at(date(2027, 2, 2), 19), at(date(2027, 3, 2), 19)],
        [at(date(2027, 1, 5), 20, 30), at(date(2027, 2, 2), 20, 30), at(date(2027, 3, 2), 20, 30)],
    ]
    apart = plan_cohort(groups(bk.Capacity(break_minutes=1)))
    assert apart.planned == 2 and apart.optimal
    early_days, late_days = ({start.date() for start in starts} for starts in guided_starts(apart))
    assert not early_days & late_days
    assert conflicts_of([(group.request, plan) for group, plan in zip(groups(bk.Capacity(break_minutes=1)), apart.results)]) == []


# Her week, not UTC's: ``(zone, her session at the turn of her week, a start in her week of it but
# in another UTC week, a start in another week of hers but in its UTC week)``. In Los Angeles,
# Sunday 10 January 19:00 is Monday 03:00 in UTC; in Tokyo, Monday 11 January 08:00 is Sunday
# 23:00 in UTC.
WEEK_TURNS = [
    pytest.param(
        LOS_ANGELES, datetime(2027, 1, 10, 19, tzinfo=LOS_ANGELES),
        datetime(2027, 1, 7, 19, tzinfo=LOS_ANGELES), datetime(2027, 1, 12, 19, tzinfo=LOS_ANGELES), id="sunday-evening-west",
    ),
    pytest.param(
        TOKYO, datetime(2027, 1, 11, 8, tzinfo=TOKYO),
        datetime(2027, 1, 13, 8, tzinfo=TOKYO), datetime(2027, 1, 8, 8, tzinfo=TOKYO), id="monday-morning-east",
    ),
]
SESSION = timedelta(minutes=90)
ONE_A_WEEK = bk.Capacity(max_sessions_per_week=1)


@pytest.mark.parametrize(("zone", "turn", "her_week", "her_other_week"), WEEK_TURNS)
def test_a_weekly_limit_counts_the_facilitators_own_week_where_it_parts_from_utcs(zone, turn, her_week, her_other_week):
    old = timed("turn", turn, turn + SESSION, new=False)
    assert bk.violations([old, timed("new", her_week, her_week + SESSION, True)], zone.key, ONE_A_WEEK) == [("new", "turn", "week")]
    assert bk.violations([old, timed("new", her_other_week, her_other_week + SESSION, True)], zone.key, ONE_A_WEEK) == []
    # Her full week is blocked from her Monday 00:00 to the next.
    monday = datetime.combine(turn.date() - timedelta(days=turn.weekday()), time(0), tzinfo=zone)
    found = bk.blocks([bk.Booking("f", "turn", turn, turn + SESSION)], zone.key, ONE_A_WEEK)
    assert [(b.start, b.end) for b in found if b.reason == "week"] == [(minutes(monday), minutes(monday + timedelta(days=7)))]


def iso_week(moment: datetime, zone: ZoneInfo) -> tuple[int, int]:
    return moment.astimezone(zone).isocalendar()[:2]


def weekly_group(zone: ZoneInfo, day: datetime, bookings=()) -> PlanRequest:
    """A group in ``zone`` that can meet on ``day``'s weekday and time from that day on, with a
    facilitator who is free every day but takes one session a week."""
    window = Availability(weekly=(WeeklyWindow(day.weekday(), day.time(), (day + SESSION).time()),))
    everywhere = Availability(weekly=tuple(WeeklyWindow(weekday, time(7), time(22)) for weekday in range(7)))
    return PlanRequest(
        timezone=zone.key, starts_on=day.date(), session_minutes=90, guided_sessions=3, follow_up_sessions=0,
        facilitator=Person("f", zone.key, everywhere),
        members=tuple(Person(f"{day:%a}{n}", zone.key, window) for n in range(3)),
        constraints=GroupConstraints(weekdays=frozenset(range(7)), earliest=time(7), skip_public_holidays=False),
        bookings=tuple(bookings), capacity=ONE_A_WEEK,
    )


@pytest.mark.parametrize(("zone", "turn", "her_week", "her_other_week"), WEEK_TURNS)
def test_the_plan_engine_and_a_batch_keep_a_weekly_limit_in_her_own_week(zone, turn, her_week, her_other_week):
    booked = (bk.Booking("f", "turn", turn, turn + SESSION),)
    assert find_plan(weekly_group(zone, her_week, booked)).sessions[0].start == her_week + timedelta(days=7)
    assert find_plan(weekly_group(zone, her_other_week, booked)).sessions[0].start == her_other_week
    # Planned together, the group at the turn and the one in her week of it: one of them waits a week.
    groups = [CohortGroup("turn", weekly_group(zone, turn)), CohortGroup("week", weekly_group(zone, her_week))]
    together = plan_cohort(groups)
    assert together.planned == 2
    starts = sorted(s.start for plan in together.results for s in plan.sessions)
    assert [iso_week(start, zone) for start in starts[:2]] == [iso_week(turn, zone), iso_week(turn + timedelta(days=7), zone)]
    assert len({iso_week(start, zone) for start in starts}) == len(starts) == 6, starts
    assert conflicts_of([(group.request, plan) for group, plan in zip(groups, together.results)]) == []
