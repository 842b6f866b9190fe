"""Group proposals as the API shows and accepts them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from services.api.schemas.common import NAME_LENGTH, Rfc3339Date, Slug, StrictSchema, TimeZone, near_today
from services.api.schemas.groups import DEFAULT_CONSTRAINTS, ConstraintsSchema


class PoolFilterSchema(StrictSchema):
    theme = Slug(load_default=None, allow_none=True)
    role = Slug(load_default=None, allow_none=True)
    unassigned = fields.Boolean(load_default=True, metadata={"description": "Only people not yet in a group"})


class GroupProposalRequestSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        json_schema = {"anyOf": [{"required": ["participant_ids"]}, {"required": ["filters"]}]}

    participant_ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=5000), metadata={"description": "The pool; or use filters"})
    filters = fields.Nested(PoolFilterSchema, metadata={"description": "The pool by filter, when participant_ids is not given"})
    group_by = fields.String(required=True, validate=validate.OneOf(("theme", "role")))
    min_size = fields.Integer(load_default=3, validate=validate.Range(min=3, max=8))
    max_size = fields.Integer(load_default=8, validate=validate.Range(min=3, max=8))
    ideal_size = fields.Integer(load_default=5, validate=validate.Range(min=3, max=8))
    max_per_organization = fields.Integer(load_default=1, validate=validate.Range(min=1, max=8))
    starts_on = Rfc3339Date(required=True, validate=near_today, metadata={"description": "From a year before today to five years after"})
    timezone = TimeZone(load_default="Europe/Amsterdam")
    facilitator_id = fields.UUID(load_default=None, allow_none=True, metadata={"description": "Every group must also fit her availability"})
    constraints = fields.Nested(ConstraintsSchema, load_default=lambda: dict(DEFAULT_CONSTRAINTS))

    @ma.validates_schema
    def consistent(self, data, **kwargs):
        if not data.get("participant_ids") and "filters" not in data:
            raise ma.ValidationError("give participant_ids or filters", "participant_ids")
        if not data["min_size"] <= data["ideal_size"] <= data["max_size"]:
            raise ma.ValidationError("min_size ≤ ideal_size ≤ max_size must hold", "ideal_size")


class ProposedSlotSchema(ma.Schema):
    weekday = fields.String()
    start = fields.String()
    week_of_month = fields.Integer(allow_none=True)
    description = fields.String(metadata={"example": "tweede dinsdag van de maand, 19:30–21:00"})


class ProposedGroupSchema(ma.Schema):
    key = fields.String(metadata={"description": "The theme or role the members share"})
    member_ids = fields.List(fields.String())
    slot = fields.Nested(ProposedSlotSchema, metadata={"description": "The fixed monthly slot the plan engine found"})
    first_session = fields.String(metadata={"description": "RFC 3339"})
    score = fields.Float()


class UnplacedSchema(ma.Schema):
    participant_id = fields.String()
    reason = fields.String(metadata={"example": "niemand anders met dit thema is vrij op een tijd dat jij kunt"})
    code = fields.String()


class GroupProposalSchema(ma.Schema):
    id = fields.UUID()
    status = fields.String(validate=validate.OneOf(("queued", "running", "succeeded", "failed")))
    parameters = fields.Dict(metadata={"description": "What was asked, with the pool resolved to participant ids"})
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
    # Present once the proposal succeeded.
    groups = fields.List(fields.Nested(ProposedGroupSchema), attribute="result.groups")
    unplaced = fields.List(fields.Nested(UnplacedSchema), attribute="result.unplaced")
    optimal = fields.Boolean(attribute="result.optimal", metadata={"description": "The solver proved the result optimal"})
    upper_bound = fields.Integer(attribute="result.upper_bound", metadata={"description": "How many people could at most be placed"})
    error = fields.String(allow_none=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    accepted_group_ids = fields.List(fields.String(), allow_none=True)
    batch_id = fields.UUID(allow_none=True, metadata={"description": "The scheduling batch that plans the accepted groups together (accepted with schedule)"})


class AcceptProposalSchema(StrictSchema):
    facilitator_id = fields.UUID(required=True)
    name_prefix = fields.String(load_default="Intervisiegroep", validate=NAME_LENGTH)
    schedule = fields.Boolean(load_default=False, metadata={"description": "Also plan the groups, together as one scheduling batch"})
