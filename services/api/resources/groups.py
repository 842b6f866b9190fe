"""/v1/groups and their members."""

from __future__ import annotations

import uuid

import marshmallow as ma
from flask import url_for
from flask.views import MethodView

from services.api.context import actor, reading, state, transaction
from services.api.etag import check_if_match, check_if_none_match, headers_for
from services.api.schemas.groups import (
    ConstraintsInputSchema,
    GroupInputSchema,
    GroupPatchSchema,
    GroupSchema,
    MemberSchema,
    check_session_fits,
)
from services.api.spec import Blueprint, documented, page_of
from shared.use_cases import groups as use_cases

groups = Blueprint(
    "groups", __name__, url_prefix="/v1/groups",
    description="Intervision groups of 3–8 members with a facilitator (managed with admin keys; "
    "a platform key reads the groups its participants are in).",
)


@groups.route("")
class Groups(MethodView):
    @groups.arguments(GroupInputSchema)
    @groups.response(201, GroupSchema, headers=documented.created)
    @documented.errors(403)
    def post(self, data):
        """Create a group"""
        with transaction() as session:
            group = use_cases.create_group(session, actor(), data)
        return group, {"Location": url_for("groups.GroupById", group_id=group.id), **headers_for(group)}

    @groups.response(200, GroupSchema(many=True))
    @groups.paginate()
    @documented.errors()
    def get(self, pagination_parameters):
        """List groups"""
        with reading() as session:
            items, total = use_cases.list_groups(session, actor(), page_of(pagination_parameters))
        pagination_parameters.item_count = total
        return items


@groups.route("/<uuid:group_id>")
class GroupById(MethodView):
    @groups.response(200, GroupSchema, headers=documented.etag)
    @documented.conditional_read
    @documented.errors(404)
    def get(self, group_id: uuid.UUID):
        """Get a group with its members"""
        with reading() as session:
            group = use_cases.show_group(session, actor(), group_id)
        check_if_none_match(group)
        return group, headers_for(group)

    @groups.arguments(GroupPatchSchema)
    @groups.response(200, GroupSchema, headers=documented.etag)
    @documented.conditional_write
    @documented.errors(403, 404, 409)
    def patch(self, data, group_id: uuid.UUID):
        """Change a group; `constraints` may be sent in part

        A new facilitator must be free for the group's upcoming guided sessions and within her
        capacity; otherwise 409 `schedule-conflict` names who is booked by which session.
        """
        with transaction() as session:
            group = use_cases.get_group(session, actor(), group_id)
            check_if_match(group)
            if "constraints" in data:
                data["constraints"] = _merged_constraints(group.constraints, data["constraints"])
            if "constraints" in data or "session_minutes" in data:
                check_session_fits(
                    data.get("session_minutes", group.session_minutes), data.get("constraints", group.constraints)
                )
            use_cases.update_group(session, actor(), group, data, state().clock())
        return group, headers_for(group)

    @groups.response(204)
    @documented.conditional_write
    @documented.errors(403, 404)
    def delete(self, group_id: uuid.UUID):
        """Delete a group, its memberships and sessions"""
        with transaction() as session:
            group = use_cases.get_group(session, actor(), group_id)
            check_if_match(group)
            use_cases.delete_group(session, actor(), group)


def _merged_constraints(stored: dict, sent: dict) -> dict:
    """A PATCH may send some constraints; the result must still be valid as a whole."""
    try:
        return ConstraintsInputSchema().load({**stored, **sent})
    except ma.ValidationError as error:
        raise ma.ValidationError({"constraints": error.messages}) from None


@groups.route("/<uuid:group_id>/members/<uuid:participant_id>")
class GroupMember(MethodView):
    @groups.response(200, MemberSchema)
    @documented.errors(403, 404, 409)
    def put(self, group_id: uuid.UUID, participant_id: uuid.UUID):
        """Put a participant in the group (idempotent; a 9th member is 409)

        The participant must be free for the group's upcoming sessions; otherwise 409
        `schedule-conflict` names the sessions they are already booked into.
        """
        with transaction() as session:
            return use_cases.add_member(session, actor(), group_id, participant_id, state().clock())

    @groups.response(204)
    @documented.errors(403, 404)
    def delete(self, group_id: uuid.UUID, participant_id: uuid.UUID):
        """Take a participant out of the group"""
        with transaction() as session:
            use_cases.remove_member(session, actor(), group_id, participant_id, state().clock())
