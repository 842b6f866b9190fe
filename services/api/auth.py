"""Bearer-key authentication for everything under /v1 (registered with ``app.before_request``)."""

from __future__ import annotations

from flask import g, request

from services.api.context import state
from services.api.problems import problem_response
from shared.use_cases.api_keys import authenticate

SECURITY_SCHEME = {"type": "http", "scheme": "bearer", "description": "An API key: `Authorization: Bearer ivk_…`"}


def _unauthorized(detail: str):
    return problem_response(
        401, slug="unauthorized", title="Unauthorized", detail=detail,
        headers={"WWW-Authenticate": 'Bearer realm="intervisie"'},
    )


def require_key():
    if not request.path.startswith("/v1/"):
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return _unauthorized("Send your API key as Authorization: Bearer <key>.")
    key = key.strip()
    app_state = state()
    found = app_state.api_keys.get(key)
    if found is None:
        with app_state.read_session_factory() as session:
            found = authenticate(session, key)
        if found is None:
            return _unauthorized("The API key is not valid, or has been revoked.")
        app_state.api_keys.put(key, found)
    g.actor = found
    return None
