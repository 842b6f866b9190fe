"""The Dramatiq broker that ``INTERVISIE_BROKER_URL`` names.

* ``embedded``: Dramatiq's stub broker, consumed by a worker thread inside the API process.
* ``redis://…``: workers send a heartbeat with every Redis command they issue (at least once a
  second while idle), and every command runs the broker's maintenance, which gives the
  unacknowledged messages of a worker silent for ``HEARTBEAT_TIMEOUT_MS`` back to the queue. So a
  message held by a worker killed with SIGKILL is redelivered within about 9 s.
* ``amqp://…``: RabbitMQ with publisher confirms (a send returns once the broker has the message).
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import default_middleware

from shared.config import Settings

HEARTBEAT_TIMEOUT_MS = 8_000
EMBEDDED = "embedded"


def make_broker(settings: Settings, *, middleware: list | None = None) -> dramatiq.Broker:
    url = settings.broker_url
    middleware = middleware if middleware is not None else [m() for m in default_middleware]
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
