"""Changes after planning (issue 20, item 4): a refresh of a person's published calendar that finds
them busy during a planned session shows the conflict on the session, puts it at risk and raises
the alarm as a decline does — a webhook to a real HTTP receiver and a mail, once a day — and a
refresh without the appointment, removing the calendar or moving the session clears it. Cancelled
and past sessions, absent members and the facilitator of a self-directed session never conflict,
and a platform is shown only its own people's conflicts. Feeds are served by a real HTTP server
and fetched by the worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from shared.config import Settings
from shared.db.models import Notice, SessionAlarm
from shared.db.models import Session as GroupSession
from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING, run_to_completion
from tests.api.test_webhooks import register
from tests.calendar_server import Feed, calendar_server
from tests.webhook_receiver import webhook_receiver


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(
        database_url=database_url, public_url="http://intervisie.test", webhook_allow_private=True,
        calendar_allow_private=True, secret_key="test-secret",
    )


@pytest.fixture
def receiver():
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def planned(admin, worker, group):
    """The group planned: three guided sessions, then the self-directed ones."""
    assert run_to_completion(admin, worker, group["id"])["status"] == "succeeded"
    group["sessions"] = admin.get(f"/v1/groups/{group['id']}/sessions?page_size=50").json
    return group


def start_of(session: dict) -> datetime:
    return datetime.fromisoformat(session["start"]).astimezone(UTC)


def agenda(*events: tuple[datetime, datetime] | tuple[datetime, datetime, str]) -> bytes:
    """A published calendar: appointments (start, end), or with the UID of its event."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Intervisie tests//agenda//NL", "X-WR-CALNAME:Werk"]
    for n, (start, end, *uid) in enumerate(events):
        lines += [
            "BEGIN:VEVENT", f"UID:{uid[0] if uid else f'afspraak-{n}@school.example'}", "DTSTAMP:20261201T080000Z",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{end:%Y%m%dT%H%M%SZ}", "SUMMARY:Ouderavond", "END:VEVENT",
        ]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


def add_calendar(caller, kind: str, person_id: str, url: str) -> str:
    created = caller.post(f"/v1/{kind}/{person_id}/calendar-sources", json={"url": url})
    assert created.status_code == 201, created.json
    return created.headers["Location"]


def refresh(caller, location: str, worker) -> None:
    assert caller.post(location + "/refresh").status_code == 202
    worker.drain()


def shown(caller, session: dict) -> dict:
    response = caller.get(f"/v1/sessions/{session['id']}")
    assert response.status_code == 200, response.json
    return response.json


def alarms(session_factory) -> list[Notice]:
    with session_factory() as db:
        return list(db.scalars(select(Notice).where(Notice.kind == "at_risk").order_by(Notice.issued_at)))


def test_a_refresh_that_finds_a_member_busy_during_a_session_puts_it_at_risk_once_and_one_without_it_clears_it(
    admin, worker, planned, receiver, session_factory, clock,
):
    clock.now = datetime.now(UTC) - timedelta(minutes=1)  # the receiver checks signatures against its own clock
    register(admin, receiver.url, events=["session.at_risk"])
    second, third = planned["sessions"][1], planned["sessions"][2]
    member = planned["member_list"][2]["id"]
    parents_evening = (start_of(second) + timedelta(minutes=60), start_of(second) + timedelta(minutes=150))
    # The member accepted the third session in her calendar: its own event is no conflict.
    own_event = (start_of(third), start_of(third) + timedelta(minutes=90), third["uid"])
    before = admin.get(f"/v1/sessions/{second['id']}")
    assert before.json["conflicts"] == [] and before.json["others"]["conflicts"] == 0
    with calendar_server() as server:
        url = server.publish("/agenda.ics?token=geheim", Feed(agenda(parents_evening, own_event), etag='"v1"'))
        location = add_calendar(admin, "participants", member, url)
        worker.drain()

        seen = admin.get(f"/v1/sessions/{second['id']}")
        assert seen.json["conflicts"] == [{"person_id": member, "source": "calendar"}]
        assert seen.json["at_risk"] is True
        assert {a["person_id"]: a["response"] for a in seen.json["attendance"]}[member] == "needs_action"
        assert seen.headers["ETag"] != before.headers["ETag"]
        assert shown(admin, third)["conflicts"] == [] and shown(admin, third)["at_risk"] is False
        listed = {s["id"]: s for s in admin.get(f"/v1/groups/{planned['id']}/sessions?page_size=50").json}
        assert listed[second["id"]]["conflicts"] == seen.json["conflicts"] and listed[second["id"]]["at_risk"] is True
        assert [s["id"] for s in listed.values() if s["conflicts"]] == [second["id"]]
        assert [e["data"] for e in receiver.events("session.at_risk")] == [{
            "session_id": second["id"], "group_id": planned["id"], "declined_ids": [], "others_declined": 0,
            "conflict_ids": [member], "others_in_conflict": 0,
        }]
        [alarm] = alarms(session_factory)
        assert alarm.recipient_id == uuid.UUID(planned["facilitator"]["id"])
        assert "Volgens de eigen agenda op dat moment bezet: Deelnemer 2." in alarm.body, alarm.body
        assert "Afgezegd" not in alarm.body

        # The appointment is gone from her calendar: so is the conflict, and the risk.
        server.feeds["/agenda.ics?token=geheim"] = Feed(agenda(own_event), etag='"v2"')
        refresh(admin, location, worker)
        cleared = shown(admin, second)
        assert cleared["conflicts"] == [] and cleared["at_risk"] is False

        # Back within the day: at risk again, but the alarm rings once a day.
        server.feeds["/agenda.ics?token=geheim"] = Feed(agenda(parents_evening, own_event), etag='"v3"')
        refresh(admin, location, worker)
        assert shown(admin, second)["at_risk"] is True
        assert len(receiver.events("session.at_risk")) == 1 and len(alarms(session_factory)) == 1

        # An unchanged feed (304) changes nothing.
        refresh(admin, location, worker)
        assert shown(admin, second)["conflicts"] == [{"person_id": member, "source": "calendar"}]

        # Her calendar removed, the conflict goes with it; added again, it is back (still no second alarm).
        assert admin.delete(location).status_code == 204
        gone = shown(admin, second)
        assert gone["conflicts"] == [] and gone["at_risk"] is False
        add_calendar(admin, "participants", member, url)
        worker.drain()
        assert shown(admin, second)["at_risk"] is True
        assert len(receiver.events("session.at_risk")) == 1 and len(alarms(session_factory)) == 1

    # Moved away from the appointment, the session no longer conflicts; back onto it is refused.
    week_later = (start_of(second) + timedelta(days=7)).isoformat()
    moved = admin.patch(f"/v1/sessions/{second['id']}", json={"start": week_later})
    assert moved.status_code == 200, moved.json
    assert moved.json["conflicts"] == [] and moved.json["at_risk"] is False
    assert admin.patch(f"/v1/sessions/{second['id']}", json={"start": second["start"]}).status_code == 409


