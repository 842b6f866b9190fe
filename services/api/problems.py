"""RFC 9457 problem documents for every error the API answers.

Every path to an error ends here: ``abort`` and werkzeug's HTTP exceptions (404 route, 405,
413, …), webargs validation errors, the use cases' :class:`~shared.errors.ServiceError`, a lost
optimistic-locking race, and any unexpected exception (500, logged, never shown).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, json, request
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from services.telemetry import redact
from shared.errors import FieldError, ServiceError

log = logging.getLogger(__name__)

PROBLEM_TYPE_BASE = "/problems/"
MEDIA_TYPE = "application/problem+json"
LOCATIONS = {"json": "body", "query": "query", "headers": "header", "view_args": "path"}

# The slugs a client can branch on; anything else is "about:blank" with the HTTP status.
PROBLEM_TYPES: dict[str, str] = {
    "validation-error": "A field is missing or wrong. `errors` lists each one with its `field` (a dotted path such as availability.weekly.0.day), its `location` (body, query, path or header) and the `reason`.",
    "not-found": "No such resource, or not one that your key may see.",
    "forbidden": "Your key's role may not do this.",
    "conflict": "The request conflicts with the resource's current state.",
    "schedule-conflict": "The change would book a person into two sessions at once, or give a facilitator more sessions (or less time between them) than her capacity allows. A move also answers it when the new time lies in busy time read from a required person's own calendar. `conflicts` lists each with the `session_id` of the other session (null for a calendar), the `source` (session or calendar), the `person_id`, the `reason` (overlap, break, day or week) and the `placed_session_id` of the session being placed. The problem's own `reason` says which kind it is: `booking` (the above) or `facilitator-unavailable` (a guided session moved to a time its facilitator cannot attend, unless the request says `allow_absent: true`; `conflicts` is then empty, `person_id` names the facilitator, `placed_session_id` the session and `explanations` says why in words). More reasons may come within /v1. Nothing was changed.",
    "precondition-failed": "If-Match named a version that is no longer current.",
    "unauthorized": "No key, or not a valid one: send Authorization: Bearer <key>.",
    "payload-too-large": "The request body is larger than 1 MiB.",
    "unsupported-media-type": "The request body is not of the media type the operation takes (see its Content-Type).",
    "idempotency-key-reused": "This Idempotency-Key was used with a different request; send a new key.",
    "rate-limited": "Too many requests; wait as long as Retry-After says.",
    "internal-error": "Something failed on our side; it has been logged.",
    "unavailable": "A service we depend on (the database) did not answer; retry after Retry-After seconds.",
}


class FieldErrorSchema(Schema):
    class Meta:
        json_schema = {"required": ["field", "location", "reason"]}

    field = fields.String(metadata={"description": "Dotted path of the field, e.g. availability.weekly.0.day"})
    location = fields.String(
        validate=validate.OneOf(("body", "query", "path", "header")), metadata={"description": "body, query, path or header"}
    )
    reason = fields.String()


class ScheduleConflictSchema(Schema):
    class Meta:
        json_schema = {"required": ["session_id", "person_id", "reason", "source", "placed_session_id"]}

    session_id = fields.UUID(
        allow_none=True,
        metadata={"description": "The other session the person is booked into; null when the cause is busy time from their calendar"},
    )
    source = fields.String(
        validate=validate.OneOf(("session", "calendar")),
        metadata={"description": "session: another of our sessions; calendar: busy time read from the person's own published calendar (a move only)"},
    )
    person_id = fields.UUID()
    reason = fields.String(
        validate=validate.OneOf(("overlap", "break", "day", "week")), metadata={"description": "overlap, break, day or week"}
    )
    placed_session_id = fields.UUID(metadata={"description": "The session being placed"})


class ProblemExplanationSchema(Schema):
    """Why a person cannot come, in words (the shape of a run's diagnostics explanations)."""

    class Meta:
        json_schema = {"required": [
            "person_id", "name", "role", "reason_code", "text", "session_id", "group_id", "date", "time", "limit",
        ]}

    person_id = fields.UUID(allow_none=True)
    name = fields.String(allow_none=True)
    role = fields.String(metadata={"description": "facilitator or member"})
    reason_code = fields.String(metadata={"description": "As in a run's diagnostics (booked, weekday, hours, calendar-busy, …)"})
    text = fields.String(metadata={"example": "Harriët de Vries (begeleider) kan op dinsdag niet."})
    session_id = fields.UUID(allow_none=True)
    group_id = fields.UUID(allow_none=True)
    date = fields.String(allow_none=True)
    time = fields.String(allow_none=True)
    limit = fields.Integer(allow_none=True)


class ProblemSchema(Schema):
    """An RFC 9457 problem document."""

    class Meta:
        json_schema = {"required": ["type", "title", "status", "detail"]}

    type = fields.String(metadata={"description": "URI reference naming the kind of problem"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema), metadata={"description": "Per-field reasons, for validation errors"})
    conflicts = fields.List(fields.Nested(ScheduleConflictSchema), metadata={"description": "Who would be booked twice, for schedule-conflict"})
    reason = fields.String(metadata={
        "description": "For schedule-conflict: booking (see conflicts) or facilitator-unavailable (a guided session moved to a "
                       "time its facilitator cannot attend); more values may come within /v1",
    })
    person_id = fields.UUID(metadata={"description": "For facilitator-unavailable: the facilitator"})
    placed_session_id = fields.UUID(metadata={"description": "For facilitator-unavailable: the session being moved"})
    explanations = fields.List(
        fields.Nested(ProblemExplanationSchema),
        metadata={"description": "For facilitator-unavailable: why she cannot come, in the group's language"},
    )


def problem_response(
    status: int,
    *,
    slug: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    errors: Iterable[FieldError] = (),
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug if slug else "about:blank",
        "title": title or phrase,
        "status": status,
        "detail": detail or phrase,
    }
    errors = list(errors)
    if errors:
        body["errors"] = [{"field": e.field, "location": e.location, "reason": e.reason} for e in errors]
    body.update(extra or {})
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_messages(messages: Any, location: str, prefix: str = "") -> list[FieldError]:
    """webargs/marshmallow nest messages by field; a client wants one line per field."""
    if isinstance(messages, Mapping):
        found: list[FieldError] = []
        for key, value in messages.items():
            name = "" if key == "_schema" else str(key)
            path = ".".join(part for part in (prefix, name) if part)
            found.extend(flatten_messages(value, location, path))
        return found
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [FieldError(prefix or "(body)", reason, location) for reason in messages]
    if isinstance(messages, list):
        return [e for m in messages for e in flatten_messages(m, location, prefix)]
    return [FieldError(prefix or "(body)", str(messages), location)]


def _http_exception(error: HTTPException) -> Response:
    if isinstance(getattr(error, "response", None), Response):
        return error.response  # already rendered (the rate limiter's 429 carries its own)
    status = error.code or 500
    if status == 304:
        return Response(status=304, headers=getattr(error, "headers", None))
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if "messages" in data:  # webargs validation error
        errors = [
            e
            for where, messages in data["messages"].items()
            for e in flatten_messages(messages, LOCATIONS.get(where, where))
        ]
        return problem_response(
            status,
            slug="validation-error",
            title="Validation error",
            detail="; ".join(f"{e.field}: {e.reason}" for e in errors) or "Invalid request.",
            errors=errors,
            headers=headers,
        )
    if getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    slug = {401: "unauthorized", 404: "not-found", 413: "payload-too-large", 429: "rate-limited"}.get(status)
    detail = data.get("message") or _DETAILS.get(status) or error.description
    return problem_response(status, slug=slug, detail=detail, headers=headers)


_DETAILS = {
    404: "There is nothing at this address.",
    405: "This method is not allowed here; see the Allow header.",
    413: "The request body is larger than 1 MiB.",
    415: "Send the request body as application/json.",
    429: "Too many requests; wait as long as Retry-After says, then try again.",
}


def describe_problem(slug: str) -> Response:
    """The page a problem's ``type`` URI resolves to."""
    if slug not in PROBLEM_TYPES:
        return problem_response(404, slug="not-found", detail=f"No problem type {slug!r}.")
    text = f"{slug}\n\n{PROBLEM_TYPES[slug]}\n"
    return Response(text, mimetype="text/plain")


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_exception)
    app.add_url_rule(PROBLEM_TYPE_BASE + "<slug>", "problem_type", describe_problem)

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError) -> Response:
        return problem_response(
            error.status, slug=error.slug, title=error.title, detail=error.detail, errors=error.errors,
            extra=error.extra,
        )

    @app.errorhandler(ValidationError)
    def invalid(error: ValidationError) -> Response:
        errors = flatten_messages(error.messages, "body")
        return problem_response(
            422, slug="validation-error", title="Validation error",
            detail="; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors,
        )

    @app.errorhandler(StaleDataError)
    def lost_race(error: StaleDataError) -> Response:
        # Only after the view ran again and lost every time (services.api.app.Application).
        if request.if_match:
            return problem_response(
                412,
                slug="precondition-failed",
                title="Precondition failed",
                detail="The resource was changed by another request at the same time; read it again and retry.",
            )
        return problem_response(
            409, slug="conflict", title="Conflict",
            detail="Other requests kept changing the resource at the same time; send the request again.",
        )

    @app.errorhandler(IntegrityError)
    def integrity(error: IntegrityError) -> Response:
        log.info("integrity error on %s %s: %s", request.method, redact(request.path), error.orig)
        return problem_response(
            409, slug="conflict", title="Conflict",
            detail="The change conflicts with existing data (a concurrent request may have made it first).",
        )

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError) -> Response:
        log.exception("database error on %s %s", request.method, redact(request.path))
        return problem_response(
            503, slug="unavailable", title="Service unavailable",
            detail="The database did not answer; try again shortly.", headers={"Retry-After": "5"},
        )

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, redact(request.path))
        return problem_response(
            500, slug="internal-error", title="Internal server error",
            detail="Something failed on our side; it has been logged.",
        )
