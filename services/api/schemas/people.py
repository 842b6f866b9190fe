"""Facilitators and participants as the API shows and accepts them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from services.api.schemas.common import NAME_LENGTH, HolidayRegion, PersonSchema, Slug, StrictSchema


class FacilitatorSchema(PersonSchema):
    pass


class ParticipantSchema(PersonSchema):
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
    group_ids = fields.List(fields.UUID(), dump_only=True)

    @ma.validates("themes")
    def unique_themes(self, value, **kwargs):
        if len(set(value)) != len(value):
            raise ma.ValidationError("Themes must not repeat.")


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
