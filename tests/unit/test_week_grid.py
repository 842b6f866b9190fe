"""Who can when: a group's week in half hours, each person's own zone, dates, holidays and bookings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.domain import availability as av
from shared.domain.bookings import Booking
from shared.domain.model import Availability, GroupConstraints, Person, UnavailableRange, WeeklyWindow
from shared.domain.week_grid import (
    FACILITATOR,
    MEMBER,
    Attendee,
    coming_monday,
    is_within_reach,
    week_grid,
)

AMSTERDAM = "Europe/Amsterdam"
ANY_DAY = GroupConstraints(weekdays=frozenset(range(7)), earliest=time(0), latest=time.max, skip_public_holidays=False)


def window(day: int, start: str, end: str) -> WeeklyWindow:
    return WeeklyWindow(day, time.fromisoformat(start), time.fromisoformat(end))


def attendee(pid: str, *weekly: WeeklyWindow, zone: str = AMSTERDAM, unavailable=(), region=None, role=MEMBER) -> Attendee:
    return Attendee(Person(pid, zone, Availability(tuple(weekly), tuple(unavailable)), region), role, pid.title())


def free_at(grid, person_id: str) -> list[tuple[str, str]]:
    return [(c.day, c.start) for c in grid.cells if person_id not in c.absent_ids and person_id not in c.busy_ids]


def cell(grid, day: str, start: str):
    (found,) = [c for c in grid.cells if c.day == day and c.start == start]
    return found


def test_an_ordinary_week_has_every_half_hour_of_seven_days_in_order():
    grid = week_grid(date(2027, 3, 1), AMSTERDAM, [attendee("anna")], ANY_DAY)
    assert len(grid.cells) == 7 * 48
    assert [(c.day, c.start) for c in grid.cells[:3]] == [("mon", "00:00"), ("mon", "00:30"), ("mon", "01:00")]
    assert (grid.cells[-1].day, grid.cells[-1].start) == ("sun", "23:30")
    assert grid.cells[0].start_u == av.utc_minutes(datetime(2027, 3, 1, tzinfo=ZoneInfo(AMSTERDAM)))
    assert all(c.end_u - c.start_u == 30 for c in grid.cells)
    assert all(c.available == 1 and not c.absent_ids for c in grid.cells)  # no weekly windows: always free


def test_new_york_member_is_free_an_hour_earlier_between_the_american_and_the_european_clock_change():
    nora = attendee("nora", window(1, "13:00", "15:00"), zone="America/New_York")
    # The United States moved its clocks on 14 March 2027, Europe follows on the 28th.
    between = week_grid(date(2027, 3, 15), AMSTERDAM, [nora], ANY_DAY)
    after = week_grid(date(2027, 4, 5), AMSTERDAM, [nora], ANY_DAY)
    assert free_at(between, "nora") == [("tue", "18:00"), ("tue", "18:30"), ("tue", "19:00"), ("tue", "19:30")]
    assert free_at(after, "nora") == [("tue", "19:00"), ("tue", "19:30"), ("tue", "20:00"), ("tue", "20:30")]


def test_a_half_hour_only_partly_covered_counts_the_person_absent():
    anna = attendee("anna", window(1, "19:15", "20:45"))
    grid = week_grid(date(2027, 3, 1), AMSTERDAM, [anna], ANY_DAY)
    assert free_at(grid, "anna") == [("tue", "19:30"), ("tue", "20:00")]
    assert cell(grid, "tue", "19:00").absent_ids == ("anna",)
    assert cell(grid, "tue", "20:30").absent_ids == ("anna",)


def test_an_unavailable_date_blocks_that_whole_day_and_a_date_time_range_its_half_hours():
    anna = attendee(
        "anna", window(1, "19:00", "21:00"), window(2, "19:00", "21:00"), window(3, "19:00", "21:00"),
        unavailable=[
            UnavailableRange(date(2027, 3, 3), date(2027, 3, 3)),
            UnavailableRange(datetime(2027, 3, 4, 19, 45, tzinfo=ZoneInfo(AMSTERDAM)), datetime(2027, 3, 4, 20, 0, tzinfo=ZoneInfo(AMSTERDAM))),
        ],
    )
    grid = week_grid(date(2027, 3, 1), AMSTERDAM, [anna], ANY_DAY)
    assert free_at(grid, "anna") == [
        ("tue", "19:00"), ("tue", "19:30"), ("tue", "20:00"), ("tue", "20:30"),
        ("thu", "19:00"), ("thu", "20:00"), ("thu", "20:30"),
    ]


def test_a_persons_school_holiday_region_makes_them_absent_in_the_holiday():
    # Voorjaarsvakantie 2027: region zuid from 13 February; midden and noord a week later.
    south = attendee("zuid", window(1, "19:00", "20:00"), region="zuid")
    middle = attendee("midden", window(1, "19:00", "20:00"), region="midden")
    grid = week_grid(date(2027, 2, 15), AMSTERDAM, [south, middle], ANY_DAY)
    assert cell(grid, "tue", "19:00").absent_ids == ("zuid",)
    assert cell(grid, "tue", "19:00").available == 1


@pytest.mark.parametrize(("week", "holiday"), [(date(2027, 4, 26), date(2027, 4, 27)), (date(2027, 12, 20), date(2027, 12, 25))])
def test_a_public_holiday_the_group_skips_makes_everyone_absent_that_day(week, holiday):
    people = [attendee("fien", role=FACILITATOR), attendee("anna")]  # both free all week
    skipping = week_grid(week, AMSTERDAM, people, GroupConstraints(weekdays=frozenset(range(7)), skip_public_holidays=True))
    on_the_day = [c for c in skipping.cells if c.local_date == holiday]
    assert len(on_the_day) == 48
    assert all(c.absent_ids == ("fien", "anna") and c.available == 0 and not c.allowed for c in on_the_day)
    day_before = [c for c in skipping.cells if c.local_date == holiday - timedelta(days=1)]
    assert all(c.available == 2 for c in day_before)
    keeping = week_grid(week, AMSTERDAM, people, GroupConstraints(weekdays=frozenset(range(7)), skip_public_holidays=False))
    assert all(c.available == 2 for c in keeping.cells if c.local_date == holiday)


def test_the_groups_school_holidays_make_everyone_absent():
    people = [attendee("anna")]
    region = GroupConstraints(skip_public_holidays=False, school_holiday_region="noord")
    grid = week_grid(date(2027, 2, 22), AMSTERDAM, people, region)  # voorjaarsvakantie noord
    assert all(c.absent_ids == ("anna",) for c in grid.cells if c.local_date.weekday() < 5)


def test_someone_booked_in_another_session_is_busy_unless_already_absent():
    amsterdam = ZoneInfo(AMSTERDAM)
    fien = attendee("fien", window(1, "18:00", "22:00"), role=FACILITATOR)
    anna = attendee("anna", window(1, "19:30", "22:00"))
    booked = [
        Booking("fien", "other", datetime(2027, 3, 2, 19, 0, tzinfo=amsterdam), datetime(2027, 3, 2, 20, 15, tzinfo=amsterdam)),
        Booking("anna", "other", datetime(2027, 3, 2, 19, 0, tzinfo=amsterdam), datetime(2027, 3, 2, 20, 15, tzinfo=amsterdam)),
        Booking("someone else", "x", datetime(2027, 3, 2, 18, 0, tzinfo=amsterdam), datetime(2027, 3, 2, 23, 0, tzinfo=amsterdam)),
    ]
    grid = week_grid(date(2027, 3, 1), AMSTERDAM, [fien, anna], ANY_DAY, booked)
    assert [(c.start, c.busy_ids, c.absent_ids, c.available) for c in grid.cells if c.day == "tue" and "18:00" <= c.start < "21:00"] == [
        ("18:00", (), ("anna",), 1),
        ("18:30", (), ("anna",), 1),
        ("19:00", ("fien",), ("anna",), 0),
        ("19:30", ("fien", "anna"), (), 0),
        ("20:00", ("fien", "anna"), (), 0),  # the booking ends at 20:15
        ("20:30", (), (), 2),
    ]


def test_people_keep_their_order_and_roles():
    people = [attendee("fien", role=FACILITATOR), attendee("anna"), attendee("bram")]
    grid = week_grid(date(2027, 3, 1), AMSTERDAM, people, ANY_DAY)
    assert [(a.id, a.role, a.name) for a in grid.people] == [("fien", "facilitator", "Fien"), ("anna", "member", "Anna"), ("bram", "member", "Bram")]


def test_allowed_follows_the_groups_weekdays_and_hours():
    rules = GroupConstraints(weekdays=frozenset({1, 3}), earliest=time(18, 0), latest=time(21, 45), skip_public_holidays=False)
    grid = week_grid(date(2027, 3, 1), AMSTERDAM, [attendee("anna")], rules)
    assert [(c.day, c.start) for c in grid.cells if c.allowed] == [
        (day, f"{minute // 60:02d}:{minute % 60:02d}") for day in ("tue", "thu") for minute in range(18 * 60, 21 * 60 + 1, 30)
    ]


def test_the_spring_forward_day_leaves_out_the_half_hours_that_do_not_exist():
    grid = week_grid(date(2027, 3, 22), AMSTERDAM, [attendee("anna")], ANY_DAY)
    sunday = [c.start for c in grid.cells if c.day == "sun"]
    assert len(grid.cells) == 7 * 48 - 2
    assert "02:00" not in sunday and "02:30" not in sunday
    assert cell(grid, "sun", "03:00").start_u - cell(grid, "sun", "01:30").start_u == 30


def test_the_autumn_day_shows_the_repeated_hour_once_as_its_first_occurrence():
    grid = week_grid(date(2027, 10, 25), AMSTERDAM, [attendee("anna")], ANY_DAY)
    assert len(grid.cells) == 7 * 48
    assert cell(grid, "sun", "02:00").start_u == av.utc_minutes(datetime(2027, 10, 31, 0, 0, tzinfo=UTC))  # 02:00 CEST
    assert cell(grid, "sun", "03:00").start_u == av.utc_minutes(datetime(2027, 10, 31, 2, 0, tzinfo=UTC))  # 03:00 CET


def test_the_week_must_start_on_a_monday():
    with pytest.raises(ValueError, match="not a Monday"):
        week_grid(date(2027, 3, 2), AMSTERDAM, [], ANY_DAY)


@pytest.mark.parametrize(
    ("now", "zone", "monday"),
    [
        (datetime(2026, 11, 24, 12, 0, tzinfo=UTC), AMSTERDAM, date(2026, 11, 30)),  # a Tuesday
        (datetime(2026, 11, 30, 9, 0, tzinfo=UTC), AMSTERDAM, date(2026, 12, 7)),  # a Monday: the next one
        (datetime(2027, 3, 14, 23, 30, tzinfo=UTC), AMSTERDAM, date(2027, 3, 22)),  # already Monday in Amsterdam
        (datetime(2027, 3, 14, 23, 30, tzinfo=UTC), "America/New_York", date(2027, 3, 15)),  # still Sunday there
    ],
)
def test_the_coming_monday_is_counted_from_today_in_the_groups_zone(now, zone, monday):
    assert coming_monday(now, zone) == monday


def test_weeks_more_than_two_years_away_are_out_of_reach():
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert is_within_reach(date(2028, 11, 20), now, AMSTERDAM)
    assert is_within_reach(date(2024, 11, 25), now, AMSTERDAM)
    assert not is_within_reach(date(2028, 12, 4), now, AMSTERDAM)
    assert not is_within_reach(date(2024, 11, 11), now, AMSTERDAM)


# -- an independent check: every cell against availability.can_attend ---------------------------

ZONES = ["Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/London"]


@st.composite
def windows(draw) -> WeeklyWindow:
    start = draw(st.integers(0, 23 * 12)) * 5
    end = draw(st.integers(start // 5 + 1, 24 * 12)) * 5
    return WeeklyWindow(draw(st.integers(0, 6)), time(start // 60, start % 60), time.max if end == 1440 else time(end // 60, end % 60))


@st.composite
def unavailable_ranges(draw, week: date) -> UnavailableRange:
    if draw(st.booleans()):
        first = week + timedelta(days=draw(st.integers(-2, 8)))
        return UnavailableRange(first, first + timedelta(days=draw(st.integers(0, 2))))
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    start = datetime.combine(week, time(0), zone) + timedelta(minutes=draw(st.integers(-1440, 8 * 1440)))
    return UnavailableRange(start, start + timedelta(minutes=draw(st.integers(1, 3 * 1440))))


@st.composite
def people_and_week(draw):
    week = date(2026, 1, 5) + timedelta(weeks=draw(st.integers(0, 52 * 3)))
    people = [
        Person(
            f"p{n}",
            draw(st.sampled_from(ZONES)),
            Availability(
                tuple(draw(st.lists(windows(), max_size=4))),
                tuple(draw(st.lists(unavailable_ranges(week), max_size=2))),
            ),
            draw(st.sampled_from([None, "noord", "midden", "zuid"])),
        )
        for n in range(draw(st.integers(1, 3)))
    ]
    return week, draw(st.sampled_from(ZONES)), people


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people_and_week())
def test_every_cell_counts_exactly_the_people_who_can_attend_that_half_hour(case):
    week, zone, people = case
    grid = week_grid(week, zone, [Attendee(p, MEMBER, p.id) for p in people], ANY_DAY)
    for c in grid.cells:
        expected = tuple(p.id for p in people if not av.can_attend(p, c.start_u, c.end_u))
        assert c.absent_ids == expected, (c.day, c.start)
        assert c.available == len(people) - len(expected)
        assert av.to_datetime(c.start_u, ZoneInfo(zone)).replace(tzinfo=None) == datetime.combine(c.local_date, c.local_time)
