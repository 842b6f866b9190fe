"""A person's published calendars as the API shows and accepts them."""

from __future__ import annotations

from marshmallow import fields, validate

from services.api.schemas.common import Enumerated, ResponseSchema, StrictSchema
from shared.domain import calendar_sources as rules

CALENDAR_URL_PATTERN = r"^(?:[Hh][Tt][Tt][Pp][Ss]|[Ww][Ee][Bb][Cc][Aa][Ll][Ss]?)://"


class CalendarSourceInputSchema(StrictSchema):
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=rules.MAX_URL_LENGTH),
        metadata={
            "description": "The calendar's secret published address (ICS): https, or webcal:// (read as "
            "https). Its host must resolve to public addresses only. It is a secret: it is stored "
            "sealed and never shown again, only its scheme and host.",
            "example": "webcal://outlook.office365.com/owa/calendar/0f1e…/calendar.ics",
            "pattern": CALENDAR_URL_PATTERN,
        },
    )


class CalendarSourceSchema(ResponseSchema):
    id = fields.UUID()
    url = fields.String(
        attribute="url_shown",
        metadata={"description": "The address masked: its scheme and host only", "example": "https://outlook.office365.com/…"},
    )
    status = Enumerated(
        "CalendarSourceStatus", rules.STATUSES, growing=True,
        metadata={"description": "pending: not fetched yet; ok: the last fetch succeeded (or found the calendar "
                  "unchanged); failed: the last fetch failed (last_error says why) and the busy times of the last "
                  "good one are kept"},
    )
    last_fetched_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When a fetch last succeeded or found the calendar unchanged"},
    )
    last_error = fields.String(
        allow_none=True, metadata={"description": "Why the last fetch failed, in words; null when it did not"},
    )
    busy_count = fields.Integer(
        metadata={"description": "How many stretches of busy time were read, from now to 15 months ahead"},
    )
