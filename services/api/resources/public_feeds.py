"""``/feeds/{token}.ics`` and the subscribe page ``/feeds/{token}``: no key, the token is the secret.

A feed's ETag is a fingerprint of the rows it depends on, so a client that already has the
current feed gets its 304 without the feed being rendered. The fingerprint is remembered per
process with the database's change count (read in the same round trip as the token's owner), so
while nothing a feed shows has changed a 304 costs that one round trip, whatever the feed's
size. Rendered feeds are kept in a small per-process cache keyed by the fingerprint.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from email.utils import format_datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Response, render_template, request, url_for
from flask.views import MethodView
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError, OperationalError

from services.api.context import state
from services.api.page_headers import script_nonce
from services.api.problems import problem_response
from services.api.resources.calendar import CALENDAR_MEDIA_TYPE, feed_links
from services.api.schemas.public_feeds import FeedPageQuerySchema
from services.api.spec import Blueprint, documented
from shared.domain import i18n, texts
from shared.domain.ics import Contact, SessionEvent, build_feed, feed_last_modified, memoised_vevent
from shared.domain.themes import theme_label
from shared.domain.week_grid import is_within_reach
from shared.domain.week_table import week_table
from shared.errors import InvalidInput
from shared.use_cases import facilitator_page, feeds
from shared.use_cases.group_availability import TOO_FAR

log = logging.getLogger(__name__)

calendar_feeds = Blueprint(
    "calendar-feeds", __name__, url_prefix="/feeds",
    description="What calendar apps subscribe to. No API key: the token in the URL is the secret.",
)

FEED_HEADERS = {"Cache-Control": "private, max-age=0, must-revalidate", "Referrer-Policy": "no-referrer"}
PAGE_SESSIONS = 20


def _not_found() -> Response:
    response = problem_response(404, slug="not-found", detail="No feed at this address (the link may have been replaced).")
    response.headers.update(FEED_HEADERS)
    return response


def _calendar_name(owner: feeds.Owner) -> str:
    return f"Intervisie – {owner.name}"


@calendar_feeds.route("/<token>.ics")
class CalendarFeed(MethodView):
    @calendar_feeds.doc(security=[], parameters=[documented.if_none_match])
    @calendar_feeds.response(
        200, documented.binary, description="The feed (METHOD:PUBLISH)", content_type=CALENDAR_MEDIA_TYPE,
        headers={**documented.feed_headers, "Last-Modified": {"description": "When the latest change it shows was made", "schema": {"type": "string"}}},
    )
    @calendar_feeds.alt_response(304, description="Not modified (If-None-Match matched the ETag)", headers=documented.feed_headers)
    @calendar_feeds.alt_response(404, **documented.feed_not_found)
    def get(self, token: str):
        """A calendar feed to subscribe to (text/calendar)"""
        app_state = state()
        programme = contact_of_programme()
        with app_state.read_session_factory() as session:
            owner = feeds.resolve(session, token)
            if owner is None:
                return _not_found()
            fingerprint = feeds.current_fingerprint(session, owner, programme, app_state.feed_fingerprints)
            etag = f'"{fingerprint}"'
            if request.if_none_match.contains(fingerprint):
                return Response(status=304, headers={"ETag": etag, **FEED_HEADERS})
            cached = app_state.rendered_feeds.get(fingerprint)
            if cached is None:
                language = texts.language_of(owner.language)
                events = feeds.feed_events(session, owner, programme)
                stored = {e.uid: b for e in events if (b := memoised_vevent(e, language)) is not None}
                if len(stored) < len(events):
                    stored |= feeds.stored_renderings(session, [e for e in events if e.uid not in stored], language)
                body = build_feed(
                    events, calendar_name=_calendar_name(owner), timezone=owner.timezone,
                    language=language, rendered=stored,
                )
                cached = (body, feed_last_modified(events))
                app_state.rendered_feeds.put(fingerprint, cached)
                unstored = (events, language, stored) if len(stored) < len(events) else None
            else:
                unstored = None
        if unstored:  # after the read transaction: SQLite lets one transaction at a time write
            _keep_renderings(*unstored)
        body, last_modified = cached
        headers = {"ETag": etag, **FEED_HEADERS}
        if last_modified is not None:
            headers["Last-Modified"] = format_datetime(last_modified, usegmt=True)
        return Response(body, content_type=f"{CALENDAR_MEDIA_TYPE}; charset=utf-8", headers=headers)


def _keep_renderings(events, language: str, stored: dict[str, bytes]) -> None:
    """Store what this request rendered, so that another process need not render it again."""
    try:
        with state().session_factory.begin() as session:
            feeds.store_renderings(session, events, language, stored)
    except (IntegrityError, OperationalError):  # another request stored them first, or a lock
        log.info("rendered events not stored this time", exc_info=True)


def contact_of_programme() -> Contact:
    settings = state().settings
    return Contact(name=settings.programme_name, email=settings.programme_email)


@calendar_feeds.route("/<token>")
class FeedPage(MethodView):
    @calendar_feeds.doc(security=[])
    @calendar_feeds.arguments(FeedPageQuerySchema, location="query")
    @calendar_feeds.response(
        200, documented.text, description="A small HTML page with subscribe links", content_type="text/html",
        headers=documented.page_headers,
    )
    @calendar_feeds.alt_response(404, **{**documented.feed_not_found, "headers": documented.page_headers})
    def get(self, query: dict, token: str):
        """The subscribe page of a feed (HTML); a facilitator's also shows her groups, their answers and who can when"""
        app_state = state()
        now = app_state.clock()
        week = query.get("week")
        with app_state.read_session_factory() as session:
            owner = feeds.resolve(session, token)
            if owner is None:
                return _not_found()
            translator = i18n.translator(owner.language)
            if owner.kind == feeds.FACILITATOR:
                if week is not None and not is_within_reach(facilitator_page.monday_of(week), now, owner.timezone):
                    raise InvalidInput.field("week", TOO_FAR, "query")
                found = facilitator_page.overview(session, owner.id, contact_of_programme(), now, week)
                groups = [_group(g, translator, owner.timezone, token) for g in found]
                sessions = []
            else:
                groups = None
                events = feeds.feed_events(session, owner, contact_of_programme())
                sessions = [_shown(e, translator.language, owner.timezone) for e in events if e.end >= now][:PAGE_SESSIONS]
        links = feed_links(token)
        name = _calendar_name(owner)
        html = render_template(
            "feed.html",
            **translator.template_context(),
            name=name,
            groups=groups,
            sessions=sessions,
            nonce=script_nonce(),
            links={
                "apple": links["webcal_url"],
                "google": "https://calendar.google.com/calendar/r?cid=" + quote(links["webcal_url"], safe=""),
                "outlook": "https://outlook.live.com/calendar/0/addfromweb?url=" + quote(links["url"], safe="") + "&name=" + quote(name, safe=""),
                "outlook365": "https://outlook.office.com/calendar/0/addfromweb?url=" + quote(links["url"], safe="") + "&name=" + quote(name, safe=""),
                "ics": links["url"],
            },
        )
        return Response(html, content_type="text/html; charset=utf-8")  # headers: services.api.page_headers


