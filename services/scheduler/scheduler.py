"""The scheduler as a process sees it: a broker, its actors, and optionally a worker consuming them.

``intervisie worker`` builds one and consumes until SIGTERM. The API builds one to send
messages; with the ``embedded`` broker it also consumes, in a worker started lazily in the
process that serves requests — after gunicorn has forked, never before.

Stopping, a worker takes no new messages and lets the ones under way (a mail being handed to the
SMTP server) finish and record how they went, for at most :data:`SHUTDOWN_GRACE_SECONDS`.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import uuid
from collections.abc import Callable
from datetime import datetime

import dramatiq
from sqlalchemy.orm import Session, sessionmaker

from services.scheduler import jobs
from services.scheduler.actors import Actors, declare_actors
from services.scheduler.broker import EMBEDDED, make_broker, ping
from services.scheduler.runtime import Runtime
from shared.config import Settings

log = logging.getLogger(__name__)

WORKER_TIMEOUT_MS = 1_000
SHUTDOWN_GRACE_SECONDS = 8
"""How long a stopping worker waits for the messages under way: inside the 10 s that Docker
leaves between SIGTERM and SIGKILL. Work still running then is abandoned as if the process had
died: a mail's claim is taken over after INTERVISIE_SENDING_TIMEOUT_SECONDS, a run's lease
after it expires."""


class Sweeper(threading.Thread):
    """Every ``interval`` seconds: issue the reminders that are due, ask for the calendar sources
    due for a refresh, and re-send the work whose message may have been lost."""

    def __init__(self, runtime: Runtime, actors: Actors, interval: float) -> None:
        super().__init__(name="intervisie-sweeper", daemon=True)
        self.runtime, self.actors, self.interval = runtime, actors, interval
        self._stop_event = threading.Event()

    def sweep(self) -> int:
        """One round; each step on its own, so that one that fails does not keep the others from
        running (it is tried again next round)."""
        steps = (
            ("purging", lambda: jobs.purge_expired(self.runtime)),
            ("reminders", lambda: jobs.send_reminders(self.runtime, self.actors.send_notices)),
            ("calendars", lambda: jobs.request_due_calendars(self.runtime, self.actors.send_calendar_fetches)),
            ("resuming lost work", lambda: jobs.resume_lost_work(
                self.runtime, self.actors.request_plan, self.actors.send_outbox,
                self.actors.send_deliveries, self.actors.send_webhooks, self.actors.request_composition,
                self.actors.request_batch, self.actors.send_notices,
            )),
        )
        found = 0
        for name, step in steps:
            try:
                outcome = step()
            except Exception:  # noqa: BLE001 - a failing sweep must not kill the worker; it runs again
                log.exception("sweep: %s failed", name)
                continue
            if name == "resuming lost work":
                found = outcome
        return found

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.sweep()

    def stop(self) -> None:
        self._stop_event.set()


class Scheduler:
    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        *,
        broker: dramatiq.Broker | None = None,
        autostart: bool = True,
        clock: Callable[[], datetime] | None = None,
        worker_timeout_ms: int = WORKER_TIMEOUT_MS,
    ) -> None:
        """``autostart=False`` keeps an embedded worker from starting on its own (tests start it)."""
        self.settings = settings
        self.autostart = autostart
        self.worker_timeout_ms = worker_timeout_ms
        self.broker = broker or make_broker(settings)
        self.runtime = Runtime(settings, session_factory)
        if clock is not None:
            self.runtime.clock = clock
        self.actors = declare_actors(self.broker, self.runtime, namespace=settings.broker_namespace)
        self.runtime.dispatch = self.dispatch
        self._worker: dramatiq.Worker | None = None
        self._sweeper: Sweeper | None = None
        self._started_in: int | None = None
        self._lock = threading.Lock()

    @property
    def embedded(self) -> bool:
        return self.settings.broker_url == EMBEDDED

    def _send(self, what: str, send: Callable[..., None], argument: object) -> None:
        """Send a message about work a committed transaction recorded. The row is the record and
        the message only a hint: when sending fails, the sweep sends it again later."""
        if self.embedded and self.autostart:
            self.ensure_consuming()
        try:
            send(argument)
        except Exception:  # noqa: BLE001
            log.warning("could not send %s; the sweep will", what, exc_info=True)

    def request_plan(self, run_id: uuid.UUID) -> None:
        self._send(f"scheduling run {run_id}", self.actors.request_plan, run_id)

    def request_batch(self, batch_id: uuid.UUID) -> None:
        self._send(f"scheduling batch {batch_id}", self.actors.request_batch, batch_id)

    def request_composition(self, proposal_id: uuid.UUID) -> None:
        self._send(f"group proposal {proposal_id}", self.actors.request_composition, proposal_id)

    def dispatch(self, message_ids: list[uuid.UUID]) -> None:
        self._send(f"{len(message_ids)} outbox message(s)", self.actors.send_outbox, message_ids)

    def post_webhooks(self, delivery_ids: list[uuid.UUID]) -> None:
        self._send(f"{len(delivery_ids)} webhook delivery(ies)", self.actors.send_webhooks, delivery_ids)

    def ensure_consuming(self) -> None:
        """Start the worker in this process once (again after a fork). It stops when the process
        exits normally (gunicorn's worker after SIGTERM, ``intervisie serve`` after SIGTERM or
        Ctrl-C), letting the messages under way finish first."""
        if not self.autostart or self._started_in == os.getpid():
            return
        with self._lock:
            if self._started_in == os.getpid():
                return
            self.start_consuming()
            atexit.register(self.stop)

    def start_consuming(self) -> None:
        self._worker = dramatiq.Worker(
            self.broker, worker_threads=self.settings.worker_threads, worker_timeout=self.worker_timeout_ms
        )
        self._worker.start()
        self._sweeper = Sweeper(self.runtime, self.actors, self.settings.sweep_seconds)
        self._sweeper.sweep()
        self._sweeper.start()
        self._started_in = os.getpid()
        log.info("scheduler worker %s consuming (%s)", self.runtime.name, self.settings.broker_url.split("@")[-1])

    def stop(self, grace_seconds: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Stop sweeping and taking messages, and wait up to ``grace_seconds`` for the messages
        under way: Dramatiq's own shutdown, which stops each worker thread after its current
        message and gives the messages not yet started back to the broker."""
        if self._sweeper is not None:
            self._sweeper.stop()
        # Only in the process that started it: a forked child has the object but not the threads.
        if self._worker is not None and self._started_in == os.getpid():
            self._worker.stop(timeout=int(grace_seconds * 1000))
        self._started_in = None

    def drain(self) -> None:
        """Wait until every sent message has been processed (embedded broker; for tests)."""
        for _ in range(10):  # jobs send follow-up messages; join until all queues stay empty
            for queue in self.actors.queues:
                self.broker.join(queue, fail_fast=True)
            self._worker.join()
            if all(self.broker.queues[q].empty() for q in self.actors.queues if q in self.broker.queues):
                return

    def alive(self) -> bool:
        """Whether this process consumes: its consumer and worker threads and its sweeper run."""
        worker, sweeper = self._worker, self._sweeper
        if worker is None or sweeper is None or not sweeper.is_alive():
            return False
        threads = [*worker.consumers.values(), *worker.workers]
        return bool(threads) and all(thread.is_alive() for thread in threads)

    def ping(self) -> None:
        if self.embedded:
            if self._started_in == os.getpid() or not self.autostart:
                return
            raise RuntimeError("the embedded worker is not running")
        ping(self.broker)
