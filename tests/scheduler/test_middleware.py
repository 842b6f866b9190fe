"""The Dramatiq middleware on a stub broker: request ids travel with messages, outcomes are counted."""

from __future__ import annotations

import dramatiq
import pytest
from dramatiq.middleware import Retries
from prometheus_client import REGISTRY

from services.scheduler.broker import make_broker
from services.scheduler.middleware import REQUEST_ID_OPTION, report
from services.telemetry import CLIENT_ID, REQUEST_ID
from shared.config import Settings


class Deferred(Exception):
    pass


@pytest.fixture
def broker():
    broker = make_broker(Settings(broker_url="embedded"), middleware=[Retries(max_retries=0)])
    yield broker
    broker.close()


@pytest.fixture
def run_worker(broker):
    started = []

    def run():
        worker = dramatiq.Worker(broker, worker_timeout=50)
        worker.start()
        started.append(worker)
        return worker

    yield run
    for worker in started:
        worker.stop()


def test_a_message_carries_the_id_of_the_request_that_sent_it_and_so_do_the_messages_it_sends(broker, run_worker):
    seen = []

    @dramatiq.actor(broker=broker, actor_name="second", queue_name="t")
    def second():
        seen.append(("second", REQUEST_ID.get(), CLIENT_ID.get()))

    @dramatiq.actor(broker=broker, actor_name="first", queue_name="t")
    def first():
        seen.append(("first", REQUEST_ID.get(), CLIENT_ID.get()))
        second.send()

    request, client = REQUEST_ID.set("the-post"), CLIENT_ID.set("client-1")
    try:
        message = first.send()
    finally:
        REQUEST_ID.reset(request)
        CLIENT_ID.reset(client)
    assert message.options[REQUEST_ID_OPTION] == "the-post"
    first.send()  # outside any request: no id
    worker = run_worker()
    broker.join("t", fail_fast=False)
    worker.join()
    assert sorted(seen, key=lambda s: (s[0], s[1] or "")) == [
        ("first", None, None), ("first", "the-post", "client-1"), ("second", None, None), ("second", "the-post", "client-1"),
    ]


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _runs(outcome: str) -> float:
    return sample("intervisie_scheduling_runs_total", outcome=outcome)


def test_run_outcomes_are_counted_by_their_first_word_and_timed(broker, run_worker):
    outcomes = iter(["plan", "infeasible", "skipped: run is succeeded", "failed: too many attempts", "something new"])

    @dramatiq.actor(broker=broker, actor_name="plan_run", queue_name="t")
    def plan_run():
        report(next(outcomes))

    before = {o: _runs(o) for o in ("succeeded", "infeasible", "skipped", "failed", "other")}
    timed = sample("intervisie_scheduling_run_duration_seconds_count", outcome="succeeded")
    for _ in range(5):
        plan_run.send()
    worker = run_worker()
    broker.join("t", fail_fast=False)
    worker.join()
    assert {o: _runs(o) - before[o] for o in before} == {"succeeded": 1, "infeasible": 1, "skipped": 1, "failed": 1, "other": 1}
    assert sample("intervisie_scheduling_run_duration_seconds_count", outcome="succeeded") == timed + 1


def test_a_deferred_mail_is_counted_as_deferred_and_a_crash_as_error(broker, run_worker, monkeypatch):
    from services.scheduler import broker as brokers

    observed = next(m for m in broker.middleware if type(m).__name__ == "Observed")
    monkeypatch.setitem(observed.expected, Deferred, "deferred")
    assert brokers.OBSERVED["deliver_invitation"] == "invitation"
    results = iter([Deferred("451 try later"), RuntimeError("boom"), "sent"])

    @dramatiq.actor(broker=broker, actor_name="deliver_invitation", queue_name="t")
    def deliver_invitation():
        result = next(results)
        if isinstance(result, Exception):
            raise result
        report(result)

    def count(result):
        return sample("intervisie_mail_deliveries_total", kind="invitation", result=result)

    before = {r: count(r) for r in ("deferred", "error", "sent")}
    for _ in range(3):
        deliver_invitation.send()
    worker = run_worker()
    broker.join("t", fail_fast=False)
    worker.join()
    assert {r: count(r) - before[r] for r in before} == {"deferred": 1, "error": 1, "sent": 1}
