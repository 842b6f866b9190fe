"""Webhook endpoints and their deliveries as the API shows and accepts them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from services.api.schemas.common import StrictSchema
from shared.domain.webhooks import EVENT_TYPES


class WebhookSchema(StrictSchema):
    id = fields.UUID(dump_only=True)
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
        fields.String(validate=validate.OneOf(EVENT_TYPES)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1),
        metadata={"description": "Event types to receive; leave out (or null) for all", "uniqueItems": True},
    )
    created_at = fields.AwareDateTime(dump_only=True)
    disabled_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    disabled_reason = fields.String(dump_only=True, allow_none=True, metadata={"description": "Why deliveries stopped (410 Gone, or failing for days)"})
    failing_since = fields.AwareDateTime(dump_only=True, allow_none=True, metadata={"description": "Set while deliveries fail; cleared by a success"})

    @ma.validates("events")
    def no_repeats(self, value, **kwargs):
        if value is not None and len(set(value)) != len(value):
            raise ma.ValidationError("Event types must not repeat.")


class CreatedWebhookSchema(WebhookSchema):
    secret = fields.String(
        dump_only=True,
        metadata={"description": "The signing secret (whsec_…), shown only in this answer. Verify deliveries with any Standard Webhooks library."},
    )


class WebhookAttemptSchema(ma.Schema):
    attempted_at = fields.AwareDateTime()
    status_code = fields.Integer(allow_none=True, metadata={"description": "HTTP status, or null when no answer came"})
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()


class WebhookDeliverySchema(ma.Schema):
    id = fields.UUID(metadata={"description": "Also the webhook-id header, the same on every attempt"})
    webhook_id = fields.UUID()
    event_type = fields.String()
    payload = fields.Dict(metadata={"description": "The body that is sent: type, timestamp and ids"})
    created_at = fields.AwareDateTime()
    state = fields.String(validate=validate.OneOf(("pending", "delivered", "failed", "disabled")))
    attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    delivered_at = fields.AwareDateTime(allow_none=True)
    last_status = fields.Integer(allow_none=True)
    attempt_log = fields.List(fields.Nested(WebhookAttemptSchema), metadata={"description": "Every attempt, oldest first"})
