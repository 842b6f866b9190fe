"""Rate limits: per API key for the API, per client address for the feeds; 429 with Retry-After."""

from __future__ import annotations

import pytest

from shared.config import Settings
from tests.api import payloads


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(
        database_url=database_url, public_url="http://intervisie.test", secret_key="test",
        rate_limit="5 per minute", feed_rate_limit="3 per minute",
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
