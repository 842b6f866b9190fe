"""GDPR: export everything stored about a participant; erase them so that nothing mentions them."""

from __future__ import annotations

import json

import pytest

from shared.config import Settings
from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING, run_to_completion
from tests.webhook_receiver import webhook_receiver


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(database_url=database_url, public_url="http://intervisie.test", webhook_allow_private=True, secret_key="test")


@pytest.fixture
def person(admin, platform, worker, group):
    """A platform's participant placed in the planned group, with a feed."""
    created = platform.post(
        "/v1/participants", json=payloads.participant(9, name="Ellen Erasmus", email="ellen@erasmus.example", availability=TUESDAY_EVENING),
        headers={"Idempotency-Key": "ellen-signup"},
    ).json
    admin.put(f"/v1/groups/{group['id']}/members/{created['id']}")
    run = run_to_completion(admin, worker, group["id"])
    assert run["status"] == "succeeded"
    created["feed"] = platform.get(f"/v1/participants/{created['id']}/feed").json
    created["run"] = run
    return created


def test_export_holds_everything_stored_about_the_person(platform, person, group):
    link = platform.post(f"/v1/participants/{person['id']}/availability-link").json
    response = platform.get(f"/v1/participants/{person['id']}/export")
    assert response.status_code == 200
    export = response.json
    assert export["availability_links"] == [{"created_at": export["exported_at"], "expires_at": link["expires_at"]}]
    assert link["url"].rsplit("/", 1)[1] not in response.get_data(as_text=True)
    assert export["participant"]["email"] == "ellen@erasmus.example"
    assert export["participant"]["availability"] == person["availability"]
    assert [m["group_id"] for m in export["memberships"]] == [group["id"]]
    assert len(export["sessions"]) == 9
    # Chairs rotate through the members in joining order; she joined fifth.
    assert [s["number"] for s in export["sessions"] if s["chair"]] == [8]
    assert len(export["invitations"]) == 9 and {i["email"] for i in export["invitations"]} == {"ellen@erasmus.example"}
    assert export["feed"]["exists"] is True
    assert person["feed"]["url"].rsplit("/", 1)[1].removesuffix(".ics") not in response.get_data(as_text=True)


def test_another_client_cannot_export(other_platform, person):
    assert other_platform.get(f"/v1/participants/{person['id']}/export").status_code == 404


def test_erasure_leaves_nothing_that_mentions_them(admin, platform, worker, client, group, person):
    feed_path = person["feed"]["url"].removeprefix("http://intervisie.test")
    group_feed = admin.get(f"/v1/groups/{group['id']}/feed").json["url"].removeprefix("http://intervisie.test")
    with webhook_receiver() as receiver:
        platform.post("/v1/webhooks", json={"url": receiver.url})
        assert platform.delete(f"/v1/participants/{person['id']}").status_code == 204
        worker.drain()
    marks = (person["id"], "ellen@erasmus.example", "Ellen Erasmus")

    def clean(text: str) -> bool:
        return not any(mark in text for mark in marks)

    assert platform.get(f"/v1/participants/{person['id']}").status_code == 404
    assert client.get(feed_path).status_code == 404
    assert clean(admin.get(f"/v1/groups/{group['id']}").get_data(as_text=True))
    assert clean(admin.get(f"/v1/groups/{group['id']}/sessions?page_size=50").get_data(as_text=True))
    assert clean(client.get(group_feed).get_data(as_text=True))
    assert clean(admin.get("/v1/participants?page_size=100").get_data(as_text=True))
    for session in person["run"]["plan"]["sessions"]:
        assert clean(admin.get(f"/v1/sessions/{session['id']}/invitations?page_size=100").get_data(as_text=True))
        assert clean(admin.get(f"/v1/sessions/{session['id']}").get_data(as_text=True))
    webhook_id = platform.get("/v1/webhooks").json[0]["id"]
    deliveries = platform.get(f"/v1/webhooks/{webhook_id}/deliveries?page_size=100").json
    assert [d["event_type"] for d in deliveries if person["id"] in json.dumps(d)] == ["participant.erased"]
    # The platform hears about it through its webhook: ids only.
    erased = receiver.events("participant.erased")
    assert [e["data"] for e in erased] == [{"participant_id": person["id"]}]
    # Their signup can no longer be replayed with its stored answer.
    again = platform.post("/v1/participants", json=payloads.participant(9, name="Ellen Erasmus", email="ellen@erasmus.example", availability=TUESDAY_EVENING), headers={"Idempotency-Key": "ellen-signup"})
    assert "Idempotent-Replayed" not in again.headers


def test_erasure_sends_them_a_cancel_for_every_upcoming_session_before_forgetting(admin, platform, worker, group, person, session_factory):
    from sqlalchemy import select

    from shared.db.models import Invitation, OutboxMessage

    worker.stop()  # look at the outbox before a worker gets to it
    platform.delete(f"/v1/participants/{person['id']}")
    with session_factory() as session:
        # The CANCELs are recorded in the erasure's own transaction, with the address they need.
        left = [m for m in session.scalars(select(OutboxMessage)) if m.payload.get("change") == "left"]
        assert len(left) == 1 and left[0].payload["email"] == "ellen@erasmus.example"
    worker.start_consuming()
    worker.drain()
    with session_factory() as session:
        left = [m for m in session.scalars(select(OutboxMessage)) if m.payload.get("change") == "left"]
        assert "email" not in left[0].payload  # scrubbed once the CANCELs were issued
        assert session.scalars(select(Invitation).where(Invitation.recipient_email == "ellen@erasmus.example")).all() == []
    # The erasure concerned only her: the sessions keep their SEQUENCE (those she chaired lose
    # their chair, which their feeds show), and what the others hold stays current.
    sequences = [s["sequence"] for s in admin.get(f"/v1/groups/{group['id']}/sessions?page_size=50").json]
    assert set(sequences) == {0}
    with session_factory() as session:
        assert {i.sequence for i in session.scalars(select(Invitation))} == {0}


def test_erasing_someone_in_no_group(platform):
    created = platform.post("/v1/participants", json=payloads.participant(1)).json
    assert platform.delete(f"/v1/participants/{created['id']}").status_code == 204
    assert platform.get(f"/v1/participants/{created['id']}/export").status_code == 404


def test_idempotency_records_delivery_logs_and_outbox_rows_are_purged_on_schedule(admin, platform, worker, scheduler, clock, session_factory, group):
    from datetime import timedelta

    from sqlalchemy import func, select

    from services.scheduler import jobs
    from shared.db.models import IdempotencyRecord, OutboxMessage, WebhookDelivery

    def counts():
        with session_factory() as session:
            return tuple(session.scalar(select(func.count()).select_from(t)) for t in (IdempotencyRecord, WebhookDelivery, OutboxMessage))

    with webhook_receiver() as receiver:
        admin.post("/v1/webhooks", json={"url": receiver.url}, headers={"Idempotency-Key": "hook-1"})
        run_to_completion(admin, worker, group["id"])
        worker.drain()
    assert all(counts())
    assert jobs.purge_expired(scheduler.runtime) == {"idempotency_keys": 0, "webhook_deliveries": 0, "outbox": 0}
    clock.now += timedelta(days=31)
    purged = jobs.purge_expired(scheduler.runtime)
    assert purged["idempotency_keys"] == 1 and purged["webhook_deliveries"] > 0 and purged["outbox"] > 0
    assert counts() == (0, 0, 0)
