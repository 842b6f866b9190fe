"""Idempotency-Key on POST: one resource however often a request is retried."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

from sqlalchemy import func, select

from shared.db.models import IdempotencyRecord, Participant
from shared.use_cases import idempotency
from tests.api import payloads


def _count_participants(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(Participant))


def test_a_retry_replays_the_first_answer_without_doing_the_work_again(platform, session_factory):
    headers = {"Idempotency-Key": "9c1e5d0a-retry"}
    first = platform.post("/v1/participants", json=payloads.participant(1), headers=headers)
    again = platform.post("/v1/participants", json=payloads.participant(1), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count_participants(session_factory) == 1


def test_the_same_key_with_another_request_is_422(platform, session_factory):
    headers = {"Idempotency-Key": "k-1"}
    platform.post("/v1/participants", json=payloads.participant(1), headers=headers)
    other = platform.post("/v1/participants", json=payloads.participant(2), headers=headers)
    assert other.status_code == 422
    assert other.content_type == "application/problem+json"
    assert other.json["type"] == "/problems/idempotency-key-reused"
    assert _count_participants(session_factory) == 1


def test_a_retry_while_the_first_is_running_is_409(platform, session_factory, clock):
    import uuid

    body = payloads.participant(1)
    from flask import json

    fingerprint = idempotency.fingerprint("POST", "/v1/participants", json.dumps(body).encode())
    idempotency.begin(session_factory, uuid.UUID(platform.client_id), "busy", fingerprint, clock.now)
    response = platform.post("/v1/participants", data=json.dumps(body), headers={"Idempotency-Key": "busy", "Content-Type": "application/json"})
    assert response.status_code == 409
    assert _count_participants(session_factory) == 0


def test_keys_belong_to_one_client(platform, other_platform, session_factory):
    headers = {"Idempotency-Key": "shared-name"}
    assert platform.post("/v1/participants", json=payloads.participant(1), headers=headers).status_code == 201
    assert other_platform.post("/v1/participants", json=payloads.participant(1), headers=headers).status_code == 201
    assert _count_participants(session_factory) == 2


def test_keys_expire_after_24_hours(platform, session_factory, clock):
    headers = {"Idempotency-Key": "old"}
    platform.post("/v1/participants", json=payloads.participant(1), headers=headers)
    clock.now += timedelta(hours=25)
    again = platform.post("/v1/participants", json=payloads.participant(1), headers=headers)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert _count_participants(session_factory) == 2


def test_a_server_error_is_not_remembered(platform, session_factory, monkeypatch):
    from shared.use_cases import people

    original = people.create_participant
    monkeypatch.setattr(people, "create_participant", lambda *a, **k: 1 / 0)
    headers = {"Idempotency-Key": "flaky"}
    assert platform.post("/v1/participants", json=payloads.participant(1), headers=headers).status_code == 500
    monkeypatch.setattr(people, "create_participant", original)
    assert platform.post("/v1/participants", json=payloads.participant(1), headers=headers).status_code == 201


def test_an_unusable_key_is_400(platform):
    response = platform.post("/v1/participants", json=payloads.participant(1), headers={"Idempotency-Key": "x" * 256})
    assert response.status_code == 400
    assert response.json["errors"][0] == {
        "field": "Idempotency-Key", "location": "header",
        "reason": "must be 1 to 255 printable characters (ASCII or Latin-1), without a space at either end",
    }


KEYS = [
    *(f"k{chr(c)}k" for c in (*range(0x01, 0x100), 0x100, 0x2028, 0x20ac) if chr(c) not in "\n\r"),
    *(chr(c) for c in (0x21, 0x7e, 0x7f, 0x85, 0xa0, 0xa1, 0xad, 0xe9, 0xff, 0x20ac)),
    " k", "k ", "k\t", "\tk", "x" * 255, "x" * 256,
]


def test_the_documented_pattern_of_a_key_is_the_one_the_server_keeps(platform):
    """Every key the document's pattern admits is taken, every other one is 400: the tab, DEL, the
    C1 controls, the no-break space, the soft hyphen, what lies beyond Latin-1, a space at either end."""
    from services.api.openapi import spec_dict

    posts = [item["post"] for path, item in spec_dict()["paths"].items() if path.startswith("/v1/") and "post" in item]
    schemas = [p["schema"] for post in posts for p in post["parameters"] if p["name"] == "Idempotency-Key"]
    assert len(schemas) == len(posts) and all(schema == schemas[0] for schema in schemas)
    pattern = re.compile(schemas[0]["pattern"])  # the ECMA-262 pattern reads the same in Python
    admitted, refused = [], []
    for key in KEYS:
        documented = bool(pattern.search(key)) and schemas[0]["minLength"] <= len(key) <= schemas[0]["maxLength"]
        # An invalid body: a key that is taken is answered 422 (and remembered), not 400.
        response = platform.post("/v1/participants", json={}, headers={"Idempotency-Key": key})
        (admitted if documented else refused).append(key)
        assert response.status_code == (422 if documented else 400), (key, documented, response.json)
    assert len(admitted) > 180 and len(refused) > 60


def test_fifty_simultaneous_identical_requests_create_one_resource(app, platform, session_factory):
    body = payloads.participant(1)
    statuses: list[int] = []
    barrier = threading.Barrier(50)

    def send():
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/v1/participants", json=body,
            headers={"Authorization": f"Bearer {platform.key}", "Idempotency-Key": "burst"},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _count_participants(session_factory) == 1
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= 1


def test_expired_keys_are_purged(platform, session_factory, clock):
    platform.post("/v1/participants", json=payloads.participant(1), headers={"Idempotency-Key": "a"})
    with session_factory.begin() as session:
        assert idempotency.purge(session, clock.now) == 0
        assert idempotency.purge(session, clock.now + timedelta(hours=25)) == 1
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


def test_every_post_of_the_api_documents_the_header():
    from services.api.openapi import spec_dict

    spec = spec_dict()
    posts = [(path, item["post"]) for path, item in spec["paths"].items() if "post" in item and path.startswith("/v1/")]
    assert len(posts) >= 8
    for path, operation in posts:
        names = [p.get("name") for p in operation.get("parameters", []) if isinstance(p, dict)]
        assert "Idempotency-Key" in names, path
