"""Webhook URLs that would reach this machine or a private network are refused (SSRF), by default."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from services.api.resources import webhooks as webhook_resources
from services.scheduler import webhook_http
from shared.domain.webhooks import NOT_ALLOWED, address_problem, url_problem

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
    assert response.json["errors"][0]["reason"] == NOT_ALLOWED
    assert admin.get("/v1/webhooks").json == []


DNS = {"vm": ["127.0.0.1"], "intranet.example.org": ["10.0.0.5"], "half.example.org": ["93.184.215.14", "192.168.1.9"], "empty.example.org": []}


def fake_resolve(host: str, port: int) -> list[str]:
    """This service's DNS: it knows some internal names; for any other it has no answer."""
    if host in DNS:
        return DNS[host]
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_registration_answers_an_internal_host_and_an_unknown_one_alike(admin, monkeypatch, caplog):
    monkeypatch.setattr(webhook_resources, "resolve", fake_resolve)
    answers = {}
    with caplog.at_level(logging.INFO, logger="shared.use_cases.webhooks"):
        for host in ("vm", "intranet.example.org", "half.example.org", "empty.example.org", "no-such-host.example.org", "10.0.0.5"):
            response = admin.post("/v1/webhooks", json={"url": f"https://{host}/hooks"})
            assert response.status_code == 422, response.json
            answers[host] = response.get_data(as_text=True)
    # Nothing in the answer tells an internal host from an unknown one, nor what it resolved to.
    assert len(set(answers.values())) == 1, answers
    problem = json.loads(answers["vm"])
    assert problem["errors"] == [{"field": "url", "location": "body", "reason": NOT_ALLOWED}]
    assert not any(word in answers["vm"] for word in ("127.0.0.1", "resolve to a", "does not resolve", "non-public"))
    assert admin.get("/v1/webhooks").json == []
    # The log keeps what happened, for the operator.
    logged = caplog.text
    assert "vm resolves to a non-public address (127.0.0.1)" in logged
    assert "no-such-host.example.org does not resolve" in logged
    assert "half.example.org resolves to a non-public address (192.168.1.9)" in logged


def test_the_delivery_log_answers_an_internal_host_and_an_unknown_one_alike(monkeypatch, caplog):
    outcomes = []
    monkeypatch.setattr(webhook_http, "resolve", fake_resolve)
    with caplog.at_level(logging.WARNING, logger="services.scheduler.webhook_http"):
        for host in ("vm", "intranet.example.org", "empty.example.org", "no-such-host.example.org"):
            outcomes.append(webhook_http.post(f"https://{host}/hooks", "{}", {}, allow_private=False))
    assert {(o.status, o.error) for o in outcomes} == {(None, f"refused: {NOT_ALLOWED}")}
    assert "vm resolves to a non-public address (127.0.0.1)" in caplog.text
    assert "no-such-host.example.org does not resolve" in caplog.text


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
