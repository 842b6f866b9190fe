"""Observability on the real servers: a worker process on Redis logs JSON lines carrying the id of
the request that caused its work and serves its own metrics; gunicorn's processes share one
/metrics; the documented walkthrough leaves no address, key or token in any log line; and queue
depths come from Redis and RabbitMQ themselves."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from services.api.app import create_app
from services.scheduler.actors import declare_actors
from services.scheduler.broker import make_broker, queue_depths
from services.scheduler.runtime import Runtime
from services.scheduler.scheduler import Scheduler
from shared.config import Settings
from shared.db.models import Invitation
from tests.integration.servers import free_port, serving, wait_until_serving
from tests.integration.smtp_server import smtp_server
from tests.integration.test_readme import walkthrough_blocks
from tests.integration.workers import (
    RABBITMQ_URL,
    REDIS_URL,
    Stack,
    rabbitmq_namespace,
    redis_namespace,
    run_status,
    seed_group,
    wait_for,
    workers,
)

pytestmark = pytest.mark.integration
GUNICORN = Path(sys.executable).with_name("gunicorn")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def sample(text: str, name: str, **labels) -> float:
    return sum(
        s.value for family in text_string_to_metric_families(text) for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def json_lines(path: Path) -> list[dict]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line is one JSON object, or this raises


def _sent(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).where(Invitation.delivery_state == "sent"))


def test_a_worker_on_redis_logs_the_request_id_of_the_post_from_plan_to_mailed_invitations(database, tmp_path):
    url, session_factory = database
    metrics_dir = tmp_path / "metrics"  # the worker makes it
    port = free_port()
    request_id = f"post-{uuid.uuid4().hex[:8]}"
    with smtp_server() as (smtp_url, mailbox), redis_namespace() as namespace:
        settings = Settings(database_url=url, broker_url=REDIS_URL, broker_namespace=namespace, smtp_url=smtp_url)
        env = {
            "INTERVISIE_DATABASE_URL": url, "INTERVISIE_BROKER_URL": REDIS_URL, "INTERVISIE_BROKER_NAMESPACE": namespace,
            "INTERVISIE_SMTP_URL": smtp_url, "INTERVISIE_WORKER_METRICS_PORT": str(port),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        }
        stack = Stack(settings, env, session_factory, tmp_path)
        group_id = seed_group(session_factory, stack.admin)
        with workers(env, tmp_path):
            posted = stack.app.test_client().post(
                f"/v1/groups/{group_id}/scheduling-runs",
                headers={"Authorization": f"Bearer {stack.key}", "X-Request-ID": request_id},
            )
            assert posted.status_code == 202 and posted.headers["X-Request-ID"] == request_id
            run_id = posted.json["id"]
            wait_for(lambda: run_status(session_factory, run_id) == "succeeded", 60, "the plan")
            expected = 3 * 5 + 6 * 4
            wait_for(lambda: _sent(session_factory) == expected, 60, "every invitation to be mailed")
            worker_metrics = wait_for(lambda: _scrape(f"http://127.0.0.1:{port}/metrics"), 30, "the worker's metrics")
            # The API's /metrics, reading the directory the worker writes to, sums the same counts.
            reader = create_app(
                dataclasses.replace(settings, metrics_multiproc_dir=str(metrics_dir)),
                session_factory=session_factory, scheduler=Scheduler(settings, session_factory, autostart=False),
            )
            api_metrics = reader.test_client().get("/metrics").get_data(as_text=True)
        assert len(mailbox.messages) == expected

    for text in (worker_metrics, api_metrics):
        assert sample(text, "intervisie_scheduling_runs_total", outcome="succeeded") == 1
        assert sample(text, "intervisie_scheduling_run_duration_seconds_count", outcome="succeeded") == 1
        assert sample(text, "intervisie_mail_deliveries_total", kind="invitation", result="sent") == expected
        assert sample(text, "intervisie_worker_messages_total", actor="dispatch_outbox", result="ok") >= 1
    assert sample(api_metrics, "intervisie_queue_depth", queue=f"{namespace}.scheduling", state="ready") == 0
    assert "intervisie_outbox_lag_seconds 0.0" in api_metrics

    lines = json_lines(tmp_path / "worker-0.log")
    ours = [line for line in lines if line["request_id"] == request_id]
    messages = [line["message"] for line in ours]
    assert f"scheduling run {run_id}: plan" in messages
    assert any(m.startswith("outbox ") and f"issued {expected} invitation(s)" in m for m in messages)
    mailed = [m for m in messages if m.startswith("invitation ") and m.endswith(": sent")]
    assert len(mailed) == expected  # one id from the POST to every invitation it caused
    assert {line["client_id"] for line in ours} == {str(stack.admin.client_id)}
    assert all(set(line) >= {"time", "level", "logger", "message", "request_id", "client_id"} for line in lines)
    assert not EMAIL.search((tmp_path / "worker-0.log").read_text())


def test_a_workers_metrics_port_answers_loopback_and_the_token_and_refuses_a_wrong_one(sqlite, tmp_path):
    url, *_ = sqlite
    port = free_port()
    token = uuid.uuid4().hex + uuid.uuid4().hex
    base = f"http://127.0.0.1:{port}/metrics"
    with redis_namespace() as namespace:
        env = {
            "INTERVISIE_DATABASE_URL": url, "INTERVISIE_BROKER_URL": REDIS_URL, "INTERVISIE_BROKER_NAMESPACE": namespace,
            "INTERVISIE_WORKER_METRICS_PORT": str(port), "INTERVISIE_METRICS_TOKEN": token,
            "INTERVISIE_FAILED_KEY_LIMIT": "3 per minute",
        }
        with workers(env, tmp_path):
            wait_for(lambda: _scrape(base), 30, "the worker's metrics")
            tokened = requests.get(base, headers={"Authorization": f"Bearer {token}"}, timeout=5)
            wrong = requests.get(base, headers={"Authorization": "Bearer " + "0" * 64}, timeout=5)
            # Through a proxy on this machine, the client is unknown: only the token opens it.
            forwarded = requests.get(base, headers={"X-Forwarded-For": "192.0.2.7"}, timeout=5)
            flood = [requests.get(base, headers={"Authorization": "Bearer x"}, timeout=5).status_code for _ in range(2)]
            still = requests.get(base, timeout=5)
    assert tokened.status_code == 200 and "intervisie_worker_messages" in tokened.text
    assert wrong.status_code == 401 and wrong.headers["Content-Type"] == "application/problem+json"
    assert wrong.headers["WWW-Authenticate"] == 'Bearer realm="metrics", error="invalid_token"'
    assert forwarded.status_code == 401 and forwarded.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert flood == [401, 429]  # the fourth refusal from this address within the minute
    assert still.status_code == 200  # loopback without a token: refusals do not lock out the scraper
    log = (tmp_path / "worker-0.log").read_text()
    assert "refused a metrics scrape from 127.0.0.1 (401)" in log and token not in log


def _scrape(url: str) -> str | None:
    try:
        response = requests.get(url, timeout=5)
    except requests.ConnectionError:
        return None
    return response.text if response.status_code == 200 else None


def test_gunicorn_processes_share_one_metrics_view_and_log_json_lines_with_request_ids(sqlite, tmp_path):
    url, factory, key, admin = sqlite
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"left over from the last run")  # emptied at start
    port = free_port()
    env = {**os.environ, "INTERVISIE_DATABASE_URL": url, "INTERVISIE_BIND": f"127.0.0.1:{port}",
           "INTERVISIE_WEB_WORKERS": "2", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(GUNICORN), "-c", "python:services.api.gunicorn_config", "services.api.wsgi:app"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(base + "/healthz", process)
            health = "intervisie_http_requests_total"
            before = sample(requests.get(base + "/metrics", timeout=10).text, health, endpoint="operations.Health")
            for n in range(20):
                answer = requests.get(base + "/healthz", headers={"X-Request-ID": f"probe-{n}"}, timeout=10)
                assert answer.headers["X-Request-ID"] == f"probe-{n}"
            missing = requests.get(base + "/v1/groups", headers={"Authorization": f"Bearer {key}", "X-Request-ID": "a-list"}, timeout=10)
            assert missing.status_code == 200
            # Whichever process answers the scrape, it sums every process's counts.
            scrapes = [requests.get(base + "/metrics", timeout=10).text for _ in range(6)]
            processes = {name.rsplit("_", 1)[-1] for name in os.listdir(metrics_dir)}
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert {sample(text, health, endpoint="operations.Health", status="200") for text in scrapes} == {before + 20}
    assert len(processes) >= 2  # both workers write there

    access, application = [], []
    for line in log_path.read_text().splitlines():
        record = json.loads(line)  # every line, gunicorn's own ("Booting worker …") too
        (access if record["logger"] == "gunicorn.access" else application).append(record)
    assert any(record["logger"] == "gunicorn.error" and "Booting worker" in record["message"] for record in application)
    ids = {record["request_id"] for record in access if record["path"] == "/healthz"}
    assert {f"probe-{n}" for n in range(20)} <= ids
    listed = next(record for record in access if record["path"] == "/v1/groups")
    assert listed["request_id"] == "a-list"
    assert all(record["request_id"] for record in access)  # generated where the client sent none
    # The application's own lines (the embedded worker starting, here) are JSON lines as well.
    assert any(record["logger"] == "services.scheduler.scheduler" for record in application)
    assert key not in log_path.read_text()


def test_the_documented_walkthrough_leaves_no_address_key_or_token_in_any_log_line(tmp_path):
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parents[1])
    port = free_port()
    log_path = tmp_path / "serve.log"
    with smtp_server() as (smtp_url, mailbox):
        env = {
            "INTERVISIE_DATABASE_URL": f"sqlite:///{tmp_path}/walkthrough.db",
            "INTERVISIE_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "INTERVISIE_SMTP_URL": smtp_url,
        }
        with serving(env, cwd=tmp_path, port=port, log_path=log_path) as base:
            script = "set -euo pipefail\n" + "\n".join(walkthrough_blocks())
            script += '\necho "THE KEY: $KEY"\n'
            result = subprocess.run(
                ["bash", "-c", script], cwd=tmp_path, env={**os.environ, **env, "BASE": base, "TMPDIR": str(tmp_path)},
                capture_output=True, text=True, timeout=180, check=False,
            )
            assert result.returncode == 0, result.stderr
            wait_for(lambda: mailbox.messages, 30, "the invitations to be mailed")

    log = log_path.read_text(encoding="utf-8")
    records = json_lines(log_path)  # the whole serve log is JSON lines
    assert any(record["logger"] == "services.scheduler.actors" for record in records)
    assert any(record["logger"] == "werkzeug" and "/feeds/[redacted]" in record["message"] for record in records)
    posts = [record for record in records if record["logger"] == "werkzeug" and '"POST /v1/' in record["message"]]
    assert posts and all(re.fullmatch(r"[0-9a-f]{32}", r["request_id"]) and r["client_id"] for r in posts)
    assert "\x1b" not in "".join(record["message"] for record in records)  # no terminal colours in the lines
    key = result.stdout.split("THE KEY: ", 1)[1].strip()
    assert key.startswith("ivk_") and key not in log
    tokens = re.findall(r"/(?:feeds|answer|availability)/([A-Za-z0-9_-]{16,})", result.stdout)
    assert tokens and not [token for token in tokens if token in log]
    addresses = set(EMAIL.findall(result.stdout)) | {"fien@example.org", "deelnemer1@example.org"}
    assert not [address for address in addresses if address in log]
    assert not EMAIL.search(log)


@pytest.mark.parametrize("broker_kind", ["redis", "rabbitmq"])
def test_queue_depths_count_the_messages_waiting_in_the_real_brokers(broker_kind):
    namespaced, url = (redis_namespace, REDIS_URL) if broker_kind == "redis" else (rabbitmq_namespace, RABBITMQ_URL)
    with namespaced() as namespace:
        settings = Settings(broker_url=url, broker_namespace=namespace)
        broker = make_broker(settings)
        try:
            actors = declare_actors(broker, Runtime(settings, None), namespace=namespace)
            queue = actors.plan_run.queue_name
            for _ in range(3):
                actors.request_plan(uuid.uuid4())
            actors.plan_run.send_with_options(args=(str(uuid.uuid4()),), delay=600_000)
            wait_for(lambda: queue_depths(broker, [queue])[(queue, "ready")] == 3, 10, "the broker to count them")
            assert queue_depths(broker, [queue]) == {(queue, "ready"): 3, (queue, "delayed"): 1, (queue, "dead"): 0}
        finally:
            broker.close()
