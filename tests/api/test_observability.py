"""Request ids on every answer and in every log line, and /metrics in Prometheus's text format."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import re
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.api.app import create_app
from services.telemetry import JsonLines
from shared.config import Settings
from shared.use_cases import outbox
from tests.api import payloads
from tests.api.scenarios import run_to_completion
from tests.webhook_receiver import webhook_receiver

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def settings(database_url) -> Settings:
    """Pages and feeds are limited to 3 a minute per address here, so a 429 is easy to get."""
    return Settings(
        database_url=database_url, public_url="http://intervisie.test", secret_key="test-secret",
        feed_rate_limit="3 per minute", webhook_allow_private=True,
    )


def metrics(client, **kwargs) -> dict[str, object]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.data
    assert response.content_type.startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.get_data(as_text=True))}


def value(families, family: str, sample: str, **labels) -> float:
    """The sample's value, 0 when the series does not exist yet."""
    return sum(
        s.value for s in families[family].samples
        if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())
    )


@contextmanager
def json_log():
    """Every log line of this process, as ``intervisie serve`` writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


def test_after_a_planned_run_metrics_hold_requests_runs_deliveries_outbox_and_queues(admin, worker, group, clock):
    before = metrics(admin.client)
    with webhook_receiver() as receiver:
        register = admin.post("/v1/webhooks", json={"url": receiver.url, "events": ["group.scheduled"]})
        assert register.status_code == 201
        run = run_to_completion(admin, worker, group["id"])
        worker.drain()
    assert run["status"] == "succeeded"
    after = metrics(admin.client)

    assert value(after, "intervisie_scheduling_runs", "intervisie_scheduling_runs_total", outcome="succeeded") == (
        value(before, "intervisie_scheduling_runs", "intervisie_scheduling_runs_total", outcome="succeeded") + 1
    )
    seconds = "intervisie_scheduling_run_duration_seconds"
    assert after[seconds].type == "histogram"
    assert value(after, seconds, seconds + "_count", outcome="succeeded") == value(before, seconds, seconds + "_count", outcome="succeeded") + 1
    assert value(after, "intervisie_webhook_deliveries", "intervisie_webhook_deliveries_total", result="delivered") == (
        value(before, "intervisie_webhook_deliveries", "intervisie_webhook_deliveries_total", result="delivered") + 1
    )
    # Without SMTP invitations are stored, not mailed: the family is there, at 0 for this run.
    assert value(after, "intervisie_mail_deliveries", "intervisie_mail_deliveries_total", kind="invitation", result="sent") == (
        value(before, "intervisie_mail_deliveries", "intervisie_mail_deliveries_total", kind="invitation", result="sent")
    )
    assert {s.labels["kind"] for s in after["intervisie_mail_deliveries"].samples} == {"invitation", "notice"}

    requests = "intervisie_http_requests"
    posted = value(after, requests, requests + "_total", endpoint="scheduling-runs.GroupSchedulingRuns", method="POST", status="202")
    assert posted == value(before, requests, requests + "_total", endpoint="scheduling-runs.GroupSchedulingRuns", method="POST", status="202") + 1
    latency = "intervisie_http_request_duration_seconds"
    assert after[latency].type == "histogram"
    assert value(after, latency, latency + "_count", endpoint="scheduling-runs.GroupSchedulingRuns", method="POST") >= 1
    endpoints = {s.labels["endpoint"] for s in after[requests].samples}
    assert not any("/" in endpoint for endpoint in endpoints)  # route names, never paths (they hold tokens)

    assert after["intervisie_outbox_lag_seconds"].samples[0].value == 0  # the worker dispatched everything
    depth = {(s.labels["queue"], s.labels["state"]): s.value for s in after["intervisie_queue_depth"].samples}
    assert {queue for queue, _ in depth} == {
        "intervisie.scheduling", "intervisie.outbox", "intervisie.mail", "intervisie.webhooks", "intervisie.composition",
        "intervisie.calendars",
    }
    assert depth[("intervisie.scheduling", "ready")] == 0


def test_routes_are_named_by_their_rule_so_tokens_stay_out_of_the_labels(admin, client):
    person = admin.post("/v1/participants", json=payloads.participant(1)).json
    feed = admin.get(f"/v1/participants/{person['id']}/feed").json
    token = feed["url"].rsplit("/", 1)[1].removesuffix(".ics")
    assert client.get(feed["url"].removeprefix("http://intervisie.test")).status_code == 200
    text = client.get("/metrics").get_data(as_text=True)
    assert token not in text and person["id"] not in text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert value(families, "intervisie_http_requests", "intervisie_http_requests_total", status="200", method="GET") >= 1


def test_outbox_lag_is_the_age_of_the_oldest_undispatched_row_and_queues_count_waiting_messages(
    admin, group, session_factory, client, clock,
):
    before = metrics(client)
    waiting = value(before, "intervisie_queue_depth", "intervisie_queue_depth", queue="intervisie.scheduling", state="ready")
    with session_factory.begin() as session:
        outbox.record(session, outbox.WEBHOOK_EVENT, {"type": "test", "data": {}}, clock.now - timedelta(seconds=90))
        outbox.record(session, outbox.WEBHOOK_EVENT, {"type": "test", "data": {}}, clock.now - timedelta(seconds=30))
    # No worker consumes in this test: the run's message waits in the scheduling queue.
    assert admin.post(f"/v1/groups/{group['id']}/scheduling-runs").status_code == 202
    after = metrics(client)
    assert after["intervisie_outbox_lag_seconds"].samples[0].value == 90
    assert value(after, "intervisie_queue_depth", "intervisie_queue_depth", queue="intervisie.scheduling", state="ready") == waiting + 1


def test_metrics_need_no_key_and_are_never_rate_limited(settings, session_factory, scheduler):
    limited = dataclasses.replace(settings, rate_limit="3 per minute")
    client = create_app(limited, session_factory=session_factory, scheduler=scheduler).test_client()
    assert [client.get("/metrics").status_code for _ in range(8)] == [200] * 8
    assert [client.get("/v1/groups").status_code for _ in range(4)] == [401, 401, 401, 429]  # the limit is on


def test_metrics_can_be_turned_off_or_opened_only_to_some_networks(settings, session_factory, scheduler):
    off = create_app(dataclasses.replace(settings, metrics_enabled=False), session_factory=session_factory, scheduler=scheduler)
    assert off.test_client().get("/metrics").status_code == 404
    assert Settings.from_env({"INTERVISIE_METRICS": "off"}).metrics_enabled is False

    restricted = create_app(
        dataclasses.replace(settings, metrics_allow="10.0.0.0/8, 127.0.0.1"), session_factory=session_factory, scheduler=scheduler,
    ).test_client()
    assert restricted.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert restricted.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    refused = restricted.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert refused.status_code == 403 and refused.content_type == "application/problem+json"


@pytest.fixture
def failing_app(app):
    def fail():
        raise RuntimeError("broken on purpose")

    app.add_url_rule("/v1/broken-on-purpose", "broken_on_purpose", fail)
    return app


def test_every_answer_echoes_the_request_id_it_was_sent(failing_app, admin, client):
    caller = dataclasses.replace(admin, client=failing_app.test_client())
    person = caller.post("/v1/participants", json=payloads.participant(1)).json
    feed = caller.get(f"/v1/participants/{person['id']}/feed").json
    link = caller.post(f"/v1/participants/{person['id']}/availability-link").json
    page = client.get(feed["page_url"].removeprefix("http://intervisie.test"), headers={"X-Request-ID": "page-1"})
    answers = {
        200: caller.get("/v1/participants", headers={"X-Request-ID": "ok-200"}),
        404: caller.get(f"/v1/participants/{uuid.uuid4()}", headers={"X-Request-ID": "missing.404"}),
        422: caller.post("/v1/participants", json={"name": ""}, headers={"X-Request-ID": "invalid_422"}),
        500: caller.get("/v1/broken-on-purpose", headers={"X-Request-ID": "broken-500"}),
    }
    assert {status: (r.status_code, r.headers["X-Request-ID"]) for status, r in answers.items()} == {
        200: (200, "ok-200"), 404: (404, "missing.404"), 422: (422, "invalid_422"), 500: (500, "broken-500"),
    }
    assert page.status_code == 200 and page.headers["X-Request-ID"] == "page-1"
    # Pages are limited to 3 a minute per address here: the page above, and these.
    availability = link["url"].removeprefix("http://intervisie.test")
    assert client.get(availability, headers={"X-Request-ID": "week-page"}).headers["X-Request-ID"] == "week-page"
    assert client.get(feed["url"].removeprefix("http://intervisie.test"), headers={"X-Request-ID": "feed"}).headers["X-Request-ID"] == "feed"
    refused = client.get(availability, headers={"X-Request-ID": "over-the-limit"})
    assert refused.status_code == 429 and refused.headers["X-Request-ID"] == "over-the-limit"
    unauthorized = client.get("/v1/groups", headers={"X-Request-ID": "no-key"})
    assert unauthorized.status_code == 401 and unauthorized.headers["X-Request-ID"] == "no-key"
    for path in ("/healthz", "/openapi.json", "/docs", "/problems/not-found", "/nowhere"):
        assert client.get(path, headers={"X-Request-ID": "r-1"}).headers["X-Request-ID"] == "r-1", path


@pytest.mark.parametrize("sent", ["", "x" * 129, "has space", "tab\there", "semi;colon", "ünïcode", "a/b"])
def test_an_invalid_request_id_is_replaced_by_a_new_one(client, sent):
    response = client.get("/healthz", headers={"X-Request-ID": sent})
    assert HEX_ID.fullmatch(response.headers["X-Request-ID"])


def test_without_a_request_id_each_answer_gets_a_new_one(client):
    first, second = (client.get("/healthz").headers["X-Request-ID"] for _ in range(2))
    assert HEX_ID.fullmatch(first) and HEX_ID.fullmatch(second) and first != second
    assert client.get("/healthz", headers={"X-Request-ID": "x" * 128}).headers["X-Request-ID"] == "x" * 128


def test_a_request_logs_its_id_and_client_and_its_run_carries_them_into_the_worker(failing_app, admin, worker, group):
    caller = dataclasses.replace(admin, client=failing_app.test_client())
    with json_log() as lines:
        caller.get("/v1/broken-on-purpose", headers={"X-Request-ID": "failing-request"})
        posted = caller.post(f"/v1/groups/{group['id']}/scheduling-runs", headers={"X-Request-ID": "the-post"})
        assert posted.status_code == 202
        worker.drain()
    failure = next(line for line in lines if line["message"].startswith("unhandled error on GET /v1/broken-on-purpose"))
    assert failure["request_id"] == "failing-request" and failure["client_id"] == admin.client_id
    assert failure["level"] == "error" and "RuntimeError: broken on purpose" in failure["exception"]
    assert list(failure)[:6] == ["time", "level", "logger", "message", "request_id", "client_id"]
    run_id = posted.json["id"]
    planned = next(line for line in lines if line["message"] == f"scheduling run {run_id}: plan")
    assert planned["request_id"] == "the-post" and planned["client_id"] == admin.client_id
    assert planned["logger"] == "services.scheduler.actors"
    issued = [line for line in lines if line["message"].startswith("outbox ") and "invitation(s)" in line["message"]]
    assert issued and all(line["request_id"] == "the-post" for line in issued)
    for line in lines:
        for person in group["member_list"]:
            assert person["email"] not in json.dumps(line)
    assert admin.key not in json.dumps(lines)
