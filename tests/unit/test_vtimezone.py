"""VTIMEZONE in the yearly-rule form, derived from the tz database and checked against it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule

from shared.domain.vtimezone import Observance, build_vtimezone, observances


def block(tzid: str, first: int = 2026, last: int = 2028) -> str:
    return "\n".join(build_vtimezone(tzid, first, last))


def test_amsterdam_is_two_yearly_rules_on_the_last_sundays_of_march_and_october():
    assert block("Europe/Amsterdam") == "\n".join([
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Amsterdam",
        "BEGIN:STANDARD",
        "DTSTART:20261025T030000",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
        "TZNAME:CET",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:20260329T020000",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
        "TZNAME:CEST",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
    ])


def test_amsterdam_has_no_list_of_dates():
    text = block("Europe/Amsterdam", 2026, 2040)
    assert "RDATE" not in text
    assert text.count("RRULE:") == 2


def test_london_changes_at_one_in_the_morning_gmt():
    text = block("Europe/London")
    assert "DTSTART:20260329T010000\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\nTZNAME:BST" in text
    assert "DTSTART:20261025T020000\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nTZNAME:GMT" in text


def test_new_york_uses_the_second_sunday_of_march_and_first_of_november():
    text = block("America/New_York")
    assert "DTSTART:20260308T020000\nRRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\nTZNAME:EDT" in text
    assert "TZOFFSETFROM:-0500\nTZOFFSETTO:-0400" in text
    assert "DTSTART:20261101T020000\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\nTZNAME:EST" in text


def test_southern_hemisphere_rule_starts_daylight_time_in_october():
    (standard, daylight) = observances("Australia/Sydney", 2026, 2028)
    assert (standard.kind, standard.rrule) == ("STANDARD", "FREQ=YEARLY;BYMONTH=4;BYDAY=1SU")
    assert (daylight.kind, daylight.rrule) == ("DAYLIGHT", "FREQ=YEARLY;BYMONTH=10;BYDAY=1SU")


@pytest.mark.parametrize(("tzid", "offset"), [("UTC", "+0000"), ("Asia/Kolkata", "+0530"),
                                              ("America/Sao_Paulo", "-0300")])
def test_zone_without_daylight_saving_time_gets_a_single_standard(tzid, offset):
    text = block(tzid)
    assert text.count("BEGIN:STANDARD") == 1
    assert "DAYLIGHT" not in text and "RRULE" not in text and "RDATE" not in text
    assert f"TZOFFSETFROM:{offset}\nTZOFFSETTO:{offset}" in text


def test_zone_whose_changes_follow_no_yearly_rule_lists_them():
    # Morocco suspends its time for Ramadan, which moves through the solar year.
    found = observances("Africa/Casablanca", 2026, 2028)
    assert all(o.rrule is None for o in found)
    assert sum(1 + len(o.rdates) for o in found) == 6
    assert "RDATE:" in block("Africa/Casablanca")


def test_lists_are_used_only_for_the_years_asked_for():
    text = block("Africa/Casablanca", 2027, 2027)
    assert "2026" not in text and "2028" not in text


@pytest.mark.parametrize("tzid", ["Europe/Amsterdam", "Europe/London", "America/New_York",
                                  "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Chatham",
                                  "America/Santiago", "Asia/Jerusalem", "Africa/Casablanca",
                                  "America/Havana", "Europe/Dublin", "UTC"])
def test_observances_reproduce_the_tz_database_every_hour_of_the_covered_years(tzid):
    first, last = 2026, 2029
    zone = ZoneInfo(tzid)
    onsets = onsets_of(observances(tzid, first, last), until=datetime(last + 1, 1, 1))
    moment = datetime(first + 1, 1, 1, tzinfo=UTC)  # callers ask for one year before their events
    stop = datetime(last + 1, 1, 1, tzinfo=UTC) - timedelta(days=2)
    index = 0
    assert onsets[0][0] <= moment, "every covered instant comes after a first onset"
    while moment < stop:
        while index + 1 < len(onsets) and onsets[index + 1][0] <= moment:
            index += 1
        assert onsets[index][1] == moment.astimezone(zone).utcoffset(), moment
        moment += timedelta(hours=1)


def onsets_of(found: tuple[Observance, ...], until: datetime) -> list[tuple[datetime, timedelta]]:
    """An independent reading of the observances: dateutil expands the rules, in UTC."""
    onsets = []
    for observance in found:
        starts = [observance.start, *observance.rdates]
        if observance.rrule:
            starts = rrule.rrulestr(observance.rrule, dtstart=observance.start).between(
                observance.start, until, inc=True)
        onsets += [((start - observance.offset_from).replace(tzinfo=UTC), observance.offset_to)
                   for start in starts]
    return sorted(onsets)


def test_rule_that_fits_both_fourth_and_last_sunday_is_settled_by_later_years():
    # 2032-2034: the last Sundays of March are the 28th, 27th and 26th, also the fourth Sundays.
    (_, daylight) = observances("Europe/Amsterdam", 2032, 2034)
    assert daylight.rrule == "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"


def test_the_same_years_give_the_same_lines():
    assert build_vtimezone("Europe/Amsterdam", 2026, 2028) == build_vtimezone("Europe/Amsterdam", 2026, 2028)


def test_years_in_the_wrong_order_are_refused():
    with pytest.raises(ValueError):
        observances("Europe/Amsterdam", 2028, 2026)
