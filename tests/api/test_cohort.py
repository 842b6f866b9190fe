"""Many groups, one calendar, through the API: runs plan around other groups' sessions, moves and
joins that would book someone twice are 409, facilitators' capacity, and scheduling batches; and
the rules at their edges (one minute of overlap, a break off the 15-minute grid, a facilitator's
own week far from UTC)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.scheduler import jobs
from shared.db.models import SchedulingRun
from shared.domain.planning import find_plan
from shared.use_cases import scheduling
from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING, run_to_completion

TUESDAY_AND_THURSDAY = {"weekly": [{"day": "tue", "start": "19:00", "end": "21:30"}, {"day": "thu", "start": "19:00", "end": "21:30"}]}
# Free only on the second Tuesdays of January, February and March 2027.
ONLY_THREE_TUESDAYS = {
    "weekly": [{"day": "tue", "start": "19:00", "end": "21:30"}],
    "unavailable": [
        {"start": "2027-01-01", "end": "2027-01-11"},
        {"start": "2027-01-13", "end": "2027-02-08"},
        {"start": "2027-02-10", "end": "2027-03-08"},
        {"start": "2027-03-10", "end": "2028-12-31"},
    ],
}


def new_group(admin, facilitator_id: str, availability: dict, first: int, count: int = 4, **changes) -> dict:
    group = admin.post("/v1/groups", json=payloads.group(facilitator_id=facilitator_id, **changes)).json
    for n in range(first, first + count):
        person = admin.post("/v1/participants", json=payloads.participant(n, availability=availability)).json
        assert admin.put(f"/v1/groups/{group['id']}/members/{person['id']}").status_code == 200
    return group


def sessions_of(admin, group_id: str) -> list[dict]:
    return admin.get(f"/v1/groups/{group_id}/sessions?page_size=50").json


def overlapping(first: list[dict], second: list[dict], kinds=("guided", "self_directed")) -> list[tuple[str, str]]:
    """Pairs of scheduled sessions of two groups that overlap (of ``kinds``: a facilitator has
    only the guided sessions)."""

    def span(s):
        return datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"])

    def held(sessions):
        return [s for s in sessions if s["status"] == "scheduled" and s["kind"] in kinds]

    return [(a["id"], b["id"]) for a in held(first) for b in held(second) if span(a)[0] < span(b)[1] and span(b)[0] < span(a)[1]]


def test_a_second_group_of_the_same_facilitator_is_planned_around_the_first(admin, worker, group):
    first = run_to_completion(admin, worker, group["id"])
    assert first["plan"]["sessions"][0]["start"] == "2027-01-12T19:00:00+01:00"
    second_group = new_group(admin, group["facilitator"]["id"], TUESDAY_EVENING, first=10)
    second = run_to_completion(admin, worker, second_group["id"])
    assert second["status"] == "succeeded", second
    guided = [s for s in sessions_of(admin, second_group["id"]) if s["kind"] == "guided"]
    assert [s["start"] for s in guided] == ["2027-01-19T19:00:00+01:00", "2027-02-16T19:00:00+01:00", "2027-03-16T19:00:00+01:00"]
    assert overlapping(sessions_of(admin, group["id"]), guided, kinds=("guided",)) == []
    # A re-run is not kept away by its own sessions: it keeps them where they are.
    again = run_to_completion(admin, worker, group["id"])
    assert again["plan"]["changes"] == {"created": 0, "moved": 0, "changed": 0, "cancelled": 0}


def test_a_participant_in_two_groups_is_never_booked_twice(admin, worker, group):
    run_to_completion(admin, worker, group["id"])
    other = admin.post("/v1/facilitators", json=payloads.facilitator(name="Otto", email="otto@example.org")).json
    second_group = new_group(admin, other["id"], TUESDAY_EVENING, first=20, count=2)
    shared = group["member_list"][0]
    assert admin.put(f"/v1/groups/{second_group['id']}/members/{shared['id']}").status_code == 200  # no sessions yet
    run = run_to_completion(admin, worker, second_group["id"])
    assert run["status"] == "succeeded", run
    assert run["plan"]["sessions"][0]["start"] == "2027-01-19T19:00:00+01:00"  # the 12th is taken
    assert overlapping(sessions_of(admin, group["id"]), sessions_of(admin, second_group["id"])) == []


def test_joining_a_group_whose_sessions_clash_with_your_own_is_409(admin, worker, group):
    run_to_completion(admin, worker, group["id"])
    other = admin.post("/v1/facilitators", json=payloads.facilitator(name="Otto", email="otto@example.org")).json
    second_group = new_group(admin, other["id"], TUESDAY_EVENING, first=20, count=3)
    run_to_completion(admin, worker, second_group["id"])
    clash = [s for s in sessions_of(admin, second_group["id"]) if s["number"] == 1][0]
    moved = admin.patch(f"/v1/sessions/{clash['id']}", json={"start": "2027-01-12T19:30:00+01:00"})
    assert moved.status_code == 200, moved.json  # nobody of this group is booked then (yet)
    newcomer = group["member_list"][1]
    response = admin.put(f"/v1/groups/{second_group['id']}/members/{newcomer['id']}")
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "/problems/schedule-conflict"
    first_session = sessions_of(admin, group["id"])[0]
    assert {"session_id": first_session["id"], "person_id": newcomer["id"], "reason": "overlap",
            "source": "session", "placed_session_id": clash["id"]} in response.json["conflicts"]
    assert newcomer["id"] not in [m["participant_id"] for m in admin.get(f"/v1/groups/{second_group['id']}").json["members"]]


def test_a_new_facilitator_who_is_booked_then_is_409(admin, worker, group):
    run_to_completion(admin, worker, group["id"])
    other = admin.post("/v1/facilitators", json=payloads.facilitator(name="Otto", email="otto@example.org")).json
    second_group = new_group(admin, other["id"], TUESDAY_EVENING, first=20)
    run_to_completion(admin, worker, second_group["id"])  # Otto is free on the second Tuesdays too
    response = admin.patch(f"/v1/groups/{second_group['id']}", json={"facilitator_id": group["facilitator"]["id"]})
    assert response.status_code == 409
    assert {c["person_id"] for c in response.json["conflicts"]} == {group["facilitator"]["id"]}
    assert admin.get(f"/v1/groups/{second_group['id']}").json["facilitator_id"] == other["id"]


def test_a_move_onto_another_session_of_someone_it_books_is_409_and_changes_nothing(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    second_group = new_group(admin, group["facilitator"]["id"], TUESDAY_EVENING, first=10)
    run_to_completion(admin, worker, second_group["id"])
    mine = [s for s in sessions_of(admin, second_group["id"]) if s["number"] == 2][0]
    taken = run["plan"]["sessions"][1]  # 9 February, 19:00, with the same facilitator
    response = admin.patch(f"/v1/sessions/{mine['id']}", json={"start": "2027-02-09T19:30:00+01:00"})
    assert response.status_code == 409
    assert response.json["type"] == "/problems/schedule-conflict"
    assert response.json["conflicts"] == [
        {"session_id": taken["id"], "person_id": group["facilitator"]["id"], "reason": "overlap", "source": "session", "placed_session_id": mine["id"]},
    ]
    assert admin.get(f"/v1/sessions/{mine['id']}").json == mine
    # Back to back is no conflict, unless the facilitator asked for a break.
    facilitator = f"/v1/facilitators/{group['facilitator']['id']}"
    admin.patch(facilitator, json={"availability": {"weekly": [{"day": "tue", "start": "17:00", "end": "21:30"}]}})
    back_to_back = admin.patch(f"/v1/sessions/{mine['id']}", json={"start": "2027-02-09T17:30:00+01:00"})
    assert back_to_back.status_code == 200 and group["facilitator"]["id"] not in back_to_back.json["absent_ids"]
    admin.patch(facilitator, json={"capacity": {"break_minutes": 15}})
    response = admin.patch(f"/v1/sessions/{mine['id']}", json={"start": "2027-02-09T17:20:00+01:00"})
    assert response.status_code == 409 and response.json["conflicts"][0]["reason"] == "break"
    # Someone who cannot attend anyway is not booked by the session: no conflict for them.
    admin.patch(facilitator, json={"availability": TUESDAY_EVENING})
    assert admin.patch(f"/v1/sessions/{mine['id']}", json={"start": "2027-02-09T19:15:00+01:00"}).status_code == 409
    # (She cannot attend a guided session then: only allow_absent moves it there, without her.)
    unavailable = admin.patch(f"/v1/sessions/{mine['id']}", json={"start": "2027-02-09T17:15:00+01:00", "allow_absent": True})
    assert unavailable.status_code == 200 and group["facilitator"]["id"] in unavailable.json["absent_ids"]


def test_reinstating_a_session_whose_time_someone_took_since_is_409(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    first = run["plan"]["sessions"][0]
    assert admin.patch(f"/v1/sessions/{first['id']}", json={"status": "cancelled"}).status_code == 200
    second_group = new_group(admin, group["facilitator"]["id"], TUESDAY_EVENING, first=10)
    second = run_to_completion(admin, worker, second_group["id"])
    assert second["plan"]["sessions"][0]["start"] == first["start"]  # the freed evening is used
    response = admin.patch(f"/v1/sessions/{first['id']}", json={"status": "scheduled"})
    assert response.status_code == 409
    assert admin.get(f"/v1/sessions/{first['id']}").json["status"] == "cancelled"


# -- capacity ----------------------------------------------------------------------------------


def test_a_facilitators_capacity_is_stored_shown_and_replaced_whole(admin):
    created = admin.post("/v1/facilitators", json=payloads.facilitator(capacity={"max_sessions_per_week": 2, "break_minutes": 30}))
    assert created.status_code == 201, created.json
    assert created.json["capacity"] == {"max_sessions_per_day": None, "max_sessions_per_week": 2, "break_minutes": 30}
    plain = admin.post("/v1/facilitators", json=payloads.facilitator()).json
    assert plain["capacity"] is None
    url = f"/v1/facilitators/{created.json['id']}"
    changed = admin.patch(url, json={"capacity": {"max_sessions_per_day": 1}})
    assert changed.json["capacity"] == {"max_sessions_per_day": 1, "max_sessions_per_week": None, "break_minutes": None}
    assert admin.patch(url, json={"capacity": None}).json["capacity"] is None


@pytest.mark.parametrize(
    ("capacity", "field"),
    [
        ({"max_sessions_per_day": 0}, "capacity.max_sessions_per_day"),
        ({"max_sessions_per_week": -1}, "capacity.max_sessions_per_week"),
        ({"break_minutes": 2.5}, "capacity.break_minutes"),
        ({"break_minutes": "30"}, "capacity.break_minutes"),
        ({"max_sessions_per_day": True}, "capacity.max_sessions_per_day"),
        ({"per_month": 3}, "capacity.per_month"),
        ([1, 2], "capacity"),
    ],
)
def test_capacity_takes_positive_integers_only(admin, capacity, field):
    response = admin.post("/v1/facilitators", json=payloads.facilitator(capacity=capacity))
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert [e["field"] for e in response.json["errors"]] == [field]
    assert admin.get("/v1/facilitators").json == []


def test_a_weekly_limit_keeps_the_facilitators_groups_in_different_weeks(admin, worker, group):
    admin.patch(f"/v1/facilitators/{group['facilitator']['id']}", json={"capacity": {"max_sessions_per_week": 1}})
    run_to_completion(admin, worker, group["id"])
    thursday_group = new_group(admin, group["facilitator"]["id"], TUESDAY_AND_THURSDAY, first=10)
    admin.patch(f"/v1/facilitators/{group['facilitator']['id']}", json={"availability": TUESDAY_AND_THURSDAY})
    run = run_to_completion(admin, worker, thursday_group["id"])
    # Thursday 14 January would be free, but it is in the week of Tuesday the 12th.
    assert run["plan"]["sessions"][0]["start"] == "2027-01-19T19:00:00+01:00"


def test_diagnostics_say_who_is_booked_and_by_which_session(admin, worker, group):
    first = run_to_completion(admin, worker, group["id"])
    admin.patch(f"/v1/facilitators/{group['facilitator']['id']}", json={"capacity": {"max_sessions_per_week": 1}})
    blocked = new_group(admin, group["facilitator"]["id"], ONLY_THREE_TUESDAYS, first=10)
    run = run_to_completion(admin, worker, blocked["id"])
    assert run["status"] == "infeasible"
    assert run["diagnostics"]["blockers"] == [group["facilitator"]["id"]]
    best = run["diagnostics"]["months"][0]["best_slots"][0]
    assert best["start"] == "2027-01-12T19:00:00+01:00"
    assert best["absent_ids"] == [group["facilitator"]["id"]]
    assert best["booked"] == [
        {"person_id": group["facilitator"]["id"], "session_id": first["plan"]["sessions"][0]["id"], "reason": "overlap", "source": "session"},
    ]


# -- batches -----------------------------------------------------------------------------------


def batch_to_completion(admin, worker, group_ids: list[str]) -> dict:
    response = admin.post("/v1/scheduling-batches", json={"group_ids": group_ids})
    assert response.status_code == 202, response.json
    assert response.json["status"] == "queued"
    assert [run["group_id"] for run in response.json["runs"]] == group_ids
    assert response.headers["Location"] == f"/v1/scheduling-batches/{response.json['id']}"
    worker.drain()
    batch = admin.get(response.headers["Location"])
    assert batch.status_code == 200
    return batch.json


def test_a_batch_plans_what_planning_one_by_one_misses(admin, worker):
    """Group A can meet on Tuesday or Thursday, group B only on three Tuesdays, and their
    facilitator once an evening: planned first, A takes the earliest Tuesday and B is left
    without; planned together, both are planned."""
    # Windows of one session each, so that the batch sees every series there is and can prove
    # its answer optimal.
    one_session = [{"day": day, "start": "19:00", "end": "20:30"} for day in ("tue", "thu")]
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator(
        availability={"weekly": one_session}, capacity={"max_sessions_per_day": 1},
    )).json
    a = new_group(admin, facilitator["id"], {"weekly": one_session}, first=1, name="A")
    b = new_group(admin, facilitator["id"], {**ONLY_THREE_TUESDAYS, "weekly": one_session[:1]}, first=10, name="B")
    assert run_to_completion(admin, worker, a["id"])["plan"]["sessions"][0]["start"] == "2027-01-12T19:00:00+01:00"
    alone = run_to_completion(admin, worker, b["id"])
    assert alone["status"] == "infeasible"

    batch = batch_to_completion(admin, worker, [a["id"], b["id"]])
    assert batch["status"] == "finished" and batch["finished_at"] is not None
    assert batch["optimal"] is True
    assert (batch["planned"], batch["upper_bound"], batch["progress"]) == (2, 2, {"planned": 2, "total": 2})
    runs = [admin.get(f"/v1/scheduling-runs/{run['id']}").json for run in batch["runs"]]
    assert [run["status"] for run in runs] == ["succeeded", "succeeded"]
    assert all(run["batch_id"] == batch["id"] for run in runs)
    a_sessions, b_sessions = sessions_of(admin, a["id"]), sessions_of(admin, b["id"])
    assert [s["start"] for s in b_sessions if s["kind"] == "guided"] == [
        "2027-01-12T19:00:00+01:00", "2027-02-09T19:00:00+01:00", "2027-03-09T19:00:00+01:00",
    ]
    assert a_sessions[0]["start"] == "2027-01-14T19:00:00+01:00"  # A moved to Thursday
    assert overlapping(a_sessions, b_sessions, kinds=("guided",)) == []
    assert a_sessions[0]["sequence"] == 1  # the same session, moved


def test_a_batch_answers_each_group_with_an_ordinary_run(admin, worker, group):
    facilitator = group["facilitator"]["id"]
    others = [new_group(admin, facilitator, TUESDAY_EVENING, first=10 * n, name=f"Groep {n}") for n in (1, 2)]
    ids = [group["id"], *(g["id"] for g in others)]
    batch = batch_to_completion(admin, worker, ids)
    assert [run["status"] for run in batch["runs"]] == ["succeeded"] * 3
    firsts = sorted(admin.get(f"/v1/scheduling-runs/{run['id']}").json["plan"]["sessions"][0]["start"] for run in batch["runs"])
    assert firsts == ["2027-01-12T19:00:00+01:00", "2027-01-19T19:00:00+01:00", "2027-01-26T19:00:00+01:00"]
    for first_id in ids:
        for second_id in ids:
            if first_id < second_id:
                assert overlapping(sessions_of(admin, first_id), sessions_of(admin, second_id), kinds=("guided",)) == []
    assert admin.post(f"/v1/groups/{group['id']}/scheduling-runs").status_code == 202  # no longer in flight


def test_batch_requests_are_checked_before_anything_is_recorded(admin, platform, scheduler, group):
    empty = admin.post("/v1/groups", json=payloads.group(name="Leeg")).json
    unknown = str(uuid.uuid4())
    for body, fields in [
        ({"group_ids": []}, ["group_ids"]),
        ({"group_ids": [group["id"], group["id"]]}, ["group_ids"]),
        ({"group_ids": [str(uuid.uuid4()) for _ in range(1001)]}, ["group_ids"]),
        ({"group_ids": ["not-a-uuid"]}, ["group_ids.0"]),
        ({}, ["group_ids"]),
        ({"group_ids": [group["id"], unknown]}, ["group_ids.1"]),
        ({"group_ids": [empty["id"], group["id"]]}, ["group_ids.0"]),
    ]:
        response = admin.post("/v1/scheduling-batches", json=body)
        assert response.status_code == 422, (body, response.json)
        assert [e["field"] for e in response.json["errors"]] == fields, response.json
    assert platform.post("/v1/scheduling-batches", json={"group_ids": [group["id"]]}).status_code == 403
    assert admin.get(f"/v1/scheduling-batches/{uuid.uuid4()}").status_code == 404
    in_flight = admin.post(f"/v1/groups/{group['id']}/scheduling-runs")
    response = admin.post("/v1/scheduling-batches", json={"group_ids": [group["id"]]})
    assert response.status_code == 409 and in_flight.json["id"] in response.json["detail"], (in_flight.json, response.json)
    scheduler.start_consuming()  # only now, so the run is still in flight while the batch asks
    scheduler.drain()
    assert admin.get(f"/v1/scheduling-runs/{in_flight.json['id']}").json["status"] == "succeeded"


def test_a_run_of_a_batch_is_planned_with_its_batch_never_on_its_own(admin, platform, scheduler, group):
    batch = admin.post("/v1/scheduling-batches", json={"group_ids": [group["id"]]}).json
    polled = admin.get(f"/v1/scheduling-batches/{batch['id']}")
    assert polled.json["status"] == "queued" and polled.headers["Retry-After"] == "1"
    assert platform.get(f"/v1/scheduling-batches/{batch['id']}").status_code == 403
    run_id = batch["runs"][0]["id"]
    assert jobs.plan_run(scheduler.runtime, uuid.UUID(run_id)) == "skipped: run is queued"
    assert admin.get(f"/v1/scheduling-runs/{run_id}").json["status"] == "queued"
    assert jobs.plan_batch(scheduler.runtime, uuid.UUID(batch["id"])) == "finished: 1 of 1 planned (optimal: True)"
    assert admin.get(f"/v1/scheduling-runs/{run_id}").json["status"] == "succeeded"
    assert jobs.plan_batch(scheduler.runtime, uuid.UUID(batch["id"])) == "skipped: batch is finished"


def test_a_batch_whose_message_was_lost_is_planned_by_the_sweep(admin, scheduler, group, clock, monkeypatch):
    def broker_down(message, *, delay=None):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(scheduler.broker, "enqueue", broker_down)
    response = admin.post("/v1/scheduling-batches", json={"group_ids": [group["id"]]})
    assert response.status_code == 202
    monkeypatch.undo()
    clock.now += timedelta(seconds=scheduler.settings.sweep_seconds + 1)
    scheduler.start_consuming()
    scheduler.drain()
    batch = admin.get(response.headers["Location"]).json
    assert batch["status"] == "finished" and batch["runs"][0]["status"] == "succeeded"


def test_a_run_that_loses_a_race_plans_again_under_the_lock(admin, scheduler, session_factory, group, clock):
    """Two groups of one facilitator planned at once: the second writer finds the first's
    sessions where it planned its own, and plans again instead of booking her twice."""
    second_group = new_group(admin, group["facilitator"]["id"], TUESDAY_EVENING, first=10)
    first_run = admin.post(f"/v1/groups/{group['id']}/scheduling-runs").json
    second_run = admin.post(f"/v1/groups/{second_group['id']}/scheduling-runs").json
    runtime = scheduler.runtime
    with session_factory.begin() as session:
        for run in (first_run, second_run):
            assert scheduling.claim_run(session, uuid.UUID(run["id"]), runtime.name, clock.now, timedelta(minutes=1))
    with session_factory() as session:  # both plan from the same picture: nobody booked yet
        stale = [find_plan(scheduling.load_run_input(session, uuid.UUID(run["id"]), clock.now)) for run in (first_run, second_run)]
    assert stale[0].sessions[0].start == stale[1].sessions[0].start
    for run, result in zip((first_run, second_run), stale):
        with session_factory.begin() as session:
            assert scheduling.record_result(session, uuid.UUID(run["id"]), runtime.name, result, clock.now) is not None
    second = admin.get(f"/v1/scheduling-runs/{second_run['id']}").json
    assert second["status"] == "succeeded"
    assert second["plan"]["sessions"][0]["start"] == "2027-01-19T19:00:00+01:00"
    assert overlapping(sessions_of(admin, group["id"]), sessions_of(admin, second_group["id"]), kinds=("guided",)) == []
    with session_factory() as session:
        assert session.get(SchedulingRun, uuid.UUID(second_run["id"])).attempts == 1


def test_a_batch_that_loses_a_race_plans_the_affected_groups_again(admin, scheduler, session_factory, clock):
    """While a batch is being solved, a single run books its facilitator where the batch meant
    to: the batch's write notices, plans again around it, and does not claim optimality."""
    from shared.domain.cohort import plan_cohort
    from shared.use_cases import batches

    one_session = {"weekly": [{"day": "tue", "start": "19:00", "end": "20:30"}]}
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator(availability=one_session)).json["id"]
    group, second_group, outsider = (new_group(admin, facilitator, one_session, first=10 * n) for n in (1, 2, 3))
    batch = admin.post("/v1/scheduling-batches", json={"group_ids": [group["id"], second_group["id"]]}).json
    runtime = scheduler.runtime
    with session_factory.begin() as session:
        assert batches.claim(session, uuid.UUID(batch["id"]), runtime.name, clock.now)
    with session_factory() as session:
        inputs = batches.load_input(session, uuid.UUID(batch["id"]), clock.now)
    result = plan_cohort(inputs)
    assert result.optimal
    assert jobs.plan_run(runtime, uuid.UUID(admin.post(f"/v1/groups/{outsider['id']}/scheduling-runs").json["id"])) == "plan"
    with session_factory.begin() as session:
        assert batches.record(session, uuid.UUID(batch["id"]), runtime.name, result, [g.key for g in inputs], clock.now)
    finished = admin.get(f"/v1/scheduling-batches/{batch['id']}").json
    assert finished["optimal"] is False
    assert [run["status"] for run in finished["runs"]] == ["succeeded", "succeeded"]
    everyone = [sessions_of(admin, g["id"]) for g in (group, second_group, outsider)]
    for first in range(3):
        for second in range(first + 1, 3):
            assert overlapping(everyone[first], everyone[second], kinds=("guided",)) == []


