"""/v1/group-proposals: let the service compose groups from the sign-ups (admin)."""

from __future__ import annotations

import uuid

from flask import url_for
from flask.views import MethodView

from services.api.context import actor, reading, state, transaction
from services.api.schemas.proposals import AcceptProposalSchema, GroupProposalRequestSchema, GroupProposalSchema
from services.api.spec import Blueprint, documented
from shared.use_cases import proposals
from shared.use_cases.leases import IN_FLIGHT

blueprint = Blueprint(
    "group-proposals", __name__, url_prefix="/v1/group-proposals",
    description="Proposed groups of 3–8 people who share a theme or role, come from different "
    "organisations and share a monthly slot — computed by the worker with a constraint solver.",
)


@blueprint.route("")
class GroupProposals(MethodView):
    @blueprint.arguments(GroupProposalRequestSchema)
    @blueprint.response(202, GroupProposalSchema, headers=documented.location("The proposal to poll"))
    @documented.errors(403)
    def post(self, data):
        """Ask for a proposal of groups"""
        with transaction() as session:
            proposal = proposals.request_proposal(session, actor(), data, state().clock())
        state().scheduler.request_composition(proposal.id)
        return proposal, {"Location": url_for("group-proposals.GroupProposalById", proposal_id=proposal.id)}


@blueprint.route("/<uuid:proposal_id>")
class GroupProposalById(MethodView):
    @blueprint.response(200, GroupProposalSchema, headers=documented.retry_after)
    @documented.errors(403, 404)
    def get(self, proposal_id: uuid.UUID):
        """Get a proposal; poll until it is no longer queued or running"""
        with reading() as session:
            proposal = proposals.get_proposal(session, actor(), proposal_id)
        if proposal.status in IN_FLIGHT:
            return proposal, {"Retry-After": "2"}
        return proposal


@blueprint.route("/<uuid:proposal_id>/accept")
class GroupProposalAcceptance(MethodView):
    @blueprint.arguments(AcceptProposalSchema)
    @blueprint.response(200, GroupProposalSchema)
    @documented.errors(403, 404, 409)
    def post(self, data, proposal_id: uuid.UUID):
        """Create the proposed groups (once; accepting again answers the same groups)"""
        with transaction() as session:
            proposal, batch_id = proposals.accept(session, actor(), proposal_id, now=state().clock(), **data)
        if batch_id is not None:
            state().scheduler.request_batch(batch_id)
        return proposal
