"""/v1/groups/{id}/availability: who of a group can when, as JSON and as an SVG heat map."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from flask import Response, request, url_for
from flask.views import MethodView

from services.api.context import actor, state, transaction
from services.api.etag import ETAG_HEADER, IF_MATCH, NotModified
from services.api.schemas.group_availability import GroupAvailabilitySchema, WeekQuerySchema
from services.api.spec import Blueprint, documented
from shared.domain.week_grid import is_within_reach
from shared.use_cases import group_availability as use_cases

availability = Blueprint(
    "group_availability", __name__, url_prefix="/v1/groups",
    description="Who can when: a group's week in half hours, over its facilitator and members (admin key only: "
    "it names people of several platforms).",
)

SVG_MEDIA_TYPE = "image/svg+xml"
CACHE_CONTROL = "private, no-cache"
LINK_HEADER = {
    "description": 'The weeks before and after, within two years of today: `<…?week=2027-03-08>; rel="prev", <…?week=2027-03-22>; rel="next"`',
    "schema": {"type": "string"},
}
HEADERS = {"ETag": ETAG_HEADER, "Cache-Control": {"description": CACHE_CONTROL, "schema": {"type": "string"}}}
WEEK_HEADERS = {**HEADERS, "Link": LINK_HEADER}
SVG_HEADERS = {  # besides HEADERS, from services.api.page_headers
    **WEEK_HEADERS,
    "X-Content-Type-Options": {"description": "nosniff", "schema": {"type": "string"}},
    "Content-Security-Policy": {"description": "Nothing runs or loads when the image is opened on its own", "schema": {"type": "string"}},
}
# On the route, not with `documented.conditional_read`: an operation's own `parameters` would
# replace the query parameters that `arguments` documents.
IF_NONE_MATCH = {**IF_MATCH, "name": "If-None-Match", "description": "An ETag you hold; 304 when it is still current."}
NOT_MODIFIED = "Not modified (If-None-Match matched the ETag)"


def _validated(material: str) -> dict[str, str]:
    """The headers of an answer made from ``material``; 304 when the client holds it already."""
    digest = hashlib.blake2b(material.encode(), digest_size=12).hexdigest()
    headers = {"ETag": f'"{digest}"', "Cache-Control": CACHE_CONTROL}
    if request.if_none_match.contains(digest):
        raise NotModified(headers)
    return headers


def _week_links(week: use_cases.GroupWeek, group_id: uuid.UUID) -> dict[str, str]:
    """The ``Link`` header to the weeks before and after ``week`` that lie within reach."""
    now, monday, zone = state().clock(), week.grid.week, week.grid.timezone
    links = [
        f'<{url_for(request.endpoint, group_id=group_id, week=(monday + timedelta(days=days)).isoformat())}>; rel="{rel}"'
        for days, rel in ((-7, "prev"), (7, "next"))
        if is_within_reach(monday + timedelta(days=days), now, zone)
    ]
    return {"Link": ", ".join(links)} if links else {}


def _group_week(group_id: uuid.UUID, query: dict) -> use_cases.GroupWeek:
    with transaction() as session:
        return use_cases.group_week(session, actor(), group_id, query.get("week"), state().clock())


@availability.route("/<uuid:group_id>/availability", parameters=[IF_NONE_MATCH])
class GroupAvailability(MethodView):
    @availability.arguments(WeekQuerySchema, location="query")
    @availability.response(200, GroupAvailabilitySchema, headers=WEEK_HEADERS)
    @availability.alt_response(304, description=NOT_MODIFIED, headers=HEADERS)
    @documented.errors(403, 404)
    def get(self, query, group_id: uuid.UUID):
        """Who can when: a group's week in half hours

        Over the facilitator and the members, in the group's time zone: for each half hour how many
        are free for all of it (`available`), who is not (`absent_ids`: their own weekly windows,
        unavailable dates, school holidays, or a holiday the group skips) and who is booked into a
        session of another group (`busy_ids`). `allowed` says whether the group's own days and hours
        admit the half hour.
        """
        week = _group_week(group_id, query)
        return week.grid, _validated(repr(week.grid)) | _week_links(week, group_id)


@availability.route("/<uuid:group_id>/availability.svg", parameters=[IF_NONE_MATCH])
class GroupAvailabilityHeatmap(MethodView):
    @availability.arguments(WeekQuerySchema, location="query")
    @availability.response(
        200, documented.binary, description="The heat map (SVG, in the group's language)", content_type=SVG_MEDIA_TYPE, headers=SVG_HEADERS,
        example='<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 390 522" role="img" …>…</svg>',
    )
    @availability.alt_response(304, description=NOT_MODIFIED, headers=HEADERS)
    @documented.errors(403, 404)
    def get(self, query, group_id: uuid.UUID):
        """Who can when, drawn as a heat map (image/svg+xml)

        Days by half hours, coloured by how many can come (viridis; 0 grey), the group's planned
        sessions outlined (black, white, black: seen on every colour), half hours outside the group's
        days and hours hatched; every cell has a `<title>` such as "dinsdag 19:30 — 5 van 6; niet: …".
        Its smallest text is 15 units of its 390-unit-wide viewBox: 12 px or more at 312 px wide.
        """
        week = _group_week(group_id, query)
        body = week.svg()
        headers = _validated(body) | _week_links(week, group_id)
        return Response(body, content_type=f"{SVG_MEDIA_TYPE}; charset=utf-8", headers=headers)
