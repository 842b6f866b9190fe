"""Busy times from calendar feeds: the publishers' shapes, clock changes, free/busy, the horizon,
privacy, hostile feeds, and the expansion checked against dateutil.rrule."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule as du
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.domain import feed_text
from shared.domain.availability import merge
from shared.domain.busy_times import FeedError, Interval, busy_intervals, horizon
from tests import feeds
from tests.feeds import AMSTERDAM, NEW_YORK, SECRET_WORDS, Event

WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
HERE = "Europe/Amsterdam"


def busy(feed: bytes, zone: str = HERE, window: tuple[datetime, datetime] = WINDOW, **options) -> list[tuple[datetime, datetime]]:
    found = busy_intervals(feed, window_start=window[0], window_end=window[1], default_timezone=zone, **options)
    return [(i.start, i.end) for i in found]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def ams(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=AMSTERDAM)


def nyc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NEW_YORK)


def lines(*body: str, head: tuple[str, ...] = ()) -> bytes:
    return feeds.fold(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//test//EN", *head, *body, "END:VCALENDAR"])


def clipped(intervals, window: tuple[datetime, datetime]) -> list[tuple[datetime, datetime]]:
    return merge([(max(start, window[0]), min(end, window[1])) for start, end in intervals])


def refused(feed: bytes | str, within: float = 2.0, **options) -> str:
    """The reason a feed is refused, which must take less than ``within`` seconds of this
    process's CPU time: the work done, not the wall clock, which a loaded machine stretches."""
    started = time.process_time()
    with pytest.raises(FeedError) as caught:
        busy(feed, **options)
    spent = time.process_time() - started
    assert spent < within, f"took {spent:.1f} s of CPU to refuse"
    return caught.value.reason


# -- Outlook / Exchange ----------------------------------------------------------------------------


def test_outlook_windows_zone_names_are_read_as_their_iana_zones_over_the_spring_clock_change():
    monday = ams(2026, 3, 16, 9, 0)
    feed = feeds.outlook([Event(monday, monday + timedelta(hours=1), rrule="FREQ=WEEKLY;COUNT=3;BYDAY=MO")])
    assert b"TZID=W. Europe Standard Time" in feed and b"BEGIN:VALARM" in feed
    assert busy(feed) == [
        (utc(2026, 3, 16, 8), utc(2026, 3, 16, 9)),
        (utc(2026, 3, 23, 8), utc(2026, 3, 23, 9)),
        (utc(2026, 3, 30, 7), utc(2026, 3, 30, 8)),  # summer time from 29 March
    ]


def test_outlook_quoted_tzid_and_eastern_standard_time_follow_new_york_in_march():
    wednesday = nyc(2026, 3, 4, 9, 0)
    feed = feeds.outlook([Event(wednesday, wednesday + timedelta(minutes=30), rrule="FREQ=WEEKLY;COUNT=2")], quote_tzid=True)
    assert b'TZID="Eastern Standard Time"' in feed
    assert busy(feed) == [
        (utc(2026, 3, 4, 14), utc(2026, 3, 4, 14, 30)),
        (utc(2026, 3, 11, 13), utc(2026, 3, 11, 13, 30)),  # New York changed on 8 March
    ]


@pytest.mark.parametrize(("tzid", "start"), [
    ("W. Europe Standard Time", utc(2026, 3, 30, 7)),  # a Windows name is known without its VTIMEZONE
    ("Nergens", utc(2026, 3, 30, 13)),  # an unknown name without one is floating: the person's New York
])
def test_a_tzid_without_its_vtimezone(tzid, start):
    feed = lines("BEGIN:VEVENT", "UID:w", f"DTSTART;TZID={tzid}:20260330T090000", f"DTEND;TZID={tzid}:20260330T100000",
                 "END:VEVENT")
    assert busy(feed, zone="America/New_York") == [(start, start + timedelta(hours=1))]


def test_outlook_exdate_free_and_cancelled_events_are_left_out():
    monday = ams(2026, 2, 2, 10, 0)
    feed = feeds.outlook([
        Event(monday, monday + timedelta(hours=1), rrule="FREQ=WEEKLY;COUNT=3", exdates=[monday + timedelta(weeks=1)]),
        Event(ams(2026, 2, 3, 10), ams(2026, 2, 3, 11), transparent=True),
        Event(ams(2026, 2, 4, 10), ams(2026, 2, 4, 11), status="CANCELLED"),
        Event(date(2026, 2, 6), date(2026, 2, 7), transparent=True),  # an all-day "free" reminder
    ])
    assert busy(feed) == [(utc(2026, 2, 2, 9), utc(2026, 2, 2, 10)), (utc(2026, 2, 16, 9), utc(2026, 2, 16, 10))]


