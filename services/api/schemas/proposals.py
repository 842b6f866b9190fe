"""Group proposals as the API shows and accepts them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from services.api.schemas.common import (
    NAME_LENGTH,
    DateTimeText,
    Enumerated,
    ResponseSchema,
    Rfc3339Date,
    Slug,
    StrictSchema,
    TimeZone,
    Weekday,
    near_today,
)
from services.api.schemas.groups import DEFAULT_CONSTRAINTS, ConstraintsInputSchema, ConstraintsSchema
from shared.domain.composition import REASON_CODES


class PoolFilterSchema(StrictSchema):
    theme = Slug(load_default=None, allow_none=True)
    role = Slug(load_default=None, allow_none=True)
    unassigned = fields.Boolean(load_default=True, metadata={"description": "Only people not yet in a group"})


class PoolFilterResultSchema(ResponseSchema):
    theme = fields.String(allow_none=True, dump_default=None)
    role = fields.String(allow_none=True, dump_default=None)
    unassigned = fields.Boolean(metadata={"description": "Only people not yet in a group"})


POOL_RULE = "Give the pool as participant_ids or as filters (one of the two; participant_ids wins when both are given)."
GROUP_BY = ("theme", "role")


class GroupProposalRequestSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        json_schema = {"description": f"What to compose groups from, and how. {POOL_RULE}"}

    participant_ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=5000), metadata={"description": "The pool; or use filters"})
    filters = fields.Nested(PoolFilterSchema, metadata={"description": "The pool by filter, when participant_ids is not given"})
    group_by = Enumerated("GroupingKey", GROUP_BY, required=True, metadata={"description": "What the members of a group share"})
    min_size = fields.Integer(load_default=3, validate=validate.Range(min=3, max=8))
    max_size = fields.Integer(load_default=8, validate=validate.Range(min=3, max=8))
    ideal_size = fields.Integer(load_default=5, validate=validate.Range(min=3, max=8))
    max_per_organization = fields.Integer(load_default=1, validate=validate.Range(min=1, max=8))
    starts_on = Rfc3339Date(required=True, validate=near_today, metadata={"description": "From a year before today to five years after"})
    timezone = TimeZone(load_default="Europe/Amsterdam")
    facilitator_id = fields.UUID(load_default=None, allow_none=True, metadata={"description": "Every group must also fit her availability"})
    constraints = fields.Nested(ConstraintsInputSchema, load_default=lambda: dict(DEFAULT_CONSTRAINTS))

    @ma.validates_schema
    def consistent(self, data, **kwargs):
        if not data.get("participant_ids") and "filters" not in data:
            raise ma.ValidationError("give participant_ids or filters", "participant_ids")
        if not data["min_size"] <= data["ideal_size"] <= data["max_size"]:
            raise ma.ValidationError("min_size ≤ ideal_size ≤ max_size must hold", "ideal_size")


class ProposalParametersSchema(ResponseSchema):
    """What was asked, with the pool resolved to participant ids."""

    participant_ids = fields.List(fields.UUID())
    group_by = Enumerated("GroupingKey", GROUP_BY)
    min_size = fields.Integer()
    max_size = fields.Integer()
    ideal_size = fields.Integer()
    max_per_organization = fields.Integer()
    starts_on = fields.String(metadata={"format": "date"})
    timezone = fields.String()
    facilitator_id = fields.UUID(allow_none=True, dump_default=None)
    constraints = fields.Nested(ConstraintsSchema)
    filters = fields.Nested(PoolFilterResultSchema, allow_none=True, dump_default=None, metadata={"description": "The filters, when the pool was given by filter"})


class ProposedSlotSchema(ResponseSchema):
    weekday = Weekday()
    start = fields.String(metadata={"example": "19:30", "description": "Local start time in the group's time zone"})
    week_of_month = fields.Integer(allow_none=True, metadata={"description": "1–5 when every session keeps the same week of the month"})
    description = fields.String(metadata={"example": "tweede dinsdag van de maand, 19:30–21:00"})


class ProposedGroupSchema(ResponseSchema):
    key = fields.String(metadata={"description": "The theme or role the members share"})
    member_ids = fields.List(fields.UUID())
    slot = fields.Nested(ProposedSlotSchema, metadata={"description": "The fixed monthly slot the plan engine found"})
    first_session = DateTimeText(metadata={"description": "RFC 3339"})
    score = fields.Float()


class UnplacedSchema(ResponseSchema):
    participant_id = fields.UUID()
    reason = fields.String(metadata={"example": "niemand anders met dit thema is vrij op een tijd dat jij kunt"})
    code = Enumerated("UnplacedCode", REASON_CODES, growing=True, metadata={"description": "Why, from the most basic reason to the last"})


class GroupProposalSchema(ResponseSchema):
    id = fields.UUID()
    status = Enumerated("ProposalStatus", ("queued", "running", "succeeded", "failed"))
    parameters = fields.Nested(ProposalParametersSchema, metadata={"description": "What was asked, with the pool resolved to participant ids"})
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
    # Null until the proposal succeeded.
    groups = fields.List(fields.Nested(ProposedGroupSchema), attribute="result.groups", allow_none=True, dump_default=None, metadata={"description": "Once succeeded"})
    unplaced = fields.List(fields.Nested(UnplacedSchema), attribute="result.unplaced", allow_none=True, dump_default=None, metadata={"description": "Once succeeded"})
    optimal = fields.Boolean(attribute="result.optimal", allow_none=True, dump_default=None, metadata={"description": "Once succeeded: the solver proved the result optimal"})
    upper_bound = fields.Integer(attribute="result.upper_bound", allow_none=True, dump_default=None, metadata={"description": "Once succeeded: how many people could at most be placed"})
    error = fields.String(allow_none=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    accepted_group_ids = fields.List(fields.UUID(), allow_none=True)
    batch_id = fields.UUID(allow_none=True, metadata={"description": "The scheduling batch that plans the accepted groups together (accepted with schedule)"})


class AcceptProposalSchema(StrictSchema):
    facilitator_id = fields.UUID(required=True)
    name_prefix = fields.String(load_default="Intervisiegroep", validate=NAME_LENGTH)
    schedule = fields.Boolean(load_default=False, metadata={"description": "Also plan the groups, together as one scheduling batch"})
