"""examples/webhook_receiver.py receives what the service really sends: every event type of
shared.domain.webhooks.EVENT_TYPES, signed by the worker and posted over HTTP on loopback, is
verified and handled once; a forged delivery is refused."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from shared.config import Settings
from shared.domain.webhooks import EVENT_TYPES, signed_headers
from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING, WEDNESDAY_MORNING, run_to_completion

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/webhook_receiver.py"


def _example_module():
    spec = importlib.util.spec_from_file_location("webhook_receiver_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def settings(database_url) -> Settings:
    """Webhooks to loopback are allowed here (INTERVISIE_WEBHOOK_ALLOW_PRIVATE=1)."""
    return Settings(database_url=database_url, public_url="http://intervisie.test", webhook_allow_private=True, secret_key="test-secret")


def test_the_example_handles_every_event_type_the_service_sends(admin, worker, group, clock):
    clock.now = datetime.now(UTC)  # the receiver checks the signed timestamp against its own clock
    secret_holder: dict = {}
    with _receiver_for(admin, secret_holder) as seen:
        members, facilitator = group["member_list"], group["facilitator"]
        run = run_to_completion(admin, worker, group["id"])  # group.scheduled, session.scheduled, invitation.issued
        first, second, third = run["plan"]["sessions"][:3]
        put = admin.put(f"/v1/sessions/{first['id']}/attendance/{members[0]['id']}", json={"response": "declined"})
        assert put.status_code == 200, put.json  # attendance.changed, and a guided session at risk
        moved = datetime.fromisoformat(second["start"]) + timedelta(days=7)
        assert admin.patch(f"/v1/sessions/{second['id']}", json={"start": moved.isoformat()}).status_code == 200
        assert admin.patch(f"/v1/sessions/{third['id']}", json={"status": "cancelled"}).status_code == 200
        assert admin.put(f"/v1/participants/{members[1]['id']}/availability", json=WEDNESDAY_MORNING).status_code == 200
        assert admin.delete(f"/v1/groups/{group['id']}/members/{members[2]['id']}").status_code == 204
        assert admin.delete(f"/v1/participants/{members[3]['id']}").status_code == 204
        # A second group whose facilitator is never free when its members are: infeasible.
        other = admin.post("/v1/groups", json=payloads.group(name="Andere groep", facilitator_id=facilitator["id"])).json
        admin.patch(f"/v1/facilitators/{facilitator['id']}", json={"availability": WEDNESDAY_MORNING})
        for n in range(20, 23):
            person = admin.post("/v1/participants", json=payloads.participant(n, availability=TUESDAY_EVENING)).json
            assert admin.put(f"/v1/groups/{other['id']}/members/{person['id']}").status_code == 200  # participant.placed
        assert run_to_completion(admin, worker, other["id"])["status"] == "infeasible"
        worker.drain()

    deliveries = _deliveries(admin, secret_holder["webhook_id"])
    assert {d["event_type"] for d in deliveries} == set(EVENT_TYPES)
    assert {d["state"] for d in deliveries} == {"delivered"}  # the receiver answered 2xx to each
    # Each was verified and handled (the log forgets deliveries about the erased participant).
    assert {d["id"] for d in deliveries} <= set(seen)
    texts = list(seen.values())
    assert any(t.startswith(f"group {other['id']} could not be planned") for t in texts)
    assert any(t.startswith(f"session {first['id']} is at risk: 1 declined") for t in texts)
    assert any(t.startswith(f"session {second['id']} of group {group['id']} moved") for t in texts)
    assert any(f"participant {members[3]['id']} was erased" in t for t in texts)
    assert any(f"participant {members[1]['id']} changed their availability (via api)" == t for t in texts)


def _deliveries(admin, webhook_id: str) -> list[dict]:
    response = admin.get(f"/v1/webhooks/{webhook_id}/deliveries?page_size=100")
    assert response.status_code == 200
    return response.json


@contextmanager
def _receiver_for(admin, holder: dict) -> Iterator[dict]:
    """Register an endpoint at a receiver that knows its secret: the receiver is started on a
    port first with a placeholder, and given the real secret once registration answers it."""
    module = _example_module()
    app = module.create_app("whsec_" + "A" * 43)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        created = admin.post("/v1/webhooks", json={"url": f"http://127.0.0.1:{server.server_port}/intervisie/webhooks"})
        assert created.status_code == 201, created.json
        app.config["WEBHOOK"] = module.Webhook(created.json["secret"])
        holder.update(webhook_id=created.json["id"], secret=created.json["secret"])
        yield app.config["SEEN"]
    finally:
        server.shutdown()
        thread.join()


def test_a_forged_or_replayed_delivery_is_refused_and_a_retry_is_handled_once():
    secret = "whsec_" + "B" * 43
    client = _example_module().create_app(secret).test_client()
    body = '{"data":{"group_id":"5f02d283-4143-4828-9353-03704596a31a","run_id":"0d9d34f6-0000-4000-8000-000000000000"},"timestamp":"2026-11-30T12:00:00+00:00","type":"group.scheduled"}'
    now = datetime.now(UTC)
    headers = signed_headers(secret, "msg_1", now, body)
    first = client.post("/intervisie/webhooks", data=body, headers=headers)
    assert first.status_code == 200, first.json
    assert first.json["handled"].startswith("group 5f02d283-4143-4828-9353-03704596a31a has a plan")
    again = client.post("/intervisie/webhooks", data=body, headers=headers)
    assert again.status_code == 200 and again.json["duplicate"] is True
    forged = signed_headers("whsec_" + "C" * 43, "msg_2", now, body)
    assert client.post("/intervisie/webhooks", data=body, headers=forged).status_code == 401
    tampered = client.post("/intervisie/webhooks", data=body.replace("5f02", "5f03"), headers=signed_headers(secret, "msg_3", now, body))
    assert tampered.status_code == 401
    stale = signed_headers(secret, "msg_4", now - timedelta(minutes=10), body)
    assert client.post("/intervisie/webhooks", data=body, headers=stale).status_code == 401
