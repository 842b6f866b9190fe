"""Scheduling runs and sessions as the API shows and accepts them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import marshmallow as ma
from marshmallow import fields, validate

from services.api.schemas.common import (
    AnswerSource,
    AttendanceResponse,
    DateTimeText,
    Enumerated,
    ResponseSchema,
    Rfc3339DateTime,
    SessionStatus,
    StrictSchema,
    Weekday,
)
from shared.domain.attendance import ROLES
from shared.domain.conflicts import SOURCES as CONFLICT_SOURCES
from shared.domain.planning.absences import REASON_CODES
from shared.domain.planning.explanations import BLOCKS_PLAN
from shared.domain.planning.explanations import ROLES as EXPLANATION_ROLES

RUN_STATUSES = ("queued", "running", "succeeded", "infeasible", "failed")
SESSION_KINDS = ("guided", "self_directed")
BOOKING_REASONS = ("overlap", "break", "day", "week")
BATCH_STATUSES = ("queued", "running", "finished")
EXPLANATION_REASONS = (*REASON_CODES, BLOCKS_PLAN)


def RunStatus(**kwargs) -> fields.String:  # noqa: N802
    return Enumerated("RunStatus", RUN_STATUSES, **kwargs)


def SessionKind(**kwargs) -> fields.String:  # noqa: N802
    return Enumerated("SessionKind", SESSION_KINDS, **kwargs)


def BookingReason(**kwargs) -> fields.String:  # noqa: N802
    return Enumerated("BookingReason", BOOKING_REASONS, **kwargs)


OWN_PEOPLE = "; a platform key is shown only its own participants and the facilitator here"


class SlotSchema(ResponseSchema):
    weekday = Weekday(metadata={"example": "tue"})
    start = fields.String(metadata={"example": "19:30", "description": "Local start time in the group's time zone"})
    week_of_month = fields.Integer(allow_none=True, metadata={"description": "1–5 when every guided session keeps the same week of the month"})
    description = fields.String(metadata={"example": "tweede dinsdag van de maand, 19:30–21:00"})


class PlannedSessionSchema(ResponseSchema):
    id = fields.UUID(metadata={"description": "The session's id (see /v1/sessions/{id})"})
    number = fields.Integer()
    kind = SessionKind()
    start = DateTimeText(metadata={"description": "RFC 3339 with the group's offset"})
    end = DateTimeText()
    chair_id = fields.UUID(allow_none=True)
    absent_ids = fields.List(fields.UUID(), metadata={"description": "Who cannot attend" + OWN_PEOPLE})
    keeps_slot = fields.Boolean()
    note = fields.String(allow_none=True, dump_default=None, metadata={"description": "Why this session is not at the slot"})


class SkippedMonthSchema(ResponseSchema):
    month = fields.String(metadata={"example": "2027-07", "pattern": "^[0-9]{4}-[0-9]{2}$"})
    reason = fields.String()


class PlanChangesSchema(ResponseSchema):
    created = fields.Integer(dump_default=0)
    moved = fields.Integer(dump_default=0)
    changed = fields.Integer(dump_default=0)
    cancelled = fields.Integer(dump_default=0)


class PlanSchema(ResponseSchema):
    slot = fields.Nested(SlotSchema, allow_none=True, metadata={"description": "Null when the guided sessions could not share one slot"})
    sessions = fields.List(fields.Nested(PlannedSessionSchema))
    skipped_months = fields.List(fields.Nested(SkippedMonthSchema))
    changes = fields.Nested(PlanChangesSchema, metadata={"description": "How many sessions were created, moved, changed or cancelled"})


class BookedSchema(ResponseSchema):
    person_id = fields.UUID()
    session_id = fields.UUID(
        allow_none=True,
        metadata={"description": "The other session they are booked into; null when it is busy time from their own calendar"},
    )
    source = fields.String(
        validate=validate.OneOf(("session", "calendar")), dump_default="session",
        metadata={"description": "session: another of our sessions; calendar: busy time read from their own published calendar"},
    )
    reason = BookingReason(
        metadata={"description": "overlap; break (too close to it for the facilitator's break_minutes); "
                  "day or week (her max_sessions_per_day or _per_week is reached, counting it)"},
    )


class ExplanationSchema(ResponseSchema):
    """One person who cannot come, and why: in words and for machines."""

    person_id = fields.UUID(
        allow_none=True, metadata={"description": "Null for a person the reader may not see (a platform key: another platform's participant); the text then names the role alone"},
    )
    name = fields.String(allow_none=True, metadata={"description": "The person's name; null when the reader may not see it or the person was erased"})
    role = Enumerated("ExplanationRole", EXPLANATION_ROLES, metadata={"description": "facilitator or member"})
    reason_code = Enumerated(
        "ExplanationReason", EXPLANATION_REASONS, growing=True,
        metadata={"description": "booked (another session overlaps), break (too close to another of the facilitator's sessions), "
                  "day-full or week-full (her max_sessions_per_day or _per_week is reached), calendar-busy (busy time in their own "
                  "published calendar), unavailable (a date range they are away), school-holiday (their school-holiday region), "
                  "weekday (no availability that weekday), hours (not at that time of that weekday), unknown; for a blocker "
                  "without any of these at the best starts: blocks-plan"},
    )
    text = fields.String(metadata={
        "description": "The sentence in the group's language (Dutch by default, English for English groups)",
        "example": "Harriët de Vries (begeleider) is op 9 maart 2027 om 19:30 al ingepland bij Groep Utrecht 2.",
    })
    session_id = fields.UUID(allow_none=True, metadata={"description": "The other session, for booked, break, day-full and week-full (null when it cannot be shown)"})
    group_id = fields.UUID(allow_none=True, metadata={"description": "The other session's group, when the reader may see it"})
    date = fields.String(
        allow_none=True, metadata={"pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "The other session's date on its group's clock; otherwise the start's date on the person's own clock"},
    )
    time = fields.String(allow_none=True, metadata={"example": "19:30", "description": "The local time that goes with date"})
    limit = fields.Integer(allow_none=True, metadata={"description": "The facilitator's break_minutes (break) or sessions per day or week (day-full, week-full)"})


class CandidateSlotSchema(ResponseSchema):
    start = DateTimeText()
    end = DateTimeText()
    attendees = fields.Integer(metadata={"description": "How many of the required people can attend"})
    required = fields.Integer()
    absent_ids = fields.List(fields.UUID(), metadata={"description": "Who cannot attend: not available, or booked" + OWN_PEOPLE})
    booked = fields.List(
        fields.Nested(BookedSchema), dump_default=list,
        metadata={"description": "Those of absent_ids who would be available but are booked into another session" + OWN_PEOPLE},
    )
    explanations = fields.List(
        fields.Nested(ExplanationSchema), dump_default=list,
        metadata={"description": "Per person who cannot attend (a platform key: every one, others' participants by role alone), why"},
    )


class AlternativeSchema(ResponseSchema):
    start = DateTimeText(metadata={"description": "RFC 3339 with the group's offset"})
    end = DateTimeText()
    attendees = fields.Integer(metadata={"description": "How many of the required people can attend"})
    required = fields.Integer()
    absent_ids = fields.List(fields.UUID(), metadata={"description": "Who cannot attend (only below a quorum)" + OWN_PEOPLE})


class MonthDiagnosticsSchema(ResponseSchema):
    month = fields.String(metadata={"example": "2027-02", "pattern": "^[0-9]{4}-[0-9]{2}$"})
    best_slots = fields.List(fields.Nested(CandidateSlotSchema))


class DiagnosticsSchema(ResponseSchema):
    reason = fields.String()
    blockers = fields.List(fields.UUID(), metadata={"description": "People whose absence alone would make a plan possible" + OWN_PEOPLE})
    explanations = fields.List(
        fields.Nested(ExplanationSchema), dump_default=list,
        metadata={"description": "Per blocker, why (up to three different reasons seen at the best starts, else blocks-plan)"},
    )
    months = fields.List(fields.Nested(MonthDiagnosticsSchema))


class SchedulingRunSchema(ResponseSchema):
    id = fields.UUID()
    group_id = fields.UUID()
    batch_id = fields.UUID(allow_none=True, metadata={"description": "The scheduling batch that plans it with other groups"})
    status = RunStatus()
    created_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    plan = fields.Nested(PlanSchema, allow_none=True, metadata={"description": "When succeeded"})
    diagnostics = fields.Nested(DiagnosticsSchema, allow_none=True, metadata={"description": "When infeasible"})
    error = fields.String(allow_none=True, metadata={"description": "When failed"})


class AttendanceSchema(ResponseSchema):
    person_id = fields.UUID()
    role = Enumerated("AttendanceRole", ROLES, metadata={"description": "facilitator or member"})
    response = AttendanceResponse()
    responded_at = fields.AwareDateTime(allow_none=True)
    source = AnswerSource(
        allow_none=True,
        metadata={"description": "How the answer came: link (the personal link in the invitation), itip (a calendar's REPLY) or api"},
    )


class AttendanceCountsSchema(ResponseSchema):
    """How many of the people left out of a session's attendance answered what, and how many of
    them cannot attend (left out of its absent_ids)."""

    accepted = fields.Integer()
    tentative = fields.Integer()
    declined = fields.Integer()
    needs_action = fields.Integer()
    absent = fields.Integer(metadata={"description": "Of the people left out of absent_ids"})
    conflicts = fields.Integer(metadata={"description": "Of the people left out of conflicts"})


class SessionConflictSchema(ResponseSchema):
    """A required person who is busy elsewhere during the session."""

    person_id = fields.UUID()
    source = Enumerated(
        "ConflictSource", CONFLICT_SOURCES, growing=True,
        metadata={"description": "Where the busy time was found: calendar (one of the person's published calendars)"},
    )


class ReplyResultSchema(ResponseSchema):
    session_id = fields.UUID()
    answers = fields.List(fields.Nested(AttendanceSchema), metadata={"description": "What was recorded, per person with the address"})
    applied = fields.Boolean(metadata={
        "description": "False when the REPLY was older than the answer already recorded (the same SEQUENCE and an "
        "earlier DTSTAMP): it was taken and changed nothing",
    })


class AnswerRequestSchema(StrictSchema):
    response = AttendanceResponse(
        required=True,
        metadata={"description": "accepted, tentative or declined; needs_action forgets an earlier answer"},
    )


def _local(row, attribute: str) -> str:
    return getattr(row, attribute).astimezone(ZoneInfo(row.timezone)).isoformat()


class SessionSchema(ResponseSchema):
    id = fields.UUID()
    group_id = fields.UUID()
    number = fields.Integer()
    kind = SessionKind()
    start = fields.Function(
        lambda row: _local(row, "start"),
        metadata={"description": "RFC 3339 with the group's offset", "type": "string", "format": "date-time"},
    )
    end = fields.Function(lambda row: _local(row, "end"), metadata={"type": "string", "format": "date-time"})
    timezone = fields.String(metadata={"example": "Europe/Amsterdam", "description": "The group's time zone"})
    status = SessionStatus()
    sequence = fields.Integer(metadata={"description": "Grows with every change (iCalendar SEQUENCE)"})
    uid = fields.String(metadata={"description": "Calendar UID; stable across re-plans"})
    chair_id = fields.UUID(allow_none=True)
    absent_ids = fields.List(
        fields.UUID(), attribute="shown.absent_ids",
        metadata={"description": "Members (and for guided sessions the facilitator) who cannot attend; a platform key "
                  "is shown its own participants and the facilitator (the others are counted in others.absent)"},
    )
    keeps_slot = fields.Boolean()
    note = fields.String(allow_none=True)
    attendance = fields.List(
        fields.Nested(AttendanceSchema), attribute="shown.attendance",
        metadata={"description": "Each required person's answer: the facilitator (guided sessions) and the members "
                  "the session expects; a move resets them to needs_action. A platform key is shown its own "
                  "participants and the facilitator, who leads the session for every platform; the answers of "
                  "another platform's participants are only counted, in others"},
    )
    others = fields.Nested(
        AttendanceCountsSchema, attribute="shown.others",
        metadata={"description": "The required people this key is not shown in attendance and absent_ids (another "
                  "platform's participants), counted; all zero for an admin key"},
    )
    conflicts = fields.List(
        fields.Nested(SessionConflictSchema), attribute="shown.conflicts",
        metadata={"description": "The required people (the facilitator of a guided session and the members the session "
                  "expects) whose own published calendar is busy at some moment of the session, as its latest "
                  "refresh read it; empty when none, and always for a cancelled or past session. A conflict counts "
                  "as not coming for at_risk, whatever the person answered, and goes away when a refresh no longer "
                  "finds the busy time, the calendar is removed or the session moves. A platform key is shown its "
                  "own participants and the facilitator; the others are counted in others.conflicts"},
    )
    at_risk = fields.Boolean(
        metadata={"description": "Its required people can no longer all come: someone declined a guided session or has "
                  "a calendar conflict with it, or fewer members than the quorum (all, without one) have neither "
                  "declined nor a conflict with a self-directed one"},
    )
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class SessionPatchSchema(StrictSchema):
    """Move a session (`start`) or cancel it (`status: cancelled`)."""

    class Meta(StrictSchema.Meta):
        json_schema = {"minProperties": 1}

    start = fields.Function(
        deserialize=lambda value: Rfc3339DateTime().deserialize(value),
        metadata={"description": "RFC 3339 with offset; send a new start to move the session", "type": "string", "format": "date-time"},
    )
    status = SessionStatus(metadata={"description": "Send cancelled to cancel, scheduled to reinstate a cancelled session"})
    allow_absent = fields.Boolean(metadata={
        "description": "With start, or with status scheduled for a cancelled session: move or reinstate a guided session "
                       "even at a time its facilitator cannot attend (she is then listed in absent_ids). Without it "
                       "(default false) that is 409 schedule-conflict with reason facilitator-unavailable. Members who "
                       "cannot come never stop a move or a reinstatement: they are listed in absent_ids. Alone it changes "
                       "nothing.",
    })

    @ma.validates_schema
    def something_to_change(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("send start, status or both")


class SchedulingBatchRequestSchema(StrictSchema):
    group_ids = fields.List(
        fields.UUID(), required=True, validate=validate.Length(min=1, max=1000),
        metadata={"description": "The groups to plan together, 1–1,000 (a whole programme); their plans are "
                  "completed in this order",
                  "uniqueItems": True},
    )

    @ma.validates("group_ids")
    def unique(self, value, **kwargs):
        if len(set(value)) != len(value):
            raise ma.ValidationError("Groups must not repeat.")


class BatchRunSchema(ResponseSchema):
    group_id = fields.UUID()
    id = fields.UUID(metadata={"description": "The group's scheduling run (see /v1/scheduling-runs/{id})"})
    status = RunStatus()


class BatchProgressSchema(ResponseSchema):
    planned = fields.Integer(metadata={"description": "Groups given their whole plan so far"})
    total = fields.Integer(metadata={"description": "Groups in the batch"})


class SchedulingBatchSchema(ResponseSchema):
    id = fields.UUID()
    status = Enumerated("BatchStatus", BATCH_STATUSES)
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
    progress = fields.Nested(
        BatchProgressSchema, allow_none=True,
        metadata={"description": "While running: how far the worker is in writing out plans (planned stays 0 while "
                  "it searches for the choice of series, which takes most of the time); null while queued"},
    )
    planned = fields.Integer(
        allow_none=True, metadata={"description": "When finished: the groups that got a plan; null before"},
    )
    upper_bound = fields.Integer(
        allow_none=True,
        metadata={"description": "When finished: a proven upper bound on the groups that any plan of this batch could "
                  "hold, over every series of guided sessions that exists for each group (with or without a fixed "
                  "slot, not only the candidates the solver chose from): from prices of the linear relaxation, "
                  "and never more than the groups that could be planned each on its own; planned / upper_bound is "
                  "therefore a floor on how close to the best the batch came. Null before, and for a batch that failed"},
    )
    optimal = fields.Boolean(
        allow_none=True,
        metadata={"description": "When finished: planned reached upper_bound, so no choice among every series that "
                  "exists plans more groups (which of the equally many is the solver's preference among its "
                  "candidates: a fixed slot, then the earliest dates). False also when someone was booked meanwhile "
                  "and groups were planned again one by one"},
    )
    runs = fields.List(fields.Nested(BatchRunSchema))
