"""Who can when: the query of a group's week and the grid the API answers with."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from services.api.schemas.common import ResponseSchema, Rfc3339Date, StrictSchema, Weekday
from shared.domain.week_grid import FACILITATOR, MEMBER, SLOT_MINUTES


class WeekQuerySchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        unknown = ma.EXCLUDE

    week = Rfc3339Date(
        metadata={
            "description": "The Monday of the week, within two years of today; "
            "default: the coming Monday in the group's time zone.",
            "example": "2027-03-08",
        },
    )


class AvailabilityPersonSchema(ResponseSchema):
    id = fields.UUID()
    role = fields.String(validate=validate.OneOf((FACILITATOR, MEMBER)))
    name = fields.String()


class AvailabilityCellSchema(ResponseSchema):
    day = Weekday(metadata={"example": "tue"})
    start = fields.String(
        metadata={"pattern": r"^(?:[01][0-9]|2[0-3]):[03]0$", "example": "19:30",
                  "description": "Wall-clock start in the group's time zone; the cell is the 30 minutes from it."},
    )
    available = fields.Integer(metadata={"description": "People free for the whole half hour, and not booked elsewhere."})
    absent_ids = fields.List(
        fields.UUID(),
        metadata={"description": "People whose own availability (weekly windows in their own zone, unavailable "
                  "dates, school holidays) or a holiday the group skips does not leave the whole half hour free."},
    )
    busy_ids = fields.List(
        fields.UUID(),
        metadata={"description": "People otherwise free who are booked into a session of another group then, or busy in their own published calendar."},
    )
    allowed = fields.Boolean(
        metadata={"description": "Whether the group's own weekdays, earliest–latest and skipped holidays admit the half hour."},
    )


class GroupAvailabilitySchema(ResponseSchema):
    week = fields.Date(metadata={"description": "The Monday", "example": "2027-03-08"})
    timezone = fields.String(metadata={"example": "Europe/Amsterdam", "description": "The group's time zone"})
    slot_minutes = fields.Integer(metadata={"example": SLOT_MINUTES})
    people = fields.List(
        fields.Nested(AvailabilityPersonSchema),
        metadata={"description": "The facilitator (when the group has one) and the members."},
    )
    cells = fields.List(
        fields.Nested(AvailabilityCellSchema),
        metadata={"description": "Every half hour of Monday to Sunday (336), in order; on the day the clocks go "
                  "forward the half hours that do not exist are left out, and on the day they go back the "
                  "repeated hour appears once."},
    )
