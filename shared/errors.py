"""Errors that the use cases raise and every entrypoint understands.

Each carries the HTTP status and a short slug; the API turns them into RFC 9457 problem
documents (``/problems/<slug>``), the CLI into a message on stderr.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str
    location: str = "body"


class ServiceError(Exception):
    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: Sequence[FieldError] = (), extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = tuple(errors)
        self.extra = extra or {}
        """Further members of the problem document (RFC 9457 extension members)."""


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


class ScheduleConflict(Conflict):
    """A session would book someone twice, break a facilitator's capacity, or (a move) lie in
    busy time from someone's calendar (``reason`` :data:`BOOKING`); or a guided session would be
    moved to a time its facilitator cannot attend (:data:`FACILITATOR_UNAVAILABLE`)."""

    slug = "schedule-conflict"
    title = "Schedule conflict"
    BOOKING = "booking"
    FACILITATOR_UNAVAILABLE = "facilitator-unavailable"
    REASONS = (BOOKING, FACILITATOR_UNAVAILABLE)

    @classmethod
    def facilitator_unavailable(
        cls, session_id: str, facilitator_id: str, explanations: Sequence[dict[str, Any]] = (),
    ) -> ScheduleConflict:
        """A guided session moved to a time its facilitator cannot attend (``explanations``:
        why, in words, see :mod:`shared.use_cases.explanations`)."""
        return cls(
            f"the facilitator {facilitator_id} cannot attend guided session {session_id} at the new time; "
            'send "allow_absent": true to move it without her',
            extra={"reason": cls.FACILITATOR_UNAVAILABLE, "conflicts": [], "person_id": facilitator_id,
                   "placed_session_id": session_id, "explanations": list(explanations)},
        )

    @classmethod
    def of(cls, found: Sequence[tuple[str, Any]]) -> ScheduleConflict:
        """From ``(session id, bookings.Conflict)`` pairs: the session being placed, and who
        cannot have it because of which other session."""
        conflicts = []
        for session_id, conflict in found:
            calendar = conflict.source == "calendar"
            entry = {"session_id": None if calendar else conflict.session_id, "person_id": conflict.person_id,
                     "reason": conflict.reason, "source": conflict.source, "placed_session_id": session_id}
            if entry not in conflicts:
                conflicts.append(entry)
        people = sorted({entry["person_id"] for entry in conflicts})
        detail = (
            f"{len(people)} person(s) would be booked twice, over capacity or in busy time from their calendar: "
            + "; ".join(
                f"{e['person_id']} is busy in their calendar then" if e["source"] == "calendar"
                else f"{e['person_id']} has session {e['session_id']} ({e['reason']})"
                for e in conflicts[:5]
            )
        )
        return cls(detail, extra={"reason": cls.BOOKING, "conflicts": conflicts})


class PreconditionFailed(ServiceError):
    status = 412
    slug = "precondition-failed"
    title = "Precondition failed"


class UnsupportedMediaType(ServiceError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class InvalidInput(ServiceError):
    """Input that is well-formed but refers to something that is not there or not allowed."""

    status = 422
    slug = "validation-error"
    title = "Validation error"

    @classmethod
    def field(cls, field: str, reason: str, location: str = "body") -> InvalidInput:
        return cls(f"{field}: {reason}", errors=[FieldError(field, reason, location)])
