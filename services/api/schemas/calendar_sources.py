"""A person's published calendars as the API shows and accepts them."""

from __future__ import annotations

from marshmallow import fields, validate

from services.api.schemas.common import Enumerated, ResponseSchema, StrictSchema
from shared.domain import calendar_sources as rules

CALENDAR_URL_PATTERN = r"^(?:[Hh][Tt][Tt][Pp][Ss]|[Ww][Ee][Bb][Cc][Aa][Ll][Ss]?)://"


class CalDavCredentialsSchema(StrictSchema):
    username = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=rules.MAX_CREDENTIAL_LENGTH),
            validate.Regexp(r"^[^:\x00-\x1f\x7f]*$", error="must not contain a colon or a control character (HTTP Basic)"),
        ],
        metadata={"description": "The CalDAV user name (no colon: HTTP Basic sends it before one)",
                  "example": "anna@school.example"},
    )
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=rules.MAX_CREDENTIAL_LENGTH),
        metadata={"description": "An app password for the calendar (not the account's own): stored sealed, never "
                  "shown again", "example": "abcd-efgh-ijkl-mnop"},
    )


class CalendarSourceInputSchema(StrictSchema):
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=rules.MAX_URL_LENGTH),
        metadata={
            "description": "The calendar's secret published address (ICS): https, or webcal:// (read as "
            "https); with caldav, the CalDAV calendar collection's address. Its host must resolve to public "
            "addresses only. It is a secret: it is stored sealed and never shown again, only its scheme and host.",
            "example": "webcal://outlook.office365.com/owa/calendar/0f1e…/calendar.ics",
            "pattern": CALENDAR_URL_PATTERN,
        },
    )
    caldav = fields.Nested(
        CalDavCredentialsSchema,
        metadata={"description": "For a CalDAV calendar: url is then the calendar collection's address (https), which "
                  "is asked for its free and busy time (RFC 4791 free-busy-query) with these credentials. Leave it out "
                  "for a published ICS address."},
    )


class CalendarSourceSchema(ResponseSchema):
    id = fields.UUID()
    kind = Enumerated(
        "CalendarSourceKind", rules.KINDS, growing=True,
        metadata={"description": "ics: a published address, fetched with a conditional GET; caldav: a CalDAV calendar "
                  "asked for its free and busy time (its credentials are never shown)"},
    )
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
        allow_none=True, metadata={"description": "Why the last fetch failed, in English words; null when it did not"},
    )
    last_error_code = Enumerated(
        "CalendarSourceErrorCode", rules.FAILURE_CODES, growing=True, allow_none=True,
        metadata={"description": "Why the last fetch failed, as a code to act on (null when it did not): not-found "
                  "(the server answered 404 or 410: the link no longer works), forbidden (401 or 403), http-error "
                  "(another status), too-slow, cut-off (the answer stopped early), too-large, too-many-redirects, "
                  "unreachable (no connection, no valid certificate, no HTTP), not-a-calendar, refused-address "
                  "(its host is not allowed), unreadable-address (the service's secret key changed: add it again), "
                  "unexpected"},
    )
    busy_count = fields.Integer(
        metadata={"description": "How many stretches of busy time were read, from now to 15 months ahead"},
    )
