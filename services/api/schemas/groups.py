"""Groups and memberships as the API shows and accepts them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from services.api.schemas.common import (
    NAME_LENGTH,
    HolidayRegion,
    Language,
    LocalTime,
    ResponseSchema,
    Rfc3339Date,
    Slug,
    StrictSchema,
    TimeZone,
    Weekday,
    minutes,
    near_today,
    patch_schema,
)
from shared.domain import meeting_links
from shared.domain.model import WEEKDAYS

DEFAULT_CONSTRAINTS = {
    "weekdays": list(WEEKDAYS[:5]),
    "earliest": "08:00",
    "latest": "22:00",
    "skip_public_holidays": True,
    "school_holiday_region": None,
    "self_directed_quorum": None,
}


class ConstraintsInputSchema(StrictSchema):
    weekdays = fields.List(
        Weekday(),
        load_default=lambda: list(WEEKDAYS[:5]),
        validate=validate.Length(min=1, max=7),
        metadata={"uniqueItems": True},
    )
    earliest = LocalTime(load_default="08:00")
    latest = LocalTime(load_default="22:00")
    skip_public_holidays = fields.Boolean(load_default=True)
    school_holiday_region = HolidayRegion(load_default=None)
    self_directed_quorum = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=2, max=8),
        metadata={"description": "Members a self-directed session needs; null: all members."},
    )

    @ma.validates("weekdays")
    def unique_weekdays(self, value, **kwargs):
        if len(set(value)) != len(value):
            raise ma.ValidationError("Weekdays must not repeat.")

    @ma.validates_schema
    def latest_after_earliest(self, data, **kwargs):
        if "latest" in data and "earliest" in data and minutes(data["latest"]) <= minutes(data["earliest"]):
            raise ma.ValidationError("must be after earliest", "latest")

    @ma.post_load
    def canonical_order(self, data, **kwargs):
        if "weekdays" in data:
            data["weekdays"] = sorted(data["weekdays"], key=WEEKDAYS.index)
        return data


class ConstraintsSchema(ResponseSchema):
    weekdays = fields.List(Weekday(), metadata={"description": "The days the group meets on, Monday first"})
    earliest = LocalTime(metadata={"description": "No session starts before (the group's time zone)"})
    latest = LocalTime(metadata={"description": "Every session ends by then"})
    skip_public_holidays = fields.Boolean()
    school_holiday_region = HolidayRegion(dump_default=None, metadata={"description": "Whose school holidays the group skips (null: none)"})
    self_directed_quorum = fields.Integer(
        allow_none=True, dump_default=None, metadata={"description": "Members a self-directed session needs; null: all members."},
    )


class MemberSchema(ResponseSchema):
    group_id = fields.UUID()
    participant_id = fields.UUID()
    joined_at = fields.AwareDateTime()


MEETING_URL_LENGTH = 2000


class MeetingUrl(fields.Url):
    """A link to the group's video call, stored exactly as the video service handed it out.

    Links from Teams (JSON in the query), Zoom, Google Meet, Jitsi (settings in the fragment)
    and Webex are taken as they are; calendars, mails and pages write them percent-encoded where
    a URI may not hold a character (:mod:`shared.domain.meeting_links`). Refused: what is not an
    http(s) link to a host (another scheme, white space alone, control characters).
    """

    default_error_messages = {"not_a_link": "Not a meeting link: it {reason}."}
    _shape = validate.URL(schemes=set(meeting_links.SCHEMES), require_tld=True)

    def __init__(self, **kwargs):
        super().__init__(schemes=set(meeting_links.SCHEMES), **kwargs)
        # A Url to the OpenAPI document, but its pattern judges the text as given (it refuses a
        # space in a room name); _deserialize judges the link as the calendars will hold it.
        self.validators = [v for v in self.validators if not isinstance(v, validate.URL)]

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if len(value) > MEETING_URL_LENGTH:
            return value  # the length validator names this
        reason = meeting_links.refusal(value)
        if reason is None:
            try:  # the host and port of what the calendars will hold
                self._shape(meeting_links.to_uri(value))
            except ma.ValidationError:
                reason = "has no valid host name or port"
        if reason:
            raise self.make_error("not_a_link", reason=reason)
        return value


class GroupInputSchema(StrictSchema):
    name = fields.String(required=True, validate=NAME_LENGTH, metadata={"example": "IB-groep Utrecht 1"})
    theme = Slug(load_default=None, allow_none=True, metadata={"example": "ouderbetrokkenheid"})
    facilitator_id = fields.UUID(load_default=None, allow_none=True)
    timezone = TimeZone(load_default="Europe/Amsterdam")
    language = Language(load_default="nl")
    meeting_url = MeetingUrl(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=MEETING_URL_LENGTH),
        metadata={"example": "https://meet.example.org/ib-utrecht-1", "format": "uri", "description": "An http or https URL."},
    )
    session_minutes = fields.Integer(
        load_default=90, validate=validate.Range(min=30, max=240), metadata={"multipleOf": 15}
    )
    guided_sessions = fields.Integer(load_default=3, validate=validate.Range(min=1, max=6))
    follow_up_sessions = fields.Integer(load_default=6, validate=validate.Range(min=0, max=24))
    starts_on = Rfc3339Date(required=True, validate=near_today, metadata={"example": "2027-01-11", "description": "The first day the group may meet: from a year before today to five years after"})
    constraints = fields.Nested(ConstraintsInputSchema, load_default=lambda: dict(DEFAULT_CONSTRAINTS))

    @ma.validates("session_minutes")
    def on_the_grid(self, value, **kwargs):
        if value % 15:
            raise ma.ValidationError("Must be a multiple of 15 minutes.")

    @ma.validates_schema
    def session_fits_the_day(self, data, **kwargs):
        constraints = data.get("constraints")
        # A PATCH may send part of the constraints: its view checks them merged with the stored ones.
        if constraints and "session_minutes" in data and {"earliest", "latest"} <= constraints.keys():
            check_session_fits(data["session_minutes"], constraints)


class GroupSchema(ResponseSchema):
    id = fields.UUID()
    name = fields.String(metadata={"example": "IB-groep Utrecht 1"})
    theme = fields.String(allow_none=True, metadata={"example": "ouderbetrokkenheid"})
    facilitator_id = fields.UUID(allow_none=True)
    timezone = fields.String(metadata={"example": "Europe/Amsterdam", "description": "IANA time zone"})
    language = Language()
    meeting_url = fields.String(allow_none=True, metadata={"format": "uri", "example": "https://meet.example.org/ib-utrecht-1"})
    session_minutes = fields.Integer(metadata={"example": 90})
    guided_sessions = fields.Integer(metadata={"example": 3})
    follow_up_sessions = fields.Integer(metadata={"example": 6})
    starts_on = fields.Date(metadata={"example": "2027-01-11"})
    constraints = fields.Nested(ConstraintsSchema)
    members = fields.List(fields.Nested(MemberSchema), attribute="memberships")
    member_count = fields.Method("count_members", metadata={"type": "integer"})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()

    def count_members(self, group) -> int:
        return len(group.memberships)


def check_session_fits(session_minutes: int, constraints: dict) -> None:
    if minutes(constraints["latest"]) - minutes(constraints["earliest"]) < session_minutes:
        raise ma.ValidationError("earliest–latest is shorter than one session", "constraints")


ConstraintsPatchSchema = patch_schema(ConstraintsInputSchema)
GroupPatchSchema = patch_schema(
    GroupInputSchema,
    constraints=fields.Nested(
        ConstraintsPatchSchema, metadata={"description": "Only the constraints that change."}
    ),
)
