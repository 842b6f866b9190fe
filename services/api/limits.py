"""Rate limits (flask-limiter): per API key under /v1, per client address for the feeds and
answer pages.

Counts live in Redis when the service has Redis (shared by every API process), in memory
otherwise. A client over its limit gets a 429 problem with Retry-After.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, Response, request
from flask_limiter import Limiter, RequestLimit

from services.api.problems import problem_response
from shared.config import Settings

UNLIMITED_PATHS = ("/healthz", "/readyz", "/openapi.json", "/docs", "/problems/")


PUBLIC_PATHS = ("/feeds/", "/answer/", "/availability/")
"""Pages without a key (the token in the URL is the secret): limited per client address."""


def _is_feed() -> bool:
    return request.path.startswith(PUBLIC_PATHS)


def _client_key() -> str:
    if _is_feed():
        return f"feed:{request.remote_addr}"
    header = request.headers.get("Authorization", "")
    if header:
        return "key:" + hashlib.sha256(header.encode()).hexdigest()[:32]
    return f"anonymous:{request.remote_addr}"


def install(app: Flask, settings: Settings) -> Limiter:
    """Must run before the authentication hook, so that a flood is refused before any lookup."""
    return Limiter(
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