def test_outlook_busy_status_free_alone_makes_an_event_free():
    feed = feeds.outlook([Event(ams(2026, 2, 3, 10), ams(2026, 2, 3, 11), extra=["X-MICROSOFT-CDO-BUSYSTATUS:FREE"])])
    # The fixture writes BUSY first; Outlook writes one, and a FREE anywhere is honoured.
    assert busy(feed.replace(b"X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\n", b"")) == []


def test_an_opaque_all_day_event_blocks_the_whole_local_day():
    feed = feeds.outlook([Event(date(2026, 2, 6), date(2026, 2, 8))])  # Friday and Saturday
    assert busy(feed) == [(utc(2026, 2, 5, 23), utc(2026, 2, 7, 23))]


def test_outlook_display_name_zone_is_read_from_its_own_vtimezone():
    """Older Outlook writes a display name as TZID; only its VTIMEZONE says what it is."""
    name = "(UTC+01:00) Amsterdam, Berlijn, Bern, Rome, Stockholm, Wenen"
    feed = lines(
        *feeds.outlook_vtimezone("W. Europe Standard Time", tzid=name),
        "BEGIN:VEVENT", "UID:a", f'DTSTART;TZID="{name}":20260330T090000', f'DTEND;TZID="{name}":20260330T100000',
        "END:VEVENT",
    )
    assert b"\r\n " in feed  # the long DTSTART line is folded, as Outlook folds it
    assert busy(feed, zone="America/New_York") == [(utc(2026, 3, 30, 7), utc(2026, 3, 30, 8))]


def test_one_feed_cannot_change_what_a_zone_name_means_in_the_next():
    """icalendar keeps the first VTIMEZONE it parses under a TZID for the whole process; a feed
    (or a mail) defining 'W. Europe Standard Time' or a custom name as UTC+5 must not move the
    next feed's events."""
    def hostile_zone(tzid: str) -> list[str]:
        return ["BEGIN:VTIMEZONE", f"TZID:{tzid}", "BEGIN:STANDARD", "DTSTART:16010101T000000",
                "TZOFFSETFROM:+0500", "TZOFFSETTO:+0500", "END:STANDARD", "END:VTIMEZONE"]

    hostile = lines(
        *hostile_zone("W. Europe Standard Time"), *hostile_zone("Schooltijd"),
        "BEGIN:VEVENT", "UID:h", "DTSTART;TZID=Schooltijd:20260302T090000", "DTEND;TZID=Schooltijd:20260302T100000",
        "END:VEVENT",
    )
    assert busy(hostile) == [(utc(2026, 3, 2, 4), utc(2026, 3, 2, 5))]
    from icalendar import Calendar  # what any other code of the process may do with such a calendar
    Calendar.from_ical(hostile)

    outlook = feeds.outlook([Event(ams(2026, 3, 2, 9), ams(2026, 3, 2, 10))])
    own = lines(
        *feeds.outlook_vtimezone("W. Europe Standard Time", tzid="Schooltijd"),
        "BEGIN:VEVENT", "UID:o", "DTSTART;TZID=Schooltijd:20260302T090000", "DTEND;TZID=Schooltijd:20260302T100000",
        "END:VEVENT",
    )
    assert busy(outlook) == busy(own) == [(utc(2026, 3, 2, 8), utc(2026, 3, 2, 9))]


# -- Google ---------------------------------------------------------------------------------------


def test_google_feed_with_x_wr_timezone_overrides_exdates_and_free_all_day_events():
    monday = ams(2026, 9, 7, 9, 0)
    feed = feeds.google([
        Event(utc(2026, 9, 8, 12), utc(2026, 9, 8, 13)),  # a single event, written in UTC
        Event(monday, monday + timedelta(hours=1), rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=5", uid="series",
              exdates=[monday + timedelta(weeks=1)]),
        Event(monday + timedelta(weeks=2, hours=5), monday + timedelta(weeks=2, hours=6), uid="series",
              recurrence_id=monday + timedelta(weeks=2), sequence=1),  # moved to the afternoon
        Event(monday + timedelta(weeks=3), monday + timedelta(weeks=3, hours=1), uid="series",
              recurrence_id=monday + timedelta(weeks=3), status="CANCELLED", sequence=1),
        Event(date(2026, 9, 10), date(2026, 9, 11), transparent=True),  # a birthday
    ])
    assert b"X-WR-TIMEZONE:Europe/Amsterdam" in feed and b"DTSTART:20260908T120000Z" in feed
    assert busy(feed) == [
        (utc(2026, 9, 7, 7), utc(2026, 9, 7, 8)),
        (utc(2026, 9, 8, 12), utc(2026, 9, 8, 13)),
        (utc(2026, 9, 21, 12), utc(2026, 9, 21, 13)),
        (utc(2026, 10, 5, 7), utc(2026, 10, 5, 8)),
    ]


