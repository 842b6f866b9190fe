"""Invitations and feed links as the API shows them."""

from __future__ import annotations

from flask import url_for
from marshmallow import fields, validate

from services.api.schemas.common import DeliveryState, InvitationMethod, InvitationNotice, Language, ResponseSchema


class RecipientSchema(ResponseSchema):
    kind = fields.String(validate=validate.OneOf(("facilitator", "participant")))
    id = fields.UUID(allow_none=True, metadata={"description": "Null once the person is erased"})
    name = fields.String()
    email = fields.String(metadata={"format": "email"})


class InvitationSchema(ResponseSchema):
    id = fields.UUID()
    session_id = fields.UUID()
    recipient = fields.Nested(RecipientSchema)
    method = InvitationMethod(metadata={"description": "iTIP method"})
    notice = InvitationNotice(metadata={"description": "new, changed, cancelled or removed (a member who left)"})
    sequence = fields.Integer()
    language = Language()
    issued_at = fields.AwareDateTime()
    delivery_state = DeliveryState(metadata={"description": "stored (no SMTP configured), pending, sending, sent or failed"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    sent_at = fields.AwareDateTime(allow_none=True)
    ics_url = fields.Function(
        lambda i: url_for("invitations.InvitationCalendar", invitation_id=i.id, _external=False),
        metadata={"description": "The iTIP message as text/calendar", "type": "string"},
    )


class FeedLinkSchema(ResponseSchema):
    url = fields.String(metadata={"format": "uri", "description": "https URL of the .ics feed (the token in it is the secret)"})
    webcal_url = fields.String(metadata={"format": "uri", "description": "The same as webcal://, for one-click subscribing"})
    page_url = fields.String(metadata={"format": "uri", "description": "A small page with the upcoming sessions and subscribe links"})
