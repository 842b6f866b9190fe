"""The plan search, by behaviour: clock changes, holidays, the monthly rhythm, the fixed slot,
skipped months, quorum, chairs, infeasible diagnostics and re-plans."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.domain.model import Availability, GroupConstraints, Person, UnavailableRange, WeeklyWindow
from shared.domain.planning import (
    CandidateSlot,
    Infeasible,
    PastSession,
    Plan,
    PlanRequest,
    SkippedMonth,
    Slot,
    attendance_at,
    find_plan,
)
from shared.domain.planning.absences import WEEKDAY, Absence

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MON, TUE, WED = 0, 1, 2


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=AMSTERDAM)


def window(day: int, start: str, end: str) -> WeeklyWindow:
    return WeeklyWindow(day, time.fromisoformat(start), time.fromisoformat(end))


def person(pid: str, *windows: WeeklyWindow, zone: str = "Europe/Amsterdam", unavailable=(), region=None) -> Person:
    return Person(pid, zone, Availability(tuple(windows), tuple(unavailable)), region)


def days_off(*days: date) -> tuple[UnavailableRange, ...]:
    return tuple(UnavailableRange(day, day) for day in days)


def tuesday_evenings(pid: str, **options) -> Person:
    return person(pid, window(TUE, "19:00", "22:00"), **options)


def group(members, facilitator=None, starts_on=date(2027, 1, 4), follow_up=0, guided=3, **options) -> PlanRequest:
    constraints = options.pop("constraints", GroupConstraints())
    return PlanRequest(
        timezone="Europe/Amsterdam",
        starts_on=starts_on,
        session_minutes=90,
        guided_sessions=guided,
        follow_up_sessions=follow_up,
        facilitator=facilitator or tuesday_evenings("f"),
        members=tuple(members),
        constraints=constraints,
        **options,
    )


def plan_of(request: PlanRequest) -> Plan:
    found = find_plan(request)
    assert isinstance(found, Plan), getattr(found, "reason", found)
    return found


def starts(plan: Plan, kind: str | None = None) -> list[datetime]:
    return [session.start for session in plan.sessions if kind is None or session.kind == kind]


def four_members(**options) -> list[Person]:
    return [tuesday_evenings(f"m{index}", **options) for index in range(4)]


# -- time zones and clock changes ----------------------------------------------------------------


def mixed_zone_group(starts_on: date) -> PlanRequest:
    return group(
        [
            tuesday_evenings("amsterdam"),
            person("london", window(TUE, "18:00", "21:00"), zone="Europe/London"),
            person("new-york", window(TUE, "13:30", "15:00"), zone="America/New_York"),
        ],
        starts_on=starts_on,
    )


def test_new_york_member_blocks_march_until_europe_changes_clocks():
    plan = plan_of(mixed_zone_group(date(2027, 3, 15)))
    # On 16 and 23 March New York is already on summer time and Europe is not: its 13:30 is
    # 18:30 in Amsterdam, before the facilitator can. Europe changes on 28 March.
    assert starts(plan) == [local(2027, 3, 30, 19, 30), local(2027, 4, 20, 19, 30), local(2027, 5, 11, 19, 30)]
    assert plan.slot == Slot(TUE, time(19, 30), None)


def test_new_york_member_blocks_the_week_between_the_autumn_changes():
    plan = plan_of(mixed_zone_group(date(2027, 11, 1)))
    # Europe is back on winter time from 31 October, New York only from 7 November.
    assert starts(plan) == [local(2027, 11, 9, 19, 30), local(2027, 12, 14, 19, 30), local(2028, 1, 11, 19, 30)]
    assert plan.slot == Slot(TUE, time(19, 30), 2)


def test_london_member_keeps_the_same_amsterdam_time_across_the_european_change():
    request = group(
        [tuesday_evenings("amsterdam"), person("london", window(TUE, "18:00", "21:00"), zone="Europe/London")],
        starts_on=date(2027, 3, 15),
    )
    plan = plan_of(request)
    assert starts(plan) == [local(2027, 3, 16, 19), local(2027, 4, 20, 19), local(2027, 5, 18, 19)]
    assert plan.slot == Slot(TUE, time(19, 0), 3)


def test_session_times_are_wall_clock_times_of_the_group_across_its_own_change():
    plan = plan_of(group(four_members(), starts_on=date(2027, 3, 1)))
    assert [session.start.time() for session in plan.sessions] == [time(19, 0)] * 3
    assert [session.start.utcoffset() for session in plan.sessions] == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=2)]
    assert all(session.end - session.start == timedelta(minutes=90) for session in plan.sessions)


# -- holidays -----------------------------------------------------------------------------------------


def test_kings_day_is_skipped():
    request = group(four_members(), starts_on=date(2027, 4, 26))
    assert starts(plan_of(request))[0] == local(2027, 5, 4, 19)
    keep_holidays = group(four_members(), starts_on=date(2027, 4, 26), constraints=GroupConstraints(skip_public_holidays=False))
    assert starts(plan_of(keep_holidays))[0] == local(2027, 4, 27, 19)


def test_easter_monday_is_skipped():
    mondays = [person(f"m{index}", window(MON, "19:00", "22:00")) for index in range(3)]
    request = group(mondays, facilitator=person("f", window(MON, "19:00", "22:00")), starts_on=date(2027, 3, 29))
    assert starts(plan_of(request))[0] == local(2027, 4, 5, 19)


def test_group_school_holiday_region_moves_the_start_past_the_may_break():
    wednesdays = [person(f"m{index}", window(WED, "19:00", "22:00")) for index in range(3)]
    facilitator = person("f", window(WED, "19:00", "22:00"))
    without = group(wednesdays, facilitator=facilitator, starts_on=date(2027, 4, 24))
    assert starts(plan_of(without))[0] == local(2027, 4, 28, 19)
    noord = group(wednesdays, facilitator=facilitator, starts_on=date(2027, 4, 24),
                  constraints=GroupConstraints(school_holiday_region="noord"))
    assert starts(plan_of(noord))[0] == local(2027, 5, 5, 19)


def test_member_is_away_during_the_school_holidays_of_her_own_region():
    members = [*four_members(), tuesday_evenings("teacher-zuid", region="zuid")]
    plan = plan_of(group(members, starts_on=date(2027, 2, 15)))
    assert starts(plan)[0] == local(2027, 2, 23, 19)  # zuid's spring break runs 13–21 February


# -- unavailable ranges, grid and group hours ---------------------------------------------------------


def test_unavailable_date_range_includes_its_last_day():
    away_until_tuesday = tuesday_evenings("m9", unavailable=(UnavailableRange(date(2027, 3, 1), date(2027, 3, 2)),))
    plan = plan_of(group([*four_members(), away_until_tuesday], starts_on=date(2027, 3, 1)))
    assert starts(plan)[0] == local(2027, 3, 9, 19)
    away_monday_only = tuesday_evenings("m9", unavailable=(UnavailableRange(date(2027, 3, 1), date(2027, 3, 1)),))
    plan = plan_of(group([*four_members(), away_monday_only], starts_on=date(2027, 3, 1)))
    assert starts(plan)[0] == local(2027, 3, 2, 19)


def test_starts_lie_on_the_quarter_hour_grid():
    members = [person(f"m{index}", window(TUE, "19:10", "21:00")) for index in range(3)]
    plan = plan_of(group(members, starts_on=date(2027, 3, 1)))
    assert plan.slot.start == time(19, 15)


def test_sessions_stay_within_the_groups_earliest_and_latest():
    late = [person(f"m{index}", window(TUE, "17:00", "23:59")) for index in range(3)]
    rules = GroupConstraints(earliest=time(20, 0), latest=time(22, 0))
    plan = plan_of(group(late, facilitator=person("f", window(TUE, "17:00", "23:59")), constraints=rules))
    assert plan.slot.start == time(20, 0)
    too_narrow = GroupConstraints(earliest=time(20, 45), latest=time(22, 0))
    assert isinstance(find_plan(group(late, facilitator=person("f", window(TUE, "17:00", "23:59")), constraints=too_narrow)), Infeasible)


def test_empty_weekly_availability_does_not_restrict():
    plan = plan_of(group([*four_members(), person("anytime")], starts_on=date(2027, 3, 1)))
    assert starts(plan)[0] == local(2027, 3, 2, 19)


# -- the monthly rhythm and the fixed slot -----------------------------------------------------------


def test_guided_sessions_fall_in_consecutive_months_at_least_21_days_apart():
    plan = plan_of(group(four_members(), starts_on=date(2027, 3, 30)))
    # 30 March is the fifth Tuesday; 6 and 13 April are too close, 20 April is exactly 21 days on.
    assert starts(plan) == [local(2027, 3, 30, 19), local(2027, 4, 20, 19), local(2027, 5, 11, 19)]
    assert plan.slot == Slot(TUE, time(19, 0), None)


def test_fixed_slot_prefers_keeping_the_week_of_the_month_over_an_earlier_time():
    busy_early = tuesday_evenings("m9", unavailable=(UnavailableRange(local(2027, 2, 9, 19), local(2027, 2, 9, 19, 30)),))
    plan = plan_of(group([*four_members(), busy_early], starts_on=date(2027, 1, 11)))
    assert plan.slot == Slot(TUE, time(19, 30), 2)
    assert starts(plan) == [local(2027, 1, 12, 19, 30), local(2027, 2, 9, 19, 30), local(2027, 3, 9, 19, 30)]
    assert plan.slot.describe() == "tweede dinsdag van de maand, 19:30–21:00"


def test_earliest_first_date_wins_over_keeping_the_week():
    away = tuesday_evenings("m9", unavailable=days_off(date(2027, 2, 2)))
    plan = plan_of(group([*four_members(), away], starts_on=date(2027, 1, 4)))
    assert starts(plan) == [local(2027, 1, 5, 19), local(2027, 2, 9, 19), local(2027, 3, 2, 19)]
    assert plan.slot == Slot(TUE, time(19, 0), None)
    assert all(session.keeps_slot for session in plan.sessions)


def alternating_facilitator() -> Person:
    """Away on Tuesdays in even months and on Wednesdays in odd months: no weekday lasts three months."""
    blocked = []
    day = date(2027, 1, 1)
    while day.year == 2027:
        if (day.weekday() == TUE and day.month % 2 == 0) or (day.weekday() == WED and day.month % 2 == 1):
            blocked.append(day)
        day += timedelta(days=1)
    return person("f", window(TUE, "19:00", "22:00"), window(WED, "19:00", "22:00"), unavailable=days_off(*blocked))


def test_without_a_fixed_slot_the_earliest_series_is_planned_and_flagged():
    members = [person(f"m{index}", window(TUE, "19:00", "22:00"), window(WED, "19:00", "22:00")) for index in range(3)]
    plan = plan_of(group(members, facilitator=alternating_facilitator(), follow_up=1))
    assert plan.slot is None
    assert starts(plan, "guided") == [local(2027, 1, 5, 19), local(2027, 2, 3, 19), local(2027, 3, 2, 19)]
    guided = [session for session in plan.sessions if session.kind == "guided"]
    assert not any(session.keeps_slot for session in guided)
    assert all(session.note and "Geen vaste dag en tijd" in session.note for session in guided)
    [follow_up] = [session for session in plan.sessions if session.kind == "self_directed"]
    assert follow_up.start == local(2027, 4, 6, 19)  # the first session's weekday and time, facilitator not needed


# -- self-directed sessions -----------------------------------------------------------------------------


def test_self_directed_sessions_keep_the_slot_after_the_guided_ones():
    plan = plan_of(group(four_members(), starts_on=date(2027, 1, 11), follow_up=3))
    assert [session.number for session in plan.sessions] == [1, 2, 3, 4, 5, 6]
    assert [session.kind for session in plan.sessions] == ["guided"] * 3 + ["self_directed"] * 3
    assert starts(plan, "self_directed") == [local(2027, 4, 13, 19), local(2027, 5, 11, 19), local(2027, 6, 8, 19)]
    assert all(session.keeps_slot and session.note is None for session in plan.sessions)
    assert all(session.chair_id is None for session in plan.sessions if session.kind == "guided")


def test_self_directed_session_says_when_it_leaves_the_week_or_the_slot():
    def tuesdays_and_wednesdays(pid: str, *away: date) -> Person:
        return person(pid, window(TUE, "19:00", "22:00"), window(WED, "19:00", "22:00"), unavailable=days_off(*away))

    members = [
        tuesdays_and_wednesdays("m0", date(2027, 4, 13)),
        tuesdays_and_wednesdays("m1", date(2027, 5, 4), date(2027, 5, 11), date(2027, 5, 18), date(2027, 5, 25)),
        tuesdays_and_wednesdays("m2"),
    ]
    plan = plan_of(group(members, starts_on=date(2027, 1, 11), follow_up=2))
    assert plan.slot == Slot(TUE, time(19, 0), 2)
    april, may = [session for session in plan.sessions if session.kind == "self_directed"]
    assert april.start == local(2027, 4, 6, 19)  # the earliest Tuesday at 19:00, 28 days after 9 March
    assert not april.keeps_slot
    assert april.note == "Zelfde dag en tijd, maar de eerste dinsdag van de maand: de tweede kon deze maand niet."
    assert may.start == local(2027, 5, 5, 19)
    assert not may.keeps_slot
    assert may.note.startswith("Het vaste tijdstip (tweede dinsdag van de maand, 19:00–20:30) kon deze maand niet")


def two_regions() -> list[Person]:
    return [tuesday_evenings("noord", region="noord"), tuesday_evenings("zuid", region="zuid"), tuesday_evenings("m2")]


def test_a_month_without_any_possible_session_is_skipped_and_reported():
    plan = plan_of(group(two_regions(), starts_on=date(2027, 4, 1), follow_up=2))
    assert starts(plan) == [
        local(2027, 4, 6, 19), local(2027, 5, 4, 19), local(2027, 6, 1, 19),
        local(2027, 7, 6, 19), local(2027, 9, 7, 19),  # noord's summer ends 22 August, zuid's starts 24 July
    ]
    assert plan.skipped_months == (SkippedMonth(2027, 8, plan.skipped_months[0].reason),)
    assert "augustus 2027" in plan.skipped_months[0].reason


def test_follow_up_search_gives_up_six_months_after_the_sessions_it_needs():
    away = tuesday_evenings("m9", unavailable=(UnavailableRange(date(2027, 4, 1), date(2028, 12, 31)),))
    plan = plan_of(group([*four_members(), away], starts_on=date(2027, 1, 4), follow_up=2))
    assert starts(plan, "self_directed") == []
    assert [(month.year, month.month) for month in plan.skipped_months] == [(2027, month) for month in range(4, 12)]


def test_quorum_lets_a_session_go_ahead_without_an_absent_member():
    members = four_members()
    members[3] = tuesday_evenings("m3", unavailable=(UnavailableRange(date(2027, 7, 1), date(2027, 7, 31)),))
    request = group(members, starts_on=date(2027, 4, 1), follow_up=2, constraints=GroupConstraints(self_directed_quorum=3))
    plan = plan_of(request)
    july, august = [session for session in plan.sessions if session.kind == "self_directed"]
    assert (july.start, july.absent_ids, july.keeps_slot) == (local(2027, 7, 6, 19), ("m3",), True)
    assert "3 van de 4 leden" in july.note
    assert (august.start, august.absent_ids, august.note) == (local(2027, 8, 3, 19), (), None)

    without_quorum = plan_of(group(members, starts_on=date(2027, 4, 1), follow_up=2))
    assert [(month.year, month.month) for month in without_quorum.skipped_months] == [(2027, 7)]


def test_chairs_rotate_in_membership_order_and_skip_absent_members():
    members = four_members()
    members[1] = tuesday_evenings("m1", unavailable=(UnavailableRange(date(2027, 5, 1), date(2027, 5, 31)),))
    request = group(members, starts_on=date(2027, 1, 11), follow_up=5, constraints=GroupConstraints(self_directed_quorum=3))
    follow_ups = [session for session in plan_of(request).sessions if session.kind == "self_directed"]
    assert [session.absent_ids for session in follow_ups] == [(), ("m1",), (), (), ()]
    assert [session.chair_id for session in follow_ups] == ["m0", "m2", "m3", "m0", "m1"]


# -- infeasible ---------------------------------------------------------------------------------------


def test_infeasible_group_gets_diagnostics_and_the_blocking_person():
    request = group(four_members(), facilitator=person("f", window(WED, "19:00", "22:00")))
    answer = find_plan(request)
    assert isinstance(answer, Infeasible)
    assert answer.blockers == ("f",)
    assert [(month.year, month.month) for month in answer.months] == [(2027, month) for month in range(1, 10)]
    assert answer.months[0].best_slots == tuple(
        # She has no Tuesday at all: that is why she misses each of them.
        CandidateSlot(local(2027, 1, day, 19), 4, ("f",), absences=(Absence("f", WEEKDAY, datetime(2027, 1, day, 19)),))
        for day in (5, 12, 19)
    )
    assert answer.reason.startswith("Geen plan mogelijk")
    assert "f" in answer.reason
    english = find_plan(group(four_members(), facilitator=person("f", window(WED, "19:00", "22:00")), language="en"))
    assert english.reason.startswith("No plan possible") and "Without any one of these people" in english.reason


def test_diagnostics_list_no_time_that_nobody_can_attend():
    # Everyone, facilitator included, is away the whole of March: that month has no candidate.
    march = (UnavailableRange(date(2027, 3, 1), date(2027, 3, 31)),)
    members = [tuesday_evenings(f"m{n}", unavailable=march) for n in range(4)]
    request = group(members, facilitator=person("f", window(WED, "19:00", "22:00"), unavailable=march))
    answer = find_plan(request)
    assert isinstance(answer, Infeasible)
    by_month = {(m.year, m.month): m.best_slots for m in answer.months}
    assert by_month[(2027, 3)] == ()
    assert all(slot.attendees > 0 for slots in by_month.values() for slot in slots)


def test_no_single_blocker_when_two_people_each_conflict_with_the_rest():
    members = [*four_members(), person("mondays", window(MON, "19:00", "22:00")), person("wednesdays", window(WED, "19:00", "22:00"))]
    answer = find_plan(group(members))
    assert isinstance(answer, Infeasible)
    assert answer.blockers == ()
    best = answer.months[0].best_slots[0]
    assert (best.attendees, best.absent_ids) == (5, ("mondays", "wednesdays"))


def test_guided_plan_is_infeasible_when_the_window_has_no_three_consecutive_months():
    # Available only in January and March: never three months in a row.
    off = (UnavailableRange(date(2027, 2, 1), date(2027, 2, 28)), UnavailableRange(date(2027, 4, 1), date(2027, 12, 31)))
    answer = find_plan(group([*four_members(), tuesday_evenings("m9", unavailable=off)]))
    assert isinstance(answer, Infeasible) and answer.blockers == ("m9",)


# -- re-plans -----------------------------------------------------------------------------------------


def history(*sessions: tuple[int, str, datetime]) -> tuple[PastSession, ...]:
    return tuple(PastSession(number, kind, start) for number, kind, start in sessions)


def test_replan_continues_the_numbering_and_the_slot_after_history():
    past = history((1, "guided", local(2027, 1, 12, 19, 30)), (2, "guided", local(2027, 2, 9, 19, 30)))
    request = group(four_members(), follow_up=1, history=past, not_before=local(2027, 2, 20, 9))
    plan = plan_of(request)
    assert [(session.number, session.kind, session.start) for session in plan.sessions] == [
        (3, "guided", local(2027, 3, 9, 19, 30)),
        (4, "self_directed", local(2027, 4, 13, 19, 30)),
    ]
    assert plan.slot == Slot(TUE, time(19, 30), 2)


def test_replan_takes_the_earliest_same_weekday_when_the_week_is_lost():
    past = history((1, "guided", local(2027, 1, 12, 19, 30)), (2, "guided", local(2027, 2, 9, 19, 30)))
    away = tuesday_evenings("m9", unavailable=days_off(date(2027, 3, 9)))
    plan = plan_of(group([*four_members(), away], history=past, not_before=local(2027, 2, 20, 9)))
    assert starts(plan) == [local(2027, 3, 2, 19, 30)]  # exactly 21 days after 9 February
    assert plan.slot == Slot(TUE, time(19, 30), None)


def test_replan_plans_nothing_before_not_before_and_continues_the_chairs():
    past = history(
        (1, "guided", local(2027, 1, 12, 19, 30)),
        (2, "guided", local(2027, 2, 9, 19, 30)),
        (3, "guided", local(2027, 3, 9, 19, 30)),
        (4, "self_directed", local(2027, 4, 13, 19, 30)),
        (5, "self_directed", local(2027, 5, 11, 19, 30)),
    )
    plan = plan_of(group(four_members(), follow_up=4, history=past, not_before=local(2027, 7, 1)))
    assert [(session.number, session.start, session.chair_id) for session in plan.sessions] == [
        (6, local(2027, 7, 13, 19, 30), "m2"),
        (7, local(2027, 8, 10, 19, 30), "m3"),
    ]
    assert plan.slot == Slot(TUE, time(19, 30), 2)


def test_replan_after_missed_months_starts_again_in_the_month_of_not_before():
    past = history((1, "guided", local(2027, 1, 12, 19, 30)))
    plan = plan_of(group(four_members(), history=past, not_before=local(2027, 4, 15)))
    # 13 April, the second Tuesday, is already past; 11 May is the second Tuesday again.
    assert [(session.number, session.start) for session in plan.sessions] == [
        (2, local(2027, 4, 20, 19, 30)),
        (3, local(2027, 5, 11, 19, 30)),
    ]


def test_not_before_moves_the_first_session_window():
    plan = plan_of(group(four_members(), starts_on=date(2027, 1, 4), not_before=local(2027, 1, 19, 20)))
    assert starts(plan)[0] == local(2027, 1, 19, 20)  # still fits before 22:00
    plan = plan_of(group(four_members(), starts_on=date(2027, 1, 4), not_before=local(2027, 1, 19, 21)))
    assert starts(plan)[0] == local(2027, 1, 26, 19)


# -- attendance and texts -------------------------------------------------------------------------------


def test_attendance_at_names_who_cannot_come():
    dentist = tuesday_evenings("m1", unavailable=(UnavailableRange(local(2027, 3, 2, 20), local(2027, 3, 2, 21)),))
    request = group([tuesday_evenings("m0"), dentist], facilitator=person("f", window(TUE, "19:30", "22:00")))
    assert attendance_at(request, local(2027, 3, 2, 19), "guided") == ("f", "m1")
    assert attendance_at(request, local(2027, 3, 2, 19), "self_directed") == ("m1",)
    assert attendance_at(request, local(2027, 3, 9, 19), "self_directed") == ()
    assert attendance_at(request, local(2027, 3, 9, 19, 30), "guided") == ()
    with pytest.raises(ValueError):
        attendance_at(request, local(2027, 3, 9, 19), "lecture")


def test_slot_describes_itself_in_dutch_and_english():
    assert Slot(TUE, time(19, 30), 2).describe() == "tweede dinsdag van de maand, 19:30–21:00"
    assert Slot(TUE, time(19, 30), 2).describe("en") == "second Tuesday of the month, 19:30–21:00"
    assert Slot(TUE, time(19, 30), None).describe() == "dinsdag, 19:30–21:00"
    assert Slot(4, time(9, 0), 5).describe("en", minutes=120) == "fifth Friday of the month, 09:00–11:00"


def test_notes_come_in_english_when_the_request_asks_for_it():
    members = [person(f"m{index}", window(TUE, "19:00", "22:00"), window(WED, "19:00", "22:00")) for index in range(3)]
    plan = plan_of(group(members, facilitator=alternating_facilitator(), language="en"))
    assert plan.sessions[0].note == "No fixed day and time fits all guided sessions; the earliest possible time was chosen."


def test_same_request_gives_the_same_plan():
    request = mixed_zone_group(date(2027, 3, 15))
    assert find_plan(request) == find_plan(request)


def night_group(starts_on: date) -> PlanRequest:
    night = GroupConstraints(weekdays=frozenset({6}), earliest=time(2, 0), latest=time(4, 0), skip_public_holidays=False)
    return replace(group([person("a"), person("b"), person("c")], facilitator=person("f"), starts_on=starts_on,
                         guided=1, constraints=night), session_minutes=60)


def test_a_session_never_starts_in_the_hour_that_spring_skips():
    [session] = plan_of(night_group(date(2027, 3, 28))).sessions
    assert session.start == local(2027, 3, 28, 3, 0) and session.start.utcoffset() == timedelta(hours=2)


def test_the_hour_that_autumn_repeats_is_planned_on_its_first_pass():
    [session] = plan_of(night_group(date(2027, 10, 31))).sessions
    assert session.start == local(2027, 10, 31, 2, 0) and session.start.utcoffset() == timedelta(hours=2)
    # Both read 02:00 on the wall clock (the end has fold=1); an hour apart in absolute time.
    assert session.end.astimezone(UTC) - session.start.astimezone(UTC) == timedelta(hours=1)
