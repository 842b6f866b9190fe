"""Busy time read from people's own calendars counts like another session (issue 20, item 3):
in a plan, a re-plan, a batch, the alternatives, a move's check, the who-can-when grid and
the diagnostics of a plan that cannot be made — on SQLite and PostgreSQL.

The busy intervals are stored as the worker's fetch stores them (a source added through the
API, its intervals written to its rows); how a feed becomes intervals is tested apart.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.db.models import BusyInterval
from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING, run_to_completion
from tests.api.test_cohort import batch_to_completion, sessions_of
from tests.api.test_group_availability import cells_at

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TUESDAY_AND_THURSDAY = {"weekly": [{"day": day, "start": "19:00", "end": "21:30"} for day in ("tue", "thu")]}


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    monkeypatch.setattr("services.api.resources.calendar_sources.resolve", lambda host, port: ["93.184.215.14"])


def busy(caller, session_factory, person: dict, *stretches: tuple[datetime, datetime], kind: str = "participant") -> None:
    """Give ``person`` a published calendar holding ``stretches`` as busy time."""
    path = f"/v1/{kind}s/{person['id']}/calendar-sources"
    source = caller.post(path, json={"url": f"https://calendar.example/{uuid.uuid4()}.ics"})
    assert source.status_code == 201, source.json
    with session_factory.begin() as session:
        for start, end in stretches:
            session.add(BusyInterval(
                source_id=uuid.UUID(source.json["id"]), start=start, end=end,
                owner_kind=kind, owner_id=uuid.UUID(person["id"]),
            ))


def at(day: str, hour: int = 19, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=AMSTERDAM)


def overlaps(session: dict, stretch: tuple[datetime, datetime]) -> bool:
    return datetime.fromisoformat(session["start"]) < stretch[1] and stretch[0] < datetime.fromisoformat(session["end"])


def test_a_plan_keeps_clear_of_a_members_busy_time(admin, worker, group, session_factory):
    # Without it the group meets on the second Tuesday, 12 January 2027, 19:00 (test_scheduling).
    # Everyone is free on Tuesdays 19:00–21:30: an appointment until 19:30 leaves 19:30–21:00.
    dentist = (at("2027-01-12", 18), at("2027-01-12", 19, 30))
    busy(admin, session_factory, group["member_list"][2], dentist)
    run = run_to_completion(admin, worker, group["id"])
    assert run["status"] == "succeeded", run
    sessions = run["plan"]["sessions"]
    assert sessions[0]["start"] == "2027-01-12T19:30:00+01:00"
    assert not any(overlaps(s, dentist) for s in sessions)
    assert all(s["absent_ids"] == [] for s in sessions[:3])


def test_a_facilitators_busy_time_counts_for_the_guided_sessions(admin, worker, group, session_factory):
    course = (at("2027-01-12", 19, 15), at("2027-01-12", 21, 15))
    busy(admin, session_factory, group["facilitator"], course, kind="facilitator")
    run = run_to_completion(admin, worker, group["id"])
    assert run["plan"]["sessions"][0]["start"] == "2027-01-19T19:00:00+01:00"


def test_a_re_plan_moves_the_sessions_that_now_lie_in_busy_time(admin, worker, group, session_factory):
    first = run_to_completion(admin, worker, group["id"])["plan"]["sessions"]
    assert first[0]["start"] == "2027-01-12T19:00:00+01:00"
    busy(admin, session_factory, group["member_list"][0], (at("2027-01-12", 19), at("2027-01-12", 21, 30)))
    again = run_to_completion(admin, worker, group["id"])["plan"]
    assert again["sessions"][0]["id"] == first[0]["id"]
    assert again["sessions"][0]["start"] == "2027-01-19T19:00:00+01:00"


def test_a_move_into_someones_busy_time_is_refused_and_changes_nothing(admin, worker, group, session_factory):
    run = run_to_completion(admin, worker, group["id"])
    second = run["plan"]["sessions"][1]  # 9 February
    member = group["member_list"][1]
    busy(admin, session_factory, member, (at("2027-02-16", 18, 30), at("2027-02-16", 19, 30)))
    before = admin.get(f"/v1/sessions/{second['id']}")
    refused = admin.patch(
        f"/v1/sessions/{second['id']}", json={"start": "2027-02-16T19:00:00+01:00"},
        headers={"If-Match": before.headers["ETag"]},
    )
    assert refused.status_code == 409, refused.json
    assert refused.json["type"] == "/problems/schedule-conflict"
    assert refused.json["conflicts"] == [{
        "session_id": None, "person_id": member["id"], "reason": "overlap", "source": "calendar",
        "placed_session_id": second["id"],
    }]
    assert "busy in their calendar" in refused.json["detail"]
    after = admin.get(f"/v1/sessions/{second['id']}")
    assert (after.json["start"], after.json["sequence"]) == (second["start"], before.json["sequence"])
    # Half an hour after the busy time ends the move goes through.
    assert admin.patch(f"/v1/sessions/{second['id']}", json={"start": "2027-02-16T19:30:00+01:00"}).status_code == 200


def test_busy_time_neither_counts_as_a_session_nor_asks_for_a_break(admin, worker, session_factory):
    """A facilitator with one session a day and 30 minutes between sessions: an appointment in her
    calendar the same day, ending as the session starts, leaves the day open."""
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator(
        availability=TUESDAY_EVENING, capacity={"max_sessions_per_day": 1, "break_minutes": 30},
    )).json
    group = admin.post("/v1/groups", json=payloads.group(facilitator_id=facilitator["id"])).json
    for n in range(4):
        person = admin.post("/v1/participants", json=payloads.participant(n, availability=TUESDAY_EVENING)).json
        admin.put(f"/v1/groups/{group['id']}/members/{person['id']}")
    busy(admin, session_factory, facilitator, (at("2027-01-12", 9), at("2027-01-12", 10)), (at("2027-01-12", 18), at("2027-01-12", 19)), kind="facilitator")
    run = run_to_completion(admin, worker, group["id"])
    assert run["plan"]["sessions"][0]["start"] == "2027-01-12T19:00:00+01:00"


def test_alternatives_keep_clear_of_busy_time(admin, worker, group, session_factory):
    for person in (group["facilitator"], *group["member_list"]):
        kind = "facilitators" if person is group["facilitator"] else "participants"
        admin.patch(f"/v1/{kind}/{person['id']}", json={"availability": TUESDAY_AND_THURSDAY})
    run = run_to_completion(admin, worker, group["id"])
    second = run["plan"]["sessions"][1]
    plain = [a["start"] for a in admin.get(f"/v1/sessions/{second['id']}/alternatives").json]
    assert plain[0] == "2027-02-02T19:00:00+01:00"
    busy(admin, session_factory, group["member_list"][3], (at("2027-02-02", 20), at("2027-02-02", 20, 15)))
    found = admin.get(f"/v1/sessions/{second['id']}/alternatives").json
    assert found and "2027-02-02T19:00:00+01:00" not in [a["start"] for a in found]
    assert [a["start"] for a in found] == [start for start in plain if start != "2027-02-02T19:00:00+01:00"][:len(found)]


def test_a_batch_keeps_clear_of_busy_time(admin, worker, group, session_factory):
    stretch = (at("2027-01-12", 19), at("2027-01-12", 21))
    busy(admin, session_factory, group["member_list"][0], stretch)
    batch = batch_to_completion(admin, worker, [group["id"]])
    assert batch["status"] == "finished"
    sessions = sessions_of(admin, group["id"])
    assert sessions[0]["start"] == "2027-01-19T19:00:00+01:00"
    assert not any(overlaps(s, stretch) for s in sessions)


def test_the_grid_shows_calendar_busy_time_as_busy(admin, group, session_factory):
    member = group["member_list"][0]
    busy(admin, session_factory, member, (at("2027-01-12", 19, 30), at("2027-01-12", 20, 10)))
    tuesday = cells_at(admin.get(f"/v1/groups/{group['id']}/availability?week=2027-01-11").json, "tue")
    assert [(start, tuesday[start]["busy_ids"], tuesday[start]["available"]) for start in ("19:00", "19:30", "20:00", "20:30")] == [
        ("19:00", [], 5), ("19:30", [member["id"]], 4), ("20:00", [member["id"]], 4), ("20:30", [], 5),
    ]
    assert member["id"] not in tuesday["19:30"]["absent_ids"]
    assert all(cell["busy_ids"] == [] for cell in admin.get(f"/v1/groups/{group['id']}/availability?week=2027-01-18").json["cells"])


def test_a_plan_that_cannot_be_made_names_the_busy_calendar(admin, worker, group, session_factory):
    facilitator = group["facilitator"]
    # Every Tuesday evening for fifteen months is taken in her calendar.
    evenings = [(at("2026-12-01", 18) + timedelta(weeks=w), at("2026-12-01", 22) + timedelta(weeks=w)) for w in range(70)]
    busy(admin, session_factory, facilitator, *evenings, kind="facilitator")
    run = run_to_completion(admin, worker, group["id"])
    assert run["status"] == "infeasible", run
    slots = [slot for month in run["diagnostics"]["months"] for slot in month["best_slots"]]
    assert slots
    assert all(
        {"person_id": facilitator["id"], "session_id": None, "reason": "overlap", "source": "calendar"} in slot["booked"]
        for slot in slots
    )
