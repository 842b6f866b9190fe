"""The week grid of the availability page: cells to windows and back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain import week_form as grid


def test_ticked_cells_merge_into_windows():
    cells = grid.parse_slots(["tue 19:00", "tue 19:30", "tue 20:00", "tue 20:30", "tue 21:00", "thu 07:00"])
    assert grid.weekly_of(grid.windows_of(cells)) == [
        {"day": "tue", "start": "19:00", "end": "21:30"},
        {"day": "thu", "start": "07:00", "end": "07:30"},
    ]


def test_a_cell_is_ticked_only_when_a_window_covers_the_whole_half_hour():
    windows = grid.windows_from([{"day": "mon", "start": "19:15", "end": "21:00"}, {"day": "wed", "start": "22:00", "end": "24:00"}])
    assert grid.ticked(windows) == {(0, 19 * 60 + 30), (0, 20 * 60), (0, 20 * 60 + 30), (2, 22 * 60), (2, 22 * 60 + 30)}


def test_what_lies_outside_the_grid_is_kept():
    kept = grid.windows_from([{"day": "sat", "start": "06:00", "end": "08:00"}, {"day": "sun", "start": "21:00", "end": "24:00"}])
    cells = grid.parse_slots(["sat 07:00", "sun 21:00"])  # 07:30 on Saturday and the rest of Sunday unticked
    assert grid.weekly_of(grid.windows_of(cells, kept)) == [
        {"day": "sat", "start": "06:00", "end": "07:30"},
        {"day": "sun", "start": "21:00", "end": "21:30"},
        {"day": "sun", "start": "23:00", "end": "24:00"},
    ]


@pytest.mark.parametrize("value", ["tue 06:30", "tue 23:00", "tue 19:15", "tues 19:00", "tue 19:00 ", "", "tue 7:00", "dinsdag 19:00"])
def test_values_that_are_not_half_hours_of_the_grid_are_refused(value):
    with pytest.raises(ValueError, match="not a half hour"):
        grid.parse_slots([value])


def test_the_grid_has_32_half_hours_a_day_named_like_the_form():
    minutes = list(grid.grid_minutes())
    assert len(minutes) == 32
    assert grid.slot_value((0, minutes[0])) == "mon 07:00" and grid.slot_value((6, minutes[-1])) == "sun 22:30"


cells_strategy = st.sets(st.tuples(st.integers(0, 6), st.sampled_from(list(grid.grid_minutes()))))
windows_strategy = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 47), st.integers(1, 48)).map(lambda w: (w[0], w[1] * 30, min(48, w[1] + w[2]) * 30)),
    max_size=8,
)


@given(cells_strategy)
def test_cells_round_trip_through_windows(cells):
    assert grid.ticked(grid.windows_of(cells)) == cells


@given(windows_strategy, cells_strategy)
def test_saving_changes_the_grid_and_nothing_outside_it(kept, cells):
    saved = grid.windows_of(cells, kept)
    assert grid.ticked(saved) == cells
    for minute in range(0, 24 * 60, 30):  # outside the grid, every half hour is as it was
        if grid.FIRST_MINUTE <= minute < grid.STOP_MINUTE:
            continue
        for day in range(7):
            before = any(d == day and s <= minute and minute + 30 <= e for d, s, e in kept)
            after = any(d == day and s <= minute and minute + 30 <= e for d, s, e in saved)
            assert before == after
    assert saved == grid.merge(saved)  # no window touches another of its day
