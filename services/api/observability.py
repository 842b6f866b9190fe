"""Request ids, HTTP metrics and ``/metrics`` for the API.

Every answer carries ``X-Request-ID``: the client's own when it is valid (1–128 characters of
``[A-Za-z0-9._-]``), a new uuid4 hex otherwise. The id is in every log line of the request and
travels in the worker messages the request causes (services/scheduler/middleware.py).

``/metrics`` is Prometheus's text format, without an API key and without rate limit; it can be
turned off (``INTERVISIE_METRICS=off``). It answers loopback clients, the networks of
``INTERVISIE_METRICS_ALLOW`` and the bearer of ``INTERVISIE_METRICS_TOKEN`` (services.metrics_gate).
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder

from services.api.auth import FAILED_KEYS
from services.api.context import state
from services.api.redaction import RedactingRequestHandler
from services.metrics_gate import MetricsGate, refused
from services.scheduler.broker import queue_depths
from services.telemetry import CLIENT_ID, REQUEST_ID, request_id_from, scrape_registry
from shared.config import Settings
from shared.use_cases import backlog

log = logging.getLogger(__name__)

HEADER = "X-Request-ID"
ENVIRON_KEYS = ((REQUEST_ID, "intervisie.request_id"), (CLIENT_ID, "intervisie.client_id"))
"""Where the ids wait in the WSGI environ for the development server's access log line."""
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

HTTP_REQUESTS = Counter(
    "intervisie_http_requests",
    "Answered requests, by endpoint (the route's name, never the path: paths hold tokens), method and status.",
    ["endpoint", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "intervisie_http_request_duration_seconds", "Time from the request's arrival to its answer, by endpoint and method.",
    ["endpoint", "method"],
)


def _begin() -> None:
    g.observed_since = time.perf_counter()
    g.request_id = request_id_from(request.headers.get(HEADER))
    request.environ["intervisie.request_id"] = g.request_id
    g.request_id_token = REQUEST_ID.set(g.request_id)


def note_client() -> None:
    """After authentication: the API client's id in the log lines and worker messages."""
    actor = g.get("actor")
    if actor is not None:
        request.environ["intervisie.client_id"] = str(actor.client_id)
        g.client_id_token = CLIENT_ID.set(str(actor.client_id))


def _finish(response: Response) -> Response:
    request_id = g.get("request_id") or request_id_from(None)
    response.headers[HEADER] = request_id
    endpoint = request.url_rule.endpoint if request.url_rule is not None else "(no route)"
    method = request.method if request.method in _METHODS else "other"
    HTTP_REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    since = g.get("observed_since")
    if since is not None:
        HTTP_SECONDS.labels(endpoint, method).observe(time.perf_counter() - since)
    return response


def _reset(_error: BaseException | None) -> None:
    for variable, name in ((CLIENT_ID, "client_id_token"), (REQUEST_ID, "request_id_token")):
        token = g.pop(name, None)
        if token is not None:
            variable.reset(token)


def install(app: Flask) -> None:
    """Before every other hook, so that even a refused request (429, 401, 404) is timed, counted
    and answered with its id."""
    app.before_request(_begin)
    app.after_request(_finish)
    app.teardown_request(_reset)


class Backlog:
    """Gauges read at scrape time: the outbox's lag and the broker's queues."""

    def collect(self):
        app_state = state()
        lag = GaugeMetricFamily(
            "intervisie_outbox_lag_seconds", "Age of the oldest outbox row not yet dispatched (0: none waits)."
        )
        try:
            with app_state.read_session_factory() as session:
                lag.add_metric([], backlog.outbox_lag_seconds(session, app_state.clock()))
        except Exception:  # noqa: BLE001 - a scrape must answer; the log says why a value is missing
            log.warning("metrics: the outbox lag could not be read", exc_info=True)
        yield lag
        depth = GaugeMetricFamily(
            "intervisie_queue_depth", "Messages waiting in each queue of the broker, by state (ready, delayed, dead).",
            labels=["queue", "state"],
        )
        scheduler = app_state.scheduler
        try:
            for (queue, waiting), count in sorted(queue_depths(scheduler.broker, scheduler.actors.queues).items()):
                depth.add_metric([queue, waiting], count)
        except Exception:  # noqa: BLE001
            log.warning("metrics: the broker's queue depths could not be read", exc_info=True)
        yield depth


class _Counted:
    """What the processes counted (one registry, or the multiprocess sum), to scrape together
    with the gauges read now."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self):
        return self.registry.collect()


def install_metrics(app: Flask, settings: Settings, limiter: Limiter) -> None:
    """``GET /metrics``: without an API key and not rate limited while answered; not there when
    turned off; refused as :mod:`services.metrics_gate` says (its refusals are limited)."""
    if not settings.metrics_enabled:
        return
    gate = MetricsGate.of(settings, proxies_trusted=settings.trusted_proxies > 0)

    def metrics() -> Response:
        """Prometheus metrics"""
        refusal = refused(gate, request.remote_addr, request.headers, lambda _address: current_app.extensions[FAILED_KEYS]())
        if refusal is not None:
            return refusal
        scraped = CollectorRegistry()
        scraped.register(_Counted(scrape_registry(settings.metrics_multiproc_dir)))
        scraped.register(Backlog())
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return Response(encode(scraped), content_type=content_type, headers={"Cache-Control": "no-store"})

    app.add_url_rule("/metrics", "metrics", limiter.exempt(metrics))


class AccessLogHandler(RedactingRequestHandler):
    """The development server's access log line, with the request id of the request it is about
    (it is written after the request's own context is gone)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        environ = getattr(self, "environ", None) or {}
        tokens = [(variable, variable.set(environ.get(key))) for variable, key in ENVIRON_KEYS]
        try:
            super().log_request(code, size)
        finally:
            for variable, token in tokens:
                variable.reset(token)
