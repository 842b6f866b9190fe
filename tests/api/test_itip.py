"""Answers from calendars through POST /v1/itip: REPLYs made with icalendar and with vobject."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shared.db.models import Attendance
from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING, run_to_completion
from tests.itip_replies import icalendar_reply, thunderbird_reply, vobject_reply


@pytest.fixture
def planned(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    group["sessions"] = admin.get(f"/v1/groups/{group['id']}/sessions?page_size=50").json
    assert run["status"] == "succeeded"
    return group


def post(caller, body: bytes, content_type: str = "text/calendar"):
    return caller.post("/v1/itip", data=body, headers={"Content-Type": content_type})


def attendance_of(admin, session_id: str) -> dict[str, tuple[str, str | None]]:
    return {a["person_id"]: (a["response"], a["source"]) for a in admin.get(f"/v1/sessions/{session_id}").json["attendance"]}


@pytest.mark.parametrize("make", [icalendar_reply, vobject_reply, thunderbird_reply])
def test_a_reply_from_a_calendar_records_the_answer(admin, planned, make):
    session = planned["sessions"][0]
    member = planned["member_list"][1]
    response = post(admin, make(session["uid"], member["email"].upper(), "DECLINED"))
    assert response.status_code == 200, response.json
    assert response.json["session_id"] == session["id"]
    assert [(a["person_id"], a["response"], a["source"]) for a in response.json["answers"]] == [(member["id"], "declined", "itip")]
    assert attendance_of(admin, session["id"])[member["id"]] == ("declined", "itip")
    assert admin.get(f"/v1/sessions/{session['id']}").json["at_risk"] is True
    facilitator = planned["facilitator"]
    assert post(admin, make(session["uid"], facilitator["email"], "TENTATIVE")).status_code == 200
    assert attendance_of(admin, session["id"])[facilitator["id"]] == ("tentative", "itip")


def test_a_reply_that_cannot_be_used_is_refused_and_changes_nothing(admin, planned, session_factory):
    session = planned["sessions"][0]
    self_directed = planned["sessions"][3]
    member = planned["member_list"][0]
    facilitator = planned["facilitator"]
    admin.patch(f"/v1/sessions/{session['id']}", json={"start": "2027-01-19T19:00:00+01:00"})  # sequence 1 now
    cases = [
        (icalendar_reply("nobody@intervisie", member["email"], "ACCEPTED", sequence=1), "UID"),
        (icalendar_reply(session["uid"], "stranger@example.org", "ACCEPTED", sequence=1), "ATTENDEE"),
        (icalendar_reply(session["uid"], member["email"], "ACCEPTED", sequence=1, method="REQUEST"), "METHOD"),
        (icalendar_reply(session["uid"], member["email"], "ACCEPTED", sequence=0), "SEQUENCE"),
        (icalendar_reply(session["uid"], member["email"], "DELEGATED", sequence=1), "PARTSTAT"),
        # The facilitator is not at a self-directed session.
        (icalendar_reply(self_directed["uid"], facilitator["email"], "ACCEPTED"), "ATTENDEE"),
        (b"BEGIN:VCALENDAR\r\nthis is not iCalendar", "calendar"),
        (b"\xff\xfe\x00garbage", "calendar"),
    ]
    for body, field in cases:
        response = post(admin, body)
        assert response.status_code == 422, (field, response.json)
        assert response.content_type == "application/problem+json"
        assert [e["field"] for e in response.json["errors"]] == [field], response.json
    with session_factory() as db:
        assert db.scalar(select(func.count()).select_from(Attendance)) == 0


def test_only_a_calendar_is_taken_and_only_with_an_admin_key(admin, platform, planned):
    session = planned["sessions"][0]
    body = icalendar_reply(session["uid"], planned["member_list"][0]["email"], "ACCEPTED")
    assert post(admin, body, "application/json").status_code == 415
    assert post(platform, body).status_code == 403


def _held_by(admin, session_id: str, person_id: str) -> tuple[int, str]:
    """The SEQUENCE and the calendar text of the last invitation a person was sent."""
    mine = [i for i in admin.get(f"/v1/sessions/{session_id}/invitations?page_size=100").json if i["recipient"]["id"] == person_id]
    return mine[-1]["sequence"], admin.get(mine[-1]["ics_url"]).get_data(as_text=True)


def test_after_a_member_leaves_everyone_else_still_answers_with_the_invitation_they_hold(admin, worker, planned):
    leaver, *stay = planned["member_list"]
    assert admin.delete(f"/v1/groups/{planned['id']}/members/{leaver['id']}").status_code == 204
    worker.drain()
    for session in planned["sessions"][:3]:
        for person in [planned["facilitator"], *stay]:
            sequence, ics = _held_by(admin, session["id"], person["id"])
            assert f"SEQUENCE:{sequence}" in ics
            response = post(admin, icalendar_reply(session["uid"], person["email"], "ACCEPTED", sequence=sequence))
            assert response.status_code == 200, response.json
        assert {r for r, _ in attendance_of(admin, session["id"]).values()} == {"accepted"}
    # The leaver's own CANCEL stands above what she held; her calendar can no longer answer.
    sequence, ics = _held_by(admin, planned["sessions"][0]["id"], leaver["id"])
    assert "METHOD:CANCEL" in ics and sequence == 1
    refused = post(admin, icalendar_reply(planned["sessions"][0]["uid"], leaver["email"], "ACCEPTED", sequence=0))
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "ATTENDEE"


def test_a_newcomer_is_sent_the_current_state_and_answers_with_it(admin, worker, planned):
    session = planned["sessions"][0]
    admin.patch(f"/v1/sessions/{session['id']}", json={"start": "2027-01-19T19:00:00+01:00"})
    worker.drain()
    newcomer = admin.post("/v1/participants", json=payloads.participant(7, availability=TUESDAY_EVENING)).json
    admin.put(f"/v1/groups/{planned['id']}/members/{newcomer['id']}")
    worker.drain()
    sequence, ics = _held_by(admin, session["id"], newcomer["id"])
    assert sequence == 1 and "METHOD:REQUEST" in ics and "20270119T190000" in ics
    assert post(admin, icalendar_reply(session["uid"], newcomer["email"], "DECLINED", sequence=1)).status_code == 200
    assert attendance_of(admin, session["id"])[newcomer["id"]] == ("declined", "itip")


def test_a_reply_older_than_the_answer_recorded_changes_nothing(admin, planned, session_factory):
    session, member = planned["sessions"][0], planned["member_list"][0]
    newer = post(admin, icalendar_reply(session["uid"], member["email"], "DECLINED", dtstamp=datetime(2026, 11, 20, 10, 0, tzinfo=UTC)))
    assert newer.status_code == 200 and newer.json["applied"] is True
    older = post(admin, icalendar_reply(session["uid"], member["email"], "ACCEPTED", dtstamp=datetime(2026, 11, 20, 9, 0, tzinfo=UTC)))
    assert older.status_code == 200, older.json
    assert older.json["applied"] is False
    assert [a["response"] for a in older.json["answers"]] == ["declined"]
    assert attendance_of(admin, session["id"])[member["id"]] == ("declined", "itip")
    # The same REPLY again changes nothing either; a later one wins.
    again = post(admin, icalendar_reply(session["uid"], member["email"], "DECLINED", dtstamp=datetime(2026, 11, 20, 10, 0, tzinfo=UTC)))
    assert again.json["applied"] is False
    later = post(admin, icalendar_reply(session["uid"], member["email"], "ACCEPTED", dtstamp=datetime(2026, 11, 20, 11, 0, tzinfo=UTC)))
    assert later.json["applied"] is True
    assert attendance_of(admin, session["id"])[member["id"]] == ("accepted", "itip")
    # An answer given by link or API later than a REPLY's DTSTAMP is not undone by that REPLY.
    admin.put(f"/v1/sessions/{session['id']}/attendance/{member['id']}", json={"response": "declined"})
    stale = post(admin, icalendar_reply(session["uid"], member["email"], "ACCEPTED", dtstamp=datetime(2026, 11, 24, 11, 0, tzinfo=UTC)))
    assert stale.json["applied"] is False
    assert attendance_of(admin, session["id"])[member["id"]] == ("declined", "api")


def test_a_reply_from_a_clock_ahead_of_ours_cannot_win_the_future(admin, planned, clock):
    session, member = planned["sessions"][0], planned["member_list"][0]
    ahead = clock.now + timedelta(days=30)
    assert post(admin, icalendar_reply(session["uid"], member["email"], "DECLINED", dtstamp=ahead)).json["applied"] is True
    clock.now += timedelta(hours=1)
    admin.put(f"/v1/sessions/{session['id']}/attendance/{member['id']}", json={"response": "accepted"})
    # Counted as stamped when it arrived, the REPLY of an hour ago is older than this one.
    later = post(admin, icalendar_reply(session["uid"], member["email"], "TENTATIVE", dtstamp=clock.now - timedelta(minutes=1)))
    assert later.json["applied"] is False
    assert attendance_of(admin, session["id"])[member["id"]] == ("accepted", "api")


def test_a_recurrence_id_must_be_the_sessions_own_start(admin, planned, session_factory):
    session, member = planned["sessions"][0], planned["member_list"][0]
    start = datetime.fromisoformat(session["start"])
    wrong = post(admin, icalendar_reply(session["uid"], member["email"], "DECLINED", recurrence_id=start + timedelta(days=7)))
    assert wrong.status_code == 422 and [e["field"] for e in wrong.json["errors"]] == ["RECURRENCE-ID"], wrong.json
    with session_factory() as db:
        assert db.scalar(select(func.count()).select_from(Attendance)) == 0
    right = post(admin, icalendar_reply(session["uid"], member["email"], "DECLINED", recurrence_id=start.astimezone(UTC)))
    assert right.status_code == 200, right.json
    floating = post(admin, icalendar_reply(session["uid"], member["email"], "ACCEPTED", recurrence_id=start.replace(tzinfo=None),
                                           dtstamp=datetime(2026, 11, 21, tzinfo=UTC)))
    assert floating.status_code == 200, floating.json


def test_comments_are_read_in_the_declared_charset_and_an_empty_one_is_none(admin, planned, session_factory):
    session, (first, second) = planned["sessions"][0], planned["member_list"][:2]
    latin = icalendar_reply(session["uid"], first["email"], "DECLINED", comment="Ik ben op cursus in Zürich, sorry").decode().encode("iso-8859-1")
    response = post(admin, latin, "application/ics; charset=iso-8859-1")
    assert response.status_code == 200, response.json
    empty = icalendar_reply(session["uid"], second["email"], "DECLINED", comment="\n")
    assert post(admin, empty, "text/calendar; charset=utf-8").status_code == 200
    with session_factory() as db:
        comments = {str(a.person_id): a.comment for a in db.scalars(select(Attendance))}
    assert comments == {first["id"]: "Ik ben op cursus in Zürich, sorry", second["id"]: None}


@pytest.mark.parametrize("shape", ["deep", "many", "large"])
def test_a_calendar_too_deep_too_many_or_too_large_for_a_reply_is_refused_before_parsing(admin, planned, shape):
    head = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REPLY\r\n"
    body = {
        "deep": head + b"BEGIN:X\r\n" * 50_000 + b"END:X\r\n" * 50_000 + b"END:VCALENDAR\r\n",
        "many": head + b"BEGIN:VEVENT\r\nEND:VEVENT\r\n" * 40_000 + b"END:VCALENDAR\r\n",
        "large": head + b"X-PAD:" + b"x" * 70_000 + b"\r\nEND:VCALENDAR\r\n",
    }[shape]
    response = post(admin, body)
    assert response.status_code == 422, response.json
    assert [e["field"] for e in response.json["errors"]] == ["calendar"]


def test_a_comment_stays_while_the_answer_is_repeated_and_goes_when_it_changes(admin, planned, session_factory, clock):
    session, member = planned["sessions"][0], planned["member_list"][0]

    def comment() -> str | None:
        with session_factory() as db:
            return db.scalars(select(Attendance.comment)).one()

    post(admin, icalendar_reply(session["uid"], member["email"], "DECLINED", comment="Ouderavond", dtstamp=datetime(2026, 11, 20, tzinfo=UTC)))
    admin.put(f"/v1/sessions/{session['id']}/attendance/{member['id']}", json={"response": "declined"})
    clock.now += timedelta(minutes=1)
    assert post(admin, icalendar_reply(session["uid"], member["email"], "DECLINED", dtstamp=clock.now)).json["applied"] is True
    assert comment() == "Ouderavond"
    admin.put(f"/v1/sessions/{session['id']}/attendance/{member['id']}", json={"response": "accepted"})
    assert comment() is None
