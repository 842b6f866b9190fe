"""The Dramatiq broker that ``INTERVISIE_BROKER_URL`` names.

* ``embedded``: Dramatiq's stub broker, consumed by a worker thread inside the API process.
* ``redis://…``: workers send a heartbeat with every Redis command they issue (at least once a
  second while idle), and every command runs the broker's maintenance, which gives the
  unacknowledged messages of a worker silent for ``HEARTBEAT_TIMEOUT_MS`` back to the queue. So a
  message held by a worker killed with SIGKILL is redelivered within about 9 s.
* ``amqp://…``: RabbitMQ with publisher confirms (a send returns once the broker has the message).
"""

from __future__ import annotations

from collections.abc import Iterable

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name, xq_name
from dramatiq.middleware import default_middleware

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


def make_broker(settings: Settings, *, middleware: list | None = None) -> dramatiq.Broker:
    url = settings.broker_url
    if middleware is None:
        middleware = [m() for m in default_middleware]
    # Every broker carries request ids in its messages and counts what its workers do.
    middleware = [*middleware, observing.RequestIds(), observing.Observed(OBSERVED, expected=EXPECTED)]
    if url == EMBEDDED:
        broker = StubBroker(middleware=middleware)
        broker.emit_after("process_boot")
        return broker
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBroker(
            url=url,
            namespace=settings.broker_namespace,
            heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
            maintenance_chance=MAINTENANCE_SCALE,
            middleware=middleware,
        )
    if url.startswith(("amqp://", "amqps://")):
        return RabbitmqBroker(url=url, confirm_delivery=True, middleware=middleware)
    raise ValueError(f"INTERVISIE_BROKER_URL must be 'embedded', redis://… or amqp://…, not {url!r}")


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
