"""Rate limits: per API key for the API, per client address for the feeds; 429 with Retry-After."""

from __future__ import annotations

import uuid

import pytest

from shared.config import Settings
from tests.api import payloads


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(
        database_url=database_url, public_url="http://intervisie.test", secret_key="test",
        rate_limit="5 per minute", feed_rate_limit="3 per minute", failed_key_limit="3 per minute",
    )


def test_a_key_over_its_limit_gets_429_with_retry_after(platform, other_platform):
    statuses = [platform.get("/v1/participants").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    refused = platform.get("/v1/participants")
    assert refused.content_type == "application/problem+json"
    assert refused.json["type"] == "/problems/rate-limited"
    assert int(refused.headers["Retry-After"]) > 0
    assert other_platform.get("/v1/participants").status_code == 200  # another key, its own count


def test_health_checks_are_not_limited(client):
    assert {client.get("/healthz").status_code for _ in range(8)} == {200}


def test_feeds_are_limited_per_client_address(admin, client):
    person = admin.post("/v1/participants", json=payloads.participant(1)).json
    path = admin.get(f"/v1/participants/{person['id']}/feed").json["url"].removeprefix("http://intervisie.test")
    statuses = [client.get(path, environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code for _ in range(4)]
    assert statuses == [200] * 3 + [429]
    assert client.get(path, environ_base={"REMOTE_ADDR": "192.0.2.8"}).status_code == 200


def test_every_limited_operation_documents_429():
    from services.api.openapi import spec_dict

    for path, item in spec_dict()["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            if path in ("/healthz", "/readyz"):
                assert "429" not in operation["responses"]
            else:
                assert "429" in operation["responses"], (method, path)


def _feed_path(admin) -> str:
    person = admin.post("/v1/participants", json=payloads.participant(1)).json
    return admin.get(f"/v1/participants/{person['id']}/feed").json["url"].removeprefix("http://intervisie.test")


def test_without_trusted_proxies_a_forwarded_address_is_not_believed(admin, client):
    path = _feed_path(admin)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    statuses = [client.get(path, environ_base=proxy, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(4)]
    assert statuses == [200] * 3 + [429]  # all from the one address that connected


def test_behind_a_trusted_proxy_the_limit_counts_the_forwarded_client(database_url, session_factory, scheduler, clock):
    from services.api.app import create_app
    from tests.api.conftest import _caller

    settings = Settings(
        database_url=database_url, public_url="http://intervisie.test", secret_key="test",
        rate_limit="100 per minute", feed_rate_limit="3 per minute", trusted_proxies=1,
    )
    app = create_app(settings, session_factory=session_factory, scheduler=scheduler, clock=clock)
    admin = _caller(app, session_factory, "admin", "Organiser")
    path = _feed_path(admin)
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    first = [client.get(path, environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.7"}).status_code for _ in range(4)]
    assert first == [200] * 3 + [429]
    # Another client behind the same proxy has its own count; a spoofed extra hop does not help.
    assert client.get(path, environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 200
    assert client.get(path, environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}).status_code == 429


@pytest.mark.parametrize("spelling", ["Bearer {key}", "bearer {key}", "BEARER {key}", "  Bearer   {key}  "])
def test_the_bearer_scheme_is_case_insensitive(platform, spelling):
    response = platform.client.get("/v1/participants", headers={"Authorization": spelling.format(key=platform.key)})
    assert response.status_code == 200


def test_respelling_the_header_does_not_reset_the_clients_count(platform, session_factory):
    from shared.use_cases.api_keys import add_key

    with session_factory.begin() as session:
        second_key = add_key(session, uuid.UUID(platform.client_id)).key  # the same client's other key (rotation)
    spellings = [f"Bearer {platform.key}", f"bearer {platform.key}", f"BEARER  {platform.key}", f"Bearer {second_key}", f" bearer {second_key}"]
    statuses = [platform.client.get("/v1/participants", headers={"Authorization": spelling}).status_code for spelling in spellings]
    assert statuses == [200] * 5
    assert platform.client.get("/v1/participants", headers={"Authorization": f"bEaReR {platform.key}"}).status_code == 429


def test_refused_keys_are_limited_per_address_and_logged_without_the_key(client, platform, caplog):
    attacker = {"REMOTE_ADDR": "198.51.100.9"}
    with caplog.at_level("WARNING"):
        responses = [client.get("/v1/participants", environ_base=attacker, headers={"Authorization": f"Bearer ivk_guess{n}"}) for n in range(4)]
    assert [r.status_code for r in responses] == [401, 401, 401, 429]
    assert "refused keys from this address" in responses[-1].json["detail"]  # not the general limit
    assert int(responses[-1].headers["Retry-After"]) > 0
    assert "ivk_guess" not in caplog.text and "198.51.100.9" in caplog.text
    # Another address with a good key is not affected.
    assert platform.get("/v1/participants", environ_base={"REMOTE_ADDR": "192.0.2.50"}).status_code == 200
