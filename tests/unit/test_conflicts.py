"""Calendar conflicts, the pure rules: which sessions can conflict, what overlaps, which of a
person's sessions a change of busy time touches, a conflict counting as not coming for at_risk
and for who hears the alarm, the session's own event in a person's calendar, and the alarm's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.domain import busy_times, texts
from shared.domain.attendance import (
    ACCEPTED,
    DECLINED,
    MEMBER,
    Answer,
    alarm_recipient,
    answers,
    at_risk,
    not_coming,
    required,
)
from shared.domain.conflicts import CALENDAR, Conflict, can_conflict, overlaps, touched
from shared.domain.ics import Contact
from tests.feeds import Event, google
from tests.unit.test_ics import session

START = datetime(2027, 2, 9, 18, 30, tzinfo=UTC)  # a Tuesday, 19:30 in Amsterdam
END = START + timedelta(minutes=90)
NOW = datetime(2027, 1, 20, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_only_a_scheduled_session_still_to_come_can_conflict():
    assert can_conflict("scheduled", START, NOW)
    assert not can_conflict("cancelled", START, NOW)
    assert not can_conflict("scheduled", START, START)  # begun: no longer to come
    assert not can_conflict("scheduled", START, END + MINUTE)


def test_an_appointment_overlaps_by_one_shared_minute_and_not_when_it_only_touches():
    assert overlaps(START, END, [(START - timedelta(hours=1), START + MINUTE)])
    assert overlaps(START, END, [(END - MINUTE, END + timedelta(hours=2))])
    assert overlaps(START, END, [(START - timedelta(days=1), END + timedelta(days=1))])  # an all-day block
    assert not overlaps(START, END, [(START - timedelta(hours=1), START), (END, END + timedelta(hours=1))])
    assert not overlaps(START, END, [])


def test_a_change_of_busy_time_touches_only_the_sessions_it_overlaps():
    sessions = {"jan": (START - timedelta(weeks=4), END - timedelta(weeks=4)), "feb": (START, END), "mar": (START + timedelta(weeks=4), END + timedelta(weeks=4))}
    assert touched(sessions, [(START + timedelta(minutes=30), START + timedelta(minutes=45))]) == ["feb"]
    assert touched(sessions, [(START - timedelta(weeks=4), START - timedelta(weeks=4) + MINUTE), (END + timedelta(weeks=4) - MINUTE, END + timedelta(weeks=5))]) == ["jan", "mar"]
    assert touched(sessions, []) == []


GUIDED = answers(required("guided", "fien", ["a", "b", "c"], []), {})


def test_a_conflict_puts_a_guided_session_at_risk_like_a_decline_even_after_an_accept():
    accepted = [Answer(entry.person_id, entry.role, ACCEPTED) for entry in GUIDED]
    assert not at_risk("guided", accepted, None)
    assert at_risk("guided", accepted, None, [Conflict("b")])
    assert at_risk("guided", accepted, None, [Conflict("fien")])  # the facilitator is required too
    assert not_coming(accepted, [Conflict("c"), Conflict("fien")]) == ["fien", "c"]  # in the attendance's order


def test_a_self_directed_session_with_a_quorum_counts_conflicts_and_declines_together():
    entries = answers(required("self_directed", "fien", ["a", "b", "c", "d"], []), {"a": Answer("a", MEMBER, DECLINED)})
    assert not at_risk("self_directed", entries, 3)
    assert not at_risk("self_directed", entries, 3, [Conflict("fien")])  # she is not required here
    assert at_risk("self_directed", entries, 3, [Conflict("b")])
    assert not at_risk("self_directed", entries, 2, [Conflict("b")])
    assert at_risk("self_directed", answers(required("self_directed", None, ["a", "b"], []), {}), None, [Conflict("b")])


def test_an_absent_member_is_not_required_so_her_calendar_cannot_put_the_session_at_risk():
    people = required("self_directed", "fien", ["a", "b", "c"], ["c"])
    assert [person for person, _role in people] == ["a", "b"]
    # The caller finds conflicts only among the required; a stray one changes nothing either.
    assert not at_risk("self_directed", answers(people, {}), 2, [Conflict("c")])


def test_when_the_chair_is_busy_the_next_member_in_turn_who_can_come_hears_the_alarm():
    entries = answers(required("self_directed", None, ["a", "b", "c"], []), {})
    gone = not_coming(entries, [Conflict("b"), Conflict("c")])
    assert alarm_recipient("b", ["a", "b", "c"], gone) == "a"
    assert alarm_recipient("a", ["a", "b", "c"], gone) == "a"


def test_a_conflict_names_its_source():
    assert Conflict("a") == Conflict("a", CALENDAR) and CALENDAR == "calendar"


# -- the session's own event in the person's calendar -----------------------------------------------


def _exchange_uid(uid: str) -> str:
    """How Exchange publishes an invitation from outside: its GlobalObjectId in hex, the
    organiser's UID after the vCal-Uid marker."""
    data = b"vCal-Uid\x01\x00\x00\x00" + uid.encode() + b"\x00"
    head = bytes.fromhex("040000008200E00074C5B7101A82E008") + bytes(20) + len(data).to_bytes(4, "little")
    return (head + data).hex().upper()


