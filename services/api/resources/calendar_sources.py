"""/v1/participants/{id}/calendar-sources and /v1/facilitators/{id}/calendar-sources."""

from __future__ import annotations

import uuid

from flask import url_for
from flask.views import MethodView

from services.api.context import actor, reading, state, transaction
from services.api.etag import check_if_match, check_if_none_match, headers_for
from services.api.schemas.calendar_sources import CalendarSourceInputSchema, CalendarSourceSchema
from services.api.spec import Blueprint, documented
from services.outbound_http import resolve
from shared.domain import calendar_sources as rules
from shared.use_cases import calendar_sources as use_cases

blueprint = Blueprint(
    "calendar_sources", __name__, url_prefix="/v1",
    description="A person's published calendars (the secret ICS address that Outlook, Google, iCloud, "
    f"Zermelo or Magister publish), at most {rules.MAX_SOURCES} each. The worker reads their busy time "
    "(start and end only, from now to 15 months ahead) right after one is added and then every few hours, "
    "with a conditional GET; the address is a secret, stored sealed and shown back as its scheme and host "
    "only. A CalDAV calendar (a collection with a user name and an app password) is asked for its free and "
    "busy time instead. A platform key manages its own participants' calendars; facilitators' are the organiser's.",
)


def _register(kind: str, collection: str, errors: tuple[int, ...]) -> None:
    parameter = f"{kind}_id"
    title = kind.title()

    class Sources(MethodView):
        @blueprint.arguments(CalendarSourceInputSchema)
        @blueprint.response(201, CalendarSourceSchema, headers=documented.created)
        @documented.errors(*errors)
        def post(self, data, **ids):
            app_state = state()
            settings = app_state.settings
            with transaction() as session:
                caldav = data.get("caldav")
                source = use_cases.create(
                    session, actor(), kind, ids[parameter], data["url"], now=app_state.clock(),
                    secret=settings.secret(), allow_private=settings.calendar_allow_private, resolve=resolve,
                    caldav=use_cases.Credentials(caldav["username"], caldav["password"]) if caldav else None,
                )
            return source, {"Location": _location(ids[parameter], source.id), **headers_for(source)}

        @blueprint.response(200, CalendarSourceSchema(many=True))
        @documented.errors(*errors)
        def get(self, **ids):
            with reading() as session:
                return use_cases.list_sources(session, actor(), kind, ids[parameter])

    class SourceById(MethodView):
        @blueprint.response(200, CalendarSourceSchema, headers=documented.etag)
        @documented.conditional_read
        @documented.errors(*errors)
        def get(self, source_id: uuid.UUID, **ids):
            with reading() as session:
                source = use_cases.get_source(session, actor(), kind, ids[parameter], source_id)
            check_if_none_match(source)
            return source, headers_for(source)

        @blueprint.response(204)
        @documented.conditional_write
        @documented.errors(*errors)
        def delete(self, source_id: uuid.UUID, **ids):
            with transaction() as session:
                source = use_cases.get_source(session, actor(), kind, ids[parameter], source_id)
                check_if_match(source)
                use_cases.delete_source(session, source)

    class SourceRefresh(MethodView):
        @blueprint.response(202, CalendarSourceSchema, headers=documented.location("The source to poll"))
        @documented.errors(*errors)
        def post(self, source_id: uuid.UUID, **ids):
            with transaction() as session:
                source = use_cases.get_source(session, actor(), kind, ids[parameter], source_id)
                use_cases.request_refresh(session, source, state().clock())
            return source, {"Location": _location(ids[parameter], source.id)}

    def _location(owner_id: uuid.UUID, source_id: uuid.UUID) -> str:
        return url_for(f"calendar_sources.{title}CalendarSourceById", **{parameter: owner_id}, source_id=source_id)

    Sources.post.__doc__ = f"Add a published (or CalDAV) calendar of the {kind}; the worker reads its busy time"
    Sources.get.__doc__ = f"List the {kind}'s published calendars and how their last fetch went"
    SourceById.get.__doc__ = f"Get one of the {kind}'s published calendars"
    SourceById.delete.__doc__ = f"Remove one of the {kind}'s published calendars and the busy time read from it"
    SourceRefresh.post.__doc__ = f"Fetch one of the {kind}'s published calendars again now"
    Sources.__name__ = f"{title}CalendarSources"
    SourceById.__name__ = f"{title}CalendarSourceById"
    SourceRefresh.__name__ = f"{title}CalendarSourceRefresh"
    base = f"/{collection}/<uuid:{parameter}>/calendar-sources"
    blueprint.route(base)(Sources)
    blueprint.route(f"{base}/<uuid:source_id>")(SourceById)
    blueprint.route(f"{base}/<uuid:source_id>/refresh")(SourceRefresh)


_register(rules.PARTICIPANT, "participants", (404,))
_register(rules.FACILITATOR, "facilitators", (403, 404))
