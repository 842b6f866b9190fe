"""Who may read the metrics: the API's ``/metrics`` and the port of ``intervisie worker``.

A scrape is answered to a loopback client, to a client in ``INTERVISIE_METRICS_ALLOW``, and to
any client that sends ``INTERVISIE_METRICS_TOKEN`` as Prometheus's ``authorization`` setting
does (``Authorization: Bearer <token>``, compared in constant time). A wrong token is refused
wherever it comes from. Anyone else gets a problem: 401 with ``WWW-Authenticate`` when a token
would open the metrics, 403 when none is configured; every refusal counts against
``INTERVISIE_FAILED_KEY_LIMIT`` for the client's address, as a refused API key does, and past it
the answer is 429.

The client's address is the one after the trusted proxies (the API's ProxyFix has rewritten it
by then). A request that carries a forwarding header where no proxy is trusted has come through
a proxy that nobody vouches for — its address is the proxy's, not the client's — so that address
opens nothing; only the token does. A worker's port trusts no proxy: it is scraped directly.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from flask import Response
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from prometheus_client import CollectorRegistry, make_wsgi_app
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request

from services.api.auth import bearer_key
from services.api.limits import refused_attempts
from services.api.problems import problem_response
from shared.config import Settings

log = logging.getLogger(__name__)

FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
"""Headers by which a proxy names the client it forwards for."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Refusal:
    status: int
    detail: str
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        slug = "unauthorized" if self.status == 401 else "forbidden"
        return problem_response(self.status, slug=slug, detail=self.detail, headers=self.headers)


class MetricsGate:
    """Decides whether a scrape is answered (see the module's docstring)."""

    def __init__(self, networks: Iterable[Network], token: str | None, *, proxies_trusted: bool) -> None:
        self.networks = tuple(networks)
        self.token = token.encode() if token else None
        self.proxies_trusted = proxies_trusted

    @classmethod
    def of(cls, settings: Settings, *, proxies_trusted: bool) -> MetricsGate:
        return cls(settings.metrics_networks, settings.metrics_token, proxies_trusted=proxies_trusted)

    def refusal(self, address: str | None, headers: Mapping[str, str]) -> Refusal | None:
        """None when the scrape is answered; otherwise why not."""
        if self.token is not None:
            presented = bearer_key(headers.get("Authorization", ""))
            if presented is not None:
                if hmac.compare_digest(presented.encode(), self.token):
                    return None
                return Refusal(
                    401, "The metrics token is not valid.",
                    {"WWW-Authenticate": 'Bearer realm="metrics", error="invalid_token"'},
                )
        if self._address_allowed(address, headers):
            return None
        if self.token is not None:
            return Refusal(
                401, "Send the metrics token as Authorization: Bearer <token>.",
                {"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return Refusal(403, "Metrics are not open to this address.")

    def _address_allowed(self, address: str | None, headers: Mapping[str, str]) -> bool:
        if not self.proxies_trusted and any(name in headers for name in FORWARDING_HEADERS):
            return False
        try:
            client = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        if isinstance(client, ipaddress.IPv6Address) and client.ipv4_mapped is not None:
            client = client.ipv4_mapped
        return client.is_loopback or any(client in network for network in self.networks)


def refused(
    gate: MetricsGate, address: str | None, headers: Mapping[str, str], note_refused: Callable[[str], Response | None],
) -> Response | None:
    """None when the scrape is to be answered; else the answer: the refusal, or 429 past the
    limit of refusals for the address."""
    refusal = gate.refusal(address, headers)
    if refusal is None:
        return None
    address = address or "-"
    over = note_refused(address)
    log.warning("refused a metrics scrape from %s (%d)%s", address, refusal.status, " (too many attempts)" if over else "")
    return over or refusal.response()


def worker_metrics_app(settings: Settings, registry: CollectorRegistry) -> Callable:
    """The WSGI application of a worker's metrics port; it counts refusals in its own memory."""
    gate = MetricsGate.of(settings, proxies_trusted=False)
    counter = SlidingWindowCounterRateLimiter(MemoryStorage())
    note_refused = refused_attempts(lambda: counter, settings.failed_key_limit)
    exposition = make_wsgi_app(registry)

    def application(environ, start_response):
        request = Request(environ)
        refusal = refused(gate, request.remote_addr, request.headers, note_refused)
        if refusal is not None:
            return refusal(environ, start_response)
        return exposition(environ, start_response)

    return application


class _Quiet(WSGIRequestHandler):
    """No access log line for every scrape (refusals are logged by the gate)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def serve_worker_metrics(settings: Settings, registry: CollectorRegistry, host: str = "0.0.0.0") -> BaseWSGIServer:
    """Serve a worker's metrics on ``INTERVISIE_WORKER_METRICS_PORT`` in a daemon thread."""
    server = make_server(
        host, settings.worker_metrics_port, worker_metrics_app(settings, registry), threaded=True, request_handler=_Quiet,
    )
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