def test_the_plans_behind_a_proposal_keep_away_from_the_facilitators_other_sessions(admin, worker, group, session_factory, clock):
    from shared.use_cases import proposals

    run = run_to_completion(admin, worker, group["id"])
    pool = [admin.post("/v1/participants", json=payloads.participant(30 + n, availability=TUESDAY_EVENING)).json["id"] for n in range(5)]
    asked = admin.post("/v1/group-proposals", json={
        "group_by": "theme", "participant_ids": pool, "starts_on": "2027-01-11", "facilitator_id": group["facilitator"]["id"],
    })
    with session_factory() as session:
        request = proposals.composition_request(session, uuid.UUID(asked.json["id"]), clock.now)
    busy = [(u.start, u.end) for u in request.facilitator.availability.unavailable]
    guided = [s for s in run["plan"]["sessions"] if s["kind"] == "guided"]
    assert [(start.isoformat(), end.isoformat()) for start, end in busy] == [
        (datetime.fromisoformat(s["start"]).astimezone(start.tzinfo).isoformat(), datetime.fromisoformat(s["end"]).astimezone(start.tzinfo).isoformat())
        for s, (start, _) in zip(guided, busy, strict=True)
    ]
    worker.drain()
    proposal = admin.get(f"/v1/group-proposals/{asked.json['id']}").json
    assert proposal["status"] == "succeeded"
    first = proposal["groups"][0]["first_session"]
    assert first not in [s["start"] for s in guided] and first.startswith("2027-01-19T19:00")


