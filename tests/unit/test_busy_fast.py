"""Plain single events read from their text (shared.domain.busy_fast) give exactly the busy times
that icalendar and recurring-ical-events give them: checked on generated events in every shape
the publishers write (IANA, Windows and own-VTIMEZONE zones, UTC, floating times with and without
X-WR-TIMEZONE, all-day, DURATION, free and cancelled ones, this service's own sessions) and in
shapes the fast path hands over to the libraries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from icalendar.parser import Contentline

from shared.domain import busy_fast, busy_times
from shared.domain.busy_times import FeedError, busy_intervals
from shared.domain.feed_text import read, split
from tests import feeds

WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
AROUND = (date(2025, 12, 30), date(2026, 3, 27), date(2026, 3, 7), date(2026, 10, 23), date(2026, 10, 31),
          date(2026, 4, 3), date(2027, 3, 30))
"""The window's ends and the weeks the clocks change in Europe, North America and Australia."""
ZONES = {
    "iana": ["Europe/Amsterdam", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Etc/UTC"],
    "windows": ["W. Europe Standard Time", "Eastern Standard Time", '"W. Europe Standard Time"'],
    "own": ['"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"', "Eigen tijd"],
    "unknown": ["Nowhere/Special"],
}
OWN_ZONE_LINES = [
    *feeds.outlook_vtimezone("W. Europe Standard Time", "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"),
    *feeds.outlook_vtimezone("Eastern Standard Time", "Eigen tijd"),
]
OWN_GLOBAL_ID = ("040000008200E00074C5B7101A82E008000000000000000000000000000000000000000035000000"
                 + b"vCal-Uid\x01\x00\x00\x00abc@intervisie\x00".hex().upper())


@st.composite
def moments(draw, name: str, at: datetime, timed: bool):
    """A DTSTART/DTEND line for the wall-clock time ``at``: in a zone, in UTC, floating, or a date."""
    if not timed:
        return f"{name};VALUE=DATE:{at:%Y%m%d}" if draw(st.booleans()) else f"{name}:{at:%Y%m%d}"
    kind = draw(st.sampled_from(("iana", "windows", "own", "unknown", "utc", "floating")))
    value = f"{at:%Y%m%dT%H%M%S}"
    if kind == "utc":
        return f"{name}:{value}Z"
    if kind == "floating":
        return f"{name}:{value}"
    tzid = draw(st.sampled_from(ZONES[kind]))
    explicit = ";VALUE=DATE-TIME" if draw(st.integers(0, 5)) == 0 else ""
    return f"{name};TZID={tzid}{explicit}:{value}"


@st.composite
def single_events(draw, odd: bool, index: int):
    day = draw(st.sampled_from(AROUND)) + timedelta(days=draw(st.integers(0, 4)))
    at = datetime(day.year, day.month, day.day, draw(st.integers(0, 23)), draw(st.sampled_from((0, 15, 30))))
    timed = draw(st.integers(0, 3)) > 0
    uid = draw(st.sampled_from((f"les-{index}", f"{index}@google.com", None, f"{index}@INTERVISIE", OWN_GLOBAL_ID)
                               if draw(st.integers(0, 4)) == 0 else (f"les-{index}", f"{index}@google.com", None)))
    lines = ["BEGIN:VEVENT", *([f"UID:{uid}"] if uid else []), draw(moments("DTSTART", at, timed))]
    ending = draw(st.sampled_from(("dtend", "dtend", "duration", "none")))
    if ending == "dtend":
        length = timedelta(minutes=draw(st.sampled_from((30, 60, 90, 600, 1440, 4320, -60))))
        lines.append(draw(moments("DTEND", at + (length if timed else timedelta(days=1 + length.days % 3)), timed)))
    elif ending == "duration":
        lines.append("DURATION:" + (draw(st.sampled_from(("PT45M", "PT1H30M", "P1D", "PT25H", "P1W", "P1DT2H")))
                                    if timed else "P2D"))
    for name, values in (("SEQUENCE", ("0", "3")), ("TRANSP", ("TRANSPARENT", " transparent", "OPAQUE")),
                         ("STATUS", ("CANCELLED", "CONFIRMED", "cancelled ")),
                         ("X-MICROSOFT-CDO-BUSYSTATUS", ("FREE", "BUSY", "OOF"))):
        if draw(st.booleans()):
            lines.append(f"{name}:{draw(st.sampled_from(values))}")
    if odd:
        lines.insert(draw(st.integers(1, len(lines))), draw(st.sampled_from((
            "DTSTART:20260329T020000Z", "DURATION:-PT1H", "SEQUENCE:x", "STATUS;X-A=b:CANCELLED", "TRANSP:TRANS\\,PARENT",
            "DTEND;VALUE=DATE:20260301", "DTSTART;TZID=Europe/Amsterdam:20260329T020000Z", "DURATION:PT0S",
            "DTSTART;TZID=:20260302T090000", "DTSTART;TZID=Europe/Amsterdam;X-Y=z:20260302T090000",
            "DTEND:20261301T000000", "DTSTART:2026", "DTSTART;VALUE=DATE:20260302T090000",
        ))))
    return [*lines, "END:VEVENT"]


@st.composite
def feeds_of_single_events(draw, odd: bool = False):
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//test//EN"]
    zone = draw(st.sampled_from((None, None, "Europe/Amsterdam", "America/New_York", "Nowhere/Special",
                                 "W. Europe Standard Time", "Eigen tijd")))
    if zone:
        head.append(f"X-WR-TIMEZONE:{zone}")
    events = [draw(single_events(odd, index)) for index in range(draw(st.integers(1, 4)))]
    lines = [*head, *OWN_ZONE_LINES, *(line for event in events for line in event), "END:VCALENDAR"]
    return feeds.fold(lines), draw(st.sampled_from(("Asia/Tokyo", "Europe/Amsterdam", "America/Los_Angeles")))


def both_paths(feed: bytes, person_zone: str) -> tuple[object, object, list[str]]:
    """What the fast path and the libraries alone make of ``feed`` (busy times or a refusal),
    and what happened to each event the fast path was offered."""
    offered: list[str] = []
    real = busy_fast.single_occurrence

    def recording(*arguments):
        try:
            found = real(*arguments)
        except busy_fast.NotPlain:
            offered.append("handed over")
            raise
        offered.append("own session" if found is None else "read")
        return found

    def outcome(**options) -> object:
        try:
            return busy_intervals(feed, window_start=WINDOW[0], window_end=WINDOW[1], default_timezone=person_zone, **options)
        except FeedError as error:
            return error.reason

    with mock.patch.object(busy_times, "single_occurrence", recording):
        fast = outcome()
    return fast, outcome(singles_by_text=False), offered


@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(feeds_of_single_events())
def test_single_events_read_from_their_text_are_busy_exactly_as_the_libraries_say(case):
    feed, person_zone = case
    fast, library, offered = both_paths(feed, person_zone)
    assert fast == library
    assert offered or library == [], "the fast path was offered no event"


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(feeds_of_single_events(odd=True))
def test_odd_single_events_are_handed_to_the_libraries_and_give_the_same_result(case):
    feed, person_zone = case
    fast, library, _ = both_paths(feed, person_zone)
    assert fast == library


def test_the_publishers_single_events_are_read_by_the_fast_path():
    """Not handed over: the shapes Outlook, Google, iCloud, Zermelo and Magister write."""
    monday = datetime(2026, 3, 2, 9, tzinfo=feeds.AMSTERDAM)
    events = [feeds.Event(monday, monday + timedelta(hours=1)), feeds.Event(date(2026, 3, 4), date(2026, 3, 5)),
              feeds.Event(monday + timedelta(days=1), monday + timedelta(days=1, hours=2), transparent=True),
              feeds.Event(monday + timedelta(days=2), monday + timedelta(days=2, hours=1), status="CANCELLED")]
    for publish in (feeds.outlook, feeds.google, feeds.icloud, feeds.zermelo, feeds.magister):
        chosen = events if publish is not feeds.zermelo else [e for e in events if isinstance(e.start, datetime)]
        fast, library, offered = both_paths(publish(chosen), "Europe/Amsterdam")
        assert fast == library and fast, publish.__name__
        assert offered == ["read"] * len(chosen), publish.__name__


def test_an_end_in_another_zone_across_a_clock_change_is_reckoned_as_the_libraries_do():
    """recurring-ical-events ends an occurrence at its start plus the event's length, added on the
    start's wall clock: from noon in Amsterdam on the Saturday before the spring change, 24 real
    hours (to noon UTC) end at 13:00 summer time, 11:00 UTC. The fast path says the same."""
    feed = feeds.fold(["BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:a",
                       "DTSTART;TZID=Europe/Amsterdam:20260328T120000", "DTEND:20260329T120000Z", "END:VEVENT",
                       "END:VCALENDAR"])
    fast, library, offered = both_paths(feed, "Asia/Tokyo")
    assert offered == ["read"]
    assert fast == library == [(datetime(2026, 3, 28, 11, tzinfo=UTC), datetime(2026, 3, 29, 11, tzinfo=UTC))]


def test_the_libraries_alone_read_the_same_school_timetable():
    feed, _ = feeds.school_timetable(first_year=2025, years=2)
    window = (datetime(2026, 1, 15, 8, tzinfo=UTC), datetime(2027, 4, 15, 8, tzinfo=UTC))
    fast = busy_intervals(feed, window_start=window[0], window_end=window[1], default_timezone="Europe/Amsterdam")
    library = busy_intervals(feed, window_start=window[0], window_end=window[1], default_timezone="Europe/Amsterdam",
                             singles_by_text=False)
    assert fast == library and len(fast) > 300


def test_a_zone_is_resolved_once_per_feed():
    feed = feeds.outlook([feeds.Event(datetime(2026, 3, d, 9, tzinfo=feeds.AMSTERDAM), datetime(2026, 3, d, 10, tzinfo=feeds.AMSTERDAM))
                          for d in range(2, 28)])
    with mock.patch.object(busy_times, "known_zone", wraps=busy_times.known_zone) as looked_up:
        found = busy_intervals(feed, window_start=WINDOW[0], window_end=WINDOW[1], default_timezone="Europe/Amsterdam")
    assert len(found) == 26
    assert looked_up.call_count == 1


def test_the_time_limit_counts_the_threads_cpu_not_the_clock():
    """A machine busy with other work does not fail a feed that needs little: sleeping (the
    thread off the CPU) between the series does not count against the limit."""
    feed = feeds.outlook([feeds.Event(datetime(2026, 3, 2, 9, tzinfo=feeds.AMSTERDAM), datetime(2026, 3, 2, 10, tzinfo=feeds.AMSTERDAM),
                                      rrule="FREQ=WEEKLY;COUNT=5", uid=f"s{n}") for n in range(4)])
    real = busy_times._Limit.check

    def slow_clock(limit):
        busy_times.time.sleep(0.1)
        real(limit)

    with mock.patch.object(busy_times._Limit, "check", slow_clock):
        found = busy_intervals(feed, window_start=WINDOW[0], window_end=WINDOW[1], default_timezone="Europe/Amsterdam",
                               time_limit=0.3)
    assert len(found) == 5


def test_a_starved_expansion_still_ends_at_the_wall_clock_guard():
    feed = feeds.outlook([feeds.Event(datetime(2026, 3, 2, 9, tzinfo=feeds.AMSTERDAM), datetime(2026, 3, 2, 10, tzinfo=feeds.AMSTERDAM),
                                      rrule="FREQ=WEEKLY;COUNT=5", uid=f"s{n}") for n in range(40)])
    real = busy_times._Limit.check

    def starved(limit):
        busy_times.time.sleep(0.05)
        real(limit)

    try:
        with mock.patch.object(busy_times._Limit, "check", starved):
            busy_intervals(feed, window_start=WINDOW[0], window_end=WINDOW[1], default_timezone="Europe/Amsterdam",
                           time_limit=0.2)
    except FeedError as error:
        assert f"more than {busy_times.WALL_FACTOR * 0.2:g} s on the clock" in error.reason
    else:
        raise AssertionError("a starved expansion was not stopped")


def test_own_session_uids_are_recognised_plainly_and_inside_exchanges_global_object_id():
    assert busy_fast.own_session("1234@intervisie")
    assert busy_fast.own_session(" 1234@Intervisie ")
    assert busy_fast.own_session(OWN_GLOBAL_ID)
    assert not busy_fast.own_session("1234@intervisie.example.org")
    assert not busy_fast.own_session("040000008200E00074C5B7101A82E008")


# -- content lines split by a regular expression ------------------------------------------------

DELICATE = 'aZ09 -./+()"\\,;:=^%\'nNé\t\x01'
"""Characters that change how icalendar splits a content line, or that it refuses."""


@st.composite
def content_lines(draw):
    """A content line, most of them in the plain shape, many just outside it."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.text(alphabet=DELICATE + "DTSTAR", max_size=40))
    name = draw(st.sampled_from(("DTSTART", "dtstart", "RRULE", "X-MS-OLK-X", "EXDATE", "UID", "BAD NAME", "", "A_B")))
    parameters = ""
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(("TZID", "tzid", "VALUE", "X-P", "K Y", "")))
        value = draw(st.one_of(st.sampled_from(("W. Europe Standard Time", "Europe/Amsterdam", "DATE", " Eigen tijd",
                                                "Eigen tijd ", "a,b", "", "(UTC+01:00) Amsterdam", "a^nb", "Eigen^'tijd",
                                                "a^^b", "a%3Ab", "a\\,b", "a b")),
                               st.text(alphabet=DELICATE, max_size=12)))
        parameters += f";{key}=" + (f'"{value}"' if draw(st.integers(0, 4)) == 0 else value)
    value = draw(st.one_of(st.sampled_from(("20260302T090000", "20260302T090000Z,20260309T090000Z",
                                            "FREQ=WEEKLY;UNTIL=20260701T000000Z;BYDAY=MO", "a:b", "x\\,y"))
                           , st.text(alphabet=DELICATE, max_size=20)))
    return f"{name}{parameters}:{value}"


def split_parts(line):
    try:
        name, parameters, value = line.parts()
    except ValueError:
        return "refused"
    return name, type(parameters), list(parameters.items()), value


@settings(max_examples=600, deadline=None, derandomize=True, database=None)
@given(content_lines())
def test_a_line_is_split_exactly_as_icalendar_splits_it(line):
    assert split_parts(busy_fast.PlainLine(line)) == split_parts(Contentline(line))


def test_the_publishers_lines_are_split_without_icalendars_scan():
    lines = ["DTSTART;TZID=W. Europe Standard Time:20260302T090000", "DTEND;VALUE=DATE:20260303",
             "RRULE:FREQ=WEEKLY;UNTIL=20260701T215959Z;INTERVAL=2;BYDAY=MO,TH;WKST=MO",
             "EXDATE;TZID=Europe/Amsterdam:20260309T090000,20260316T090000", "UID:040000008200E00074C5B7101A82E008",
             "RECURRENCE-ID;TZID=(UTC+01:00) Amsterdam/Berlin:20260309T090000", "X-MICROSOFT-CDO-BUSYSTATUS:BUSY"]
    with mock.patch.object(Contentline, "raw_parts", autospec=True, side_effect=Contentline.raw_parts) as scanned:
        split = [split_parts(busy_fast.PlainLine(line)) for line in lines]
    assert scanned.call_count == 0
    assert split == [split_parts(Contentline(line)) for line in lines]
    # A quoted TZID, an escaped value: icalendar's own scan.
    with mock.patch.object(Contentline, "raw_parts", autospec=True, side_effect=Contentline.raw_parts) as scanned:
        busy_fast.PlainLine('DTSTART;TZID="Eigen tijd":20260302T090000').parts()
        busy_fast.PlainLine("UID:a\\,b").parts()
    assert scanned.call_count == 2


def test_a_calendar_of_split_lines_is_the_calendar_icalendar_reads_from_the_text():
    feed, _ = feeds.school_timetable(first_year=2025, years=1)
    selection = split(read(feed), WINDOW)
    lines = [*selection.head, *(line for event in selection.events for line in event.lines), *selection.closing]
    assert len(lines) > 1000
    assert busy_fast.calendar_of(lines).to_ical() == Calendar.from_ical(selection.text()).to_ical()
