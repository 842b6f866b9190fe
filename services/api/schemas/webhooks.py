"""Webhook endpoints and their deliveries as the API shows and accepts them."""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import fields, validate

from services.api.schemas.common import (
    DateTimeText,
    Enumerated,
    OneOfSchemas,
    ResponseSchema,
    StrictSchema,
    WebhookDeliveryState,
    WebhookEventType,
)
from shared.domain.webhooks import EVENT_TYPES

AVAILABILITY_SOURCES = ("api", "link")


class WebhookInputSchema(StrictSchema):
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={
            "description": "https URL of your endpoint; loopback and private addresses are refused",
            "example": "https://platform.example.org/hooks/intervisie",
            "format": "uri",
            "pattern": "^https://",
        },
    )
    events = fields.List(
        WebhookEventType(),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1),
        metadata={"description": "Event types to receive; leave out (or null) for all", "uniqueItems": True},
    )

    @ma.validates("events")
    def no_repeats(self, value, **kwargs):
        if value is not None and len(set(value)) != len(value):
            raise ma.ValidationError("Event types must not repeat.")


class WebhookSchema(ResponseSchema):
    id = fields.UUID()
    url = fields.String(metadata={"format": "uri", "example": "https://platform.example.org/hooks/intervisie"})
    events = fields.List(WebhookEventType(), allow_none=True, metadata={"description": "The event types it receives; null: all"})
    created_at = fields.AwareDateTime()
    disabled_at = fields.AwareDateTime(allow_none=True)
    disabled_reason = fields.String(allow_none=True, metadata={"description": "Why deliveries stopped (410 Gone, or failing for days)"})
    failing_since = fields.AwareDateTime(allow_none=True, metadata={"description": "Set while deliveries fail; cleared by a success"})


class CreatedWebhookSchema(WebhookSchema):
    secret = fields.String(
        metadata={"description": "The signing secret (whsec_…), shown only in this answer. Verify deliveries with any Standard Webhooks library."},
    )


class WebhookAttemptSchema(ResponseSchema):
    attempted_at = fields.AwareDateTime()
    status_code = fields.Integer(allow_none=True, metadata={"description": "HTTP status, or null when no answer came"})
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()


class MembershipEventDataSchema(ResponseSchema):
    """participant.placed and participant.left: who joined or left which group."""

    participant_id = fields.UUID()
    group_id = fields.UUID()


class ParticipantEventDataSchema(ResponseSchema):
    """participant.erased: forget what you keep about them."""

    participant_id = fields.UUID()


class AvailabilityEventDataSchema(ResponseSchema):
    """participant.availability_changed."""

    participant_id = fields.UUID()
    source = Enumerated(
        "AvailabilitySource", AVAILABILITY_SOURCES,
        metadata={"description": "api, or link (their own page)"},
    )


class RunEventDataSchema(ResponseSchema):
    """group.scheduled and group.infeasible: the run that planned the group, or says what blocks it."""

    group_id = fields.UUID()
    run_id = fields.UUID()


class SessionEventDataSchema(ResponseSchema):
    """session.scheduled, session.rescheduled and session.cancelled."""

    session_id = fields.UUID()
    group_id = fields.UUID()


class InvitationEventDataSchema(ResponseSchema):
    """invitation.issued."""

    invitation_id = fields.UUID()
    session_id = fields.UUID()
    participant_id = fields.UUID(
        allow_none=True, dump_default=None, metadata={"description": "Null for an invitation to the facilitator"},
    )


class AttendanceEventDataSchema(ResponseSchema):
    """attendance.changed: one of participant_id and facilitator_id names who answered, the other is null."""

    session_id = fields.UUID()
    group_id = fields.UUID()
    participant_id = fields.UUID(allow_none=True, dump_default=None)
    facilitator_id = fields.UUID(allow_none=True, dump_default=None)


class AtRiskEventDataSchema(ResponseSchema):
    """session.at_risk."""

    session_id = fields.UUID()
    group_id = fields.UUID()
    declined_ids = fields.List(
        fields.UUID(),
        metadata={"description": "Who declined: to a platform's endpoint its own participants and the facilitator "
                  "(who leads the session for every platform); to the organiser's, everyone"},
    )
    others_declined = fields.Integer(
        dump_default=0, metadata={"description": "How many more declined: another platform's participants, not named here"},
    )
    conflict_ids = fields.List(
        fields.UUID(), dump_default=list,
        metadata={"description": "Who is busy during the session in their own published calendar (a calendar conflict, "
                  "which counts as not coming), named as in declined_ids; empty when the risk comes from declines only"},
    )
    others_in_conflict = fields.Integer(
        dump_default=0, metadata={"description": "How many more have a calendar conflict: another platform's participants, not named here"},
    )


EVENT_DATA_SCHEMAS: dict[str, type[ResponseSchema]] = {
    "participant.placed": MembershipEventDataSchema,
    "participant.left": MembershipEventDataSchema,
    "participant.erased": ParticipantEventDataSchema,
    "participant.availability_changed": AvailabilityEventDataSchema,
    "group.scheduled": RunEventDataSchema,
    "group.infeasible": RunEventDataSchema,
    "session.scheduled": SessionEventDataSchema,
    "session.rescheduled": SessionEventDataSchema,
    "session.cancelled": SessionEventDataSchema,
    "invitation.issued": InvitationEventDataSchema,
    "attendance.changed": AttendanceEventDataSchema,
    "session.at_risk": AtRiskEventDataSchema,
}
"""The data of each event type (the keys of shared.domain.webhooks.EVENT_DATA)."""


def _event_schema(event_type: str) -> type[ResponseSchema]:
    """The body of a delivery of one event type, named after it (``SessionAtRiskEvent``)."""
    name = "".join(part.capitalize() for part in re.split(r"[._]", event_type)) + "EventSchema"
    return type(name, (ResponseSchema,), {
        "__doc__": f"The body of a {event_type} delivery, as it is signed and sent.",
        "type": fields.String(validate=validate.OneOf([event_type])),
        "timestamp": DateTimeText(),
        "data": fields.Nested(EVENT_DATA_SCHEMAS[event_type]),
    })


EVENT_SCHEMAS = {event_type: _event_schema(event_type) for event_type in EVENT_TYPES}


class WebhookDeliverySchema(ResponseSchema):
    id = fields.UUID(metadata={"description": "Also the webhook-id header, the same on every attempt"})
    webhook_id = fields.UUID()
    event_type = WebhookEventType()
    payload = OneOfSchemas(
        EVENT_SCHEMAS, "type",
        metadata={"description": "The body that is sent: type, timestamp and the ids of its event type (one schema "
                  "per type, told apart by type; more types may come within /v1: skip one you do not know)"},
    )
    created_at = fields.AwareDateTime()
    state = WebhookDeliveryState()
    attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    delivered_at = fields.AwareDateTime(allow_none=True)
    last_status = fields.Integer(allow_none=True)
    attempt_log = fields.List(fields.Nested(WebhookAttemptSchema), metadata={"description": "Every attempt, oldest first"})