def test_a_facilitators_daily_limit_counts_days_in_her_own_time_zone(admin, worker):
    """She lives in New York: 13:00 there is 19:00 in Amsterdam, and 22:30 on the same Tuesday
    there is 04:30 on Wednesday in Amsterdam — another day for the group, the same day for her."""
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator(
        timezone="America/New_York", availability={"weekly": [{"day": "tue", "start": "12:00", "end": "24:00"}]},
        capacity={"max_sessions_per_day": 1},
    )).json
    first = new_group(admin, facilitator["id"], TUESDAY_EVENING, first=1, name="Eerste")
    second = new_group(admin, facilitator["id"], TUESDAY_EVENING, first=10, name="Tweede",
                       constraints={"earliest": "00:00", "latest": "24:00", "weekdays": ["mon", "tue", "wed", "thu", "fri"]})
    taken = run_to_completion(admin, worker, first["id"])["plan"]["sessions"][1]  # Tuesday 9 February, 19:00
    assert taken["start"] == "2027-02-09T19:00:00+01:00"
    mine = run_to_completion(admin, worker, second["id"])["plan"]["sessions"][1]
    response = admin.patch(f"/v1/sessions/{mine['id']}", json={"start": "2027-02-10T04:30:00+01:00"})
    assert response.status_code == 409, response.json
    assert response.json["conflicts"] == [
        {"session_id": taken["id"], "person_id": facilitator["id"], "reason": "day", "source": "session", "placed_session_id": mine["id"]},
    ]
    # The next evening in New York is another day for her.
    assert admin.patch(f"/v1/sessions/{mine['id']}", json={"start": "2027-02-17T04:30:00+01:00"}).status_code == 200


