"""Webhook URLs that would reach this machine or a private network are refused (SSRF), by default."""

from __future__ import annotations

import pytest

from services.scheduler import webhook_http
from shared.domain.webhooks import address_problem, url_problem

REFUSED_URLS = [
    "http://example.org/hooks",  # plain http
    "https://user:secret@example.org/hooks",
    "https://127.0.0.1/hooks",
    "https://[::1]/hooks",
    "https://10.1.2.3/",
    "https://172.16.0.9/",
    "https://192.168.1.1/",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/",  # CGNAT
    "https://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
    "https://[::ffff:10.0.0.1]/",
    "https://0.0.0.0/",
    "https://[fe80::1]/",
    "ftp://example.org/",
    # IPv6 addresses that carry a forbidden IPv4 address
    "https://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254 (cloud metadata)
    "https://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "https://[64:ff9b:1:7f00:0:100::]/",  # local-use NAT64 (/48) of 127.0.0.1
    "https://[::7f00:1]/",  # IPv4-compatible 127.0.0.1
    "https://[::a9fe:a9fe]/",
    "https://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "https://[2002:c0a8:101::1]/",  # 6to4 of 192.168.1.1
    "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, client 127.0.0.1
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_url_is_refused(url):
    assert url_problem(url, allow_private=False) is not None


def test_public_https_url_is_accepted():
    assert url_problem("https://platform.example.org/hooks", allow_private=False) is None
    assert address_problem("93.184.215.14", allow_private=False) is None


@pytest.mark.parametrize("address", ["64:ff9b::5db8:d70e", "64:ff9b:1:5db8:d7:e00::", "2002:5db8:d70e::1", "2606:2800:220:1::1"])
def test_ipv6_addresses_that_carry_a_public_ipv4_address_are_accepted(address):
    assert address_problem(address, allow_private=False) is None


@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "::7f00:1", "64:ff9b::a9fe:a9fe", "2002:a00:1::"])
def test_the_sender_refuses_a_name_that_resolves_to_an_embedded_forbidden_address(monkeypatch, address):
    monkeypatch.setattr(webhook_http, "resolve", lambda host, port: [address])
    outcome = webhook_http.post("https://platform.example.org/hooks", "{}", {}, allow_private=False)
    assert outcome.status is None and outcome.error.startswith("refused")


def test_private_addresses_are_allowed_only_when_turned_on():
    assert url_problem("http://127.0.0.1:9000/hooks", allow_private=True) is None
    assert address_problem("127.0.0.1", allow_private=True) is None
    assert address_problem("127.0.0.1", allow_private=False) is not None


def test_a_host_name_that_resolves_to_loopback_is_refused_at_registration(admin):
    response = admin.post("/v1/webhooks", json={"url": "https://localhost:8443/hooks"})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "url"
    assert "non-public" in response.json["errors"][0]["reason"]
    assert admin.get("/v1/webhooks").json == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hooks", "https://127.0.0.1/hooks", "https://user:pw@example.org/"])
def test_refused_urls_are_refused_at_registration(admin, url):
    response = admin.post("/v1/webhooks", json={"url": url})
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"


def test_the_sender_checks_the_resolved_address_again():
    # Registered while allowed (or resolving elsewhere), now resolving to loopback: not sent.
    outcome = webhook_http.post("https://localhost:1/hooks", "{}", {}, allow_private=False)
    assert outcome.status is None and outcome.error.startswith("refused")


def test_a_receiver_that_never_answers_times_out(monkeypatch):
    import socket
    import threading

    from shared.domain import webhooks as rules

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    monkeypatch.setattr(rules, "REQUEST_TIMEOUT_SECONDS", 1)
    port = server.getsockname()[1]
    outcome = webhook_http.post(f"http://127.0.0.1:{port}/hooks", "{}", {}, allow_private=True)
    server.close()
    assert outcome.status is None and "timed out" in outcome.error
    assert 900 <= outcome.duration_ms < 5_000


def test_the_request_timeout_is_ten_seconds():
    from shared.domain import webhooks as rules

    assert rules.REQUEST_TIMEOUT_SECONDS == 10
