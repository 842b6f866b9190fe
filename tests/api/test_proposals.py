"""Group proposals through the API: asked, composed by the stub-broker worker, read, accepted."""

from __future__ import annotations

import pytest

from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING

THURSDAY_MORNING = {"weekly": [{"day": "thu", "start": "09:00", "end": "11:00"}]}


@pytest.fixture
def pool(admin):
    """Eight intern begeleiders from eight schools sharing a theme and Tuesday evenings, one
    loner with another theme, and one more whose only free time nobody shares."""
    people = [
        admin.post("/v1/participants", json=payloads.participant(n, availability=TUESDAY_EVENING, themes=["ouderbetrokkenheid"])).json
        for n in range(8)
    ]
    loner = admin.post("/v1/participants", json=payloads.participant(20, availability=TUESDAY_EVENING, themes=["gedrag"])).json
    odd_one = admin.post("/v1/participants", json=payloads.participant(21, availability=THURSDAY_MORNING, themes=["ouderbetrokkenheid"])).json
    return people, loner, odd_one


def ask(admin, worker, **changes) -> dict:
    body = {"group_by": "theme", "starts_on": "2027-01-11", **changes}
    if "participant_ids" not in body:
        body["filters"] = {"unassigned": True}
    response = admin.post("/v1/group-proposals", json=body)
    assert response.status_code == 202, response.json
    assert response.headers["Location"] == f"/v1/group-proposals/{response.json['id']}"
    worker.drain()
    proposal = admin.get(response.headers["Location"]).json
    assert proposal["status"] == "succeeded", proposal
    return proposal


def test_a_proposal_places_everyone_it_can_in_groups_near_the_ideal_size(admin, worker, pool):
    people, loner, odd_one = pool
    proposal = ask(admin, worker)
    sizes = sorted(len(g["member_ids"]) for g in proposal["groups"])
    assert sizes == [4, 4]  # eight people: two groups of four are nearer five than one of eight
    placed = {m for g in proposal["groups"] for m in g["member_ids"]}
    assert placed == {p["id"] for p in people}
    assert {g["key"] for g in proposal["groups"]} == {"ouderbetrokkenheid"}
    assert all(g["slot"]["weekday"] == "tue" for g in proposal["groups"])
    reasons = {u["participant_id"]: u["reason"] for u in proposal["unplaced"]}
    assert set(reasons) == {loner["id"], odd_one["id"]}
    assert all(reasons.values())
    assert proposal["optimal"] is True


def test_accepting_creates_the_groups_once_and_can_start_their_plans(admin, worker, pool):
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator(availability=TUESDAY_EVENING)).json
    proposal = ask(admin, worker)
    url = f"/v1/group-proposals/{proposal['id']}/accept"
    first = admin.post(url, json={"facilitator_id": facilitator["id"], "schedule": True})
    assert first.status_code == 200, first.json
    group_ids = first.json["accepted_group_ids"]
    assert len(group_ids) == 2
    again = admin.post(url, json={"facilitator_id": facilitator["id"], "schedule": True})
    assert again.json["accepted_group_ids"] == group_ids
    assert len(admin.get("/v1/groups").json) == 2
    for group_id, proposed in zip(group_ids, proposal["groups"], strict=True):
        group = admin.get(f"/v1/groups/{group_id}").json
        assert [m["participant_id"] for m in group["members"]] == proposed["member_ids"]
        assert group["theme"] == "ouderbetrokkenheid" and group["facilitator_id"] == facilitator["id"]
    assert again.json["batch_id"] == first.json["batch_id"] is not None  # planned together, once
    worker.drain()
    batch = admin.get(f"/v1/scheduling-batches/{first.json['batch_id']}").json
    assert batch["status"] == "finished"
    assert [run["group_id"] for run in batch["runs"]] == group_ids
    for group_id in group_ids:
        sessions = admin.get(f"/v1/groups/{group_id}/sessions?page_size=50").json
        assert len(sessions) == 9 and sessions[0]["start"].startswith("2027-01-")


def test_a_proposal_must_finish_before_it_is_accepted(admin, pool):
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator()).json
    queued = admin.post("/v1/group-proposals", json={"filters": {}, "group_by": "role", "starts_on": "2027-01-11"}).json
    response = admin.post(f"/v1/group-proposals/{queued['id']}/accept", json={"facilitator_id": facilitator["id"]})
    assert response.status_code == 409


def test_a_pool_by_ids_and_bad_requests(admin, worker, pool):
    people, _, _ = pool
    proposal = ask(admin, worker, participant_ids=[p["id"] for p in people[:3]])
    assert [len(g["member_ids"]) for g in proposal["groups"]] == [3]
    unknown = admin.post("/v1/group-proposals", json={"participant_ids": ["8d7a2f52-0000-4000-8000-000000000000"], "group_by": "theme", "starts_on": "2027-01-11"})
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "participant_ids"
    neither = admin.post("/v1/group-proposals", json={"group_by": "theme", "starts_on": "2027-01-11"})
    assert neither.status_code == 422
    sizes = admin.post("/v1/group-proposals", json={"filters": {}, "group_by": "theme", "starts_on": "2027-01-11", "min_size": 6, "ideal_size": 5})
    assert sizes.status_code == 422 and sizes.json["errors"][0]["field"] == "ideal_size"


def test_platforms_cannot_compose_groups(platform):
    response = platform.post("/v1/group-proposals", json={"filters": {}, "group_by": "theme", "starts_on": "2027-01-11"})
    assert response.status_code == 403
