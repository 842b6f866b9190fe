"""Bearer keys: who may call, and who sees what."""

from __future__ import annotations

from tests.api import payloads


def test_request_without_key_is_401_problem_with_bearer_challenge(client):
    response = client.get("/v1/participants")
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["type"] == "/problems/unauthorized"


def test_unknown_key_is_401(client):
    response = client.get("/v1/participants", headers={"Authorization": "Bearer ivk_not-a-real-key"})
    assert response.status_code == 401


def test_revoked_key_is_401(app, session_factory, admin):
    from datetime import UTC, datetime

    from shared.use_cases.api_keys import revoke_key

    assert admin.get("/v1/participants").status_code == 200
    with session_factory.begin() as session:
        revoke_key(session, admin.key[:12], now=datetime.now(UTC))
    assert admin.get("/v1/participants").status_code == 401


def test_keys_are_stored_only_as_hashes(session_factory, admin):
    from sqlalchemy import select

    from shared.db.models import ApiKey

    with session_factory() as session:
        stored = session.scalars(select(ApiKey)).all()
    assert stored
    for key in stored:
        assert admin.key not in (key.key_hash, key.prefix)
        assert len(key.key_hash) == 64


def test_key_has_readable_prefix_and_256_bits(admin):
    import base64

    assert admin.key.startswith("ivk_")
    secret = admin.key.removeprefix("ivk_")
    assert len(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))) == 32


def test_platform_cannot_manage_facilitators_or_groups(platform):
    assert platform.post("/v1/facilitators", json=payloads.facilitator()).status_code == 403
    assert platform.get("/v1/facilitators").status_code == 403
    response = platform.post("/v1/groups", json=payloads.group())
    assert response.status_code == 403
    assert response.content_type == "application/problem+json"


def test_platform_sees_only_its_own_participants(platform, other_platform, admin):
    mine = platform.post("/v1/participants", json=payloads.participant(1)).json
    theirs = other_platform.post("/v1/participants", json=payloads.participant(2)).json

    listed = platform.get("/v1/participants").json
    assert [p["id"] for p in listed] == [mine["id"]]
    assert {p["id"] for p in admin.get("/v1/participants").json} == {mine["id"], theirs["id"]}


def test_another_clients_participant_is_404_and_never_its_data(platform, other_platform):
    theirs = other_platform.post("/v1/participants", json=payloads.participant(2)).json
    url = f"/v1/participants/{theirs['id']}"
    for response in (
        platform.get(url),
        platform.patch(url, json={"name": "Overgenomen"}),
        platform.put(url + "/availability", json={"weekly": []}),
        platform.delete(url),
    ):
        assert response.status_code == 404
        assert theirs["email"] not in response.get_data(as_text=True)
        assert theirs["name"] not in response.get_data(as_text=True)
    assert other_platform.get(url).json["name"] == theirs["name"]


def test_platform_sees_the_groups_its_participants_are_in_without_others_personal_data(
    admin, platform, other_platform
):
    mine = platform.post("/v1/participants", json=payloads.participant(1)).json
    theirs = other_platform.post("/v1/participants", json=payloads.participant(2)).json
    group = admin.post("/v1/groups", json=payloads.group()).json
    unrelated = admin.post("/v1/groups", json=payloads.group(name="Andere groep")).json
    admin.put(f"/v1/groups/{group['id']}/members/{mine['id']}")
    admin.put(f"/v1/groups/{group['id']}/members/{theirs['id']}")

    assert [g["id"] for g in platform.get("/v1/groups").json] == [group["id"]]
    seen = platform.get(f"/v1/groups/{group['id']}")
    assert seen.status_code == 200
    assert {m["participant_id"] for m in seen.json["members"]} == {mine["id"], theirs["id"]}
    body = seen.get_data(as_text=True)
    assert theirs["name"] not in body and theirs["email"] not in body
    assert platform.get(f"/v1/groups/{unrelated['id']}").status_code == 404
    assert platform.get(f"/v1/participants/{theirs['id']}").status_code == 404