def test_google_series_written_in_utc_keeps_its_wall_clock_in_the_feed_zone():
    """x-wr-timezone's reading of Google's convention: a UTC series of an X-WR-TIMEZONE feed is
    at 10:00 in Amsterdam every week, summer or winter."""
    feed = lines("BEGIN:VEVENT", "UID:g", "DTSTART:20261019T080000Z", "DTEND:20261019T090000Z",
                 "RRULE:FREQ=WEEKLY;COUNT=2", "END:VEVENT", head=("X-WR-TIMEZONE:Europe/Amsterdam",))
    assert busy(feed) == [(utc(2026, 10, 19, 8), utc(2026, 10, 19, 9)), (utc(2026, 10, 26, 9), utc(2026, 10, 26, 10))]
    without = feed.replace(b"X-WR-TIMEZONE:Europe/Amsterdam\r\n", b"")
    assert busy(without) == [(utc(2026, 10, 19, 8), utc(2026, 10, 19, 9)), (utc(2026, 10, 26, 8), utc(2026, 10, 26, 9))]


def test_rdate_adds_occurrences_to_a_rule_in_its_zone():
    feed = lines("BEGIN:VEVENT", "UID:r", "DTSTART;TZID=Europe/Amsterdam:20260302T090000", "DURATION:PT90M",
                 "RRULE:FREQ=WEEKLY;COUNT=2", "RDATE;TZID=Europe/Amsterdam:20260304T140000,20260401T090000",
                 "EXDATE;TZID=Europe/Amsterdam:20260309T090000", "END:VEVENT")
    assert busy(feed) == [
        (utc(2026, 3, 2, 8), utc(2026, 3, 2, 9, 30)), (utc(2026, 3, 4, 13), utc(2026, 3, 4, 14, 30)),
        (utc(2026, 4, 1, 7), utc(2026, 4, 1, 8, 30)),
    ]


def test_an_x_wr_timezone_that_names_no_zone_is_ignored():
    feed = lines("BEGIN:VEVENT", "UID:f", "DTSTART:20260302T090000", "DTEND:20260302T100000", "END:VEVENT",
                 head=("X-WR-TIMEZONE:Mars/Olympus_Mons",))
    assert busy(feed) == [(utc(2026, 3, 2, 8), utc(2026, 3, 2, 9))]


# -- iCloud ---------------------------------------------------------------------------------------


def test_icloud_floating_times_are_in_the_feeds_x_wr_timezone():
    nine = nyc(2026, 3, 6, 9, 0)
    feed = feeds.icloud([Event(nine, nine + timedelta(hours=1), rrule="FREQ=WEEKLY;COUNT=2")], timezone="America/New_York")
    assert b"DTSTART:20260306T090000\r\n" in feed
    assert busy(feed, zone="Europe/Amsterdam") == [
        (utc(2026, 3, 6, 14), utc(2026, 3, 6, 15)),
        (utc(2026, 3, 13, 13), utc(2026, 3, 13, 14)),
    ]


def test_icloud_floating_times_without_x_wr_timezone_are_in_the_persons_zone():
    nine = ams(2026, 3, 6, 9, 0)
    feed = feeds.icloud([Event(nine, nine + timedelta(hours=1)), Event(date(2026, 3, 9), date(2026, 3, 10))], timezone=None)
    assert busy(feed, zone="America/New_York") == [
        (utc(2026, 3, 6, 14), utc(2026, 3, 6, 15)),
        (utc(2026, 3, 9, 4), utc(2026, 3, 10, 4)),  # the whole day in New York (summer time since 8 March)
    ]


# -- Zermelo and Magister -------------------------------------------------------------------------


def test_zermelo_lessons_are_busy_and_its_cancelled_lessons_are_not():
    day = ams(2026, 3, 2, 8, 30)
    lessons = [Event(day + timedelta(minutes=50 * n), day + timedelta(minutes=50 * (n + 1)),
                     summary=f"wis - h3a - KLS {n}", status="CANCELLED" if n in (2, 3) else None)
               for n in range(6)]
    feed = feeds.zermelo(lessons)
    assert feed.count(b"STATUS:CANCELLED") == 2 and b"DTSTART:20260302T073000Z" in feed
    assert busy(feed) == [(utc(2026, 3, 2, 7, 30), utc(2026, 3, 2, 9, 10)), (utc(2026, 3, 2, 10, 50), utc(2026, 3, 2, 12, 30))]


