"""Dramatiq middleware: request ids through the queues, and Prometheus counts of what workers do.

:class:`RequestIds` puts the request id and API client id of the context that sends a message
into the message's options, and sets them again while a worker processes it, so the worker's log
lines (and the messages it sends in turn, and the jobs and outbox rows it records) carry the id of
the request that caused them. The sweep sends lost runs, batches, proposals and outbox rows again
under the id they were recorded with; reminders, and deliveries it sends again, carry none.

:class:`Observed` times and counts the messages of the actors it is given, by the outcome the
actor reports with :func:`report` or by the exception it raised.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextvars import ContextVar

import dramatiq
from dramatiq.middleware import Middleware
from prometheus_client import Counter, Histogram

from services.telemetry import CLIENT_ID, REQUEST_ID

REQUEST_ID_OPTION = "intervisie_request_id"
CLIENT_ID_OPTION = "intervisie_client_id"

RUN, INVITATION, NOTICE, WEBHOOK = "run", "invitation", "notice", "webhook"

WORKER_MESSAGES = Counter(
    "intervisie_worker_messages", "Messages the workers processed, by actor and result (ok, or error when it raised).",
    ["actor", "result"],
)
SCHEDULING_RUNS = Counter(
    "intervisie_scheduling_runs",
    "Scheduling run messages processed, by outcome: succeeded, infeasible, failed, skipped (already done, "
    "or the lease was lost), held_elsewhere (another worker plans it; retried), error (raised; retried).",
    ["outcome"],
)
SCHEDULING_RUN_SECONDS = Histogram(
    "intervisie_scheduling_run_duration_seconds", "Time a worker spent on one scheduling run message, by outcome.",
    ["outcome"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120),
)
MAIL_DELIVERIES = Counter(
    "intervisie_mail_deliveries",
    "Mail delivery attempts, by kind (invitation, notice) and result: sent, failed (given up), deferred "
    "(the SMTP server did not take it; retried), skipped (already sent or claimed), error (raised).",
    ["kind", "result"],
)
WEBHOOK_DELIVERIES = Counter(
    "intervisie_webhook_deliveries",
    "Webhook delivery attempts, by result: delivered, retry (scheduled again), failed (given up), "
    "disabled (the endpoint was disabled), skipped (not due), error (raised).",
    ["result"],
)

_VOCABULARY = {
    RUN: {"succeeded", "infeasible", "failed", "skipped", "held_elsewhere", "error"},
    INVITATION: {"sent", "failed", "deferred", "skipped", "error"},
    NOTICE: {"sent", "failed", "deferred", "skipped", "error"},
    WEBHOOK: {"delivered", "retry", "failed", "disabled", "skipped", "error"},
}
for _outcome in _VOCABULARY[RUN]:  # known series exist from the start, at 0
    SCHEDULING_RUNS.labels(_outcome)
for _kind in (INVITATION, NOTICE):
    for _outcome in _VOCABULARY[_kind]:
        MAIL_DELIVERIES.labels(_kind, _outcome)
for _outcome in _VOCABULARY[WEBHOOK]:
    WEBHOOK_DELIVERIES.labels(_outcome)

_OUTCOME: ContextVar[str | None] = ContextVar("intervisie_job_outcome", default=None)
_STARTED: ContextVar[float | None] = ContextVar("intervisie_job_started", default=None)


def report(outcome: str) -> None:
    """What the job of the message being processed came to (e.g. ``succeeded``, or ``skipped: …``);
    :class:`Observed` counts it by its first word."""
    _OUTCOME.set(outcome)


class RequestIds(Middleware):
    def before_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int) -> None:
        # A retry keeps the id of the message it retries.
        for option, variable in ((REQUEST_ID_OPTION, REQUEST_ID), (CLIENT_ID_OPTION, CLIENT_ID)):
            value = variable.get()
            if value is not None and option not in message.options:
                message.options[option] = value

    def before_process_message(self, broker: dramatiq.Broker, message) -> None:
        REQUEST_ID.set(message.options.get(REQUEST_ID_OPTION))
        CLIENT_ID.set(message.options.get(CLIENT_ID_OPTION))

    def after_process_message(self, broker: dramatiq.Broker, message, *, result=None, exception=None) -> None:
        REQUEST_ID.set(None)
        CLIENT_ID.set(None)

    after_skip_message = after_process_message


class Observed(Middleware):
    """Counts every message by actor and result, and the outcomes of the actors in ``kinds``
    (actor name → ``run``, ``invitation``, ``notice`` or ``webhook``)."""

    def __init__(self, kinds: Mapping[str, str], *, expected: Mapping[type[BaseException], str] | None = None) -> None:
        self.kinds = dict(kinds)
        self.expected = dict(expected or {})
        """Exceptions that are outcomes, not errors (a deferred mail, a run held by another worker)."""

    def before_process_message(self, broker: dramatiq.Broker, message) -> None:
        _STARTED.set(time.perf_counter())
        _OUTCOME.set(None)

    def after_process_message(self, broker: dramatiq.Broker, message, *, result=None, exception=None) -> None:
        started = _STARTED.get()
        seconds = time.perf_counter() - started if started is not None else 0.0
        WORKER_MESSAGES.labels(message.actor_name, "ok" if exception is None else "error").inc()
        kind = self.kinds.get(message.actor_name)
        if kind is None:
            return
        if exception is not None:
            outcome = next((label for cls, label in self.expected.items() if isinstance(exception, cls)), "error")
        else:
            outcome = (_OUTCOME.get() or "").split(":", 1)[0].strip()
            if kind == RUN and outcome in ("plan", "succeeded"):
                outcome = "succeeded"
        if outcome not in _VOCABULARY[kind]:
            outcome = "other"
        if kind == RUN:
            SCHEDULING_RUNS.labels(outcome).inc()
            SCHEDULING_RUN_SECONDS.labels(outcome).observe(seconds)
        elif kind == WEBHOOK:
            WEBHOOK_DELIVERIES.labels(outcome).inc()
        else:
            MAIL_DELIVERIES.labels(kind, outcome).inc()
