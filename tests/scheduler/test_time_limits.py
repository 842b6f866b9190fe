"""An actor's ``time_limit`` is kept on every broker the service makes, by one watching thread
per process (services.scheduler.broker.ProcessTimeLimit)."""

from __future__ import annotations

import threading
import time
import uuid

import dramatiq
from dramatiq.middleware import TimeLimitExceeded

from services.scheduler.broker import ProcessTimeLimit, make_broker
from shared.config import Settings
from tests.integration.workers import REDIS_URL


def watching_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if type(t).__name__ == "_CtypesTimeoutManager" and t.is_alive()]


def test_many_brokers_share_one_watching_thread():
    brokers = [make_broker(Settings(broker_url="embedded")) for _ in range(5)]
    try:
        assert len(watching_threads()) == 1
        managers = {id(m.manager) for b in brokers for m in b.middleware if isinstance(m, ProcessTimeLimit)}
        assert len(managers) == 1
    finally:
        for broker in brokers:
            broker.close()


def test_a_message_over_its_time_limit_is_stopped_on_redis_as_intervisie_worker_runs_it():
    """``intervisie worker`` makes its broker with make_broker, not Dramatiq's command: the broker
    must be booted for the time limit to be kept at all."""
    broker = make_broker(Settings(broker_url=REDIS_URL, broker_namespace=f"time-limit-{uuid.uuid4().hex[:8]}"))
    seen: list[str] = []

    @dramatiq.actor(broker=broker, actor_name="endless", queue_name="t", time_limit=300, max_retries=0)
    def endless():
        try:
            while True:
                time.sleep(0.01)
        except TimeLimitExceeded:
            seen.append("stopped")
            raise

    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        started = time.monotonic()
        endless.send()
        while not seen and time.monotonic() - started < 10:
            time.sleep(0.05)
        assert seen == ["stopped"]
        assert time.monotonic() - started < 5
    finally:
        worker.stop()
        broker.flush_all()
        broker.close()
