"""Availability arithmetic: wall-clock windows in each person's zone, unavailable ranges,
school holidays, and the k-way sweep that intersects people."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain import availability as av
from shared.domain.dutch_holidays import holiday_day_ranges, public_holidays, school_holidays
from shared.domain.model import Availability, GroupConstraints, Person, UnavailableRange, WeeklyWindow

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def minutes(moment: datetime) -> int:
    return av.utc_minutes(moment)


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


def person(zone: str = "Europe/Amsterdam", weekly=(), unavailable=(), region=None, pid="p") -> Person:
    return Person(pid, zone, Availability(tuple(weekly), tuple(unavailable)), region)


def intervals_as_datetimes(intervals, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    return [(av.to_datetime(a, zone), av.to_datetime(b, zone)) for a, b in intervals]


# -- clocks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Europe/Amsterdam", "America/New_York", "Europe/London", "Australia/Lord_Howe"])
def test_zone_clock_agrees_with_zoneinfo_every_hour_of_a_year(name):
    zone = ZoneInfo(name)
    clock = av.zone_clock(name, 2026, 2028)
    start = minutes(datetime(2027, 1, 1, tzinfo=UTC))
    for u in range(start, start + 366 * 1440, 60 - 7):  # not aligned with the hour, to probe edges
        local = av.to_datetime(u, zone)
        naive = local.replace(tzinfo=None)
        local_minutes = minutes(naive.replace(tzinfo=UTC))
        assert clock.local(u) == local_minutes
        # local -> UTC uses fold=0, like zoneinfo does for ambiguous and skipped wall times
        assert clock.utc(local_minutes) == minutes(naive.replace(tzinfo=zone, fold=0))


def test_zone_clock_maps_a_skipped_wall_time_like_zoneinfo_fold_zero():
    clock = av.zone_clock("Europe/Amsterdam", 2027, 2027)
    skipped = datetime(2027, 3, 28, 2, 30)  # clocks jump from 02:00 to 03:00
    local_minutes = minutes(skipped.replace(tzinfo=UTC))
    assert clock.utc(local_minutes) == minutes(skipped.replace(tzinfo=AMSTERDAM))
    assert not clock.exists(local_minutes)
    assert clock.exists(local_minutes + 60)


def test_zone_clock_finds_both_clock_changes_of_new_york_in_2027():
    clock = av.zone_clock("America/New_York", 2027, 2027)
    changes = [av.to_datetime(u, NEW_YORK) for u in clock.utc_changes]
    assert [(change.date(), change.hour) for change in changes] == [(date(2027, 3, 14), 3), (date(2027, 11, 7), 1)]


# -- weekly windows ----------------------------------------------------------------------------


def test_new_york_window_lands_an_hour_earlier_in_amsterdam_between_the_march_changes():
    new_yorker = person("America/New_York", [WeeklyWindow(1, time(13, 30), time(15, 0))])
    first = minutes(at(AMSTERDAM, 2027, 3, 1))
    stop = minutes(at(AMSTERDAM, 2027, 4, 7))
    seen = [(a.date(), a.time(), b.time()) for a, b in intervals_as_datetimes(av.person_intervals(new_yorker, first, stop), AMSTERDAM)]
    assert seen == [
        (date(2027, 3, 2), time(19, 30), time(21, 0)),
        (date(2027, 3, 9), time(19, 30), time(21, 0)),
        (date(2027, 3, 16), time(18, 30), time(20, 0)),  # New York moved its clocks on 14 March
        (date(2027, 3, 23), time(18, 30), time(20, 0)),
        (date(2027, 3, 30), time(19, 30), time(21, 0)),  # Europe followed on 28 March
        (date(2027, 4, 6), time(19, 30), time(21, 0)),
    ]


def test_london_window_keeps_its_amsterdam_time_across_the_european_change():
    londoner = person("Europe/London", [WeeklyWindow(1, time(18, 30), time(20, 0))])
    first = minutes(at(AMSTERDAM, 2027, 3, 1))
    stop = minutes(at(AMSTERDAM, 2027, 4, 7))
    seen = {(a.time(), b.time()) for a, b in intervals_as_datetimes(av.person_intervals(londoner, first, stop), AMSTERDAM)}
    assert seen == {(time(19, 30), time(21, 0))}


def test_new_york_window_lands_an_hour_earlier_between_the_autumn_changes():
    new_yorker = person("America/New_York", [WeeklyWindow(1, time(13, 30), time(15, 0))])
    first = minutes(at(AMSTERDAM, 2027, 10, 25))
    stop = minutes(at(AMSTERDAM, 2027, 11, 14))
    seen = [(a.date(), a.time()) for a, _ in intervals_as_datetimes(av.person_intervals(new_yorker, first, stop), AMSTERDAM)]
    assert seen == [(date(2027, 10, 26), time(19, 30)), (date(2027, 11, 2), time(18, 30)), (date(2027, 11, 9), time(19, 30))]


def test_a_window_that_spans_the_night_of_the_clock_change_keeps_its_wall_clock_ends():
    night_owl = person("Europe/Amsterdam", [WeeklyWindow(6, time(1, 0), time(4, 0))])  # Sundays
    first = minutes(at(AMSTERDAM, 2027, 3, 27))
    stop = minutes(at(AMSTERDAM, 2027, 3, 29))
    [(a, b)] = av.person_intervals(night_owl, first, stop)
    assert (av.to_datetime(a, AMSTERDAM).time(), av.to_datetime(b, AMSTERDAM).time()) == (time(1, 0), time(4, 0))
    assert b - a == 120  # one hour of that night does not exist


def test_empty_weekly_means_no_weekly_restriction():
    anyone = person()
    first, stop = minutes(at(AMSTERDAM, 2027, 5, 1)), minutes(at(AMSTERDAM, 2027, 6, 1))
    assert av.person_intervals(anyone, first, stop) == [(first, stop)]


def test_overlapping_and_touching_windows_are_merged():
    busy = person(weekly=[
        WeeklyWindow(2, time(9, 0), time(12, 0)),
        WeeklyWindow(2, time(11, 0), time(13, 0)),
        WeeklyWindow(2, time(13, 0), time(14, 0)),
    ])
    first, stop = minutes(at(AMSTERDAM, 2027, 5, 3)), minutes(at(AMSTERDAM, 2027, 5, 10))
    [(a, b)] = av.person_intervals(busy, first, stop)
    assert (av.to_datetime(a, AMSTERDAM), av.to_datetime(b, AMSTERDAM)) == (at(AMSTERDAM, 2027, 5, 5, 9), at(AMSTERDAM, 2027, 5, 5, 14))


def test_a_window_ending_at_24_00_reaches_midnight():
    late = person(weekly=[WeeklyWindow(6, time(22, 0), time.max), WeeklyWindow(0, time(0, 0), time(1, 0))])
    first, stop = minutes(at(AMSTERDAM, 2027, 5, 1)), minutes(at(AMSTERDAM, 2027, 5, 5))
    [(a, b)] = av.person_intervals(late, first, stop)
    assert (av.to_datetime(a, AMSTERDAM), av.to_datetime(b, AMSTERDAM)) == (at(AMSTERDAM, 2027, 5, 2, 22), at(AMSTERDAM, 2027, 5, 3, 1))
    rules = GroupConstraints(weekdays=frozenset({6}), earliest=time(22, 30), latest=time.max)
    [(a, b)] = av.group_intervals(rules, "Europe/Amsterdam", first, stop)
    assert av.to_datetime(b, AMSTERDAM) == at(AMSTERDAM, 2027, 5, 3)


def test_a_window_ending_at_midnight_joins_the_next_mornings_window():
    late = person(weekly=[WeeklyWindow(6, time(22, 0), time(0, 0)), WeeklyWindow(0, time(0, 0), time(1, 0))])
    first, stop = minutes(at(AMSTERDAM, 2027, 5, 1)), minutes(at(AMSTERDAM, 2027, 5, 5))
    [(a, b)] = av.person_intervals(late, first, stop)
    assert (av.to_datetime(a, AMSTERDAM), av.to_datetime(b, AMSTERDAM)) == (at(AMSTERDAM, 2027, 5, 2, 22), at(AMSTERDAM, 2027, 5, 3, 1))


# -- unavailable ranges and holidays ---------------------------------------------------------------


def test_unavailable_date_range_blocks_whole_days_inclusive_in_the_persons_zone():
    traveller = person("America/New_York", unavailable=[UnavailableRange(date(2027, 3, 8), date(2027, 3, 12), "studiereis")])
    first, stop = minutes(at(NEW_YORK, 2027, 3, 1)), minutes(at(NEW_YORK, 2027, 3, 20))
    assert intervals_as_datetimes(av.person_intervals(traveller, first, stop), NEW_YORK) == [
        (at(NEW_YORK, 2027, 3, 1), at(NEW_YORK, 2027, 3, 8)),
        (at(NEW_YORK, 2027, 3, 13), at(NEW_YORK, 2027, 3, 20)),
    ]


def test_unavailable_datetime_range_is_half_open():
    dentist = person(unavailable=[UnavailableRange(at(AMSTERDAM, 2027, 5, 4, 19, 0), at(AMSTERDAM, 2027, 5, 4, 20, 0))])
    before = minutes(at(AMSTERDAM, 2027, 5, 4, 17, 30))
    assert av.can_attend(dentist, before, before + 90)  # ends exactly when the appointment starts
    assert not av.can_attend(dentist, before + 15, before + 105)
    assert av.can_attend(dentist, before + 150, before + 240)  # starts exactly when it ends


def test_school_holidays_of_the_persons_region_are_unavailable():
    teacher = person(region="zuid")
    first, stop = minutes(at(AMSTERDAM, 2027, 2, 1)), minutes(at(AMSTERDAM, 2027, 3, 1))
    assert intervals_as_datetimes(av.person_intervals(teacher, first, stop), AMSTERDAM) == [
        (at(AMSTERDAM, 2027, 2, 1), at(AMSTERDAM, 2027, 2, 13)),  # spring break zuid: 13–21 February
        (at(AMSTERDAM, 2027, 2, 22), at(AMSTERDAM, 2027, 3, 1)),
    ]


def test_holiday_lookups_come_from_the_holidays_package():
    assert date(2027, 4, 27) in public_holidays(2027)  # King's Day
    assert date(2027, 3, 29) in public_holidays(2027)  # Easter Monday
    assert date(2027, 8, 1) in school_holidays("noord", 2027)
    assert date(2027, 9, 1) not in school_holidays("noord", 2027)
    assert date(2027, 9, 1) in school_holidays("zuid", 2027)
    with pytest.raises(ValueError):
        school_holidays("oost", 2027)


def test_holiday_ranges_join_over_new_year():
    ranges = holiday_day_ranges(date(2027, 12, 20), date(2028, 1, 10), public=False, region="noord")
    assert len(ranges) == 1
    first, stop = ranges[0]
    assert av.day_date(first) == date(2027, 12, 25) and av.day_date(stop - 1) >= date(2028, 1, 1)


def test_group_hours_skip_kings_day_and_respect_earliest_and_latest():
    rules = GroupConstraints(weekdays=frozenset({1}), earliest=time(19, 0), latest=time(21, 30))
    first, stop = minutes(at(AMSTERDAM, 2027, 4, 19)), minutes(at(AMSTERDAM, 2027, 5, 10))
    found = intervals_as_datetimes(av.group_intervals(rules, "Europe/Amsterdam", first, stop), AMSTERDAM)
    assert found == [
        (at(AMSTERDAM, 2027, 4, 20, 19), at(AMSTERDAM, 2027, 4, 20, 21, 30)),
        (at(AMSTERDAM, 2027, 5, 4, 19), at(AMSTERDAM, 2027, 5, 4, 21, 30)),
    ]
    with_holiday = GroupConstraints(weekdays=frozenset({1}), skip_public_holidays=False)
    days = {a.date() for a, _ in intervals_as_datetimes(av.group_intervals(with_holiday, "Europe/Amsterdam", first, stop), AMSTERDAM)}
    assert date(2027, 4, 27) in days


def test_group_school_holiday_region_removes_those_days():
    rules = GroupConstraints(weekdays=frozenset(range(7)), school_holiday_region="midden")
    first, stop = minutes(at(AMSTERDAM, 2027, 4, 20)), minutes(at(AMSTERDAM, 2027, 5, 6))
    days = {a.date() for a, _ in intervals_as_datetimes(av.group_intervals(rules, "Europe/Amsterdam", first, stop), AMSTERDAM)}
    assert date(2027, 4, 23) in days and date(2027, 5, 3) in days
    assert not days & {date(2027, 4, 24) + timedelta(days=offset) for offset in range(9)}  # meivakantie


# -- interval lists -------------------------------------------------------------------------------


def as_points(intervals) -> set[int]:
    return {point for a, b in intervals for point in range(a, b)}


interval_lists = st.lists(st.tuples(st.integers(0, 200), st.integers(1, 30)), max_size=12).map(
    lambda pairs: av.merge([(start, start + length) for start, length in pairs])
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(interval_lists, min_size=1, max_size=6))
def test_sweep_intersection_equals_the_common_points(lists):
    expected = set.intersection(*(as_points(intervals) for intervals in lists))
    assert as_points(av.intersect(lists)) == expected


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(interval_lists, min_size=1, max_size=6))
def test_sweep_segments_say_exactly_who_is_present(lists):
    for first, stop, present in av.sweep(lists):
        for point in (first, stop - 1):
            assert present == sum(1 << index for index, intervals in enumerate(lists) if point in as_points(intervals))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(interval_lists, interval_lists)
def test_subtract_equals_set_difference(intervals, blocked):
    result = av.subtract(intervals, blocked)
    assert as_points(result) == as_points(intervals) - as_points(blocked)
    assert result == av.merge(result)  # sorted, disjoint, not touching


@settings(max_examples=100, deadline=None, derandomize=True)
@given(interval_lists, st.integers(1, 40))
def test_start_intervals_hold_exactly_the_starts_that_fit(intervals, length):
    points = as_points(intervals)
    expected = {start for start in range(0, 260) if all(point in points for point in range(start, start + length))}
    assert as_points(av.start_intervals(intervals, length)) == expected