def test_only_sessions_someone_attends_are_their_bookings(admin, worker, group, session_factory, clock):
    """A member listed absent in a session is not booked by it, and a facilitator is not booked
    by her groups' self-directed sessions."""
    from shared.db.models import Session as GroupSession
    from shared.use_cases.bookings import bookings_for

    run = run_to_completion(admin, worker, group["id"])
    guided, self_directed = run["plan"]["sessions"][0], run["plan"]["sessions"][3]
    member = group["member_list"][0]["id"]
    with session_factory.begin() as session:
        session.get(GroupSession, uuid.UUID(self_directed["id"])).absent_ids = [member]
    with session_factory() as session:
        theirs = bookings_for(session, participant_ids=[uuid.UUID(member)], now=clock.now)
        hers = bookings_for(session, facilitator_ids=[uuid.UUID(group["facilitator"]["id"])], now=clock.now)
    assert guided["id"] in {b.session_id for b in theirs}
    assert self_directed["id"] not in {b.session_id for b in theirs}
    assert {b.session_id for b in hers} == {s["id"] for s in run["plan"]["sessions"][:3]}


def test_a_batch_says_which_of_its_own_sessions_left_no_room(admin, worker):
    """Two groups want the same three Tuesdays of one facilitator, once an evening: one gets
    them, and the other's diagnostics name her sessions in that group (real ids)."""
    one_session = {"weekly": [{"day": "tue", "start": "19:00", "end": "20:30"}]}
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator(availability=one_session, capacity={"max_sessions_per_day": 1})).json
    only = {**ONLY_THREE_TUESDAYS, "weekly": one_session["weekly"]}
    first, second = (new_group(admin, facilitator["id"], only, first=10 * n) for n in (1, 2))
    batch = batch_to_completion(admin, worker, [first["id"], second["id"]])
    runs = [admin.get(f"/v1/scheduling-runs/{run['id']}").json for run in batch["runs"]]
    assert [run["status"] for run in runs] == ["succeeded", "infeasible"]
    assert batch["optimal"] is True
    january = runs[1]["diagnostics"]["months"][0]["best_slots"][0]
    assert january["start"] == "2027-01-12T19:00:00+01:00"
    assert january["booked"] == [
        {"person_id": facilitator["id"], "session_id": runs[0]["plan"]["sessions"][0]["id"], "reason": "overlap", "source": "session"},
    ]


