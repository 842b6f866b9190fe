"""Facilitators and participants as the API shows and accepts them."""

from __future__ import annotations

import marshmallow as ma
from flask import has_app_context
from marshmallow import fields, validate

from services.api.context import state
from services.api.feed_cache import Lru
from services.api.schemas.calendar_sources import CalendarSourceSchema
from services.api.schemas.common import (
    NAME_LENGTH,
    SLUG_PATTERN,
    AnswerSource,
    AttendanceResponse,
    DeliveryState,
    HolidayRegion,
    InvitationMethod,
    InvitationNotice,
    PersonInputSchema,
    PersonSchema,
    ResponseSchema,
    SessionStatus,
    Slug,
    StrictSchema,
    WebhookDeliveryState,
    WebhookEventType,
)
from shared.use_cases.people import ShownParticipant


class CapacityInputSchema(StrictSchema):
    """How much a facilitator takes on. Every plan, batch and move keeps it; leave a field out
    (or null) for no limit."""

    max_sessions_per_day = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=24),
        metadata={"description": "At most this many of her sessions start on one day (her time zone)"},
    )
    max_sessions_per_week = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=100),
        metadata={"description": "At most this many in one ISO week, Monday to Sunday (her time zone)"},
    )
    break_minutes = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=1440),
        metadata={"description": "At least this many minutes between two of her sessions"},
    )


class CapacitySchema(ResponseSchema):
    """How much a facilitator takes on; null: no limit."""

    max_sessions_per_day = fields.Integer(allow_none=True, dump_default=None, metadata={"description": "At most this many of her sessions start on one day (her time zone)"})
    max_sessions_per_week = fields.Integer(allow_none=True, dump_default=None, metadata={"description": "At most this many in one ISO week, Monday to Sunday (her time zone)"})
    break_minutes = fields.Integer(allow_none=True, dump_default=None, metadata={"description": "At least this many minutes between two of her sessions"})


class FacilitatorInputSchema(PersonInputSchema):
    capacity = fields.Nested(
        CapacityInputSchema,
        load_default=None,
        allow_none=True,
        metadata={"description": "Limits on her sessions (null: none). A PATCH replaces it whole."},
    )


class FacilitatorSchema(PersonSchema):
    capacity = fields.Nested(CapacitySchema, allow_none=True, metadata={"description": "Limits on her sessions (null: none)"})


class ParticipantInputSchema(PersonInputSchema):
    organization = fields.String(
        required=True, validate=NAME_LENGTH, metadata={"example": "OBS De Regenboog"}
    )
    role = Slug(required=True, metadata={"example": "intern_begeleider"})
    themes = fields.List(
        Slug(),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"example": ["ouderbetrokkenheid"], "uniqueItems": True},
    )
    school_holiday_region = HolidayRegion(
        load_default=None,
        metadata={"description": "When set, the person is unavailable in that region's school holidays."},
    )
    external_ref = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Your own reference; unique per API client."},
    )

    @ma.validates("themes")
    def unique_themes(self, value, **kwargs):
        if len(set(value)) != len(value):
            raise ma.ValidationError("Themes must not repeat.")


def answer_key(participant: ShownParticipant) -> tuple:
    """What a participant's answer is kept by: everything it depends on — the row's id and
    version (which every UPDATE of the row moves), its themes and its groups."""
    return participant.id, participant.version, tuple(participant.themes), tuple(participant.group_ids)


class ParticipantSchema(PersonSchema):
    organization = fields.String(metadata={"example": "OBS De Regenboog"})
    role = fields.String(metadata={"example": "intern_begeleider", "pattern": SLUG_PATTERN})
    themes = fields.List(fields.String(metadata={"pattern": SLUG_PATTERN}), metadata={"example": ["ouderbetrokkenheid"]})
    school_holiday_region = HolidayRegion(
        metadata={"description": "When set, the person is unavailable in that region's school holidays."},
    )
    external_ref = fields.String(allow_none=True, metadata={"description": "Your own reference; unique per API client."})
    group_ids = fields.List(fields.UUID(), metadata={"description": "The groups they are a member of"})

    def dump(self, obj, *, many=None):
        """As marshmallow dumps it, except that a participant as a read shows it is dumped once
        per version: its answer is kept by what determines it (the row's id and version, which
        every change of the row moves, its themes and its groups) in the app's memory. Dumping
        is most of a page's work; a page of unchanged participants is then a few lookups."""
        if not has_app_context():
            return super().dump(obj, many=many)
        dumped = state().participant_answers
        if self.many if many is None else many:
            return [self._dump_shown(dumped, item) for item in obj]
        return self._dump_shown(dumped, obj)

    def _dump_shown(self, dumped: Lru, participant):
        if not isinstance(participant, ShownParticipant):  # a write's row: dumped as it is
            return super().dump(participant, many=False)
        key = answer_key(participant)
        answer = dumped.get(key)
        if answer is None:
            answer = super().dump(participant, many=False)
            dumped.put(key, answer)
        return answer  # shared by the answers that show this version: never change it


class ParticipantQuerySchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        unknown = ma.EXCLUDE

    role = Slug()
    theme = Slug()
    organization = fields.String(validate=NAME_LENGTH)
    external_ref = fields.String(validate=validate.Length(min=1, max=200))
    unassigned = fields.Boolean(
        metadata={"description": "true: only people not yet in a group; false: only people in one."}
    )
    group_id = fields.UUID()


class ExportedMembershipSchema(ResponseSchema):
    group_id = fields.UUID()
    group_name = fields.String(allow_none=True)
    joined_at = fields.AwareDateTime()


class ExportedSessionSchema(ResponseSchema):
    session_id = fields.UUID()
    group_id = fields.UUID()
    number = fields.Integer()
    start = fields.AwareDateTime()
    status = SessionStatus()
    chair = fields.Boolean(metadata={"description": "They chair this session"})
    absent = fields.Boolean(metadata={"description": "They were planned as absent"})


class ExportedInvitationSchema(ResponseSchema):
    invitation_id = fields.UUID()
    session_id = fields.UUID()
    method = InvitationMethod()
    notice = InvitationNotice()
    sequence = fields.Integer()
    issued_at = fields.AwareDateTime()
    email = fields.String(metadata={"format": "email"})
    delivery_state = DeliveryState()
    sent_at = fields.AwareDateTime(allow_none=True)


class ExportedAnswerSchema(ResponseSchema):
    session_id = fields.UUID()
    response = AttendanceResponse()
    responded_at = fields.AwareDateTime()
    source = AnswerSource()
    comment = fields.String(allow_none=True)


class ExportedFeedSchema(ResponseSchema):
    exists = fields.Boolean()
    created_at = fields.AwareDateTime(allow_none=True)


class ExportedWebhookEventSchema(ResponseSchema):
    delivery_id = fields.UUID()
    webhook_id = fields.UUID()
    event_type = WebhookEventType()
    created_at = fields.AwareDateTime()
    state = WebhookDeliveryState()


class ExportedAvailabilityLinkSchema(ResponseSchema):
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()


class ExportedBusyIntervalSchema(ResponseSchema):
    source_id = fields.UUID(metadata={"description": "The calendar source it was read from"})
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()


class ParticipantExportSchema(ResponseSchema):
    """Everything stored about one participant. What is discussed in sessions is never stored."""

    exported_at = fields.AwareDateTime()
    participant = fields.Nested(ParticipantSchema)
    memberships = fields.List(fields.Nested(ExportedMembershipSchema))
    sessions = fields.List(fields.Nested(ExportedSessionSchema), metadata={"description": "Sessions of their groups"})
    invitations = fields.List(fields.Nested(ExportedInvitationSchema), metadata={"description": "Calendar invitations sent to them"})
    attendance = fields.List(fields.Nested(ExportedAnswerSchema), metadata={"description": "Their answers to invitations"})
    feed = fields.Nested(ExportedFeedSchema, metadata={"description": "Whether they have a feed URL (never the URL itself)"})
    availability_links = fields.List(
        fields.Nested(ExportedAvailabilityLinkSchema),
        metadata={"description": "Their links to fill in their week (never the links themselves)"},
    )
    webhook_events = fields.List(fields.Nested(ExportedWebhookEventSchema), metadata={"description": "Webhook events that named them"})
    calendar_sources = fields.List(
        fields.Nested(CalendarSourceSchema),
        metadata={"description": "Their published calendars (each address masked: its scheme and host only)"},
    )
    busy_intervals = fields.List(
        fields.Nested(ExportedBusyIntervalSchema),
        metadata={"description": "The busy time read from their calendars (start and end only, UTC)"},
    )


class AvailabilityLinkRequestSchema(StrictSchema):
    valid_days = fields.Integer(
        load_default=30, strict=True, validate=validate.Range(min=1, max=90),
        metadata={"description": "How long the link works, in days (default 30)"},
    )


class AvailabilityLinkSchema(ResponseSchema):
    url = fields.Url(metadata={"description": "The participant's own page; hand it to them, it is shown only now"})
    expires_at = fields.AwareDateTime()
