"""Invitations of a session, and the feed links of facilitators, participants and groups."""

from __future__ import annotations

import uuid

from flask import Response
from flask.views import MethodView

from services.api.context import actor, state, transaction
from services.api.schemas.calendar import FeedLinkSchema, InvitationSchema
from services.api.spec import Blueprint, documented, page_of
from shared.use_cases import feeds, invitations
from shared.use_cases.groups import get_group
from shared.use_cases.people import get_facilitator, get_participant

invitation_blueprint = Blueprint(
    "invitations", __name__, url_prefix="/v1",
    description="The calendar invitations (RFC 5546 iTIP) issued for a session, one per recipient. "
    "A platform key sees those to its own participants.",
)
feed_blueprint = Blueprint(
    "feeds", __name__, url_prefix="/v1",
    description="Subscribable calendar feeds. The URL's token is the secret: share it only with "
    "its owner; rotating it kills the old URL at once.",
)

OWNER_LOOKUP = {
    feeds.FACILITATOR: get_facilitator,
    feeds.PARTICIPANT: get_participant,
    feeds.GROUP: get_group,
}
CALENDAR_MEDIA_TYPE = "text/calendar"


@invitation_blueprint.route("/sessions/<uuid:session_id>/invitations")
class SessionInvitations(MethodView):
    @invitation_blueprint.response(200, InvitationSchema(many=True))
    @invitation_blueprint.paginate()
    @documented.errors(404)
    def get(self, session_id: uuid.UUID, pagination_parameters):
        """List the invitations issued for a session"""
        with transaction() as session:
            items, total = invitations.list_invitations(session, actor(), session_id, page_of(pagination_parameters))
        pagination_parameters.item_count = total
        return items


@invitation_blueprint.route("/invitations/<uuid:invitation_id>.ics")
class InvitationCalendar(MethodView):
    @invitation_blueprint.response(
        200, documented.binary, description="The iTIP message", content_type=CALENDAR_MEDIA_TYPE,
        example="BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\n…",
        headers={"Content-Disposition": {"description": "inline, with the file name invitation-{id}.ics", "schema": {"type": "string"}}},
    )
    @documented.errors(404)
    def get(self, invitation_id: uuid.UUID):
        """Get an invitation's iTIP message (text/calendar)"""
        with transaction() as session:
            invitation = invitations.get_invitation(session, actor(), invitation_id)
        return Response(
            invitation.ics,
            mimetype=CALENDAR_MEDIA_TYPE,
            content_type=f"{CALENDAR_MEDIA_TYPE}; charset=utf-8; method={invitation.method}",
            headers={"Content-Disposition": f'inline; filename="invitation-{invitation.id}.ics"'},
        )


def feed_links(token: str) -> dict[str, str]:
    base = state().settings.public_base
    url = f"{base}/feeds/{token}.ics"
    return {
        "url": url,
        "webcal_url": "webcal://" + url.split("://", 1)[1],
        "page_url": f"{base}/feeds/{token}",
    }


def _owner_feed(kind: str, owner_id: uuid.UUID, *, rotate: bool) -> dict[str, str]:
    with transaction() as session:
        OWNER_LOOKUP[kind](session, actor(), owner_id)
        secret, now = state().settings.secret(), state().clock()
        make = feeds.rotate if rotate else feeds.feed_token
        token = make(session, secret, kind, owner_id, now)
    return feed_links(token)


def _register_feed_routes(kind: str, collection: str, errors: tuple[int, ...]) -> None:
    parameter = f"{kind}_id"

    class Feed(MethodView):
        @feed_blueprint.response(200, FeedLinkSchema)
        @documented.errors(*errors)
        def get(self, **ids):
            return _owner_feed(kind, ids[parameter], rotate=False)

    class FeedRotation(MethodView):
        @feed_blueprint.response(200, FeedLinkSchema)
        @documented.errors(*errors)
        def post(self, **ids):
            return _owner_feed(kind, ids[parameter], rotate=True)

    Feed.get.__doc__ = f"Get the {kind}'s feed URL"
    FeedRotation.post.__doc__ = f"Replace the {kind}'s feed URL (the old one stops working)"
    Feed.__name__, FeedRotation.__name__ = f"{kind.title()}Feed", f"{kind.title()}FeedRotation"
    feed_blueprint.route(f"/{collection}/<uuid:{parameter}>/feed")(Feed)
    feed_blueprint.route(f"/{collection}/<uuid:{parameter}>/feed/rotate")(FeedRotation)


_register_feed_routes(feeds.FACILITATOR, "facilitators", (403, 404))
_register_feed_routes(feeds.PARTICIPANT, "participants", (404,))
_register_feed_routes(feeds.GROUP, "groups", (404,))
