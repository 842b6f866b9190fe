"""Scheduling runs end to end: the API, the real PostgreSQL, Redis or RabbitMQ, and real
``intervisie worker`` subprocesses — including one killed with SIGKILL in the middle of a run."""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import pytest
from sqlalchemy import text

from shared.config import Settings
from shared.db.models import SchedulingRun
from shared.db.session import make_engine
from tests.integration.servers import INTERVISIE
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


@pytest.fixture
def stack(database, tmp_path):
    """Settings for Redis, the API app that sends, an admin key, and the worker environment."""
    url, session_factory = database
    with redis_namespace() as namespace:
        settings = Settings(database_url=url, broker_url=REDIS_URL, broker_namespace=namespace, sweep_seconds=2)
        env = {
            "INTERVISIE_DATABASE_URL": url,
            "INTERVISIE_BROKER_URL": REDIS_URL,
            "INTERVISIE_BROKER_NAMESPACE": namespace,
            "INTERVISIE_SWEEP_SECONDS": "2",
        }
        yield Stack(settings, env, session_factory, tmp_path)


def test_a_run_completes_end_to_end_with_redis_and_a_worker_process(stack):
    group_id = seed_group(stack.session_factory, stack.admin)
    with workers(stack.env, stack.tmp_path):
        run_id = stack.post_run(group_id)
        wait_for(lambda: run_status(stack.session_factory, run_id) == "succeeded", 60, "the run to succeed")
    assert stack.sessions_of(group_id) == 9


def test_a_worker_killed_mid_run_leaves_no_half_plan_and_a_new_worker_finishes_it(stack):
    group_id = seed_group(stack.session_factory, stack.admin)
    run_id = stack.post_run(group_id)  # queued; no worker runs yet
    blocker = make_engine(stack.settings.database_url)
    with blocker.connect() as hold:
        # Hold the group's row: the worker can claim and plan, but blocks when it writes.
        hold.execute(text("SELECT id FROM groups WHERE id = :id FOR UPDATE"), {"id": uuid.UUID(group_id)})
        with workers(stack.env, stack.tmp_path) as (first,):
            wait_for(lambda: run_status(stack.session_factory, run_id) == "running", 60, "the claim")
            wait_for(lambda: _waiting_on_a_lock(blocker), 30, "the worker to block while writing")
            first.kill()
        hold.rollback()
    assert run_status(stack.session_factory, run_id) == "running"
    assert stack.sessions_of(group_id) == 0  # nothing of the plan was written

    with workers(stack.env, stack.tmp_path):
        wait_for(lambda: run_status(stack.session_factory, run_id) == "succeeded", 90, "a new worker to finish it")
    assert stack.sessions_of(group_id) == 9
    with stack.session_factory() as session:
        assert session.get(SchedulingRun, uuid.UUID(run_id)).attempts == 2
    blocker.dispose()


def _waiting_on_a_lock(engine) -> bool:
    with engine.connect() as conn:
        waiting = conn.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
        ).scalar()
    return waiting > 0


def test_redis_redelivers_the_message_of_a_killed_worker_within_15_seconds(database, tmp_path):
    """Without the sweep and with a short lease, only redelivery can finish the run."""
    url, session_factory = database
    with redis_namespace() as namespace:
        settings = Settings(database_url=url, broker_url=REDIS_URL, broker_namespace=namespace, sweep_seconds=3600, run_lease_seconds=3)
        env = {
            "INTERVISIE_DATABASE_URL": url, "INTERVISIE_BROKER_URL": REDIS_URL,
            "INTERVISIE_BROKER_NAMESPACE": namespace, "INTERVISIE_SWEEP_SECONDS": "3600",
            "INTERVISIE_RUN_LEASE_SECONDS": "3",
        }
        stack = Stack(settings, env, session_factory, tmp_path)
        group_id = seed_group(session_factory, stack.admin)
        run_id = stack.post_run(group_id)
        blocker = make_engine(url)
        with blocker.connect() as hold:
            hold.execute(text("SELECT id FROM groups WHERE id = :id FOR UPDATE"), {"id": uuid.UUID(group_id)})
            with workers(env, tmp_path) as (first,):
                wait_for(lambda: _waiting_on_a_lock(blocker), 30, "the worker to block while writing")
                first.kill()
                killed_at = time.monotonic()
            hold.rollback()
        with workers(env, tmp_path):
            wait_for(lambda: run_status(session_factory, run_id) == "succeeded", 40, "redelivery")
            took = time.monotonic() - killed_at
        blocker.dispose()
    assert took < 15, f"the message came back after {took:.1f} s"