def _vevent(uid: str, start: datetime, end: datetime) -> list[str]:
    stamp = "%Y%m%dT%H%M%SZ"
    return ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20270101T120000Z", f"DTSTART:{start:{stamp}}", f"DTEND:{end:{stamp}}",
            "SUMMARY:Intervisie", "END:VEVENT"]


def test_the_sessions_own_event_in_a_persons_calendar_is_not_busy_time():
    own = "2384bbf1-8f0e-4b7a-9d53-0c7e55b0a1de@intervisie"
    week = timedelta(days=7)
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//conflicts//NL",
        *_vevent(own, START, END),  # accepted in Google or iCloud: the UID kept
        *_vevent(_exchange_uid("9d0e3c55-1111-4c2b-a7a5-5e1e2b1f0c11@intervisie"), START + week, END + week),  # in Outlook
        *_vevent("oudergesprek@google.com", START - timedelta(hours=2), START - timedelta(hours=1)),
        *_vevent("look-alike@intervisie.example.org", START + 2 * week, END + 2 * week),
        *_vevent(_exchange_uid("040000008200E00074C5B7101A82E008-teams@school.example"), START + 3 * week, END + 3 * week),
        "END:VCALENDAR",
    ]
    window = busy_times.horizon(NOW)
    found = busy_times.busy_intervals(
        "\r\n".join(lines) + "\r\n", window_start=window[0], window_end=window[1], default_timezone="Europe/Amsterdam",
    )
    assert found == [
        (START - timedelta(hours=2), START - timedelta(hours=1)),
        (START + 2 * week, END + 2 * week),
        (START + 3 * week, END + 3 * week),
    ]
    # Only the UID tells: an appointment at the session's very time under another UID is busy time.
    rewritten = google([Event(START, END, uid=own)])
    assert busy_times.busy_intervals(rewritten, window_start=window[0], window_end=window[1], default_timezone="Europe/Amsterdam") == [(START, END)]


# -- the alarm's words -------------------------------------------------------------------------------


def test_the_alarm_names_who_is_busy_in_their_own_calendar_in_dutch_and_in_english():
    event = session()
    dutch = texts.at_risk_text(event, Contact("Fien", "fien@example.org", "nl"), declined=[], alternatives=[], busy=["Sanne", "Joost"])
    assert "Volgens de eigen agenda op dat moment bezet: Sanne, Joost." in dutch
    assert "Afgezegd" not in dutch
    english = texts.at_risk_text(event, Contact("Fien", "fien@example.org", "en"), declined=[("Joost", None)], alternatives=[], busy=["Sanne"])
    assert "Declined: Joost." in english
    assert "Busy at that time according to their own calendar: Sanne." in english
    assert "according to their own calendar" not in texts.at_risk_text(event, Contact("Fien", "f@x.org", "en"), declined=[("Joost", None)], alternatives=[])
