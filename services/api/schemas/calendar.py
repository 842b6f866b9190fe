"""Invitations and feed links as the API shows them."""

from __future__ import annotations

import marshmallow as ma
from flask import url_for
from marshmallow import fields, validate


class RecipientSchema(ma.Schema):
    kind = fields.String(validate=validate.OneOf(("facilitator", "participant")))
    id = fields.UUID(allow_none=True)
    name = fields.String()
    email = fields.String()


class InvitationSchema(ma.Schema):
    id = fields.UUID()
    session_id = fields.UUID()
    recipient = fields.Nested(RecipientSchema)
    method = fields.String(validate=validate.OneOf(("REQUEST", "CANCEL")), metadata={"description": "iTIP method"})
    notice = fields.String(metadata={"description": "new, changed, cancelled or removed (a member who left)"})
    sequence = fields.Integer()
    language = fields.String()
    issued_at = fields.AwareDateTime()
    delivery_state = fields.String(
        validate=validate.OneOf(("stored", "pending", "sending", "sent", "failed")),
        metadata={"description": "stored (no SMTP configured), pending, sending, sent or failed"},
    )
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    sent_at = fields.AwareDateTime(allow_none=True)
    ics_url = fields.Function(
        lambda i: url_for("invitations.InvitationCalendar", invitation_id=i.id, _external=False),
        metadata={"description": "The iTIP message as text/calendar", "type": "string"},
    )


class FeedLinkSchema(ma.Schema):
    url = fields.String(metadata={"description": "https URL of the .ics feed (the token in it is the secret)"})
    webcal_url = fields.String(metadata={"description": "The same as webcal://, for one-click subscribing"})
    page_url = fields.String(metadata={"description": "A small page with the upcoming sessions and subscribe links"})