def test_two_workers_on_the_same_runs_produce_each_plan_once(stack):
    group_ids = [seed_group(stack.session_factory, stack.admin) for _ in range(8)]
    scheduler = stack.app.extensions["intervisie"].scheduler
    with workers(stack.env, stack.tmp_path, count=2):
        run_ids = [stack.post_run(group_id) for group_id in group_ids]
        for run_id in run_ids:  # every message twice, as a redelivery would
            scheduler.actors.request_plan(uuid.UUID(run_id))
        wait_for(
            lambda: all(run_status(stack.session_factory, r) == "succeeded" for r in run_ids),
            90, "all runs to succeed",
        )
        time.sleep(2)  # let the duplicate messages arrive and be skipped
    assert [stack.sessions_of(g) for g in group_ids] == [9] * len(group_ids)
    with stack.session_factory() as session:
        attempts = [session.get(SchedulingRun, uuid.UUID(r)).attempts for r in run_ids]
    assert attempts == [1] * len(run_ids)


def test_a_run_recorded_while_no_worker_ran_is_picked_up_when_one_starts(stack):
    group_id = seed_group(stack.session_factory, stack.admin)
    run_id = stack.post_run(group_id)
    # Lose the message, as a broker restart without persistence would.
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{stack.settings.broker_namespace}*"):
        client.delete(key)
    time.sleep(2.5)  # older than one sweep interval
    with workers(stack.env, stack.tmp_path):
        wait_for(lambda: run_status(stack.session_factory, run_id) == "succeeded", 60, "the sweep to find it")
    assert stack.sessions_of(group_id) == 9


def test_a_run_completes_end_to_end_with_rabbitmq(database, tmp_path):
    url, session_factory = database
    with rabbitmq_namespace() as namespace:
        settings = Settings(database_url=url, broker_url=RABBITMQ_URL, broker_namespace=namespace)
        env = {"INTERVISIE_DATABASE_URL": url, "INTERVISIE_BROKER_URL": RABBITMQ_URL, "INTERVISIE_BROKER_NAMESPACE": namespace}
        stack = Stack(settings, env, session_factory, tmp_path)
        group_id = seed_group(session_factory, stack.admin)
        with workers(env, tmp_path):
            run_id = stack.post_run(group_id)
            wait_for(lambda: run_status(session_factory, run_id) == "succeeded", 60, "the run to succeed")
        assert stack.sessions_of(group_id) == 9


def test_a_worker_beats_while_it_consumes_and_its_health_check_says_so(stack):
    heartbeat = stack.tmp_path / "worker.alive"
    env = {**stack.env, "INTERVISIE_WORKER_HEARTBEAT_FILE": str(heartbeat)}

    def health(max_age: int = 60) -> subprocess.CompletedProcess:
        return subprocess.run([str(INTERVISIE), "worker-health", "--max-age", str(max_age)],
                              env={**os.environ, **env}, capture_output=True, text=True, timeout=30)

    assert health().returncode == 1  # no heartbeat before a worker ran
    with workers(env, stack.tmp_path) as (worker,):
        wait_for(heartbeat.exists, 30, "the first heartbeat")
        checked = health()
        assert checked.returncode == 0, checked.stderr
        first = heartbeat.stat().st_mtime
        wait_for(lambda: heartbeat.stat().st_mtime > first, 30, "the next heartbeat")
        worker.kill()
    time.sleep(2)
    assert health(max_age=1).returncode == 1  # a dead worker's heartbeat goes stale