def test_magister_lessons_count_and_its_transparent_all_day_markers_do_not():
    feed = feeds.magister([
        Event(ams(2026, 10, 26, 8, 30), ams(2026, 10, 26, 9, 20)),
        Event(date(2026, 10, 26), date(2026, 10, 27), summary="Toets hoofdstuk 4", transparent=True),
        Event(date(2026, 10, 19), date(2026, 10, 24), summary="Herfstvakantie", transparent=True),
    ])
    assert busy(feed) == [(utc(2026, 10, 26, 7, 30), utc(2026, 10, 26, 8, 20))]


# -- clock changes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("zone", "first", "before", "after"), [
    ("Europe/Amsterdam", date(2026, 3, 26), 7, 6),  # last Sunday of March
    ("Europe/Amsterdam", date(2026, 10, 22), 6, 7),  # last Sunday of October
    ("America/New_York", date(2026, 3, 5), 13, 12),  # second Sunday of March
    ("America/New_York", date(2026, 10, 29), 12, 13),  # first Sunday of November
])
def test_a_daily_lesson_keeps_its_local_time_through_the_clock_change_week(zone, first, before, after):
    tz = ZoneInfo(zone)
    start = datetime(first.year, first.month, first.day, 8, 0, tzinfo=tz)
    feed = lines(
        "BEGIN:VEVENT", "UID:d", f"DTSTART;TZID={zone}:{start:%Y%m%dT%H%M%S}", f"DTEND;TZID={zone}:{start:%Y%m%d}T090000",
        "RRULE:FREQ=DAILY;COUNT=7", "END:VEVENT")
    starts = [s.hour for s, _ in busy(feed)]
    assert starts == [before] * 3 + [after] * 4


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)])
def test_an_all_day_event_on_a_clock_change_lasts_the_local_days_length(day, hours):
    feed = feeds.google([Event(day, day + timedelta(days=1))])
    ((start, end),) = busy(feed)
    assert start == datetime(day.year, day.month, day.day, tzinfo=AMSTERDAM)
    assert end - start == timedelta(hours=hours)


# -- VFREEBUSY ----------------------------------------------------------------------------------------


def test_freebusy_periods_count_except_free():
    feed = feeds.freebusy([
        ("BUSY", utc(2026, 2, 2, 8), utc(2026, 2, 2, 9)),
        ("BUSY-UNAVAILABLE", utc(2026, 2, 3, 8), timedelta(hours=2)),
        ("BUSY-TENTATIVE", utc(2026, 2, 4, 8), utc(2026, 2, 4, 9)),
        (None, utc(2026, 2, 5, 8), utc(2026, 2, 5, 9)),
        ("FREE", utc(2026, 2, 6, 8), utc(2026, 2, 6, 9)),
        ("X-OUT-OF-OFFICE", utc(2026, 2, 7, 8), utc(2026, 2, 7, 9)),  # unknown types count as BUSY
    ])
    assert busy(feed) == [
        (utc(2026, 2, 2, 8), utc(2026, 2, 2, 9)), (utc(2026, 2, 3, 8), utc(2026, 2, 3, 10)),
        (utc(2026, 2, 4, 8), utc(2026, 2, 4, 9)), (utc(2026, 2, 5, 8), utc(2026, 2, 5, 9)),
        (utc(2026, 2, 7, 8), utc(2026, 2, 7, 9)),
    ]


# -- window, horizon, merging ------------------------------------------------------------------------


def test_the_horizon_is_fifteen_months_from_now():
    assert horizon(datetime(2026, 1, 31, 13, tzinfo=AMSTERDAM)) == (utc(2026, 1, 31, 12), utc(2027, 4, 30, 12))


def test_busy_times_are_clipped_to_the_window_and_nothing_beyond_it_is_kept():
    now = utc(2026, 3, 2, 9, 30)
    window = horizon(now)
    feed = feeds.google([
        Event(utc(2026, 3, 2, 9), utc(2026, 3, 2, 10)),  # under way now
        Event(utc(2026, 3, 1, 9), utc(2026, 3, 1, 10)),  # yesterday
        Event(utc(2027, 7, 1, 9), utc(2027, 7, 1, 10)),  # after fifteen months
        Event(ams(2026, 3, 2, 14), ams(2026, 3, 2, 15), rrule="FREQ=MONTHLY", uid="m"),
    ])
    found = busy(feed, window=window)
    assert window[1] == utc(2027, 6, 2, 9, 30)
    assert found[0] == (now, utc(2026, 3, 2, 10))
    # The 2nd of every month at 14:00 in Amsterdam: March 2026 to May 2027 (June's is after 09:30).
    assert len(found) == 1 + 15 and found[-1] == (utc(2027, 5, 2, 12), utc(2027, 5, 2, 13))
    assert all(window[0] <= start < end <= window[1] for start, end in found)