# -- at the edges of the rules ---------------------------------------------------------------------


def test_a_move_that_shares_one_minute_with_another_session_of_someone_it_books_is_409(admin, worker, group):
    taken = run_to_completion(admin, worker, group["id"])["plan"]["sessions"][1]  # 9 February, 19:00–20:30
    facilitator = group["facilitator"]["id"]
    admin.patch(f"/v1/facilitators/{facilitator}", json={"availability": {"weekly": [{"day": "tue", "start": "17:00", "end": "23:00"}]}})
    second_group = new_group(admin, facilitator, TUESDAY_EVENING, first=10)
    run_to_completion(admin, worker, second_group["id"])
    mine = [s for s in sessions_of(admin, second_group["id"]) if s["number"] == 2][0]
    for one_minute in ("2027-02-09T17:31:00+01:00", "2027-02-09T20:29:00+01:00"):  # ends at 19:01; starts at 20:29
        response = admin.patch(f"/v1/sessions/{mine['id']}", json={"start": one_minute})
        assert response.status_code == 409, (one_minute, response.json)
        assert response.json["conflicts"] == [
            {"session_id": taken["id"], "person_id": facilitator, "reason": "overlap", "source": "session", "placed_session_id": mine["id"]},
        ]
    assert admin.get(f"/v1/sessions/{mine['id']}").json == mine
    for back_to_back in ("2027-02-09T17:30:00+01:00", "2027-02-09T20:30:00+01:00"):
        moved = admin.patch(f"/v1/sessions/{mine['id']}", json={"start": back_to_back})
        assert moved.status_code == 200, (back_to_back, moved.json)
        assert facilitator not in moved.json["absent_ids"]


