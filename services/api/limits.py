"""Rate limits (flask-limiter): per API client under /v1, per client address for the pages
(feeds, answer and availability pages) and for refused keys.

Counts live in Redis when the service has Redis (shared by every API process), in memory
otherwise. A client over its limit gets a 429 problem with Retry-After.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import Flask, Response, request
from flask_limiter import Limiter, RequestLimit
from limits import parse
from limits.strategies import RateLimiter

from services.api.auth import FAILED_KEYS, resolved_actor
from services.api.problems import problem_response
from shared.config import Settings

UNLIMITED_PATHS = ("/healthz", "/readyz", "/openapi.json", "/docs", "/problems/")


PUBLIC_PATHS = ("/feeds/", "/answer/", "/availability/")
"""Pages without a key (the token in the URL is the secret): limited per client address."""


def _is_feed() -> bool:
    return request.path.startswith(PUBLIC_PATHS)


def _client_key() -> str:
    """Whose count a request adds to: a page's client address, or the API client its key
    resolves to — however the header is spelled, and whichever of the client's keys it uses."""
    if _is_feed():
        return f"feed:{request.remote_addr}"
    if request.path.startswith("/v1/"):
        actor = resolved_actor()
        if actor is not None:
            return f"client:{actor.client_id}"
    return f"anonymous:{request.remote_addr}"


def refused_attempts(counter: Callable[[], RateLimiter], limit: str) -> Callable[[str], Response | None]:
    """Counts a refused credential (an API key, a metrics scrape) for a client address; over the
    limit, the 429 to answer instead of the refusal. ``counter`` is asked at every count: the
    limiter swaps in its memory fallback while its storage is down."""
    item = parse(limit)

    def note(address: str) -> Response | None:
        if counter().hit(item, "failed-key", address):
            return None
        reset_at, _ = counter().get_window_stats(item, "failed-key", address)
        wait = max(1, math.ceil(reset_at - time.time()))
        return problem_response(
            429, slug="rate-limited", title="Too many requests",
            detail=f"More than {item} refused keys from this address; retry in {wait} s.",
            headers={"Retry-After": str(wait)},
        )

    return note


def _failed_keys(limiter: Limiter, limit: str) -> Callable[[], Response | None]:
    """Counts a refused key for the request's client address; over the limit, answers the 429."""
    note = refused_attempts(lambda: limiter.limiter, limit)
    return lambda: note(request.remote_addr or "-")


def install(app: Flask, settings: Settings) -> Limiter:
    """Must run before the authentication hook, so that a flood is refused before any lookup."""
    limiter = Limiter(
        _client_key,
        app=app,
        # Application limits count all of a key's requests together, whichever operation.
        application_limits=[lambda: settings.feed_rate_limit if _is_feed() else settings.rate_limit],
        application_limits_exempt_when=lambda: request.path.startswith(UNLIMITED_PATHS),
        storage_uri=settings.rate_limit_storage,
        key_prefix=f"{settings.broker_namespace}:ratelimit",
        # A weighted count of this and the previous window: O(1) per request (moving-window keeps
        # every hit and gets slower the higher the limit), and without fixed-window's burst at the edge.
        strategy="sliding-window-counter",
        on_breach=_refusal,
        # When Redis is down, count in this process's memory instead (checked again every few
        # seconds) and never fail a request because the counts cannot be kept.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    app.extensions[FAILED_KEYS] = _failed_keys(limiter, settings.failed_key_limit)
    return limiter


def storage_probe(limiter: Limiter):
    """A readiness probe: raises while the counts are kept in memory because their storage
    (Redis) does not answer."""

    def probe() -> None:
        if limiter._storage_dead or not limiter.storage.check():  # flask-limiter keeps no public flag
            raise Degraded("counting in memory: the rate-limit storage does not answer")

    return probe


class Degraded(RuntimeError):
    """A dependency is down, but requests are still answered (less well)."""


def _refusal(limit: RequestLimit) -> Response:
    wait = max(1, math.ceil(limit.reset_at - time.time()))
    return problem_response(
        429, slug="rate-limited", title="Too many requests",
        detail=f"More than {limit.limit} for this {'address' if _is_feed() else 'key'}; retry in {wait} s.",
        headers={"Retry-After": str(wait)},
    )