def test_overlapping_and_touching_busy_times_are_joined():
    feed = feeds.zermelo([
        Event(utc(2026, 2, 2, 8), utc(2026, 2, 2, 9)), Event(utc(2026, 2, 2, 9), utc(2026, 2, 2, 10)),
        Event(utc(2026, 2, 2, 9, 30), utc(2026, 2, 2, 9, 45)), Event(utc(2026, 2, 2, 11), utc(2026, 2, 2, 12)),
    ])
    assert busy(feed) == [(utc(2026, 2, 2, 8), utc(2026, 2, 2, 10)), (utc(2026, 2, 2, 11), utc(2026, 2, 2, 12))]


def test_a_series_that_ended_before_the_window_still_moves_an_occurrence_into_it():
    """An event outside the window is only left out with every event of its UID."""
    start = ams(2025, 6, 2, 9)
    feed = feeds.outlook([
        Event(start, start + timedelta(hours=1), rrule="FREQ=WEEKLY;UNTIL=20250630T000000Z", uid="old"),
        Event(ams(2026, 2, 2, 9), ams(2026, 2, 2, 10), uid="old", recurrence_id=start + timedelta(weeks=1)),
        Event(ams(2025, 12, 1, 9), ams(2026, 1, 5, 9)),  # five weeks of leave, into the window
    ])
    assert busy(feed) == [(WINDOW[0], utc(2026, 1, 5, 8)), (utc(2026, 2, 2, 8), utc(2026, 2, 2, 9))]


# -- privacy -------------------------------------------------------------------------------------------


def publisher_feeds() -> dict[str, bytes]:
    monday = ams(2026, 3, 2, 9)
    events = [Event(monday, monday + timedelta(hours=1), rrule="FREQ=WEEKLY;COUNT=4", uid="p"),
              Event(date(2026, 3, 4), date(2026, 3, 5))]
    return {
        "outlook": feeds.outlook(events), "google": feeds.google(events), "icloud": feeds.icloud(events),
        "zermelo": feeds.zermelo(events[:1]), "magister": feeds.magister(events),
    }


@pytest.mark.parametrize("publisher", ["outlook", "google", "icloud", "zermelo", "magister"])
def test_nothing_but_start_and_end_comes_out_of_a_feed(publisher):
    feed = publisher_feeds()[publisher]
    assert sum(word.encode() in feed.replace(b"\r\n ", b"") for word in SECRET_WORDS) >= 2
    found = busy_intervals(feed, window_start=WINDOW[0], window_end=WINDOW[1], default_timezone=HERE)
    assert found and all(type(i) is Interval for i in found)
    assert Interval._fields == ("start", "end")
    assert all(type(i.start) is datetime and i.start.utcoffset() == timedelta(0) for i in found)
    assert not any(word in repr(found) for word in SECRET_WORDS)


def test_what_is_passed_to_icalendar_holds_no_titles_places_or_people():
    text = feed_text.read(feeds.outlook([Event(ams(2026, 3, 2, 9), ams(2026, 3, 2, 10))]))
    passed = feed_text.select(text, WINDOW)
    assert "BEGIN:VEVENT" in passed
    assert not any(word in passed for word in (*SECRET_WORDS, "SUMMARY", "DESCRIPTION", "LOCATION", "ATTENDEE"))


def test_a_refusal_repeats_nothing_personal():
    feed = feeds.google([Event(ams(2026, 3, 2, 9), ams(2026, 3, 2, 10), rrule="FREQ=SECONDLY")])
    reason = refused(feed)
    assert "every second" in reason and not any(word in reason for word in SECRET_WORDS)


# -- hostile feeds ---------------------------------------------------------------------------------------


def test_a_feed_over_the_size_limit_is_refused_before_reading():
    reason = refused(b"BEGIN:VCALENDAR\r\n" + b"X" * (feed_text.MAX_FEED_BYTES + 1), within=0.5)
    assert "MiB" in reason


def test_a_web_page_is_refused_as_not_a_feed():
    assert "not an iCalendar feed" in refused(b"<!DOCTYPE html><html><body>Log in</body></html>", within=0.5)


@pytest.mark.parametrize("garbage", [
    b"", b"\x00\x01\x02\xff" * 100, b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260101\r\n",
    b"BEGIN:VCALENDAR\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
    b'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID="Europe/Amsterdam:20260101T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n',
])
def test_garbage_is_refused_with_a_reason(garbage):
    assert refused(garbage, within=0.5)


@pytest.mark.parametrize(("event", "words"), [
    (["DTSTART:not-a-date"], "DTSTART cannot be read"),
    (["DTSTART:20260302T090000Z", "RRULE:FREQ=FORTNIGHTLY"], "RRULE cannot be read"),
    (["DTEND:20260302T090000Z"], "no DTSTART"),
    (["DTSTART:20260302T090000Z", "RRULE:FREQ=WEEKLY;INTERVAL=0"], "INTERVAL is not positive"),
])
def test_an_unreadable_event_is_refused_with_the_property_named(event, words):
    assert words in refused(lines("BEGIN:VEVENT", "UID:x", *event, "END:VEVENT"))


