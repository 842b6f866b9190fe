"""Fields and schemas that several resources share.

Input is validated here, at the edge: what reaches a use case is well-formed. Values that the
database stores as JSON (availability, constraints) are normalised to canonical strings
(``"19:30"``, ``"2027-03-08"``, RFC 3339) so that equal input stores equal documents.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import available_timezones

import marshmallow as ma
from marshmallow import fields, validate

from shared.domain.attendance import RESPONSES, SOURCES
from shared.domain.model import HOLIDAY_REGIONS, LANGUAGES, WEEKDAYS
from shared.domain.webhooks import EVENT_TYPES

NAME_LENGTH = validate.Length(min=1, max=200)
SLUG_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
_HHMM = re.compile(r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")  # ASCII digits, as the pattern means in JSON Schema


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_DEPTH = 16
"""How deeply an accepted document nests (the deepest the API defines is 4)."""
CONTROL_CHARACTERS = "must not contain control characters (such as NUL, a tab or a line break)"
NOT_UNICODE = "is not valid Unicode text (a lone surrogate)"


def hostile_text(data: object) -> dict:
    """Marshmallow-shaped errors for every string in ``data`` that no text field accepts: C0
    control characters (the API holds no multi-line text) and lone surrogates, which PostgreSQL
    cannot store. Walks the document without recursion, so a deep one cannot exhaust the stack."""
    errors: dict = {}
    stack: list[tuple[object, tuple]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            _put(errors, path[:MAX_DEPTH], "is nested too deeply")
            continue
        if isinstance(value, str):
            reason = _text_problem(value)
            if reason:
                _put(errors, path, reason)
        elif isinstance(value, dict) or (hasattr(value, "keys") and hasattr(value, "__getitem__")):
            for key in list(value.keys()):
                if isinstance(key, str) and _text_problem(key):
                    _put(errors, (*path, "_schema"), "a field name " + _text_problem(key))
                    continue
                stack.append((value[key], (*path, key)))
        elif isinstance(value, list | tuple):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
    return errors


def _text_problem(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return NOT_UNICODE
    return CONTROL_CHARACTERS if _CONTROL.search(text) else None


def _put(errors: dict, path: tuple, reason: str) -> None:
    if not path:
        path = ("_schema",)
    node = errors
    for key in path[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            return
    node.setdefault(path[-1], [reason])


class StrictSchema(ma.Schema):
    """Unknown fields are an error, not silently dropped; text that no field can hold (control
    characters, lone surrogates) is refused before any field reads it."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def refuse_hostile_text(self, data, **kwargs):
        errors = hostile_text(data)
        if errors:
            raise ma.ValidationError(errors)
        return data


class TimeZone(fields.String):
    """An IANA time-zone name such as ``Europe/Amsterdam``."""

    default_error_messages = {"unknown": "Not a known IANA time zone: {value}."}

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value not in _time_zones():
            raise self.make_error("unknown", value=value)
        return value


