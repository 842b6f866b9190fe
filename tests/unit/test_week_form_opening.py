"""Which half hours the availability page opens on, and Dutch dates typed on it."""

from __future__ import annotations

from datetime import date, time

import pytest

from shared.domain import week_form as grid

TUE, THU = 1, 3
EVENINGS = grid.Hours(frozenset({TUE, THU}), time(19), time(22), "Europe/Amsterdam")


def cells(day: int, first: str, stop: str) -> set[grid.Cell]:
    start, end = (int(t[:2]) * 60 + int(t[3:]) for t in (first, stop))
    return {(day, minute) for minute in range(start, end, 30)}


def test_a_dutch_member_opens_on_her_groups_evenings():
    assert grid.opening_cells([EVENINGS], "Europe/Amsterdam", date(2027, 3, 1)) == cells(TUE, "19:00", "22:00") | cells(THU, "19:00", "22:00")


def test_a_new_york_member_opens_on_the_same_evenings_at_her_own_afternoon_and_the_clock_changes_move_them():
    both_winter = grid.opening_cells([EVENINGS], "America/New_York", date(2027, 3, 1))
    assert both_winter == cells(TUE, "13:00", "16:00") | cells(THU, "13:00", "16:00")
    # 15 March 2027: New York is on summer time, Amsterdam not yet (until 28 March).
    between = grid.opening_cells([EVENINGS], "America/New_York", date(2027, 3, 15))
    assert between == cells(TUE, "14:00", "17:00") | cells(THU, "14:00", "17:00")


def test_a_group_past_midnight_elsewhere_opens_on_the_next_day_and_the_grid_clips_it():
    tokyo = grid.opening_cells([EVENINGS], "Asia/Tokyo", date(2027, 3, 1))  # 03:00-06:00 on Wed and Fri
    assert tokyo == set()
    late = grid.Hours(frozenset({TUE}), time(14), time(16), "Europe/Amsterdam")
    assert grid.opening_cells([late], "Asia/Tokyo", date(2027, 3, 1)) == cells(TUE, "22:00", "23:00")


def test_two_groups_open_on_both_and_no_group_on_the_programmes_usual_hours():
    morning = grid.Hours(frozenset({0}), time(9), time(10), "Europe/Amsterdam")
    assert grid.opening_cells([EVENINGS, morning], "Europe/Amsterdam", date(2027, 3, 1)) == (
        cells(TUE, "19:00", "22:00") | cells(THU, "19:00", "22:00") | cells(0, "09:00", "10:00")
    )
    usual = grid.opening_cells([grid.USUAL_HOURS], "Europe/Amsterdam", date(2027, 3, 1))
    assert usual == set().union(*(cells(day, "15:00", "21:00") for day in range(5)))


def test_the_first_part_is_the_rectangle_of_the_opening_cells_or_the_whole_grid():
    days, minutes = grid.first_part(cells(TUE, "19:00", "20:00") | cells(THU, "20:00", "22:00"))
    assert days == [TUE, THU] and minutes == list(range(19 * 60, 22 * 60, 30))
    assert grid.first_part(set()) == (list(range(7)), list(grid.grid_minutes()))


@pytest.mark.parametrize(("typed", "day"), [
    ("08-03-2027", date(2027, 3, 8)), ("8-3-2027", date(2027, 3, 8)), (" 8/3/2027 ", date(2027, 3, 8)),
    ("08.03.2027", date(2027, 3, 8)), ("2027-03-08", date(2027, 3, 8)), ("29-02-2028", date(2028, 2, 29)),
])
def test_dutch_dates_are_read_day_first(typed, day):
    assert grid.parse_day(typed) == day


@pytest.mark.parametrize(("typed", "code"), [
    ("03/08/2027x", grid.NOT_A_DATE), ("8 maart 2027", grid.NOT_A_DATE), ("", grid.NOT_A_DATE), ("08-03-27", grid.NOT_A_DATE),
    ("31-02-2027", grid.NO_SUCH_DAY), ("29-02-2027", grid.NO_SUCH_DAY), ("08-13-2027", grid.NO_SUCH_DAY), ("2027-02-30", grid.NO_SUCH_DAY),
])
def test_what_is_no_date_says_why(typed, code):
    with pytest.raises(grid.DateProblem) as problem:
        grid.parse_day(typed)
    assert problem.value.code == code


def test_a_day_is_shown_as_it_is_typed():
    assert grid.day_text(date(2027, 3, 8)) == "08-03-2027"
    assert grid.parse_day(grid.day_text(date(2031, 12, 1))) == date(2031, 12, 1)
