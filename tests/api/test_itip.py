"""Answers from calendars through POST /v1/itip: REPLYs made with icalendar and with vobject."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shared.db.models import Attendance
from tests.api.scenarios import run_to_completion
from tests.itip_replies import icalendar_reply, vobject_reply


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


@pytest.mark.parametrize("make", [icalendar_reply, vobject_reply])
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