class LocalTime(fields.String):
    """A wall-clock time ``HH:MM`` (``24:00`` allowed as the end of a day)."""

    default_error_messages = {"format": "Not a time of the form HH:MM (00:00–24:00): {value}."}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.metadata = {"pattern": _HHMM.pattern, **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not _HHMM.fullmatch(value):
            raise self.make_error("format", value=value)
        return value


# RFC 3339 (section 5.6), not the rest of ISO 8601: no week dates, no basic format, seconds and
# offset required. Python's fromisoformat alone would accept all of those. The patterns hold what
# Python can read: years 0001–9999, months 01–12, days 01–31, hours 00–23, no leap second,
# offsets within a day; whether the day exists in its month is checked on reading.
_YEAR = r"(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
_MONTH_DAY = r"(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_CLOCK = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
RFC3339_DATE = re.compile(rf"{_YEAR}-{_MONTH_DAY}")
RFC3339_DATE_TIME = re.compile(
    rf"{RFC3339_DATE.pattern}[Tt]{_CLOCK}:[0-5][0-9](?:\.[0-9]+)?(?:[Zz]|[+-]{_CLOCK})"
)
OUT_OF_RANGE = "is out of the supported range (years 2 to 9998)"


def parse_date_time(value: str) -> datetime | None:
    """An RFC 3339 date-time, or None."""
    if not RFC3339_DATE_TIME.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:
        return None


def _check_range(parsed: datetime) -> None:
    try:
        year = parsed.astimezone(UTC).year
    except OverflowError:
        year = None
    if year is None or not 2 <= year <= 9998:
        raise ma.ValidationError(OUT_OF_RANGE)


class Rfc3339Date(fields.Date):
    """A calendar date written as RFC 3339 does (``2027-01-11``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not RFC3339_DATE.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


YEARS_BACK, YEARS_AHEAD = 1, 5
NEAR_TODAY = f"must lie within {YEARS_BACK} year before and {YEARS_AHEAD} years after today"


def near_today(value: date) -> None:
    """A programme starts around now: from a year ago (a group planned late) to five years ahead.
    Today is the app's clock, so tests can fix it."""
    today = _today()
    if not today.replace(year=today.year - YEARS_BACK) <= value <= today.replace(year=today.year + YEARS_AHEAD):
        raise ma.ValidationError(NEAR_TODAY)


def _today() -> date:
    from flask import has_app_context

    if has_app_context():
        from services.api.context import state

        return state().clock().date()
    return datetime.now(UTC).date()


class Rfc3339DateTime(fields.AwareDateTime):
    """An RFC 3339 date-time with offset, such as ``2027-03-09T19:30:00+01:00``."""

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = parse_date_time(value) if isinstance(value, str) else None
        if parsed is None:
            raise self.make_error("invalid", obj_type=self.OBJ_TYPE)
        _check_range(parsed)
        return parsed


DATE_OR_DATE_TIME = f"^(?:{RFC3339_DATE.pattern}|{RFC3339_DATE_TIME.pattern})$"


class DateOrDateTime(fields.Field):
    """A calendar date (``2027-03-08``) or an RFC 3339 date-time with offset, kept as text.

    Documented as a string with a pattern: an ``anyOf`` of two formats is what client generators
    cannot read (they make it ``Any``)."""

    default_error_messages = {
        "invalid": "Not a valid date (YYYY-MM-DD) or RFC 3339 date-time with offset: {value}.",
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.metadata = {"type": "string", "pattern": DATE_OR_DATE_TIME, **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid", value=value)
        if RFC3339_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                raise self.make_error("invalid", value=value) from None
        parsed = parse_date_time(value)
        if parsed is None:
            raise self.make_error("invalid", value=value)
        _check_range(parsed)
        return parsed.isoformat()

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def Slug(**kwargs) -> fields.String:  # noqa: N802 - reads like a field class
    return fields.String(
        validate=validate.Regexp(
            SLUG_PATTERN, error="Not a slug: lower-case letters, digits and _, at most 64."
        ),
        **kwargs,
    )


class Enumerated(fields.String):
    """A string from a closed set that the OpenAPI document names once (``Weekday``), so that
    generated clients share one enum instead of one per property (see services.api.spec)."""

    def __init__(self, component: str, choices: tuple[str, ...], *, growing: bool = False, **kwargs):
        super().__init__(validate=validate.OneOf(choices), **kwargs)
        self.component = component
        self.choices = tuple(choices)
        self.component_description = GROWING if growing else None


GROWING = "More values may come within /v1: skip one you do not know."


def Weekday(**kwargs) -> fields.String:  # noqa: N802
    return Enumerated("Weekday", WEEKDAYS, **kwargs)


def Language(**kwargs) -> fields.String:  # noqa: N802
    return Enumerated("Language", LANGUAGES, **kwargs)


def HolidayRegion(**kwargs) -> fields.String:  # noqa: N802
    return Enumerated("SchoolHolidayRegion", HOLIDAY_REGIONS, allow_none=True, **kwargs)


INVITATION_METHODS = ("REQUEST", "CANCEL")
INVITATION_NOTICES = ("new", "changed", "cancelled", "removed")
DELIVERY_STATES = ("stored", "pending", "sending", "sent", "failed")
WEBHOOK_DELIVERY_STATES = ("pending", "delivered", "failed", "disabled")


def InvitationMethod(**kwargs) -> fields.String:  # noqa: N802
    return Enumerated("InvitationMethod", INVITATION_METHODS, **kwargs)


def InvitationNotice(**kwargs) -> fields.String:  # noqa: N802
    return Enumerated("InvitationNotice", INVITATION_NOTICES, **kwargs)


def DeliveryState(**kwargs) -> fields.String:  # noqa: N802
    return Enumerated("InvitationDeliveryState", DELIVERY_STATES, **kwargs)


def WebhookEventType(**kwargs) -> fields.String:  # noqa: N802
    return Enumerated("WebhookEventType", EVENT_TYPES, growing=True, **kwargs)


def WebhookDeliveryState(**kwargs) -> fields.String:  # noqa: N802
    return Enumerated("WebhookDeliveryState", WEBHOOK_DELIVERY_STATES, **kwargs)


def AttendanceResponse(**kwargs) -> fields.String:  # noqa: N802
    return Enumerated("AttendanceResponse", RESPONSES, **kwargs)


def AnswerSource(**kwargs) -> fields.String:  # noqa: N802
    return Enumerated("AnswerSource", SOURCES, **kwargs)


SESSION_STATUSES = ("scheduled", "cancelled")


def SessionStatus(**kwargs) -> fields.String:  # noqa: N802
    return Enumerated("SessionStatus", SESSION_STATUSES, **kwargs)


def DateTimeText(metadata: dict | None = None, **kwargs) -> fields.String:  # noqa: N802
    """An RFC 3339 date-time that an answer holds as text already (from a stored document)."""
    return fields.String(metadata={"format": "date-time", **(metadata or {})}, **kwargs)


class OneOfSchemas(fields.Field):
    """An object whose schema depends on one of its properties: ``schemas[value[discriminator]]``.
    The OpenAPI document says ``oneOf`` their references with a ``discriminator`` mapping each
    value to its schema (services.api.spec), which generated clients read as a union."""

    def __init__(self, schemas: dict[str, type[ma.Schema]], discriminator: str, **kwargs):
        super().__init__(**kwargs)
        self.one_of = dict(schemas)
        self.discriminator = discriminator
        self._dumpers = {value: schema() for value, schema in self.one_of.items()}

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return self._dumpers[value[self.discriminator]].dump(value)


class ResponseSchema(ma.Schema):
    """A document the API answers with. Every field is in every answer — null where it may be
    null (``allow_none``, and ``dump_default=None`` where the value can be missing) — so the
    OpenAPI document lists every property as required (services.api.spec.SchemaKeywords) and
    generated clients type none of them as optional. ``Meta.optional_fields`` names the rare
    field that an answer leaves out on purpose."""

    class Meta:
        every_field_present = True


class WeeklyWindowSchema(StrictSchema):
    """The same in requests and answers."""

    day = Weekday(required=True, metadata={"example": "tue"})
    start = LocalTime(required=True, metadata={"example": "19:00"})
    end = LocalTime(required=True, metadata={"example": "21:30"})

    @ma.validates_schema
    def end_after_start(self, data, **kwargs):
        if minutes(data["end"]) <= minutes(data["start"]):
            raise ma.ValidationError("must be after start", "end")


UNAVAILABLE_RULE = (
    "start and end are both dates (YYYY-MM-DD, an inclusive range of whole days in the person's "
    "time zone) or both RFC 3339 date-times with offset (a half-open range)."
)


class UnavailableInputSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        json_schema = {"description": f"A period the person cannot meet: {UNAVAILABLE_RULE}"}

    start = DateOrDateTime(required=True, metadata={"example": "2027-03-08"})
    end = DateOrDateTime(required=True, metadata={"example": "2027-03-12"})
    note = fields.String(validate=validate.Length(max=200), allow_none=True)

    @ma.validates_schema
    def consistent_range(self, data, **kwargs):
        start, end = data["start"], data["end"]
        if ("T" in start) != ("T" in end):
            raise ma.ValidationError("start and end must both be dates or both date-times", "end")
        if "T" in start:
            if datetime.fromisoformat(end) <= datetime.fromisoformat(start):
                raise ma.ValidationError("must be after start", "end")
        elif end < start:
            raise ma.ValidationError("must not be before start (dates are inclusive)", "end")


class UnavailableSchema(ResponseSchema):
    class Meta(ResponseSchema.Meta):
        json_schema = {"description": f"A period the person cannot meet: {UNAVAILABLE_RULE}"}

    start = fields.String(metadata={"pattern": DATE_OR_DATE_TIME, "example": "2027-03-08"})
    end = fields.String(metadata={"pattern": DATE_OR_DATE_TIME, "example": "2027-03-12"})
    note = fields.String(allow_none=True, dump_default=None, metadata={"description": "Null when none was given"})


class AvailabilityInputSchema(StrictSchema):
    # Required, as the whole week is replaced: a document that leaves it out (an empty PUT's
    # `{}`) would otherwise store "free at any time".
    weekly = fields.List(
        fields.Nested(WeeklyWindowSchema),
        required=True,
        validate=validate.Length(max=50),
        metadata={"description": "Weekly windows in the person's own time zone; an empty list: no weekly restriction."},
    )
    unavailable = fields.List(
        fields.Nested(UnavailableInputSchema),
        load_default=list,
        validate=validate.Length(max=366),
        metadata={"description": "Inclusive date ranges or half-open RFC 3339 date-time ranges."},
    )

    @ma.post_load
    def drop_empty_notes(self, data, **kwargs):
        for item in data["unavailable"]:
            if item.get("note") is None:
                item.pop("note", None)
        return data


class AvailabilitySchema(ResponseSchema):
    weekly = fields.List(
        fields.Nested(WeeklyWindowSchema), dump_default=list,
        metadata={"description": "Weekly windows in the person's own time zone; empty: no weekly restriction."},
    )
    unavailable = fields.List(
        fields.Nested(UnavailableSchema), dump_default=list,
        metadata={"description": "Inclusive date ranges or half-open RFC 3339 date-time ranges."},
    )


class PersonInputSchema(StrictSchema):
    """What facilitators and participants have in common, as a request sends it."""

    name = fields.String(required=True, validate=NAME_LENGTH, metadata={"example": "Anna de Vries"})
    email = fields.Email(
        required=True, validate=validate.Length(max=254), metadata={"example": "anna@example.org"}
    )
    timezone = TimeZone(load_default="Europe/Amsterdam", metadata={"example": "Europe/Amsterdam"})
    language = Language(load_default="nl")
    availability = fields.Nested(AvailabilityInputSchema, load_default=lambda: {"weekly": [], "unavailable": []})


class PersonSchema(ResponseSchema):
    """What facilitators and participants have in common, as the API answers it."""

    id = fields.UUID()
    name = fields.String(metadata={"example": "Anna de Vries"})
    email = fields.String(metadata={"format": "email", "example": "anna@example.org"})
    timezone = fields.String(metadata={"example": "Europe/Amsterdam", "description": "IANA time zone"})
    language = Language()
    availability = fields.Nested(AvailabilitySchema)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


def patch_schema(base: type[ma.Schema], **overrides: fields.Field) -> type[ma.Schema]:
    """The PATCH variant of a schema: every field optional, no defaults filled in.

    Nested documents stay whole (what a PATCH sends for availability replaces it and is
    validated in full) unless ``overrides`` declares a field differently.
    """

    def __init__(self, **kwargs):
        base.__init__(self, partial=tuple(base._declared_fields), **kwargs)
        for field in self.fields.values():
            field.load_default = ma.missing

    noun = base.__name__.removesuffix("Schema").removesuffix("Input")
    name = noun + "PatchSchema"
    noun = noun.lower()
    namespace = {"__init__": __init__, "__doc__": f"Changes to a {noun}: send only what changes.", **overrides}
    return type(name, (base,), namespace)
