"""A group with the participants of two platforms: each platform is shown the answers and
absences of its own participants and of the facilitator, the others only counted — in a session,
the group's session list, alternatives, a run's plan and diagnostics, and the session.at_risk
event its endpoints receive. The organiser is shown everyone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.config import Settings
from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING, WEDNESDAY_MORNING, run_to_completion
from tests.webhook_receiver import webhook_receiver

TUESDAY_AND_THURSDAY = {"weekly": [{"day": "tue", "start": "19:00", "end": "21:30"}, {"day": "thu", "start": "19:00", "end": "21:30"}]}
NOBODY_HIDDEN = {"accepted": 0, "tentative": 0, "declined": 0, "needs_action": 0, "absent": 0, "conflicts": 0}


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(database_url=database_url, public_url="http://intervisie.test", webhook_allow_private=True, secret_key="test-secret")


@pytest.fixture
def mixed(admin, platform, other_platform):
    """A facilitator (the organiser's) and four members: a1 and a2 of `platform`, b1 and b2 of
    `other_platform`. Everyone can meet on Tuesday and Thursday evenings, but b2 on Tuesdays only."""
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator(availability=TUESDAY_AND_THURSDAY)).json
    group = admin.post("/v1/groups", json=payloads.group(facilitator_id=facilitator["id"], constraints={"self_directed_quorum": 3})).json
    people = {}
    for n, (name, caller) in enumerate([("a1", platform), ("a2", platform), ("b1", other_platform), ("b2", other_platform)]):
        availability = TUESDAY_EVENING if name == "b2" else TUESDAY_AND_THURSDAY
        person = caller.post("/v1/participants", json=payloads.participant(n, availability=availability)).json
        assert admin.put(f"/v1/groups/{group['id']}/members/{person['id']}").status_code == 200
        people[name] = person["id"]
    return {"group": group, "facilitator": facilitator["id"], **people}


def answer(caller, session_id: str, person_id: str, response: str) -> None:
    recorded = caller.put(f"/v1/sessions/{session_id}/attendance/{person_id}", json={"response": response})
    assert recorded.status_code == 200, recorded.json


def responses(session: dict) -> dict[str, str]:
    return {a["person_id"]: a["response"] for a in session["attendance"]}


def test_each_platform_is_shown_the_answers_of_its_own_people_and_the_facilitator_and_counts_of_the_rest(
    admin, platform, other_platform, worker, mixed
):
    run = run_to_completion(admin, worker, mixed["group"]["id"])
    session_id = run["plan"]["sessions"][0]["id"]
    answer(platform, session_id, mixed["a1"], "accepted")
    answer(other_platform, session_id, mixed["b1"], "declined")
    answer(other_platform, session_id, mixed["b2"], "tentative")
    answer(admin, session_id, mixed["facilitator"], "accepted")

    mine = platform.get(f"/v1/sessions/{session_id}").json
    assert responses(mine) == {mixed["facilitator"]: "accepted", mixed["a1"]: "accepted", mixed["a2"]: "needs_action"}
    assert mine["others"] == {**NOBODY_HIDDEN, "declined": 1, "tentative": 1}
    assert mine["at_risk"] is True  # b1's decline counts, though b1 is not named

    theirs = other_platform.get(f"/v1/sessions/{session_id}").json
    assert responses(theirs) == {mixed["facilitator"]: "accepted", mixed["b1"]: "declined", mixed["b2"]: "tentative"}
    assert theirs["others"] == {**NOBODY_HIDDEN, "accepted": 1, "needs_action": 1}

    everyone = admin.get(f"/v1/sessions/{session_id}").json
    assert [a["person_id"] for a in everyone["attendance"]] == [mixed[k] for k in ("facilitator", "a1", "a2", "b1", "b2")]
    assert everyone["others"] == NOBODY_HIDDEN

    # The group's session list shows each platform the same.
    listed = platform.get(f"/v1/groups/{mixed['group']['id']}/sessions?page_size=50").json
    assert [s for s in listed if s["id"] == session_id] == [mine]
    self_directed = listed[3]
    assert {a["person_id"] for a in self_directed["attendance"]} == {mixed["a1"], mixed["a2"]}
    assert self_directed["others"]["needs_action"] == 2


def test_a_platform_is_shown_only_its_own_people_among_those_who_cannot_attend(admin, platform, other_platform, worker, mixed):
    run = run_to_completion(admin, worker, mixed["group"]["id"])
    second = run["plan"]["sessions"][1]
    thursday = datetime.fromisoformat(second["start"]) + timedelta(days=2)  # b2 cannot come on Thursdays
    moved = admin.patch(f"/v1/sessions/{second['id']}", json={"start": thursday.isoformat()})
    assert moved.status_code == 200, moved.json
    assert moved.json["absent_ids"] == [mixed["b2"]]

    mine = platform.get(f"/v1/sessions/{second['id']}").json
    assert mine["absent_ids"] == [] and mine["others"]["absent"] == 1
    theirs = other_platform.get(f"/v1/sessions/{second['id']}").json
    assert theirs["absent_ids"] == [mixed["b2"]] and theirs["others"]["absent"] == 0

    # Alternatives to a self-directed session (quorum 3) include Thursdays without b2.
    self_directed = run["plan"]["sessions"][4]["id"]
    everyone = admin.get(f"/v1/sessions/{self_directed}/alternatives").json
    assert [a["absent_ids"] for a in everyone if a["absent_ids"]], everyone
    for shown_to, own in ((platform, set()), (other_platform, {mixed["b2"]})):
        alternatives = shown_to.get(f"/v1/sessions/{self_directed}/alternatives").json
        assert [a["start"] for a in alternatives] == [a["start"] for a in everyone]
        assert [a["attendees"] for a in alternatives] == [a["attendees"] for a in everyone]
        assert [set(a["absent_ids"]) for a in alternatives] == [set(a["absent_ids"]) & own for a in everyone]


def test_a_run_shows_a_platform_only_its_own_people_among_absentees_and_blockers(admin, platform, other_platform, worker, mixed):
    # b2 is away for the months of the self-directed sessions: they are planned without her.
    away = {**TUESDAY_EVENING, "unavailable": [{"start": "2027-04-01", "end": "2027-12-31"}]}
    assert other_platform.put(f"/v1/participants/{mixed['b2']}/availability", json=away).status_code == 200
    run = run_to_completion(admin, worker, mixed["group"]["id"])
    assert run["status"] == "succeeded", run
    absent = [s["absent_ids"] for s in run["plan"]["sessions"]]
    assert [mixed["b2"]] in absent, absent
    assert [s["absent_ids"] for s in platform.get(f"/v1/scheduling-runs/{run['id']}").json["plan"]["sessions"]] == [[]] * len(absent)
    assert [s["absent_ids"] for s in other_platform.get(f"/v1/scheduling-runs/{run['id']}").json["plan"]["sessions"]] == absent

    # b2 can no longer meet when the others can: the run names her as the blocker.
    assert other_platform.put(f"/v1/participants/{mixed['b2']}/availability", json=WEDNESDAY_MORNING).status_code == 200
    run = run_to_completion(admin, worker, mixed["group"]["id"])
    assert run["status"] == "infeasible", run
    assert run["diagnostics"]["blockers"] == [mixed["b2"]]
    slots = [slot for month in run["diagnostics"]["months"] for slot in month["best_slots"]]
    assert slots and all(mixed["b2"] in slot["absent_ids"] for slot in slots)
    mine = platform.get(f"/v1/scheduling-runs/{run['id']}").json["diagnostics"]
    assert mine["blockers"] == []

    def by_role(explanation: dict) -> dict:
        """What this platform reads of b2: that a member cannot, not who (nor her other session)."""
        if explanation["person_id"] != mixed["b2"]:
            return explanation
        text = "Een deelnemer" + explanation["text"].removeprefix(f"{explanation['name']} (deelnemer)")
        return {**explanation, "person_id": None, "name": None, "session_id": None, "group_id": None, "text": text}

    assert [slot for month in mine["months"] for slot in month["best_slots"]] == [
        {**slot, "absent_ids": [p for p in slot["absent_ids"] if p != mixed["b2"]],
         "explanations": [by_role(e) for e in slot["explanations"]]}
        for slot in slots
    ]
    assert other_platform.get(f"/v1/scheduling-runs/{run['id']}").json["diagnostics"] == run["diagnostics"]


def test_the_at_risk_event_names_to_each_platform_only_its_own_people_who_declined(
    admin, platform, other_platform, worker, mixed, clock
):
    clock.now = datetime.now(UTC) - timedelta(minutes=1)  # the receiver checks signatures against its own clock
    run = run_to_completion(admin, worker, mixed["group"]["id"])
    first, second = run["plan"]["sessions"][0]["id"], run["plan"]["sessions"][1]["id"]
    with webhook_receiver() as receiver:
        hooks = {}
        for name, caller in (("organiser", admin), ("a", platform), ("b", other_platform)):
            created = caller.post("/v1/webhooks", json={"url": f"{receiver.url}/{name}", "events": ["session.at_risk"]})
            assert created.status_code == 201, created.json
            hooks[name] = created.json["id"]
        answer(other_platform, first, mixed["b1"], "declined")
        answer(admin, second, mixed["facilitator"], "declined")
        answer(platform, second, mixed["a2"], "declined")  # already at risk: no second event
        worker.drain()
        sent = {(r.path.rsplit("/", 1)[-1], r.event["data"]["session_id"]): r.event["data"] for r in receiver.received}

    def data(session_id, declined, others):
        return {
            "session_id": session_id, "group_id": mixed["group"]["id"], "declined_ids": declined, "others_declined": others,
            "conflict_ids": [], "others_in_conflict": 0,
        }

    assert sent == {
        ("organiser", first): data(first, [mixed["b1"]], 0),
        ("a", first): data(first, [], 1),
        ("b", first): data(first, [mixed["b1"]], 0),
        # The facilitator leads the session for every platform: each is told she declined.
        ("organiser", second): data(second, [mixed["facilitator"]], 0),
        ("a", second): data(second, [mixed["facilitator"]], 0),
        ("b", second): data(second, [mixed["facilitator"]], 0),
    }
    # The delivery log holds what was sent.
    logged = platform.get(f"/v1/webhooks/{hooks['a']}/deliveries").json
    assert sorted((d["payload"]["data"]["session_id"], d["payload"]["data"]["others_declined"]) for d in logged) == sorted(
        [(first, 1), (second, 0)]
    )