def test_a_cancelled_or_past_session_an_absent_member_and_the_facilitator_of_a_self_directed_one_never_conflict(
    admin, worker, planned, session_factory, clock,
):
    sessions = planned["sessions"]
    first, cancelled, guided, self_directed, next_self_directed = sessions[0], sessions[1], sessions[2], sessions[3], sessions[4]
    member, facilitator = planned["member_list"][1]["id"], planned["facilitator"]["id"]
    assert admin.patch(f"/v1/sessions/{cancelled['id']}", json={"status": "cancelled"}).status_code == 200
    with session_factory.begin() as db:  # as a plan under a quorum leaves her out
        db.get(GroupSession, uuid.UUID(self_directed["id"])).absent_ids = [member]

    def whole(session: dict) -> tuple[datetime, datetime]:
        return start_of(session) - timedelta(hours=1), start_of(session) + timedelta(hours=3)

    clock.now = start_of(first) + timedelta(minutes=10)  # the first session has begun
    with calendar_server() as server:
        her = server.publish("/hers.ics", Feed(agenda(*map(whole, (first, cancelled, self_directed, next_self_directed)))))
        fien = server.publish("/fien.ics", Feed(agenda(*map(whole, (first, self_directed, guided)))))
        add_calendar(admin, "participants", member, her)
        add_calendar(admin, "facilitators", facilitator, fien)
        worker.drain()

    for session in (first, cancelled, self_directed):
        seen = shown(admin, session)
        assert (seen["conflicts"], seen["at_risk"]) == ([], False), session["number"]
    # The same calendars do conflict where the person is required.
    assert shown(admin, next_self_directed)["conflicts"] == [{"person_id": member, "source": "calendar"}]
    assert shown(admin, guided)["conflicts"] == [{"person_id": facilitator, "source": "calendar"}]
    # Only those two raised an alarm, and each had its mail.
    with session_factory() as db:
        alarmed = set(db.scalars(select(SessionAlarm.session_id)))
    assert alarmed == {uuid.UUID(next_self_directed["id"]), uuid.UUID(guided["id"])}
    assert {n.session_id for n in alarms(session_factory)} == alarmed


def test_a_platform_is_shown_the_conflicts_of_its_own_participants_and_the_facilitator_and_counts_the_rest(
    admin, platform, worker, group,
):
    mine = platform.post("/v1/participants", json=payloads.participant(9, availability=TUESDAY_EVENING)).json
    admin.put(f"/v1/groups/{group['id']}/members/{mine['id']}")
    run = run_to_completion(admin, worker, group["id"])
    session = run["plan"]["sessions"][1]
    busy = (start_of(session), start_of(session) + timedelta(minutes=15))
    facilitator, other = group["facilitator"]["id"], group["member_list"][0]["id"]
    with calendar_server() as server:
        add_calendar(platform, "participants", mine["id"], server.publish("/mine.ics", Feed(agenda(busy))))
        add_calendar(admin, "participants", other, server.publish("/other.ics", Feed(agenda(busy))))
        add_calendar(admin, "facilitators", facilitator, server.publish("/fien.ics", Feed(agenda(busy))))
        worker.drain()
    everyone = shown(admin, session)
    assert [c["person_id"] for c in everyone["conflicts"]] == [facilitator, other, mine["id"]]
    assert everyone["others"]["conflicts"] == 0
    theirs = shown(platform, session)
    assert [c["person_id"] for c in theirs["conflicts"]] == [facilitator, mine["id"]]
    assert theirs["others"]["conflicts"] == 1
    assert theirs["at_risk"] is True