def test_a_run_keeps_clear_of_a_session_moved_one_minute_into_its_evening(admin, worker, group):
    first = run_to_completion(admin, worker, group["id"])["plan"]["sessions"][0]  # 12 January, 19:00
    facilitator = group["facilitator"]["id"]
    admin.patch(f"/v1/facilitators/{facilitator}", json={"availability": {"weekly": [{"day": "tue", "start": "17:00", "end": "21:30"}]}})
    moved = admin.patch(f"/v1/sessions/{first['id']}", json={"start": "2027-01-12T17:31:00+01:00"})  # until 19:01
    assert moved.status_code == 200 and facilitator not in moved.json["absent_ids"]
    second_group = new_group(admin, facilitator, TUESDAY_EVENING, first=10)
    run = run_to_completion(admin, worker, second_group["id"])
    assert run["plan"]["sessions"][0]["start"] == "2027-01-12T19:15:00+01:00"


def test_a_batch_keeps_a_break_of_one_minute_between_the_facilitators_groups(admin, worker):
    """One group can meet on Tuesdays 19:00–20:30, the other 20:30–22:00, their facilitator on
    both but with a break of one minute: never the same evening, and the batch knows its plan
    is the best (had its solver put them back to back, the check under lock would have planned
    them again, and the batch would not claim that)."""
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator(
        availability={"weekly": [{"day": "tue", "start": "19:00", "end": "22:00"}]}, capacity={"break_minutes": 1},
    )).json
    early = new_group(admin, facilitator["id"], {"weekly": [{"day": "tue", "start": "19:00", "end": "20:30"}]}, first=1, name="Vroeg")
    late = new_group(admin, facilitator["id"], {"weekly": [{"day": "tue", "start": "20:30", "end": "22:00"}]}, first=10, name="Laat")
    batch = batch_to_completion(admin, worker, [early["id"], late["id"]])
    assert [run["status"] for run in batch["runs"]] == ["succeeded", "succeeded"]
    assert batch["optimal"] is True
    days = [{s["start"][:10] for s in sessions_of(admin, g["id"]) if s["kind"] == "guided"} for g in (early, late)]
    assert len(days[0]) == len(days[1]) == 3 and not days[0] & days[1]


