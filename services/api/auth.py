"""Bearer-key authentication for everything under /v1 (registered with ``app.before_request``)."""

from __future__ import annotations

import logging

from flask import current_app, g, request

from services.api.context import state
from services.api.problems import problem_response
from shared.actor import Actor
from shared.use_cases.api_keys import authenticate

log = logging.getLogger(__name__)

SECURITY_SCHEME = {"type": "http", "scheme": "bearer", "description": "An API key: `Authorization: Bearer ivk_…`"}


def _unauthorized(detail: str):
    return problem_response(
        401, slug="unauthorized", title="Unauthorized", detail=detail,
        headers={"WWW-Authenticate": 'Bearer realm="intervisie"'},
    )


def bearer_key(header: str) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header; the scheme is case-insensitive
    (RFC 9110 §11.1) and spaces around it do not matter."""
    scheme, _, key = header.strip().partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


def resolved_actor() -> Actor | None:
    """The API client behind this request's key (cached per process, and once per request), or
    None when it sends no valid key."""
    if "resolved_actor" in g:
        return g.resolved_actor
    key = bearer_key(request.headers.get("Authorization", ""))
    found = None
    if key is not None:
        app_state = state()
        found = app_state.api_keys.get(key)
        if found is None:
            with app_state.read_session_factory() as session:
                found = authenticate(session, key)
            if found is not None:
                app_state.api_keys.put(key, found)
    g.resolved_actor = found
    return found


FAILED_KEYS = "intervisie.failed_keys"
"""``app.extensions`` entry: counts a refused key for the client's address; True when over."""


def require_key():
    if not request.path.startswith("/v1/"):
        return None
    if bearer_key(request.headers.get("Authorization", "")) is None:
        return _unauthorized("Send your API key as Authorization: Bearer <key>.")
    found = resolved_actor()
    if found is None:
        over = current_app.extensions[FAILED_KEYS]()
        log.warning("refused an API key from %s%s", request.remote_addr, " (too many attempts)" if over else "")
        if over:
            return over
        return _unauthorized("The API key is not valid, or has been revoked.")
    g.actor = found
    return None
