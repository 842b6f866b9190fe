"""/v1/facilitators and /v1/participants."""

from __future__ import annotations

import uuid

from flask import url_for
from flask.views import MethodView

from services.api.context import actor, reading, state, transaction
from services.api.etag import check_if_match, check_if_none_match, headers_for
from services.api.schemas.common import AvailabilityInputSchema, patch_schema
from services.api.schemas.people import (
    AvailabilityLinkRequestSchema,
    AvailabilityLinkSchema,
    FacilitatorInputSchema,
    FacilitatorSchema,
    ParticipantExportSchema,
    ParticipantInputSchema,
    ParticipantQuerySchema,
    ParticipantSchema,
)
from services.api.spec import Blueprint, documented, page_of
from shared.use_cases import availability_links, people, privacy
from shared.use_cases.people import ParticipantFilter

facilitators = Blueprint(
    "facilitators", __name__, url_prefix="/v1/facilitators",
    description="The facilitators who guide the first sessions of a group (admin keys only).",
)
participants = Blueprint(
    "participants", __name__, url_prefix="/v1/participants",
    description="Professionals who signed up, with their availability. A platform key sees the ones it created.",
)


@facilitators.route("")
class Facilitators(MethodView):
    @facilitators.arguments(FacilitatorInputSchema)
    @facilitators.response(201, FacilitatorSchema, headers=documented.created)
    @documented.errors(403)
    def post(self, data):
        """Add a facilitator"""
        with transaction() as session:
            facilitator = people.create_facilitator(session, actor(), data)
        return facilitator, {
            "Location": url_for("facilitators.FacilitatorById", facilitator_id=facilitator.id),
            **headers_for(facilitator),
        }

    @facilitators.response(200, FacilitatorSchema(many=True))
    @facilitators.paginate()
    @documented.errors(403)
    def get(self, pagination_parameters):
        """List facilitators"""
        with reading() as session:
            items, total = people.list_facilitators(session, actor(), page_of(pagination_parameters))
        pagination_parameters.item_count = total
        return items


@facilitators.route("/<uuid:facilitator_id>")
class FacilitatorById(MethodView):
    @facilitators.response(200, FacilitatorSchema, headers=documented.etag)
    @documented.conditional_read
    @documented.errors(403, 404)
    def get(self, facilitator_id: uuid.UUID):
        """Get a facilitator"""
        with reading() as session:
            facilitator = people.get_facilitator(session, actor(), facilitator_id)
        check_if_none_match(facilitator)
        return facilitator, headers_for(facilitator)

    @facilitators.arguments(patch_schema(FacilitatorInputSchema))
    @facilitators.response(200, FacilitatorSchema, headers=documented.etag)
    @documented.conditional_write
    @documented.errors(403, 404)
    def patch(self, data, facilitator_id: uuid.UUID):
        """Change a facilitator"""
        with transaction() as session:
            facilitator = people.get_facilitator(session, actor(), facilitator_id)
            check_if_match(facilitator)
            people.update_facilitator(session, facilitator, data)
        return facilitator, headers_for(facilitator)

    @facilitators.response(204)
    @documented.conditional_write
    @documented.errors(403, 404, 409)
    def delete(self, facilitator_id: uuid.UUID):
        """Remove a facilitator who guides no group"""
        with transaction() as session:
            facilitator = people.get_facilitator(session, actor(), facilitator_id)
            check_if_match(facilitator)
            people.delete_facilitator(session, facilitator)


@participants.route("")
class Participants(MethodView):
    @participants.arguments(ParticipantInputSchema)
    @participants.response(201, ParticipantSchema, headers=documented.created)
    @documented.errors(409)
    def post(self, data):
        """Sign up a participant"""
        with transaction() as session:
            participant = people.create_participant(session, actor(), data)
        return participant, {
            "Location": url_for("participants.ParticipantById", participant_id=participant.id),
            **headers_for(participant),
        }

    @participants.arguments(ParticipantQuerySchema, location="query")
    @participants.response(200, ParticipantSchema(many=True))
    @participants.paginate()
    @documented.errors()
    def get(self, filters, pagination_parameters):
        """List participants, optionally filtered"""
        with reading() as session:
            items, total = people.list_participants(
                session, actor(), ParticipantFilter(**filters), page_of(pagination_parameters)
            )
        pagination_parameters.item_count = total
        return items


@participants.route("/<uuid:participant_id>")
class ParticipantById(MethodView):
    @participants.response(200, ParticipantSchema, headers=documented.etag)
    @documented.conditional_read
    @documented.errors(404)
    def get(self, participant_id: uuid.UUID):
        """Get a participant"""
        with reading() as session:
            participant = people.show_participant(session, actor(), participant_id)
        check_if_none_match(participant)
        return participant, headers_for(participant)

    @participants.arguments(patch_schema(ParticipantInputSchema))
    @participants.response(200, ParticipantSchema, headers=documented.etag)
    @documented.conditional_write
    @documented.errors(404, 409)
    def patch(self, data, participant_id: uuid.UUID):
        """Change a participant"""
        with transaction() as session:
            participant = people.get_participant(session, actor(), participant_id)
            check_if_match(participant)
            people.update_participant(session, participant, data, now=state().clock())
        return participant, headers_for(participant)

    @participants.response(204)
    @documented.conditional_write
    @documented.errors(404)
    def delete(self, participant_id: uuid.UUID):
        """Erase a participant: they leave their groups (a CANCEL goes out), their feed dies, nothing mentions them after"""
        with transaction() as session:
            check_if_match(people.get_participant(session, actor(), participant_id))
            privacy.erase(session, actor(), participant_id, state().clock())


@participants.route("/<uuid:participant_id>/export")
class ParticipantExport(MethodView):
    @participants.response(200, ParticipantExportSchema)
    @documented.errors(404)
    def get(self, participant_id: uuid.UUID):
        """Everything stored about a participant (GDPR access)"""
        with transaction() as session:
            return privacy.export(session, actor(), participant_id, state().clock())


@participants.route("/<uuid:participant_id>/availability")
class ParticipantAvailability(MethodView):
    @participants.arguments(AvailabilityInputSchema)
    @participants.response(200, ParticipantSchema, headers=documented.etag)
    @documented.conditional_write
    @documented.errors(404)
    def put(self, availability, participant_id: uuid.UUID):
        """Replace a participant's availability"""
        with transaction() as session:
            participant = people.get_participant(session, actor(), participant_id)
            check_if_match(participant)
            people.update_participant(session, participant, {"availability": availability}, now=state().clock())
        return participant, headers_for(participant)


@participants.route("/<uuid:participant_id>/availability-link")
class ParticipantAvailabilityLink(MethodView):
    @participants.arguments(AvailabilityLinkRequestSchema, required=False)
    @participants.response(201, AvailabilityLinkSchema)
    @documented.errors(404)
    def post(self, data, participant_id: uuid.UUID):
        """Create a link to the participant's own page where they fill in their week"""
        app_state = state()
        with transaction() as session:
            issued = availability_links.create(
                session, actor(), participant_id, base_url=app_state.settings.public_url,
                now=app_state.clock(), days=(data or {}).get("valid_days", availability_links.DEFAULT_DAYS),
            )
        return issued

    @participants.response(204)
    @documented.errors(404)
    def delete(self, participant_id: uuid.UUID):
        """Revoke every availability link of the participant"""
        with transaction() as session:
            availability_links.revoke(session, actor(), participant_id)