# Her week, not UTC's: ``(zone, her session at the turn of her week, a start in her week of it but
# in another UTC week, a start in another week of hers but in its UTC week)`` — a Sunday evening
# west of UTC is Monday in UTC, a Monday morning east of it still Sunday.
WEEK_TURNS = [
    pytest.param("America/Los_Angeles", "2027-01-10T19:00:00-08:00", "2027-01-07T19:00:00-08:00", "2027-01-12T19:00:00-08:00",
                 id="sunday-evening-west"),
    pytest.param("Asia/Tokyo", "2027-01-11T08:00:00+09:00", "2027-01-13T08:00:00+09:00", "2027-01-08T08:00:00+09:00",
                 id="monday-morning-east"),
]
EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@pytest.mark.parametrize(("zone", "turn", "her_week", "her_other_week"), WEEK_TURNS)
def test_a_weekly_limit_counts_the_facilitators_own_week_where_it_parts_from_utcs(admin, worker, zone, turn, her_week, her_other_week):
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator(
        timezone=zone, capacity={"max_sessions_per_week": 1},
        availability={"weekly": [{"day": day, "start": "06:00", "end": "23:00"} for day in EVERY_DAY]},
    )).json["id"]

    def group_meeting_at(start: str, starts_on: str, first: int) -> dict:
        moment = datetime.fromisoformat(start)
        window = {"day": EVERY_DAY[moment.weekday()], "start": f"{moment:%H:%M}", "end": f"{moment + timedelta(minutes=90):%H:%M}"}
        group = admin.post("/v1/groups", json=payloads.group(
            facilitator_id=facilitator, name=f"Groep {first}", timezone=zone, starts_on=starts_on,
            constraints={"weekdays": EVERY_DAY, "earliest": "06:00", "latest": "23:00"},
        )).json
        for n in range(first, first + 3):
            person = admin.post("/v1/participants", json=payloads.participant(n, timezone=zone, availability={"weekly": [window]})).json
            assert admin.put(f"/v1/groups/{group['id']}/members/{person['id']}").status_code == 200
        return group

    def week(start: str) -> tuple[int, int]:
        return datetime.fromisoformat(start).astimezone(ZoneInfo(zone)).isocalendar()[:2]

    turning = group_meeting_at(turn, turn[:10], first=1)
    at_turn = run_to_completion(admin, worker, turning["id"])["plan"]["sessions"][0]
    assert at_turn["start"] == turn
    weekly = group_meeting_at(her_week, min(her_week, her_other_week)[:10], first=10)
    mine = run_to_completion(admin, worker, weekly["id"])["plan"]["sessions"][0]
    assert datetime.fromisoformat(mine["start"]) == datetime.fromisoformat(her_week) + timedelta(days=7)
    # Moved by hand: into her week of the turn is 409, into the week before or after it is not.
    response = admin.patch(f"/v1/sessions/{mine['id']}", json={"start": her_week})
    assert response.status_code == 409, response.json
    assert response.json["conflicts"] == [
        {"session_id": at_turn["id"], "person_id": facilitator, "reason": "week", "source": "session", "placed_session_id": mine["id"]},
    ]
    moved = admin.patch(f"/v1/sessions/{mine['id']}", json={"start": her_other_week})
    assert moved.status_code == 200, moved.json
    assert facilitator not in moved.json["absent_ids"]
    # Planned again together: one session of hers a week, and the batch knows its plan is the best.
    batch = batch_to_completion(admin, worker, [turning["id"], weekly["id"]])
    assert [run["status"] for run in batch["runs"]] == ["succeeded", "succeeded"]
    assert batch["optimal"] is True
    guided = [s["start"] for g in (turning, weekly) for s in sessions_of(admin, g["id"]) if s["kind"] == "guided" and s["status"] == "scheduled"]
    assert len(guided) == len({week(start) for start in guided}) == 6, guided
