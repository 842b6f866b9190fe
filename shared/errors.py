"""Errors that the use cases raise and every entrypoint understands.

Each carries the HTTP status and a short slug; the API turns them into RFC 9457 problem
documents (``/problems/<slug>``), the CLI into a message on stderr.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str
    location: str = "body"


class ServiceError(Exception):
    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = tuple(errors)


class NotFound(ServiceError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Forbidden(ServiceError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class Conflict(ServiceError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class PreconditionFailed(ServiceError):
    status = 412
    slug = "precondition-failed"
    title = "Precondition failed"


class InvalidInput(ServiceError):
    """Input that is well-formed but refers to something that is not there or not allowed."""

    status = 422
    slug = "validation-error"
    title = "Validation error"

    @classmethod
    def field(cls, field: str, reason: str, location: str = "body") -> InvalidInput:
        return cls(f"{field}: {reason}", errors=[FieldError(field, reason, location)])