def test_too_many_components_are_refused_before_icalendar_parses_them():
    body = ["BEGIN:VEVENT", "END:VEVENT"] * feed_text.MAX_COMPONENTS
    assert "components" in refused(lines(*body), within=1.0)


def test_deeply_nested_components_are_refused():
    body = ["BEGIN:VEVENT"] * 20_000 + ["END:VEVENT"] * 20_000
    assert "deep" in refused(lines(*body), within=0.5)


def test_too_many_time_zones_are_refused():
    body = [line for n in range(feed_text.MAX_TIMEZONES + 1) for line in feeds.outlook_vtimezone("W. Europe Standard Time", tzid=f"Zone {n}")]
    assert "time zones" in refused(lines(*body), within=0.5)


@pytest.mark.parametrize(("rule", "words"), [
    ("FREQ=SECONDLY", "every second"),
    ("FREQ=MINUTELY;INTERVAL=1", "every minute"),
    ("FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12;BYMINUTE=0,30", "26 times a day"),
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "never occurs"),
    ("FREQ=HOURLY;BYMONTH=4;BYMONTHDAY=31", "never occurs"),  # the slowest probe: 400 years of days
    ("FREQ=DAILY;INTERVAL=7;BYDAY=TU", "never occurs"),  # 2 March 2026 is a Monday
    ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "never occurs"),
    ("FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29", "never occurs"),  # 2026, 2030, ...: no leap year
])
def test_a_rule_that_would_explode_or_never_end_is_refused_quickly(rule, words):
    feed = lines("BEGIN:VEVENT", "UID:x", "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z", f"RRULE:{rule}", "END:VEVENT")
    assert words in refused(feed, within=5.0)


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"])
def test_a_custom_zone_whose_clock_rule_would_not_end_is_refused(rule):
    feed = lines(
        "BEGIN:VTIMEZONE", "TZID:Eigen", "BEGIN:DAYLIGHT", "DTSTART:16010101T020000", "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200", f"RRULE:{rule}", "END:DAYLIGHT", "BEGIN:STANDARD", "DTSTART:16010101T030000",
        "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "END:STANDARD",
        "END:VTIMEZONE",
        "BEGIN:VEVENT", "UID:x", "DTSTART;TZID=Eigen:20260302T090000", "DTEND;TZID=Eigen:20260302T100000", "END:VEVENT")
    assert "VTIMEZONE 'Eigen' changes its clocks" in refused(feed, within=3.0)


def test_a_rule_with_a_million_dates_is_refused_before_icalendar_reads_them():
    dates = ",".join(f"2026{month:02d}{day:02d}T090000Z" for month in range(1, 13) for day in range(1, 29)) + ","
    feed = lines("BEGIN:VEVENT", "UID:x", "DTSTART:20260101T090000Z", "DTEND:20260101T100000Z",
                 "RDATE:" + dates * 160 + "20261231T090000Z", "END:VEVENT")
    assert "more than 50,000 dates or periods" in refused(feed, within=1.0)


def test_a_frequent_rule_from_long_ago_is_refused_before_expanding_it():
    feed = lines("BEGIN:VEVENT", "UID:x", "DTSTART:10000101T090000Z", "DTEND:10000101T100000Z", "RRULE:FREQ=DAILY", "END:VEVENT")
    assert "repetitions before the end of the window" in refused(feed, within=0.5)


def test_a_sparse_but_real_rule_is_expanded():
    """Friday the 13th, and 29 February: rare, not impossible."""
    feed = lines("BEGIN:VEVENT", "UID:x", "DTSTART:20250101T090000Z", "DTEND:20250101T100000Z",
                 "RRULE:FREQ=DAILY;BYDAY=FR;BYMONTHDAY=13", "END:VEVENT",
                 "BEGIN:VEVENT", "UID:y", "DTSTART;VALUE=DATE:20240229", "DTEND;VALUE=DATE:20240301",
                 "RRULE:FREQ=YEARLY", "END:VEVENT")
    assert [start.date() for start, _ in busy(feed)] == [date(2026, 2, 13), date(2026, 3, 13), date(2026, 11, 13)]


def test_more_occurrences_than_the_limit_are_refused():
    feed = lines(*[line for n in range(6) for line in (
        "BEGIN:VEVENT", f"UID:{n}", f"DTSTART:20260101T0{n}0000Z", f"DTEND:20260101T0{n}3000Z", "RRULE:FREQ=HOURLY", "END:VEVENT")])
    assert "more than 50,000 occurrences" in refused(feed, within=10.0)


