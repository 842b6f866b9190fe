"""The Dramatiq broker that ``INTERVISIE_BROKER_URL`` names.

* ``embedded``: Dramatiq's stub broker, consumed by a worker thread inside the API process.
* ``redis://…``: workers send a heartbeat with every Redis command they issue (at least once a
  second while idle), and every command runs the broker's maintenance, which gives the
  unacknowledged messages of a worker silent for ``HEARTBEAT_TIMEOUT_MS`` back to the queue. So a
  message held by a worker killed with SIGKILL is redelivered within about 9 s.
* ``amqp://…``: RabbitMQ with publisher confirms (a send returns once the broker has the message).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import ClassVar

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name, xq_name
from dramatiq.middleware import TimeLimit, default_middleware

from services.scheduler import actors, jobs
from services.scheduler import middleware as observing
from shared.config import Settings

HEARTBEAT_TIMEOUT_MS = 8_000
EMBEDDED = "embedded"

OBSERVED = {
    actors.PLAN_RUN: observing.RUN,
    actors.DELIVER_INVITATION: observing.INVITATION,
    actors.DELIVER_NOTICE: observing.NOTICE,
    actors.POST_WEBHOOK: observing.WEBHOOK,
}
"""The actors whose outcomes are counted (see services/scheduler/middleware.py)."""
EXPECTED = {jobs.RunHeldElsewhere: "held_elsewhere", jobs.DeliveryDeferred: "deferred"}


class ProcessTimeLimit(TimeLimit):
    """Dramatiq's TimeLimit (an actor's ``time_limit`` interrupts a message that runs longer) with
    one watching thread for the whole process, however many brokers it makes. Dramatiq's own
    starts a thread per broker that never ends: the tests make a broker per scheduler, hundreds in
    one process, and their threads, each waking every second, came to take the CPU."""

    _shared: ClassVar[object | None] = None
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, **options) -> None:
        super().__init__(**options)
        with ProcessTimeLimit._lock:
            if ProcessTimeLimit._shared is None:
                ProcessTimeLimit._shared = self.manager
            self.manager = ProcessTimeLimit._shared

    def after_process_boot(self, broker: dramatiq.Broker) -> None:
        with ProcessTimeLimit._lock:
            if getattr(self.manager, "ident", None) is None:  # not started yet in this process
                super().after_process_boot(broker)


def make_broker(settings: Settings, *, middleware: list | None = None) -> dramatiq.Broker:
    """The broker ``INTERVISIE_BROKER_URL`` names, booted as Dramatiq's own command boots one
    (``process_boot``: without it no time limit would be kept)."""
    url = settings.broker_url
    if middleware is None:
        middleware = [ProcessTimeLimit() if m is TimeLimit else m() for m in default_middleware]
    # Every broker carries request ids in its messages and counts what its workers do.
    middleware = [*middleware, observing.RequestIds(), observing.Observed(OBSERVED, expected=EXPECTED)]
    if url == EMBEDDED:
        broker: dramatiq.Broker = StubBroker(middleware=middleware)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        broker = RedisBroker(
            url=url,
            namespace=settings.broker_namespace,
            heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
            maintenance_chance=MAINTENANCE_SCALE,
            middleware=middleware,
        )
    elif url.startswith(("amqp://", "amqps://")):
        broker = RabbitmqBroker(url=url, confirm_delivery=True, middleware=middleware)
    else:
        raise ValueError(f"INTERVISIE_BROKER_URL must be 'embedded', redis://… or amqp://…, not {url!r}")
    broker.emit_after("process_boot")
    return broker


def ping(broker: dramatiq.Broker) -> None:
    """Raise when the broker cannot be reached (for /readyz)."""
    if isinstance(broker, RedisBroker):
        broker.client.ping()
    elif isinstance(broker, RabbitmqBroker):
        broker.connection.process_data_events(time_limit=0)


def queue_depths(broker: dramatiq.Broker, queues: Iterable[str]) -> dict[tuple[str, str], int]:
    """How many messages wait in each queue, by state: ``ready``, ``delayed`` (retries and
    scheduled webhook attempts) and ``dead`` (given up). One round trip for Redis."""
    queues = list(dict.fromkeys(queues))
    states = ("ready", "delayed", "dead")
    if isinstance(broker, RedisBroker):
        pipe = broker.client.pipeline(transaction=False)
        for queue in queues:
            pipe.llen(f"{broker.namespace}:{queue}")
            pipe.llen(f"{broker.namespace}:{dq_name(queue)}")
            pipe.zcard(f"{broker.namespace}:{xq_name(queue)}")
        counts = iter(pipe.execute())
        return {(queue, state): int(next(counts)) for queue in queues for state in states}
    if isinstance(broker, RabbitmqBroker):
        return {
            (queue, state): count
            for queue in queues
            for state, count in zip(states, broker.get_queue_message_counts(queue), strict=True)
        }
    if isinstance(broker, StubBroker):
        found = {}
        for queue in queues:
            found[(queue, "ready")] = broker.queues[queue].qsize() if queue in broker.queues else 0
            found[(queue, "delayed")] = broker.queues[dq_name(queue)].qsize() if dq_name(queue) in broker.queues else 0
            found[(queue, "dead")] = len(broker.dead_letters_by_queue.get(queue, ()))
        return found
    return {}
