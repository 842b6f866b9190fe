"""Attendance through the API: every session lists who comes, answers recorded by platforms,
at-risk sessions announced once (to a real HTTP receiver), alternatives, and moves that ask again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from shared.config import Settings
from shared.db.models import Notice, OutboxMessage
from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING, run_to_completion
from tests.webhook_receiver import webhook_receiver

TUESDAY_AND_THURSDAY = {"weekly": [{"day": "tue", "start": "19:00", "end": "21:30"}, {"day": "thu", "start": "19:00", "end": "21:30"}]}


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(database_url=database_url, public_url="http://intervisie.test", webhook_allow_private=True, secret_key="test-secret")


@pytest.fixture
def receiver():
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def planned(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    assert run["status"] == "succeeded"
    group["sessions"] = admin.get(f"/v1/groups/{group['id']}/sessions?page_size=50").json
    return group


def answer(caller, session_id: str, person_id: str, response: str):
    return caller.put(f"/v1/sessions/{session_id}/attendance/{person_id}", json={"response": response})


def test_every_session_lists_its_required_people_who_have_not_answered_yet(planned):
    facilitator, members = planned["facilitator"]["id"], [m["id"] for m in planned["member_list"]]
    guided, self_directed = planned["sessions"][0], planned["sessions"][3]
    assert [(a["person_id"], a["role"], a["response"], a["responded_at"], a["source"]) for a in guided["attendance"]] == [
        (facilitator, "facilitator", "needs_action", None, None), *((m, "member", "needs_action", None, None) for m in members),
    ]
    assert [a["person_id"] for a in self_directed["attendance"]] == members  # the facilitator is not there
    assert guided["at_risk"] is False and self_directed["at_risk"] is False


def test_platforms_answer_for_their_own_participants_and_admins_for_anyone(admin, platform, worker, group, clock):
    mine = platform.post("/v1/participants", json=payloads.participant(9, availability=TUESDAY_EVENING)).json
    admin.put(f"/v1/groups/{group['id']}/members/{mine['id']}")
    run = run_to_completion(admin, worker, group["id"])
    session_id = run["plan"]["sessions"][0]["id"]
    recorded = answer(platform, session_id, mine["id"], "accepted")
    assert recorded.status_code == 200, recorded.json
    assert recorded.json == {
        "person_id": mine["id"], "role": "member", "response": "accepted",
        "responded_at": clock.now.isoformat(), "source": "api",
    }
    other = group["member_list"][0]["id"]
    assert answer(platform, session_id, other, "accepted").status_code == 404
    assert answer(admin, session_id, other, "tentative").status_code == 200
    assert answer(admin, session_id, str(uuid.uuid4()), "accepted").status_code == 404
    bad = answer(admin, session_id, other, "maybe")
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "response"
    shown = {a["person_id"]: a["response"] for a in admin.get(f"/v1/sessions/{session_id}").json["attendance"]}
    assert shown[mine["id"]] == "accepted" and shown[other] == "tentative"
    assert answer(admin, session_id, other, "needs_action").status_code == 200  # forgotten again
    assert {a["person_id"]: a["response"] for a in admin.get(f"/v1/sessions/{session_id}").json["attendance"]}[other] == "needs_action"


def test_an_answer_changes_the_sessions_etag(admin, planned):
    session_id = planned["sessions"][0]["id"]
    first = admin.get(f"/v1/sessions/{session_id}")
    assert admin.get(f"/v1/sessions/{session_id}", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    answer(admin, session_id, planned["member_list"][0]["id"], "accepted")
    again = admin.get(f"/v1/sessions/{session_id}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]
    stale = admin.patch(f"/v1/sessions/{session_id}", json={"status": "cancelled"}, headers={"If-Match": first.headers["ETag"]})
    assert stale.status_code == 412


def test_a_decline_puts_a_guided_session_at_risk_and_says_so_once(admin, worker, planned, receiver, session_factory, clock):
    clock.now = datetime.now(UTC) - timedelta(minutes=1)  # the receiver checks signatures against its own clock
    from tests.api.test_webhooks import register

    register(admin, receiver.url, events=["session.at_risk", "attendance.changed"])
    session_id = planned["sessions"][1]["id"]
    member = planned["member_list"][2]["id"]
    assert answer(admin, session_id, member, "declined").status_code == 200
    assert admin.get(f"/v1/sessions/{session_id}").json["at_risk"] is True
    answer(admin, session_id, planned["member_list"][3]["id"], "declined")  # already at risk: no second alarm
    answer(admin, session_id, planned["member_list"][0]["id"], "accepted")
    worker.drain()
    at_risk = receiver.events("session.at_risk")
    assert [e["data"] for e in at_risk] == [
        {"session_id": session_id, "group_id": planned["id"], "declined_ids": [member], "others_declined": 0,
         "conflict_ids": [], "others_in_conflict": 0},
    ]
    changed = sorted(e["data"]["participant_id"] for e in receiver.events("attendance.changed"))
    assert changed == sorted([member, planned["member_list"][3]["id"], planned["member_list"][0]["id"]])
    assert {"session_id": session_id, "group_id": planned["id"], "participant_id": member, "facilitator_id": None} in [
        e["data"] for e in receiver.events("attendance.changed")
    ]
    with session_factory() as session:
        alarms = list(session.scalars(select(Notice)))
        assert [(n.kind, n.recipient_id, n.delivery_state) for n in alarms] == [
            ("at_risk", uuid.UUID(planned["facilitator"]["id"]), "stored"),
        ]
        # Who declined, by name (the second decline may or may not have come before the mail).
        assert "Afgezegd: Deelnemer 2" in alarms[0].body, alarms[0].body
        assert "Tijden waarop iedereen kan en niemand dubbel geboekt is:" in alarms[0].body
        assert alarms[0].subject.startswith("Let op: niet iedereen kan bij bijeenkomst 2 van 3")
    # Answered back out of risk and declined again, over and over within the day: no new alarm.
    for _ in range(3):
        answer(admin, session_id, member, "accepted")
        answer(admin, session_id, planned["member_list"][3]["id"], "accepted")
        assert admin.get(f"/v1/sessions/{session_id}").json["at_risk"] is False
        answer(admin, session_id, member, "declined")
        assert admin.get(f"/v1/sessions/{session_id}").json["at_risk"] is True
    worker.drain()
    assert len(receiver.events("session.at_risk")) == 1
    with session_factory() as session:
        assert len(session.scalars(select(Notice)).all()) == 1
    # A day after the alarm, the same flapping alarms once more (looked at before any delivery:
    # the receiver checks signatures against its own clock).
    worker.stop()
    clock.now += timedelta(hours=24)
    answer(admin, session_id, member, "accepted")
    answer(admin, session_id, member, "declined")
    answer(admin, session_id, member, "accepted")
    answer(admin, session_id, planned["facilitator"]["id"], "declined")
    with session_factory() as session:
        events = [m.payload.get("type") for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "webhook.event"))]
        assert events.count("session.at_risk") == 2  # one webhook event a day
    worker.start_consuming()
    worker.drain()
    with session_factory() as session:
        assert len(session.scalars(select(Notice)).all()) == 2  # and one mail a day


def test_a_self_directed_session_is_at_risk_only_below_its_quorum(admin, worker, group):
    admin.patch(f"/v1/groups/{group['id']}", json={"constraints": {"self_directed_quorum": 3}})
    run = run_to_completion(admin, worker, group["id"])
    session_id = run["plan"]["sessions"][4]["id"]
    members = [m["id"] for m in group["member_list"]]
    answer(admin, session_id, members[0], "declined")
    assert admin.get(f"/v1/sessions/{session_id}").json["at_risk"] is False  # 3 of 4 can still come
    answer(admin, session_id, members[1], "declined")
    assert admin.get(f"/v1/sessions/{session_id}").json["at_risk"] is True
    # The facilitator is not at self-directed sessions: nothing to answer for her.
    assert answer(admin, session_id, group["facilitator"]["id"], "declined").status_code == 404


def test_a_move_asks_everyone_again(admin, planned):
    session_id = planned["sessions"][1]["id"]
    answer(admin, session_id, planned["member_list"][0]["id"], "declined")
    moved = admin.patch(f"/v1/sessions/{session_id}", json={"start": "2027-02-16T19:00:00+01:00"})
    assert moved.status_code == 200
    assert {a["response"] for a in moved.json["attendance"]} == {"needs_action"}
    assert moved.json["at_risk"] is False


def test_alternatives_keep_the_rules_and_book_nobody_twice(admin, worker, group):
    for person in (group["facilitator"], *group["member_list"]):
        kind = "facilitators" if person is group["facilitator"] else "participants"
        admin.patch(f"/v1/{kind}/{person['id']}", json={"availability": TUESDAY_AND_THURSDAY})
    run = run_to_completion(admin, worker, group["id"])
    first, second, third = run["plan"]["sessions"][:3]
    assert (first["start"], second["start"], third["start"]) == (
        "2027-01-12T19:00:00+01:00", "2027-02-09T19:00:00+01:00", "2027-03-09T19:00:00+01:00",
    )
    # Another group of hers takes Thursday 11 February.
    other = admin.post("/v1/groups", json=payloads.group(name="Andere groep", facilitator_id=group["facilitator"]["id"], starts_on="2027-02-10")).json
    for n in range(20, 23):
        person = admin.post("/v1/participants", json=payloads.participant(n, availability={"weekly": [{"day": "thu", "start": "19:00", "end": "21:30"}]})).json
        admin.put(f"/v1/groups/{other['id']}/members/{person['id']}")
    assert run_to_completion(admin, worker, other["id"])["plan"]["sessions"][0]["start"] == "2027-02-11T19:00:00+01:00"

    found = admin.get(f"/v1/sessions/{second['id']}/alternatives")
    assert found.status_code == 200, found.json
    starts = [a["start"] for a in found.json]
    # 21 days after 12 January and before 9 March; Thursday the 11th is taken; not the 9th itself.
    # The slot's weekday and time first, then the nearest date.
    assert starts == ["2027-02-02T19:00:00+01:00", "2027-02-16T19:00:00+01:00", "2027-02-04T19:00:00+01:00"]
    assert all(a["attendees"] == a["required"] == 5 and a["absent_ids"] == [] for a in found.json)
    assert all(a["end"] == a["start"].replace("T19:00", "T20:30") for a in found.json)
    assert admin.patch(f"/v1/sessions/{second['id']}", json={"start": starts[0]}).status_code == 200


def test_alternatives_of_a_first_session_never_lie_before_the_group_starts(admin, worker):
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator(availability=TUESDAY_AND_THURSDAY)).json
    group = admin.post("/v1/groups", json=payloads.group(facilitator_id=facilitator["id"], starts_on="2027-02-01")).json
    for n in range(30, 34):
        person = admin.post("/v1/participants", json=payloads.participant(n, availability=TUESDAY_AND_THURSDAY)).json
        admin.put(f"/v1/groups/{group['id']}/members/{person['id']}")
    first = run_to_completion(admin, worker, group["id"])["plan"]["sessions"][0]
    assert first["start"] == "2027-02-02T19:00:00+01:00"

    found = admin.get(f"/v1/sessions/{first['id']}/alternatives")
    assert found.status_code == 200, found.json
    starts = [a["start"] for a in found.json]
    # The two weeks around February would reach back to 18 January; the group starts on the 1st.
    assert starts and all(start >= "2027-02-01" for start in starts), starts


def test_when_the_chair_declines_the_next_member_in_turn_hears_it_with_the_comment(admin, worker, planned, session_factory):
    from tests.itip_replies import icalendar_reply

    members = planned["member_list"]
    session = planned["sessions"][3]  # the first self-directed one, chaired by the first member
    assert session["chair_id"] == members[0]["id"]
    reply = icalendar_reply(session["uid"], members[0]["email"], "DECLINED", comment="Ouderavond\nop school")
    assert admin.post("/v1/itip", data=reply, headers={"Content-Type": "text/calendar"}).status_code == 200
    worker.drain()
    with session_factory() as db:
        (alarm,) = db.scalars(select(Notice).where(Notice.kind == "at_risk")).all()
    assert alarm.recipient_id == uuid.UUID(members[1]["id"])
    assert f"{members[0]['name']} schreef: \u201eOuderavond op school\u201d" in alarm.body


def test_an_alarm_whose_mail_found_the_session_answered_back_is_mailed_when_it_turns_again(admin, worker, planned, session_factory):
    session_id, member = planned["sessions"][1]["id"], planned["member_list"][0]["id"]
    worker.stop()
    answer(admin, session_id, member, "declined")  # the alarm: its mail is asked for
    answer(admin, session_id, member, "accepted")  # answered back before the worker got to it
    worker.start_consuming()
    worker.drain()
    with session_factory() as session:
        assert session.scalars(select(Notice)).all() == []  # nothing to say: nobody declined
    answer(admin, session_id, member, "declined")  # at risk again the same day: no new webhook, but the mail
    worker.drain()
    answer(admin, session_id, member, "accepted")
    answer(admin, session_id, member, "declined")
    worker.drain()
    with session_factory() as session:
        assert [n.kind for n in session.scalars(select(Notice))] == ["at_risk"]