def test_an_expansion_over_its_time_limit_is_stopped():
    feed = lines(*[line for n in range(200) for line in (
        "BEGIN:VEVENT", f"UID:{n}", "DTSTART:20250101T090000Z", "DTEND:20250101T100000Z",
        "RRULE:FREQ=DAILY;BYDAY=FR;BYMONTHDAY=13", "END:VEVENT")])
    assert "takes more than 0.01 s" in refused(feed, time_limit=0.01)


# -- the expansion against dateutil.rrule -----------------------------------------------------------


ZONES = {"Europe/Amsterdam": "W. Europe Standard Time", "America/New_York": "Eastern Standard Time",
         "Australia/Sydney": None}
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@st.composite
def series(draw):
    """A recurring event as (feed, oracle's busy times): a rule, its exceptions and overrides."""
    zone_name = draw(st.sampled_from(sorted(ZONES)))
    zone = ZoneInfo(zone_name)
    day = date(2025, 9, 1) + timedelta(days=draw(st.integers(0, 600)))
    drawn = datetime(day.year, day.month, day.day, draw(st.integers(0, 23)), draw(st.sampled_from((0, 30))))
    length = timedelta(minutes=draw(st.integers(1, 12)) * 15)
    freq = draw(st.sampled_from(("DAILY", "WEEKLY", "MONTHLY")))
    interval = draw(st.integers(1, 3))
    parts, options = [f"FREQ={freq}", f"INTERVAL={interval}"], {"interval": interval}
    if freq == "WEEKLY" and draw(st.booleans()):
        days = draw(st.sets(st.integers(0, 6), min_size=1, max_size=3))
        parts.append("BYDAY=" + ",".join(WEEKDAYS[d] for d in sorted(days)))
        options["byweekday"] = sorted(days)
    elif freq == "DAILY" and draw(st.booleans()):
        days = draw(st.sets(st.integers(0, 4), min_size=1, max_size=5))  # school days
        parts.append("BYDAY=" + ",".join(WEEKDAYS[d] for d in sorted(days)))
        options["byweekday"] = sorted(days)
    elif freq == "MONTHLY":
        choice = draw(st.sampled_from(("date", "weekday", None)))
        if choice == "date":
            monthday = draw(st.sampled_from((1, 15, 28, 30, 31, -1)))
            parts.append(f"BYMONTHDAY={monthday}")
            options["bymonthday"] = monthday
        elif choice == "weekday":
            nth, weekday = draw(st.sampled_from((1, 2, 4, -1))), draw(st.integers(0, 6))
            parts.append(f"BYDAY={nth}{WEEKDAYS[weekday]}")
            options["byweekday"] = du.weekday(weekday)(nth)
    # DTSTART is the rule's first occurrence (RFC 5545 leaves an unsynchronised one undefined).
    first = next(iter(du.rrule(getattr(du, freq), dtstart=drawn, **options)))
    end = draw(st.sampled_from(("count", "until", "none")))
    until = None
    if end == "count":
        count = draw(st.integers(1, 40))
        parts.append(f"COUNT={count}")
        options["count"] = count
    elif end == "until":
        until = (first + timedelta(days=draw(st.integers(0, 500)))).replace(tzinfo=zone).astimezone(UTC)
        parts.append(f"UNTIL={until:%Y%m%dT%H%M%SZ}")

    wall_starts = []
    for start in du.rrule(getattr(du, freq), dtstart=first, **options):
        if start > datetime(2027, 6, 1):
            break
        if until is not None and start.replace(tzinfo=zone) > until:
            break
        wall_starts.append(start)
    chosen = draw(st.lists(st.integers(0, 39), max_size=6, unique=True))
    picked = [wall_starts[i] for i in chosen if i < len(wall_starts)]
    half = len(picked) // 2
    exdates, overridden = picked[:half], picked[half:]
    overrides = []
    for original in overridden:
        moved = original + timedelta(hours=draw(st.sampled_from((-26, -1, 2, 24 * 200, 24 * 400))))
        overrides.append((original, moved, draw(st.booleans())))

    def busy_wall(start: datetime) -> tuple[datetime, datetime]:
        return start.replace(tzinfo=zone).astimezone(UTC), (start + length).replace(tzinfo=zone).astimezone(UTC)

    replaced = {original for original, _, _ in overrides}
    expected = [busy_wall(s) for s in wall_starts if s not in exdates and s not in replaced]
    expected += [busy_wall(moved) for _, moved, cancelled in overrides if not cancelled]

    windows = draw(st.booleans()) and ZONES[zone_name] is not None
    tzid = ZONES[zone_name] if windows else zone_name

    def stamp(name: str, value: datetime) -> str:
        return f"{name};TZID={tzid}:{value:%Y%m%dT%H%M%S}"

    body = [*(feeds.outlook_vtimezone(tzid) if windows else []),
            "BEGIN:VEVENT", "UID:s", stamp("DTSTART", first), stamp("DTEND", first + length),
            "RRULE:" + ";".join(parts), *(stamp("EXDATE", e) for e in exdates), "END:VEVENT"]
    for original, moved, cancelled in overrides:
        body += ["BEGIN:VEVENT", "UID:s", "SEQUENCE:1", stamp("RECURRENCE-ID", original), stamp("DTSTART", moved),
                 stamp("DTEND", moved + length), *(["STATUS:CANCELLED"] if cancelled else []), "END:VEVENT"]
    return lines(*body), expected


