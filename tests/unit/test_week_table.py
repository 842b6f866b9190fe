"""The heat map's week as a table: per day, stretches of half hours that say the same, in words."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.domain.heatmap import PlannedSession
from shared.domain.model import GroupConstraints
from shared.domain.week_grid import week_grid
from shared.domain.week_table import week_table
from tests.unit.test_heatmap import GRID, PEOPLE, PLANNED

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def test_each_day_of_the_map_with_its_stretches_in_words():
    days = week_table(GRID, PLANNED, "nl")
    assert [d.title for d in days][:2] == ["maandag 15 maart 2027", "dinsdag 16 maart 2027"]
    assert [d.best for d in days] == [0, 4, 1, 2, 0, 0, 0]
    tuesday = {(s.start, s.end): s for s in days[1].stretches}
    planned = tuesday["19:30", "21:00"]
    assert (planned.available, planned.planned, planned.allowed, planned.cannot) == (4, True, True, ())
    assert planned.can == ("Fien Jansen", "Anna de Vries", "Bram <B&B> Jansen", "Dirk Kok")  # the facilitator first
    assert tuesday["19:00", "19:30"].cannot == ("Anna de Vries",)
    thursday = {(s.start, s.end): s for s in days[3].stretches}
    assert "Dirk Kok (andere bijeenkomst)" in thursday["19:00", "20:00"].cannot
    saturday = days[5].stretches
    assert len(saturday) == 1 and (saturday[0].start, saturday[0].end, saturday[0].allowed) == ("07:00", "23:00", False)


def test_the_stretches_cover_the_maps_half_hours_without_gaps():
    for day in week_table(GRID, PLANNED, "en"):
        assert day.stretches[0].start == "07:00" and day.stretches[-1].end == "23:00"
        assert all(a.end == b.start for a, b in zip(day.stretches, day.stretches[1:]))
        assert all(len(s.can) == s.available for s in day.stretches)


def test_english_words_and_the_half_hours_the_clocks_skip():
    spring = week_grid(date(2027, 3, 22), "Europe/Amsterdam", PEOPLE, GroupConstraints())
    night = [PlannedSession(datetime(2027, 3, 28, 1, 0, tzinfo=AMSTERDAM), datetime(2027, 3, 28, 4, 0, tzinfo=AMSTERDAM))]
    sunday = week_table(spring, night, "en")[6]
    assert sunday.title == "Sunday, 28 March 2027"
    skipped = [s for s in sunday.stretches if not s.exists]
    assert [(s.start, s.end) for s in skipped] == [("02:00", "03:00")]
