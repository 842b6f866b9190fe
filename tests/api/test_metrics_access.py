"""Who may read /metrics (the API's, and a worker's own port): loopback by default, the networks
of INTERVISIE_METRICS_ALLOW, and the bearer of INTERVISIE_METRICS_TOKEN; everyone else gets a
problem, and a flood of refusals gets 429."""

from __future__ import annotations

import dataclasses

import pytest
from prometheus_client import CollectorRegistry, Counter
from werkzeug.test import Client

from services.api.app import create_app
from services.metrics_gate import worker_metrics_app
from shared.config import Settings

TOKEN = "mt_" + "0123456789abcdef" * 3
OUTSIDE = "192.0.2.7"


@pytest.fixture
def make_client(settings, session_factory, scheduler):
    def make(**changes):
        changed = dataclasses.replace(settings, **changes)
        return create_app(changed, session_factory=session_factory, scheduler=scheduler).test_client()

    return make


def scrape(client, address: str, **headers):
    return client.get("/metrics", environ_base={"REMOTE_ADDR": address}, headers=headers)


def assert_problem(response, status: int) -> None:
    assert response.status_code == status, response.data
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == status and response.json["detail"]
    assert b"intervisie_" not in response.data


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_by_default_a_loopback_client_reads_the_metrics(make_client, address):
    response = scrape(make_client(), address)
    assert response.status_code == 200 and b"intervisie_http_requests" in response.data


@pytest.mark.parametrize("address", [OUTSIDE, "10.1.2.3", "192.168.1.5", "2001:db8::1", "::ffff:192.0.2.7"])
def test_by_default_any_other_client_is_refused_with_a_problem(make_client, address):
    assert_problem(scrape(make_client(), address), 403)


def test_allowed_networks_open_the_metrics_to_them_besides_loopback(make_client):
    client = make_client(metrics_allow="10.0.0.0/8, 2001:db8::/32")
    assert scrape(client, "10.1.2.3").status_code == 200
    assert scrape(client, "2001:db8::7").status_code == 200
    assert scrape(client, "127.0.0.1").status_code == 200
    assert_problem(scrape(client, OUTSIDE), 403)


def test_the_token_opens_the_metrics_from_anywhere_as_prometheus_sends_it(make_client):
    client = make_client(metrics_token=TOKEN)
    assert scrape(client, OUTSIDE, Authorization=f"Bearer {TOKEN}").status_code == 200
    assert scrape(client, OUTSIDE, Authorization=f"bearer {TOKEN}").status_code == 200  # the scheme's case does not matter
    assert scrape(client, "127.0.0.1").status_code == 200  # loopback needs none

    asked = scrape(client, OUTSIDE)
    assert_problem(asked, 401)
    assert asked.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert asked.json["type"] == "/problems/unauthorized"


@pytest.mark.parametrize("sent", [f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", "Bearer x", f"Bearer {TOKEN.upper()}", "Bearer ü" + TOKEN[1:]])
def test_a_wrong_token_is_refused_wherever_it_comes_from(make_client, sent):
    client = make_client(metrics_token=TOKEN)
    for address in (OUTSIDE, "127.0.0.1"):
        refused = scrape(client, address, Authorization=sent)
        assert_problem(refused, 401)
        assert refused.headers["WWW-Authenticate"] == 'Bearer realm="metrics", error="invalid_token"'


def test_an_api_key_is_no_metrics_token(make_client, admin):
    client = make_client(metrics_token=TOKEN)
    assert_problem(scrape(client, OUTSIDE, Authorization=f"Bearer {admin.key}"), 401)


def test_refusals_are_limited_per_address_while_answered_scrapes_are_not(make_client):
    client = make_client(failed_key_limit="3 per minute", metrics_token=TOKEN)
    statuses = [scrape(client, OUTSIDE).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    flooded = scrape(client, OUTSIDE, Authorization="Bearer wrong")
    assert_problem(flooded, 429)
    assert int(flooded.headers["Retry-After"]) >= 1
    # The token still opens it from there, and other addresses are not held back.
    assert scrape(client, OUTSIDE, Authorization=f"Bearer {TOKEN}").status_code == 200
    assert [scrape(client, "127.0.0.1").status_code for _ in range(8)] == [200] * 8
    assert_problem(scrape(client, "198.51.100.1"), 401)


def test_behind_trusted_proxies_the_client_is_the_address_they_forward_for(make_client):
    client = make_client(trusted_proxies=1)
    # The proxy runs on this machine; the client it forwards for does not.
    assert_problem(scrape(client, "127.0.0.1", **{"X-Forwarded-For": OUTSIDE}), 403)
    assert scrape(client, "127.0.0.1", **{"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    # A client cannot name itself loopback in front of the proxy: the proxy's hop is the one believed.
    assert_problem(scrape(client, "127.0.0.1", **{"X-Forwarded-For": f"127.0.0.1, {OUTSIDE}"}), 403)


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
def test_without_trusted_proxies_a_forwarded_request_is_not_taken_for_a_loopback_client(make_client, header):
    client = make_client()  # a proxy on this machine nobody told the service about
    assert_problem(scrape(client, "127.0.0.1", **{header: OUTSIDE if header != "Forwarded" else f"for={OUTSIDE}"}), 403)
    assert scrape(client, "127.0.0.1").status_code == 200
    tokened = make_client(metrics_token=TOKEN)
    assert scrape(tokened, "127.0.0.1", Authorization=f"Bearer {TOKEN}", **{header: OUTSIDE}).status_code == 200


def test_a_worker_port_keeps_the_same_rules_and_trusts_no_proxy():
    registry = CollectorRegistry()
    Counter("intervisie_worker_messages", "test", registry=registry).inc()
    settings = Settings(metrics_allow="10.0.0.0/8", metrics_token=TOKEN, failed_key_limit="2 per minute", trusted_proxies=1)
    client = Client(worker_metrics_app(settings, registry))

    def get(address: str, **headers):
        return client.get("/metrics", environ_base={"REMOTE_ADDR": address}, headers=headers)

    assert b"intervisie_worker_messages_total 1.0" in get("127.0.0.1").data
    assert get("10.9.8.7").status_code == 200
    assert get(OUTSIDE, Authorization=f"Bearer {TOKEN}").status_code == 200
    # A worker's port is scraped directly: a forwarded address is never believed, whatever the API trusts.
    assert_problem(get("127.0.0.1", **{"X-Forwarded-For": "127.0.0.1"}), 401)
    wrong = get("10.9.8.7", Authorization="Bearer wrong")
    assert_problem(wrong, 401)
    assert wrong.headers["WWW-Authenticate"] == 'Bearer realm="metrics", error="invalid_token"'
    assert [get(OUTSIDE).status_code for _ in range(3)] == [401, 401, 429]
    assert get(OUTSIDE).headers["Retry-After"]

    closed = Client(worker_metrics_app(Settings(), registry))
    assert_problem(closed.get("/metrics", environ_base={"REMOTE_ADDR": OUTSIDE}), 403)
    assert closed.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