@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(series())
def test_expansion_matches_dateutil_rrule_in_zones_with_clock_changes(case):
    feed, expected = case
    oracle = clipped(expected, WINDOW)
    assert busy_intervals(feed, window_start=WINDOW[0], window_end=WINDOW[1], default_timezone="Asia/Tokyo") == oracle
    # Leaving out what lies outside the window changes nothing: a wider window, clipped, agrees.
    wide = busy_intervals(feed, window_start=utc(2025, 1, 1), window_end=utc(2028, 1, 1), default_timezone="Asia/Tokyo")
    assert clipped(wide, WINDOW) == oracle


def mangled_feeds():
    """A real-shaped feed with some of its lines cut, repeated, swapped or garbled."""
    monday = ams(2026, 3, 2, 9)
    base = feeds.outlook([
        Event(monday, monday + timedelta(hours=1), rrule="FREQ=WEEKLY;COUNT=10;BYDAY=MO", uid="s",
              exdates=[monday + timedelta(weeks=2)]),
        Event(monday + timedelta(weeks=1, hours=2), monday + timedelta(weeks=1, hours=3), uid="s",
              recurrence_id=monday + timedelta(weeks=1)),
        Event(date(2026, 3, 4), date(2026, 3, 5)),
    ]).decode().replace("\r\n ", "").split("\r\n")
    garble = st.text(alphabet=";:,=\"/-TZ0123456789PWDHMS ABCDEFGHIJKLMNOPQRSTUVWXYZ\x00é", max_size=12)

    @st.composite
    def build(draw):
        lines_ = list(base)
        for _ in range(draw(st.integers(1, 6))):
            if not lines_:
                break
            at = draw(st.integers(0, len(lines_) - 1))
            action = draw(st.sampled_from(("cut", "repeat", "swap", "garble", "truncate")))
            if action == "cut":
                del lines_[at]
            elif action == "repeat":
                lines_.insert(at, lines_[at])
            elif action == "swap":
                other = draw(st.integers(0, len(lines_) - 1))
                lines_[at], lines_[other] = lines_[other], lines_[at]
            elif action == "garble":
                cut = draw(st.integers(0, len(lines_[at])))
                lines_[at] = lines_[at][:cut] + draw(garble) + lines_[at][cut:]
            else:
                lines_ = lines_[:at]
        return "\r\n".join(lines_).encode()

    return build()


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mangled_feeds())
def test_a_mangled_feed_gives_busy_times_or_a_reason_never_another_error(feed):
    started = time.process_time()
    try:
        found = busy(feed)
    except FeedError as error:
        assert error.reason and not any(word in error.reason for word in SECRET_WORDS)
    else:
        assert all(WINDOW[0] <= start < end <= WINDOW[1] for start, end in found)
    assert time.process_time() - started < 2.0


@pytest.mark.parametrize("event", [
    ("DTSTART:99991231T233000Z", "DTEND:99991231T235900Z", "RRULE:FREQ=DAILY"),
    ("DTSTART;TZID=America/New_York:99991231T230000", "DTEND;TZID=America/New_York:99991231T233000", "RRULE:FREQ=YEARLY"),
    ("DTSTART;VALUE=DATE:99991231", "RRULE:FREQ=DAILY"),
    ("DTSTART:20260101T090000Z", "DURATION:P99999999W"),
    ("DTSTART;TZID=Pacific/Kiritimati:00010101T000000", "DTEND;TZID=Pacific/Kiritimati:00010101T010000"),
])
def test_dates_at_the_ends_of_time_give_a_reason_or_nothing_never_another_error(event):
    feed = lines("BEGIN:VEVENT", "UID:t", *event, "END:VEVENT", head=("X-WR-TIMEZONE:Europe/Amsterdam",))
    try:
        assert busy(feed) == []
    except FeedError as error:
        assert "year 1 or 9999" in error.reason or "cannot be" in error.reason
