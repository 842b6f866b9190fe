"""Webhooks end to end: events recorded with their change, fanned out by the worker, signed,
sent to a real HTTP receiver on loopback, retried, and logged."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from services.scheduler import jobs
from shared.config import Settings
from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING, run_to_completion
from tests.webhook_receiver import webhook_receiver


@pytest.fixture
def settings(database_url) -> Settings:
    """Webhooks to loopback are allowed here (INTERVISIE_WEBHOOK_ALLOW_PRIVATE=1)."""
    return Settings(database_url=database_url, public_url="http://intervisie.test", webhook_allow_private=True, secret_key="test-secret")


@pytest.fixture
def receiver():
    with webhook_receiver() as receiver:
        yield receiver


def register(caller, url: str, events=None) -> dict:
    response = caller.post("/v1/webhooks", json={"url": url, **({"events": events} if events else {})})
    assert response.status_code == 201, response.json
    assert response.headers["Location"] == f"/v1/webhooks/{response.json['id']}"
    return response.json


def test_registering_answers_the_secret_once(admin, receiver):
    created = register(admin, receiver.url)
    assert created["secret"].startswith("whsec_")
    assert created["events"] is None and created["disabled_at"] is None
    shown = admin.get(f"/v1/webhooks/{created['id']}").json
    assert "secret" not in shown
    assert [w["id"] for w in admin.get("/v1/webhooks").json] == [created["id"]]


def test_a_plan_is_announced_with_signed_thin_events(admin, worker, group, receiver, clock):
    clock.now = datetime.now(UTC)  # the receiver checks the signed timestamp against its own clock
    created = register(admin, receiver.url)
    run = run_to_completion(admin, worker, group["id"])
    assert run["status"] == "succeeded"
    worker.drain()
    types = [e["type"] for e in receiver.events()]
    assert types.count("group.scheduled") == 1
    assert types.count("session.scheduled") == 9
    assert types.count("invitation.issued") == 3 * 5 + 6 * 4
    scheduled = receiver.events("group.scheduled")[0]
    assert scheduled["data"] == {"group_id": group["id"], "run_id": run["id"]}
    verifier = Verifier(created["secret"])
    for request in receiver.received:
        verifier.verify(request.body, request.headers)  # raises when the signature is wrong
        assert request.headers["webhook-id"] and request.headers["content-type"] == "application/json"
        body = request.body
        for person in group["member_list"]:  # ids only, never personal data
            assert person["email"] not in body and person["name"] not in body


def test_events_can_be_chosen(admin, worker, group, receiver):
    register(admin, receiver.url, events=["group.scheduled", "group.infeasible"])
    run_to_completion(admin, worker, group["id"])
    worker.drain()
    assert [e["type"] for e in receiver.events()] == ["group.scheduled"]


def test_a_platform_hears_only_about_its_own_participants(admin, platform, other_platform, worker, group):
    mine = platform.post("/v1/participants", json=payloads.participant(8, availability=TUESDAY_EVENING)).json
    with webhook_receiver() as own, webhook_receiver() as foreign:
        register(platform, own.url)
        register(other_platform, foreign.url)
        admin.put(f"/v1/groups/{group['id']}/members/{mine['id']}")
        run_to_completion(admin, worker, group["id"])
        worker.drain()
    assert {e["type"] for e in own.events()} == {"participant.placed", "group.scheduled", "session.scheduled", "invitation.issued"}
    assert {e["data"]["participant_id"] for e in own.events("invitation.issued")} == {mine["id"]}
    assert foreign.received == []
    assert [w["url"] for w in other_platform.get("/v1/webhooks").json] == [foreign.url]
    assert platform.get(f"/v1/webhooks/{other_platform.get('/v1/webhooks').json[0]['id']}").status_code == 404


def test_a_failed_delivery_is_retried_with_backoff_and_logged(admin, worker, scheduler, clock, group, receiver):
    created = register(admin, receiver.url, events=["participant.left"])
    receiver.answers = [500, 503]
    leaver = group["member_list"][0]
    admin.delete(f"/v1/groups/{group['id']}/members/{leaver['id']}")
    worker.drain()
    delivery = admin.get(f"/v1/webhooks/{created['id']}/deliveries").json[0]
    assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == ("pending", 1, 500)
    first_wait = (_time(delivery["next_attempt_at"]) - clock.now)
    assert timedelta(seconds=5) <= first_wait <= timedelta(seconds=10)

    for _ in range(2):  # the retries come due
        clock.now += timedelta(hours=1)
        jobs.post_webhook(scheduler.runtime, uuid.UUID(delivery["id"]), lambda *_: None)
    delivery = admin.get(f"/v1/webhooks/{created['id']}/deliveries").json[0]
    assert (delivery["state"], delivery["attempts"]) == ("delivered", 3)
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 503, 200]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1  # the same id on every attempt
    assert receiver.received[0].body == receiver.received[-1].body


def test_410_gone_disables_the_endpoint(admin, worker, group, receiver):
    created = register(admin, receiver.url)
    receiver.answers = [410]
    admin.delete(f"/v1/groups/{group['id']}/members/{group['member_list'][0]['id']}")
    worker.drain()
    shown = admin.get(f"/v1/webhooks/{created['id']}").json
    assert shown["disabled_at"] is not None and "410" in shown["disabled_reason"]
    delivery = admin.get(f"/v1/webhooks/{created['id']}/deliveries").json[0]
    assert delivery["state"] == "disabled"


def test_an_endpoint_failing_for_three_days_is_disabled_and_flagged(admin, worker, scheduler, clock, group, receiver):
    created = register(admin, receiver.url, events=["participant.left"])
    receiver.answers = [500] * 100
    admin.delete(f"/v1/groups/{group['id']}/members/{group['member_list'][0]['id']}")
    worker.drain()
    delivery_id = uuid.UUID(admin.get(f"/v1/webhooks/{created['id']}/deliveries").json[0]["id"])
    assert admin.get(f"/v1/webhooks/{created['id']}").json["failing_since"] is not None
    states = []
    for _ in range(40):
        clock.now += timedelta(hours=6)
        states.append(jobs.post_webhook(scheduler.runtime, delivery_id, lambda *_: None))
        if states[-1] != "retry":
            break
    assert states[-1] == "failed"
    delivery = admin.get(f"/v1/webhooks/{created['id']}/deliveries").json[0]
    assert delivery["state"] == "failed"
    first, last = delivery["attempt_log"][0]["attempted_at"], delivery["attempt_log"][-1]["attempted_at"]
    assert _time(last) - _time(first) >= timedelta(days=3)
    shown = admin.get(f"/v1/webhooks/{created['id']}").json
    assert shown["disabled_at"] is not None and shown["disabled_reason"].startswith("failing since")


def test_redelivery_sends_again_and_reenables(admin, worker, group, receiver):
    created = register(admin, receiver.url, events=["participant.left"])
    receiver.answers = [410]
    admin.delete(f"/v1/groups/{group['id']}/members/{group['member_list'][0]['id']}")
    worker.drain()
    delivery = admin.get(f"/v1/webhooks/{created['id']}/deliveries").json[0]
    response = admin.post(f"/v1/webhooks/{created['id']}/deliveries/{delivery['id']}/redeliver")
    assert response.status_code == 202
    worker.drain()
    delivery = admin.get(f"/v1/webhooks/{created['id']}/deliveries").json[0]
    assert delivery["state"] == "delivered" and [a["status_code"] for a in delivery["attempt_log"]] == [410, 200]
    assert admin.get(f"/v1/webhooks/{created['id']}").json["disabled_at"] is None


def test_redirects_are_not_followed(admin, worker, group, receiver):
    created = register(admin, receiver.url, events=["participant.left"])
    receiver.redirect_to = "http://169.254.169.254/latest/meta-data/"
    admin.delete(f"/v1/groups/{group['id']}/members/{group['member_list'][0]['id']}")
    worker.drain()
    delivery = admin.get(f"/v1/webhooks/{created['id']}/deliveries").json[0]
    assert (delivery["state"], delivery["last_status"]) == ("pending", 307)
    assert len(receiver.received) == 1


def test_an_endless_answer_is_cut_off(admin, worker, group, receiver):
    created = register(admin, receiver.url, events=["participant.left"])
    receiver.endless_body = True
    admin.delete(f"/v1/groups/{group['id']}/members/{group['member_list'][0]['id']}")
    worker.drain()
    delivery = admin.get(f"/v1/webhooks/{created['id']}/deliveries").json[0]
    assert delivery["state"] == "delivered"
    assert delivery["attempt_log"][0]["duration_ms"] < 5_000


def test_deleting_an_endpoint(admin, receiver):
    created = register(admin, receiver.url)
    assert admin.delete(f"/v1/webhooks/{created['id']}").status_code == 204
    assert admin.get(f"/v1/webhooks/{created['id']}").status_code == 404


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)
