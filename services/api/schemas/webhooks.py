"""Webhook endpoints and their deliveries as the API shows and accepts them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from services.api.schemas.common import (
    DateTimeText,
    ResponseSchema,
    StrictSchema,
    WebhookDeliveryState,
    WebhookEventType,
)


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


class WebhookEventDataSchema(ResponseSchema):
    """The ids an event is about. Which are there depends on the event type: participant.* carry
    participant_id (placed and left also group_id; availability_changed also source); group.*
    carry group_id and run_id; session.* carry session_id and group_id (at_risk also
    declined_ids); invitation.issued carries invitation_id, session_id and, for a participant,
    participant_id; attendance.changed carries session_id, group_id and participant_id or
    facilitator_id."""

    class Meta(ResponseSchema.Meta):
        every_field_present = False  # the ids depend on the event type

    participant_id = fields.UUID()
    facilitator_id = fields.UUID()
    group_id = fields.UUID()
    session_id = fields.UUID()
    run_id = fields.UUID()
    invitation_id = fields.UUID()
    declined_ids = fields.List(fields.UUID(), metadata={"description": "session.at_risk: who declined"})
    source = fields.String(
        validate=validate.OneOf(("api", "link")),
        metadata={"description": "participant.availability_changed: api, or link (their own page)"},
    )


class WebhookEventSchema(ResponseSchema):
    """The body of a delivery, as it is signed and sent."""

    type = WebhookEventType()
    timestamp = DateTimeText()
    data = fields.Nested(WebhookEventDataSchema)


class WebhookDeliverySchema(ResponseSchema):
    id = fields.UUID(metadata={"description": "Also the webhook-id header, the same on every attempt"})
    webhook_id = fields.UUID()
    event_type = WebhookEventType()
    payload = fields.Nested(WebhookEventSchema, metadata={"description": "The body that is sent: type, timestamp and ids"})
    created_at = fields.AwareDateTime()
    state = WebhookDeliveryState()
    attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    delivered_at = fields.AwareDateTime(allow_none=True)
    last_status = fields.Integer(allow_none=True)
    attempt_log = fields.List(fields.Nested(WebhookAttemptSchema), metadata={"description": "Every attempt, oldest first"})