def _shown(event: SessionEvent, language: str, timezone: str) -> dict[str, object]:
    """A session as the page lists it: its title and when, in the reader's own zone."""
    return {
        "title": texts.summary(event, language),
        "when": texts.when(event, language, timezone),
        "cancelled": event.status == "cancelled",
        "meeting_url": event.meeting_link if event.status != "cancelled" else None,
    }


def _week_link(token: str, week, group: facilitator_page.GroupOverview) -> str | None:
    if week is None:
        return None
    return url_for("calendar-feeds.FeedPage", token=token, week=week.isoformat(), _anchor=f"group-{group.id}-week")


def _group(group: facilitator_page.GroupOverview, _: i18n.Translator, timezone: str, token: str) -> dict[str, object]:
    """One of her groups: name, theme in words, its coming sessions with their answers (who
    cannot come by name, with their comments), and who can when in the week shown, as a heat map
    and as a table, with links to the weeks before and after."""
    sessions = []
    for coming in group.sessions:
        shown = _shown(coming.event, _.language, timezone)
        shown["title"] = texts.session_label(coming.event, _.language)
        if coming.required:
            shown["answers"] = _("{accepted} of {required} coming", accepted=coming.accepted, required=coming.required)
            details = []
            if coming.tentative:
                details.append(_.ngettext("{count} maybe", "{count} maybe", coming.tentative))
            if coming.declined:
                details.append(_.ngettext("{count} cannot come", "{count} cannot come", coming.declined))
            if coming.unanswered:
                details.append(_.ngettext("{count} has not answered", "{count} have not answered", coming.unanswered))
            shown["details"] = ", ".join(details)
            shown["at_risk"] = coming.at_risk
            shown["declined"] = coming.declined_by
        sessions.append(shown)
    week = group.week.grid.week
    group_zone = group.week.grid.timezone
    noon = datetime.combine(week, time(12), ZoneInfo(group_zone))
    clock = None
    if not i18n.same_clock(noon, timezone, group_zone):  # the map keeps the group's clock, not hers
        clock = _("Times in {place}", place=i18n.zone_place(group_zone, _.language) or i18n.zone_name(group_zone, _.language))
    return {
        "id": group.id,
        "name": group.name,
        "theme": theme_label(group.theme, _.language) if group.theme else None,
        "members": _.ngettext("{count} member", "{count} members", group.members),
        "sessions": sessions,
        "week_caption": _("Who can when in the week of {date}", date=i18n.format_date(week, _.language)),
        "clock": clock,
        "heatmap": Markup(group.week.svg(id_prefix=f"heatmap-{group.id}")),
        "table": week_table(group.week.grid, group.week.planned, _.language),
        "people": len(group.week.grid.people),
        "previous_week": _week_link(token, group.previous_week, group),
        "next_week": _week_link(token, group.next_week, group),
    }
