"""Scheduling runs and sessions as the API shows and accepts them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import marshmallow as ma
from marshmallow import fields, validate

from services.api.schemas.common import Rfc3339DateTime, StrictSchema
from shared.domain.attendance import RESPONSES, ROLES, SOURCES

RUN_STATUSES = ("queued", "running", "succeeded", "infeasible", "failed")
SESSION_STATUSES = ("scheduled", "cancelled")
SESSION_KINDS = ("guided", "self_directed")


class SlotSchema(ma.Schema):
    weekday = fields.String(metadata={"example": "tue"})
    start = fields.String(metadata={"example": "19:30", "description": "Local start time in the group's time zone"})
    week_of_month = fields.Integer(allow_none=True, metadata={"description": "1–5 when every guided session keeps the same week of the month"})
    description = fields.String(metadata={"example": "tweede dinsdag van de maand, 19:30–21:00"})


class PlannedSessionSchema(ma.Schema):
    id = fields.String(metadata={"description": "The session's id (see /v1/sessions/{id})"})
    number = fields.Integer()
    kind = fields.String(validate=validate.OneOf(SESSION_KINDS))
    start = fields.String(metadata={"description": "RFC 3339 with the group's offset"})
    end = fields.String()
    chair_id = fields.String(allow_none=True)
    absent_ids = fields.List(fields.String())
    keeps_slot = fields.Boolean()
    note = fields.String(allow_none=True, metadata={"description": "Why this session is not at the slot"})


class SkippedMonthSchema(ma.Schema):
    month = fields.String(metadata={"example": "2027-07"})
    reason = fields.String()


class PlanSchema(ma.Schema):
    slot = fields.Nested(SlotSchema, allow_none=True, metadata={"description": "Null when the guided sessions could not share one slot"})
    sessions = fields.List(fields.Nested(PlannedSessionSchema))
    skipped_months = fields.List(fields.Nested(SkippedMonthSchema))
    changes = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "How many sessions were created, moved, changed or cancelled"})


BOOKING_REASONS = ("overlap", "break", "day", "week")


class BookedSchema(ma.Schema):
    person_id = fields.String()
    session_id = fields.String(metadata={"description": "The other session they are booked into"})
    reason = fields.String(
        validate=validate.OneOf(BOOKING_REASONS),
        metadata={"description": "overlap; break (too close to it for the facilitator's break_minutes); "
                  "day or week (her max_sessions_per_day or _per_week is reached, counting it)"},
    )


class CandidateSlotSchema(ma.Schema):
    start = fields.String()
    end = fields.String()
    attendees = fields.Integer(metadata={"description": "How many of the required people can attend"})
    required = fields.Integer()
    absent_ids = fields.List(fields.String(), metadata={"description": "Who cannot attend: not available, or booked"})
    booked = fields.List(
        fields.Nested(BookedSchema),
        metadata={"description": "Those of absent_ids who would be available but are booked into another session"},
    )


class AlternativeSchema(ma.Schema):
    start = fields.String(metadata={"format": "date-time", "description": "RFC 3339 with the group's offset"})
    end = fields.String(metadata={"format": "date-time"})
    attendees = fields.Integer(metadata={"description": "How many of the required people can attend"})
    required = fields.Integer()
    absent_ids = fields.List(fields.String(), metadata={"description": "Who cannot attend (only below a quorum)"})


class MonthDiagnosticsSchema(ma.Schema):
    month = fields.String(metadata={"example": "2027-02"})
    best_slots = fields.List(fields.Nested(CandidateSlotSchema))


class DiagnosticsSchema(ma.Schema):
    reason = fields.String()
    blockers = fields.List(fields.String(), metadata={"description": "People whose absence alone would make a plan possible"})
    months = fields.List(fields.Nested(MonthDiagnosticsSchema))


class SchedulingRunSchema(ma.Schema):
    id = fields.UUID()
    group_id = fields.UUID()
    batch_id = fields.UUID(allow_none=True, metadata={"description": "The scheduling batch that plans it with other groups"})
    status = fields.String(validate=validate.OneOf(RUN_STATUSES))
    created_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    plan = fields.Nested(PlanSchema, allow_none=True, metadata={"description": "When succeeded"})
    diagnostics = fields.Nested(DiagnosticsSchema, allow_none=True, metadata={"description": "When infeasible"})
    error = fields.String(allow_none=True, metadata={"description": "When failed"})


class AttendanceSchema(ma.Schema):
    person_id = fields.String(metadata={"format": "uuid"})
    role = fields.String(validate=validate.OneOf(ROLES), metadata={"description": "facilitator or member"})
    response = fields.String(validate=validate.OneOf(RESPONSES))
    responded_at = fields.AwareDateTime(allow_none=True)
    source = fields.String(
        allow_none=True, validate=validate.OneOf(SOURCES),
        metadata={"description": "How the answer came: link (the personal link in the invitation), itip (a calendar's REPLY) or api"},
    )


class ReplyResultSchema(ma.Schema):
    session_id = fields.String(metadata={"format": "uuid"})
    answers = fields.List(fields.Nested(AttendanceSchema), metadata={"description": "What was recorded, per person with the address"})


class AnswerRequestSchema(StrictSchema):
    response = fields.String(
        required=True, validate=validate.OneOf(RESPONSES),
        metadata={"description": "accepted, tentative or declined; needs_action forgets an earlier answer"},
    )


def _local(row, attribute: str) -> str:
    return getattr(row, attribute).astimezone(ZoneInfo(row.timezone)).isoformat()


class SessionSchema(StrictSchema):
    id = fields.UUID(dump_only=True)
    group_id = fields.UUID(dump_only=True)
    number = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True, validate=validate.OneOf(SESSION_KINDS))
    start = fields.Function(
        lambda row: _local(row, "start"),
        deserialize=lambda value: Rfc3339DateTime().deserialize(value),
        metadata={"description": "RFC 3339 with offset; send a new start to move the session", "type": "string", "format": "date-time"},
    )
    end = fields.Function(lambda row: _local(row, "end"), dump_only=True, metadata={"type": "string", "format": "date-time"})
    timezone = fields.String(dump_only=True)
    status = fields.String(validate=validate.OneOf(SESSION_STATUSES), metadata={"description": "Send cancelled to cancel"})
    sequence = fields.Integer(dump_only=True, metadata={"description": "Grows with every change (iCalendar SEQUENCE)"})
    uid = fields.String(dump_only=True, metadata={"description": "Calendar UID; stable across re-plans"})
    chair_id = fields.UUID(dump_only=True, allow_none=True)
    absent_ids = fields.List(fields.String(), dump_only=True, metadata={"description": "Members (and for guided sessions the facilitator) who cannot attend"})
    keeps_slot = fields.Boolean(dump_only=True)
    note = fields.String(dump_only=True, allow_none=True)
    attendance = fields.List(
        fields.Nested(AttendanceSchema), dump_only=True,
        metadata={"description": "Each required person's answer: the facilitator (guided sessions) and the members "
                  "the session expects; a move resets them to needs_action"},
    )
    at_risk = fields.Boolean(
        dump_only=True,
        metadata={"description": "Its required people can no longer all come: someone declined a guided session, or "
                  "fewer members than the quorum (all, without one) have not declined a self-directed one"},
    )
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class SessionPatchSchema(SessionSchema):
    """Move a session (`start`) or cancel it (`status: cancelled`)."""

    class Meta(StrictSchema.Meta):
        json_schema = {"minProperties": 1}

    @ma.validates_schema
    def something_to_change(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send start, status or both")


BATCH_STATUSES = ("queued", "running", "finished")


class SchedulingBatchRequestSchema(StrictSchema):
    group_ids = fields.List(
        fields.UUID(), required=True, validate=validate.Length(min=1, max=200),
        metadata={"description": "The groups to plan together, 1–200; their plans are completed in this order",
                  "uniqueItems": True},
    )

    @ma.validates("group_ids")
    def unique(self, value, **kwargs):
        if len(set(value)) != len(value):
            raise ma.ValidationError("Groups must not repeat.")


class BatchRunSchema(ma.Schema):
    group_id = fields.UUID()
    id = fields.UUID(metadata={"description": "The group's scheduling run (see /v1/scheduling-runs/{id})"})
    status = fields.String(validate=validate.OneOf(RUN_STATUSES))


class SchedulingBatchSchema(ma.Schema):
    id = fields.UUID()
    status = fields.String(validate=validate.OneOf(BATCH_STATUSES))
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
    optimal = fields.Boolean(
        allow_none=True,
        metadata={"description": "When finished: whether the solver proved that no choice plans more groups, or "
                  "the same number earlier (false also when the candidates it chose from were a sample)"},
    )
    runs = fields.List(fields.Nested(BatchRunSchema))
