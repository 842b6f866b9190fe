"""The query of a feed's subscribe page."""

from __future__ import annotations

import marshmallow as ma

from services.api.schemas.common import Rfc3339Date, StrictSchema


class FeedPageQuerySchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        unknown = ma.EXCLUDE

    week = Rfc3339Date(
        metadata={
            "description": "On a facilitator's page: a day of the week whose who-can-when to show (its Monday's week), "
            "within two years of today; default: per group the week of its next session.",
            "example": "2027-03-08",
        },
    )
