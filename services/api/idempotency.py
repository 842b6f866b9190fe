"""``Idempotency-Key`` on every POST, as request hooks around the views (see shared.use_cases.idempotency)."""

from __future__ import annotations

import re

from flask import Flask, Response, g, request

from services.api.context import state
from services.api.problems import problem_response
from shared.errors import FieldError
from shared.use_cases import idempotency

HEADER = "Idempotency-Key"
USABLE_KEY = re.compile(idempotency.KEY_PATTERN)
UNUSABLE_KEY = (
    f"1 to {idempotency.MAX_KEY_LENGTH} printable characters (ASCII or Latin-1), without a space at either end"
)
KEPT_HEADERS = ("Content-Type", "Location", "ETag", "Retry-After")


def _begin() -> Response | None:
    if request.method != "POST" or HEADER not in request.headers or "actor" not in g:
        return None
    key = request.headers[HEADER]
    if not USABLE_KEY.fullmatch(key):
        return problem_response(
            400, slug="validation-error", title="Validation error",
            detail=f"{HEADER} must be {UNUSABLE_KEY}.",
            errors=[FieldError(HEADER, f"must be {UNUSABLE_KEY}", "header")],
        )
    app_state = state()
    path = request.full_path if request.query_string else request.path
    outcome = idempotency.begin(
        app_state.session_factory, g.actor.client_id, key,
        idempotency.fingerprint(request.method, path, request.get_data(cache=True)), app_state.clock(),
    )
    if isinstance(outcome, idempotency.Replay):
        response = Response(outcome.body, status=outcome.status, headers=outcome.headers)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    if isinstance(outcome, idempotency.Refusal):
        slug = "conflict" if outcome.status == 409 else "idempotency-key-reused"
        return problem_response(outcome.status, slug=slug, detail=outcome.detail)
    g.idempotency_record = outcome.record_id
    return None


def _finish(response: Response) -> Response:
    record_id = g.pop("idempotency_record", None)
    if record_id is not None:
        headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
        idempotency.finish(state().session_factory, record_id, response.status_code, response.get_data(as_text=True), headers)
    return response


def register(app: Flask) -> None:
    """After authentication (the key is scoped per client), before the view."""
    app.before_request(_begin)
    app.after_request(_finish)
