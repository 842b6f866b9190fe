"""Invitations and feeds as iCalendar text: what each line says, checked without any fixture."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from shared.domain.ics import (
    Contact,
    SessionEvent,
    build_calendar_object,
    build_feed,
    build_invitation,
    clear_caches,
    feed_last_modified,
)
from tests.unit.test_meeting_links import TEAMS, TEAMS_URI

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FACILITATOR = Contact("Fenna Jansen", "fenna@school.example")
MEMBER = Contact("Mark de Vries", "mark@school.example")
ISSUED = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)


def session(**changes) -> SessionEvent:
    values = dict(
        uid="6f1c2d1e-0000-4000-8000-000000000002@intervisie",
        sequence=1,
        number=2,
        kind="guided",
        guided_total=3,
        start=datetime(2027, 3, 30, 19, 30, tzinfo=AMSTERDAM),
        end=datetime(2027, 3, 30, 21, 30, tzinfo=AMSTERDAM),
        timezone="Europe/Amsterdam",
        status="scheduled",
        group_name="Middenbouw Utrecht",
        theme="Omgaan met ouders",
        meeting_url="https://meet.example/intervisie-abc",
        chair_name=None,
        last_modified=datetime(2027, 1, 4, 15, 12, 7, tzinfo=UTC),
        organizer=FACILITATOR,
    )
    values.update(changes)
    return SessionEvent(**values)


def unfolded(ics: bytes) -> list[str]:
    """Content lines with folding undone, as a reader sees them."""
    return ics.decode("utf-8").replace("\r\n ", "").split("\r\n")


def lines_starting(ics: bytes, name: str) -> list[str]:
    """The ``name`` lines of the VEVENTs (a VTIMEZONE has DTSTART lines of its own)."""
    found, inside = [], False
    for line in unfolded(ics):
        inside = (inside or line == "BEGIN:VEVENT") and line != "END:VEVENT"
        if inside and re.match(rf"{name}[;:]", line):
            found.append(line)
    return found


def vevent(ics: bytes) -> icalendar.Event:
    (event,) = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    return event


def invite(event=None, recipient=MEMBER, **options) -> bytes:
    options = {"method": "REQUEST", "role": "REQ-PARTICIPANT", "issued_at": ISSUED, **options}
    return build_invitation(event or session(), recipient, **options)


# --- invitations -------------------------------------------------------------------------------


def test_request_has_the_calendar_properties_of_an_itip_request():
    lines = unfolded(invite())
    assert lines[:5] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Intervisie//Intervisie agenda//NL",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
    ]
    assert lines[-2:] == ["END:VCALENDAR", ""]
    assert lines.count("BEGIN:VEVENT") == 1


def test_request_keeps_the_session_uid_and_sequence():
    event = vevent(invite(session(sequence=4)))
    assert str(event["UID"]) == "6f1c2d1e-0000-4000-8000-000000000002@intervisie"
    assert event["SEQUENCE"] == 4


def test_request_stamps_the_issue_time_in_utc_and_the_last_change_separately():
    ics = invite(issued_at=datetime(2027, 1, 5, 10, 0, tzinfo=AMSTERDAM))
    assert lines_starting(ics, "DTSTAMP") == ["DTSTAMP:20270105T090000Z"]
    assert lines_starting(ics, "LAST-MODIFIED") == ["LAST-MODIFIED:20270104T151207Z"]


def test_request_gives_start_and_end_in_the_sessions_own_zone():
    ics = invite(session(start=datetime(2027, 3, 30, 17, 30, tzinfo=UTC),
                         end=datetime(2027, 3, 30, 19, 30, tzinfo=UTC)))
    assert lines_starting(ics, "DTSTART") == ["DTSTART;TZID=Europe/Amsterdam:20270330T193000"]
    assert lines_starting(ics, "DTEND") == ["DTEND;TZID=Europe/Amsterdam:20270330T213000"]


def test_request_names_only_the_one_recipient_as_attendee():
    ics = invite()
    assert lines_starting(ics, "ATTENDEE") == [
        'ATTENDEE;CN="Mark de Vries";PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE'
        ":mailto:mark@school.example"
    ]
    assert b"fenna@school.example" in ics  # organizer only
    assert lines_starting(ics, "ORGANIZER") == [
        'ORGANIZER;CN="Fenna Jansen":mailto:fenna@school.example'
    ]


def test_facilitator_is_invited_as_chair():
    ics = invite(recipient=FACILITATOR, role="CHAIR")
    attendee = vevent(ics)["ATTENDEE"]
    assert attendee.params["ROLE"] == "CHAIR"
    assert attendee.params["RSVP"] == "TRUE"
    assert str(attendee) == "mailto:fenna@school.example"


def test_organizer_names_the_real_sender_when_mail_comes_from_the_service():
    ics = invite(sent_by="agenda@intervisie.example")
    assert lines_starting(ics, "ORGANIZER") == [
        'ORGANIZER;CN="Fenna Jansen";SENT-BY="mailto:agenda@intervisie.example"'
        ":mailto:fenna@school.example"
    ]


def test_meeting_link_is_location_url_and_conference():
    ics = invite()
    assert lines_starting(ics, "LOCATION") == ["LOCATION:https://meet.example/intervisie-abc"]
    assert lines_starting(ics, "URL") == ["URL:https://meet.example/intervisie-abc"]
    assert lines_starting(ics, "CONFERENCE") == [
        "CONFERENCE;FEATURE=VIDEO;LABEL=Videoverbinding;VALUE=URI"
        ":https://meet.example/intervisie-abc"
    ]


def test_conference_label_follows_the_recipients_language():
    ics = invite(recipient=dataclasses.replace(MEMBER, language="en"))
    assert lines_starting(ics, "CONFERENCE") == [
        "CONFERENCE;FEATURE=VIDEO;LABEL=Video call;VALUE=URI:https://meet.example/intervisie-abc"
    ]


def test_session_without_meeting_link_has_no_location_url_or_conference():
    ics = invite(session(meeting_url=None))
    for name in ("LOCATION", "URL", "CONFERENCE"):
        assert lines_starting(ics, name) == []


def test_link_with_a_comma_is_escaped_as_text_but_not_as_uri():
    ics = invite(session(meeting_url="https://meet.example/r?a=1,2;b"))
    assert lines_starting(ics, "LOCATION") == ["LOCATION:https://meet.example/r?a=1\\,2\\;b"]
    assert lines_starting(ics, "URL") == ["URL:https://meet.example/r?a=1,2;b"]
    assert str(vevent(ics)["LOCATION"]) == "https://meet.example/r?a=1,2;b"


def test_scheduled_session_is_confirmed_and_blocks_time():
    ics = invite()
    assert lines_starting(ics, "STATUS") == ["STATUS:CONFIRMED"]
    assert lines_starting(ics, "TRANSP") == ["TRANSP:OPAQUE"]


def test_request_carries_a_vtimezone_for_its_tzid():
    ics = invite()
    assert unfolded(ics).count("BEGIN:VTIMEZONE") == 1
    assert "TZID:Europe/Amsterdam" in unfolded(ics)


def test_cancelled_session_is_sent_as_cancel_with_status_cancelled():
    ics = invite(session(status="cancelled", sequence=2), method="CANCEL")
    assert "METHOD:CANCEL" in unfolded(ics)
    event = vevent(ics)
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 2
    assert str(event["UID"]) == "6f1c2d1e-0000-4000-8000-000000000002@intervisie"
    assert str(event["SUMMARY"]).startswith("Geannuleerd: Intervisie Middenbouw Utrecht — ")
    assert lines_starting(ics, "TRANSP") == ["TRANSP:TRANSPARENT"]


def test_member_who_left_gets_a_cancel_naming_only_her():
    ics = invite(session(sequence=3), method="CANCEL")
    assert "METHOD:CANCEL" in unfolded(ics)
    assert lines_starting(ics, "STATUS") == ["STATUS:CANCELLED"]
    # No RSVP: RFC 5546 defines no reply to a CANCEL.
    assert lines_starting(ics, "ATTENDEE") == [
        'ATTENDEE;CN="Mark de Vries";PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT'
        ":mailto:mark@school.example"
    ]
    # The session itself goes on, so its title does not say "cancelled".
    assert str(vevent(ics)["SUMMARY"]) == "Intervisie Middenbouw Utrecht — bijeenkomst 2 van 3 (begeleid)"


def test_cancelled_session_cannot_be_sent_as_request():
    with pytest.raises(ValueError, match="CANCEL"):
        invite(session(status="cancelled"))


@pytest.mark.parametrize("options", [{"method": "PUBLISH"}, {"role": "ORGANIZER"}])
def test_unknown_method_or_role_is_refused(options):
    with pytest.raises(ValueError):
        invite(**options)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        session(start=datetime(2027, 3, 30, 19, 30))


def test_end_before_start_is_refused():
    with pytest.raises(ValueError, match="after"):
        session(end=datetime(2027, 3, 30, 18, 0, tzinfo=AMSTERDAM))


def test_a_meeting_url_with_a_line_break_is_left_out_and_adds_no_property():
    ics = invite(session(meeting_url="https://meet.example/x\r\nATTENDEE:mailto:evil@example"))
    for name in ("LOCATION", "URL", "CONFERENCE"):
        assert lines_starting(ics, name) == []
    assert b"evil@example" not in ics
    assert len(lines_starting(ics, "ATTENDEE")) == 1


def test_a_teams_link_is_written_percent_encoded_in_every_property_that_holds_it():
    ics = invite(session(meeting_url=TEAMS))
    assert lines_starting(ics, "URL") == [f"URL:{TEAMS_URI}"]
    assert lines_starting(ics, "CONFERENCE") == [f"CONFERENCE;FEATURE=VIDEO;LABEL=Videoverbinding;VALUE=URI:{TEAMS_URI}"]
    event = vevent(ics)
    assert str(event["LOCATION"]) == TEAMS_URI
    assert f"Deelnemen via de videoverbinding: {TEAMS_URI}" in str(event["DESCRIPTION"])


def test_a_feed_with_a_teams_link_is_published_and_reads_back_the_same_link():
    feed = build_feed([session(meeting_url=TEAMS), session(uid="other@intervisie", meeting_url=None)],
                      calendar_name="Intervisie", timezone="Europe/Amsterdam", language="nl")
    events = icalendar.Calendar.from_ical(feed).walk("VEVENT")
    assert [str(e.get("URL")) for e in events] == [TEAMS_URI, "None"]


def test_quotes_in_names_do_not_break_the_parameter():
    ics = invite(recipient=Contact('Anna "Annie" Bakker, MSc', "anna@school.example"))
    (attendee,) = lines_starting(ics, "ATTENDEE")
    assert attendee.startswith("ATTENDEE;CN=\"Anna 'Annie' Bakker, MSc\";PARTSTAT=")
    assert vevent(ics)["ATTENDEE"].params["CN"] == "Anna 'Annie' Bakker, MSc"


def test_a_name_ending_in_a_backslash_keeps_the_parameters_after_it():
    # Unquoted, "CN=Anna\\;PARTSTAT=..." reads as one CN with an escaped semicolon in it.
    ics = invite(recipient=Contact("Anna\\", "anna@school.example"))
    (attendee,) = lines_starting(ics, "ATTENDEE")
    assert attendee.startswith('ATTENDEE;CN="Anna\\";PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE:')
    assert dict(vevent(ics)["ATTENDEE"].params) == {
        "CN": "Anna\\", "PARTSTAT": "NEEDS-ACTION", "ROLE": "REQ-PARTICIPANT", "RSVP": "TRUE",
    }


def test_an_address_with_a_quoted_local_part_is_percent_encoded_and_fails_no_invitation():
    ics = invite(recipient=Contact("Anna", '"anna bakker"@school.example'))
    assert str(vevent(ics)["ATTENDEE"]) == "mailto:%22anna%20bakker%22@school.example"


def test_invitation_is_the_same_bytes_for_the_same_input():
    assert invite() == invite()


# --- folding and escaping ----------------------------------------------------------------------


def test_lines_are_folded_at_75_octets_without_splitting_characters():
    ics = invite(session(group_name="Ouderbetrokkenheid — " * 8 + "ééé"))
    for line in ics.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # no multi-byte character was cut in two
    assert str(vevent(ics)["SUMMARY"]).startswith("Intervisie " + "Ouderbetrokkenheid — " * 8 + "ééé — ")


def test_escapes_are_not_split_across_a_fold():
    ics = invite(session(group_name="a,b;c\\d" * 30))
    physical = ics.decode("utf-8").split("\r\n")
    for line in physical:
        stripped = line.rstrip("\\")
        assert (len(line) - len(stripped)) % 2 == 0, line
    assert "a,b;c\\d" * 30 in str(vevent(ics)["DESCRIPTION"])


# The hand-written fold we had kept the escape "\\" whole; icalendar 7.3.2's fold
# (collective/icalendar#1502) moves a line's last backslash to the next line even when it closes
# an escaped backslash, leaving the first half behind. Readers that unfold first are unaffected.
@pytest.mark.xfail(strict=True, reason="icalendar 7.3.2 can fold between the two halves of an "
                   "escaped backslash; remove this mark when a release keeps them together")
def test_an_escaped_backslash_stays_whole_wherever_the_fold_falls():
    for padding in range(75):
        ics = invite(session(theme="x" * padding + "c\\d" * 30))
        for line in ics.decode("utf-8").split("\r\n"):
            stripped = line.rstrip("\\")
            assert (len(line) - len(stripped)) % 2 == 0, (padding, line)


def test_every_line_ends_with_crlf():
    ics = invite()
    assert ics.endswith(b"\r\n")
    assert b"\n" not in ics.replace(b"\r\n", b"")


# --- feeds -------------------------------------------------------------------------------------


def feed_sessions() -> list[SessionEvent]:
    first = session(uid="a@intervisie", number=1, start=datetime(2027, 3, 9, 19, 30, tzinfo=AMSTERDAM),
                    end=datetime(2027, 3, 9, 21, 30, tzinfo=AMSTERDAM))
    cancelled = session(uid="b@intervisie", status="cancelled", sequence=5)
    new_york = session(
        uid="c@intervisie",
        number=5,
        kind="self_directed",
        chair_name="Anna Bakker",
        timezone="America/New_York",
        start=datetime(2027, 11, 2, 19, 30, tzinfo=ZoneInfo("America/New_York")),
        end=datetime(2027, 11, 2, 21, 0, tzinfo=ZoneInfo("America/New_York")),
        organizer=Contact("Programma Intervisie", "programma@intervisie.example"),
    )
    return [new_york, cancelled, first]


def feed(events=None, **options) -> bytes:
    options = {"calendar_name": "Intervisie – Fenna", "timezone": "Europe/Amsterdam",
               "language": "nl", **options}
    return build_feed(feed_sessions() if events is None else events, **options)


def test_feed_is_published_with_name_timezone_and_refresh_hints():
    lines = unfolded(feed())
    assert "METHOD:PUBLISH" in lines
    assert "X-WR-CALNAME:Intervisie – Fenna" in lines
    assert "X-WR-TIMEZONE:Europe/Amsterdam" in lines
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert "X-PUBLISHED-TTL:PT1H" in lines


def test_two_renders_of_the_same_sessions_are_byte_identical():
    assert feed() == feed()
    assert feed() == feed(list(reversed(feed_sessions())))


def test_feed_stamps_each_event_with_its_last_change_not_the_clock():
    stamps = lines_starting(feed(), "DTSTAMP")
    assert stamps == ["DTSTAMP:20270104T151207Z"] * 3


def test_feed_has_no_attendees():
    ics = feed()
    assert lines_starting(ics, "ATTENDEE") == []
    assert b"mark@school.example" not in ics


def test_feed_keeps_the_organizer_that_rfc_5546_requires_for_publish():
    assert len(lines_starting(feed(), "ORGANIZER")) == 3


def test_feed_keeps_cancelled_sessions_as_cancelled():
    calendar = icalendar.Calendar.from_ical(feed())
    statuses = {str(e["UID"]): str(e["STATUS"]) for e in calendar.walk("VEVENT")}
    assert statuses == {"a@intervisie": "CONFIRMED", "b@intervisie": "CANCELLED",
                        "c@intervisie": "CONFIRMED"}


def test_feed_sorts_sessions_by_start_then_uid():
    twin = session(uid="0@intervisie")
    uids = [line.split(":", 1)[1] for line in lines_starting(feed(feed_sessions() + [twin]), "UID")]
    assert uids == ["a@intervisie", "0@intervisie", "b@intervisie", "c@intervisie"]


def test_feed_has_one_vtimezone_per_zone_used():
    lines = unfolded(feed())
    tzids = [line for line in lines if line.startswith("TZID:")]
    assert tzids == ["TZID:America/New_York", "TZID:Europe/Amsterdam"]


def test_feed_text_follows_the_feed_language():
    summaries = [str(e["SUMMARY"]) for e in
                 icalendar.Calendar.from_ical(feed(language="en")).walk("VEVENT")]
    assert summaries[0] == "Intervision Middenbouw Utrecht — session 1 of 3 (guided)"
    assert summaries[2] == "Intervision Middenbouw Utrecht — session 5 (self-directed)"


def test_feed_rejects_a_uid_that_occurs_twice():
    with pytest.raises(ValueError, match="twice"):
        feed([session(), session()])


def test_empty_feed_is_still_a_valid_calendar_with_one_component():
    lines = unfolded(feed([]))
    assert "METHOD:PUBLISH" in lines
    assert "BEGIN:VEVENT" not in lines
    assert lines.count("BEGIN:VTIMEZONE") == 1
    assert feed([]) == feed([])


def test_feed_last_modified_is_the_latest_change_in_whole_utc_seconds():
    events = feed_sessions() + [
        session(uid="z@intervisie",
                last_modified=datetime(2027, 2, 1, 12, 0, 0, 999_999, tzinfo=AMSTERDAM))
    ]
    assert feed_last_modified(events) == datetime(2027, 2, 1, 11, 0, 0, tzinfo=UTC)
    assert feed_last_modified([]) is None


def test_feed_is_exactly_what_icalendar_writes_for_the_calendar_it_holds():
    # The feed joins cached VTIMEZONE and VEVENT bytes; they must be icalendar's own output.
    ics = feed()
    assert icalendar.Calendar.from_ical(ics).to_ical(sorted=False) == ics


def test_feed_from_cached_events_is_the_same_as_a_fresh_render():
    clear_caches()
    fresh = feed()
    assert feed() == fresh


def test_sessions_in_the_repeated_hour_of_october_are_not_confused():
    # 02:30 before and after the clocks go back are equal (and hash alike) in Python.
    first = datetime(2027, 10, 31, 2, 30, tzinfo=AMSTERDAM)
    end = datetime(2027, 10, 31, 5, 0, tzinfo=AMSTERDAM)
    starts = [lines_starting(build_calendar_object(
        session(start=start, end=end, timezone="America/New_York"), language="nl"), "DTSTART")
        for start in (first, first.replace(fold=1))]
    assert starts == [["DTSTART;TZID=America/New_York:20271030T203000"],
                      ["DTSTART;TZID=America/New_York:20271030T213000"]]


def test_session_in_utc_is_written_in_utc_without_a_vtimezone():
    utc = ZoneInfo("UTC")
    ics = build_calendar_object(session(start=datetime(2027, 6, 1, 12, 0, tzinfo=utc),
                                        end=datetime(2027, 6, 1, 14, 0, tzinfo=utc),
                                        timezone="UTC"), language="nl")
    assert lines_starting(ics, "DTSTART") == ["DTSTART:20270601T120000Z"]
    assert lines_starting(ics, "DTEND") == ["DTEND:20270601T140000Z"]
    assert "BEGIN:VTIMEZONE" not in unfolded(ics)


def test_feed_changes_when_a_session_changes():
    changed = [dataclasses.replace(e, sequence=e.sequence + 1,
                                   last_modified=e.last_modified + timedelta(minutes=1))
               if e.uid == "a@intervisie" else e for e in feed_sessions()]
    assert feed(changed) != feed()


# --- calendar objects for CalDAV ---------------------------------------------------------------


def test_calendar_object_has_no_method_and_no_attendee():
    lines = unfolded(build_calendar_object(session(), language="nl"))
    assert not any(line.startswith("METHOD") for line in lines)
    assert not any(line.startswith("ATTENDEE") for line in lines)
    assert "BEGIN:VTIMEZONE" in lines
