"""Scheduling runs through the API, processed by a stub-broker worker in this process."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from services.scheduler import jobs
from services.scheduler.actors import DISPATCH, PLAN_RUN
from services.scheduler.middleware import REQUEST_ID_OPTION
from shared.db.models import OutboxMessage
from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING, WEDNESDAY_MORNING, run_to_completion


def test_a_run_plans_three_guided_and_the_follow_up_sessions(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    assert run["status"] == "succeeded", run
    assert run["finished_at"] is not None
    plan = run["plan"]
    assert plan["slot"] == {
        "weekday": "tue", "start": "19:00", "week_of_month": 2,
        "description": "tweede dinsdag van de maand, 19:00–20:30",
    }
    assert [s["kind"] for s in plan["sessions"]] == ["guided"] * 3 + ["self_directed"] * 6
    assert plan["sessions"][0]["start"] == "2027-01-12T19:00:00+01:00"
    assert plan["sessions"][3]["start"] == "2027-04-13T19:00:00+02:00"

    sessions = admin.get(f"/v1/groups/{group['id']}/sessions?page_size=50").json
    assert [s["number"] for s in sessions] == list(range(1, 10))
    assert [s["id"] for s in sessions] == [s["id"] for s in plan["sessions"]]
    first = sessions[0]
    assert (first["start"], first["end"]) == ("2027-01-12T19:00:00+01:00", "2027-01-12T20:30:00+01:00")
    assert first["timezone"] == "Europe/Amsterdam"
    assert (first["status"], first["sequence"], first["chair_id"]) == ("scheduled", 0, None)
    assert first["uid"].endswith("@intervisie")
    member_ids = [m["id"] for m in group["member_list"]]
    assert [s["chair_id"] for s in sessions[3:]] == member_ids + member_ids[:2]
    assert len({s["uid"] for s in sessions}) == 9


def test_an_infeasible_run_explains_itself_and_writes_no_sessions(admin, worker, group):
    admin.patch(f"/v1/facilitators/{group['facilitator']['id']}", json={"availability": WEDNESDAY_MORNING})
    run = run_to_completion(admin, worker, group["id"])
    assert run["status"] == "infeasible"
    assert run["plan"] is None
    diagnostics = run["diagnostics"]
    assert diagnostics["blockers"] == [group["facilitator"]["id"]]
    first_month = diagnostics["months"][0]
    assert first_month["month"] == "2027-01"
    best = first_month["best_slots"][0]
    assert best["required"] == 5 and best["attendees"] == 4
    assert best["absent_ids"] == [group["facilitator"]["id"]]
    assert admin.get(f"/v1/groups/{group['id']}/sessions").json == []


def test_a_group_with_fewer_than_three_members_is_refused(admin, group):
    for member in group["member_list"][:2]:
        admin.delete(f"/v1/groups/{group['id']}/members/{member['id']}")
    response = admin.post(f"/v1/groups/{group['id']}/scheduling-runs")
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert "at least 3" in response.json["detail"]


def test_a_group_without_facilitator_is_refused(admin, group):
    admin.patch(f"/v1/groups/{group['id']}", json={"facilitator_id": None})
    response = admin.post(f"/v1/groups/{group['id']}/scheduling-runs")
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "facilitator_id"


def test_a_second_run_while_one_is_in_flight_is_409(admin, group):
    first = admin.post(f"/v1/groups/{group['id']}/scheduling-runs")
    assert first.status_code == 202
    queued = admin.get(first.headers["Location"])
    assert queued.json["status"] == "queued"
    assert queued.headers["Retry-After"] == "1"
    second = admin.post(f"/v1/groups/{group['id']}/scheduling-runs")
    assert second.status_code == 409
    assert first.json["id"] in second.json["detail"]


def test_platforms_read_runs_of_their_groups_but_do_not_start_them(admin, platform, other_platform, worker, group):
    mine = platform.post("/v1/participants", json=payloads.participant(9, availability=TUESDAY_EVENING)).json
    admin.put(f"/v1/groups/{group['id']}/members/{mine['id']}")
    assert platform.post(f"/v1/groups/{group['id']}/scheduling-runs").status_code == 403
    run = run_to_completion(admin, worker, group["id"])
    assert platform.get(f"/v1/scheduling-runs/{run['id']}").json["status"] == "succeeded"
    assert len(platform.get(f"/v1/groups/{group['id']}/sessions?page_size=50").json) == 9
    assert other_platform.get(f"/v1/scheduling-runs/{run['id']}").status_code == 404
    session_id = run["plan"]["sessions"][0]["id"]
    assert other_platform.get(f"/v1/sessions/{session_id}").status_code == 404
    assert other_platform.get(f"/v1/groups/{group['id']}/sessions").status_code == 404


def test_replan_keeps_ids_and_uids_moves_future_sessions_and_leaves_past_ones(admin, worker, group, clock):
    run_to_completion(admin, worker, group["id"])
    before = admin.get(f"/v1/groups/{group['id']}/sessions?page_size=50").json
    clock.now = clock.now.replace(year=2027, month=1, day=20)  # after session 1 (12 January)

    thursday = {"weekly": [{"day": "thu", "start": "19:00", "end": "21:30"}]}
    admin.patch(f"/v1/facilitators/{group['facilitator']['id']}", json={"availability": thursday})
    for member in group["member_list"]:
        admin.put(f"/v1/participants/{member['id']}/availability", json=thursday)
    run = run_to_completion(admin, worker, group["id"])
    assert run["status"] == "succeeded", run
    after = admin.get(f"/v1/groups/{group['id']}/sessions?page_size=50").json

    assert after[0] == before[0]  # the past session is untouched
    assert [s["id"] for s in after] == [s["id"] for s in before]
    assert [s["uid"] for s in after] == [s["uid"] for s in before]
    assert after[1]["start"] == "2027-02-04T19:00:00+01:00"  # the first Thursday 21+ days on
    assert all(s["sequence"] == 1 for s in after[1:])
    assert run["plan"]["changes"]["moved"] == 8


def test_replan_with_fewer_follow_ups_cancels_the_surplus(admin, worker, group):
    run_to_completion(admin, worker, group["id"])
    admin.patch(f"/v1/groups/{group['id']}", json={"follow_up_sessions": 4})
    run = run_to_completion(admin, worker, group["id"])
    sessions = admin.get(f"/v1/groups/{group['id']}/sessions?page_size=50").json
    assert [s["status"] for s in sessions] == ["scheduled"] * 7 + ["cancelled"] * 2
    assert [s["sequence"] for s in sessions] == [0] * 7 + [1] * 2
    assert run["plan"]["changes"] == {"created": 0, "moved": 0, "changed": 0, "cancelled": 2}


def test_the_same_message_twice_changes_nothing_the_second_time(admin, worker, scheduler, group):
    run = run_to_completion(admin, worker, group["id"])
    outcome = jobs.plan_run(scheduler.runtime, uuid.UUID(run["id"]))
    assert outcome == "skipped: run is succeeded"
    assert len(admin.get(f"/v1/groups/{group['id']}/sessions?page_size=50").json) == 9
    assert admin.get(f"/v1/scheduling-runs/{run['id']}").json == run


def test_a_run_that_cannot_be_planned_ends_failed_without_the_exceptions_text(admin, worker, group, monkeypatch, caplog):
    def broken(request):
        raise ValueError("no calendar for year 10000")

    monkeypatch.setattr(jobs, "find_plan", broken)
    run = run_to_completion(admin, worker, group["id"])
    assert run["status"] == "failed"
    assert run["error"] == jobs.UNEXPECTED_FAILURE and "10000" not in run["error"]  # internals stay in the log
    assert any(run["id"] in r.getMessage() and r.exc_info and "year 10000" in str(r.exc_info[1]) for r in caplog.records)


def test_a_run_whose_message_was_lost_is_planned_by_the_sweep(admin, scheduler, group, clock, monkeypatch):
    def broker_down(message, *, delay=None):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(scheduler.broker, "enqueue", broker_down)
    response = admin.post(f"/v1/groups/{group['id']}/scheduling-runs")
    assert response.status_code == 202  # the request is recorded even though the message is not
    monkeypatch.undo()

    clock.now += timedelta(seconds=scheduler.settings.sweep_seconds + 1)
    scheduler.start_consuming()  # a worker start sweeps for lost runs
    scheduler.drain()
    assert admin.get(response.headers["Location"]).json["status"] == "succeeded"


def test_work_the_sweep_sends_again_carries_the_id_of_the_request_that_asked_for_it(admin, worker, scheduler, group, clock, monkeypatch):
    """A run and an outbox message whose messages were lost are sent again by the sweep under
    the X-Request-ID of the request that recorded them, so the worker logs them under it."""
    sent: list[tuple[str, str | None]] = []
    real_enqueue = scheduler.broker.enqueue

    def broker_down(message, *, delay=None):
        raise ConnectionError("broker unreachable")

    def recording(message, *, delay=None):
        enqueued = real_enqueue(message, delay=delay)  # its middleware sets the options
        sent.append((message.actor_name, message.options.get(REQUEST_ID_OPTION)))
        return enqueued

    def lost(request):
        monkeypatch.setattr(scheduler.broker, "enqueue", broker_down)
        response = request()
        monkeypatch.setattr(scheduler.broker, "enqueue", recording)
        return response

    def sweep():
        clock.now += timedelta(seconds=scheduler.settings.sweep_seconds + 1)
        jobs.resume_lost_work(
            scheduler.runtime, scheduler.actors.request_plan, scheduler.actors.send_outbox,
            scheduler.actors.send_deliveries, scheduler.actors.send_webhooks, scheduler.actors.request_composition,
            scheduler.actors.request_batch, scheduler.actors.send_notices,
        )
        worker.drain()

    asked = lost(lambda: admin.post(f"/v1/groups/{group['id']}/scheduling-runs", headers={"X-Request-ID": "plan-it"}))
    assert asked.status_code == 202, asked.json  # recorded, though not sent
    sweep()
    assert (PLAN_RUN, "plan-it") in sent
    run = admin.get(asked.headers["Location"]).json
    assert run["status"] == "succeeded"
    with scheduler.runtime.session_factory() as session:  # what the worker recorded for that run, too
        recorded = session.execute(select(OutboxMessage.topic, OutboxMessage.request_id)).all()
    assert ("sessions.changed", "plan-it") in recorded

    session_id = run["plan"]["sessions"][0]["id"]
    cancelled = lost(lambda: admin.patch(f"/v1/sessions/{session_id}", json={"status": "cancelled"}, headers={"X-Request-ID": "cancel-it"}))
    assert cancelled.status_code == 200
    sweep()
    assert (DISPATCH, "cancel-it") in sent


def test_moving_a_session_lists_who_cannot_attend_and_bumps_sequence(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    session = admin.get(f"/v1/sessions/{run['plan']['sessions'][1]['id']}")
    assert session.json["kind"] == "guided"
    # A Wednesday: nobody is free then, the facilitator neither, so only allow_absent moves it.
    response = admin.patch(
        f"/v1/sessions/{session.json['id']}",
        json={"start": "2027-02-10T19:00:00+01:00", "allow_absent": True},
        headers={"If-Match": session.headers["ETag"]},
    )
    assert response.status_code == 200, response.json
    moved = response.json
    assert (moved["start"], moved["end"]) == ("2027-02-10T19:00:00+01:00", "2027-02-10T20:30:00+01:00")
    assert moved["sequence"] == 1
    everyone = {group["facilitator"]["id"], *(m["id"] for m in group["member_list"])}
    assert set(moved["absent_ids"]) == everyone
    stale = admin.patch(f"/v1/sessions/{moved['id']}", json={"status": "cancelled"}, headers={"If-Match": session.headers["ETag"]})
    assert stale.status_code == 412


def test_moving_a_guided_session_to_a_time_its_facilitator_cannot_attend_is_refused(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    session = admin.get(f"/v1/sessions/{run['plan']['sessions'][1]['id']}")
    assert session.json["kind"] == "guided"
    for body in ({"start": "2027-02-10T19:00:00+01:00"}, {"start": "2027-02-10T19:00:00+01:00", "allow_absent": False}):
        refused = admin.patch(f"/v1/sessions/{session.json['id']}", json=body, headers={"If-Match": session.headers["ETag"]})
        assert refused.status_code == 409, refused.json
        assert refused.headers["Content-Type"] == "application/problem+json"
        problem = refused.json
        assert problem["type"] == "/problems/schedule-conflict"
        assert problem["reason"] == "facilitator-unavailable"
        assert (problem["person_id"], problem["placed_session_id"], problem["conflicts"]) == (
            group["facilitator"]["id"], session.json["id"], [])
        [why] = problem["explanations"]
        assert (why["person_id"], why["role"], why["reason_code"]) == (group["facilitator"]["id"], "facilitator", "weekday")
        assert why["text"] == f"{group['facilitator']['name']} (begeleider) kan op woensdag niet."
    unchanged = admin.get(f"/v1/sessions/{session.json['id']}")
    assert (unchanged.json["start"], unchanged.json["sequence"], unchanged.headers["ETag"]) == (
        session.json["start"], 0, session.headers["ETag"])
    # Without a start there is nothing to allow: the session stays as it is.
    alone = admin.patch(f"/v1/sessions/{session.json['id']}", json={"allow_absent": True})
    assert (alone.status_code, alone.json["start"], alone.json["sequence"]) == (200, session.json["start"], 0)


def test_reinstating_a_guided_session_its_facilitator_can_no_longer_attend_is_refused_unless_allowed(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    first = run["plan"]["sessions"][0]
    assert first["kind"] == "guided"
    assert admin.patch(f"/v1/sessions/{first['id']}", json={"status": "cancelled"}).status_code == 200
    facilitator = group["facilitator"]["id"]
    admin.patch(f"/v1/facilitators/{facilitator}", json={"availability": WEDNESDAY_MORNING})
    refused = admin.patch(f"/v1/sessions/{first['id']}", json={"status": "scheduled"})
    assert refused.status_code == 409, refused.json
    assert (refused.json["reason"], refused.json["person_id"], refused.json["placed_session_id"]) == (
        "facilitator-unavailable", facilitator, first["id"])
    [why] = refused.json["explanations"]
    assert (why["person_id"], why["reason_code"]) == (facilitator, "weekday")
    unchanged = admin.get(f"/v1/sessions/{first['id']}").json
    assert (unchanged["status"], unchanged["sequence"]) == ("cancelled", 1)
    allowed = admin.patch(f"/v1/sessions/{first['id']}", json={"status": "scheduled", "allow_absent": True})
    assert allowed.status_code == 200, allowed.json
    assert (allowed.json["status"], allowed.json["start"], allowed.json["absent_ids"]) == ("scheduled", first["start"], [facilitator])


def test_cancelling_a_session(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    session_id = run["plan"]["sessions"][4]["id"]
    response = admin.patch(f"/v1/sessions/{session_id}", json={"status": "cancelled"})
    assert response.status_code == 200
    assert (response.json["status"], response.json["sequence"]) == ("cancelled", 1)


def test_moving_a_session_into_the_past_or_a_past_session_is_refused(admin, worker, group, clock):
    run = run_to_completion(admin, worker, group["id"])
    first, second = run["plan"]["sessions"][:2]
    response = admin.patch(f"/v1/sessions/{second['id']}", json={"start": "2026-01-01T19:00:00+01:00"})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "start"
    clock.now = clock.now.replace(year=2027, month=1, day=20)
    assert admin.patch(f"/v1/sessions/{first['id']}", json={"status": "cancelled"}).status_code == 409


def test_a_session_patch_needs_something_to_change(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    response = admin.patch(f"/v1/sessions/{run['plan']['sessions'][0]['id']}", json={})
    assert response.status_code == 422
    bad = admin.patch(f"/v1/sessions/{run['plan']['sessions'][0]['id']}", json={"start": "2027-02-10T19:00:00"})
    assert bad.status_code == 422
    assert bad.json["errors"][0]["field"] == "start"
