"""The application factory: one place that wires settings, database, API and error handling."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask, request, send_from_directory
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from swagger_ui_bundle import swagger_ui_path
from werkzeug.middleware.proxy_fix import ProxyFix

from services.api import idempotency, limits, observability, page_headers, problems
from services.api.auth import SECURITY_SCHEME, require_key
from services.api.context import EXTENSION, AppState
from services.api.feed_cache import Lru
from services.api.resources.answers import answer_pages
from services.api.resources.availability_page import availability_pages
from services.api.resources.calendar import feed_blueprint, invitation_blueprint
from services.api.resources.calendar_sources import blueprint as calendar_source_blueprint
from services.api.resources.group_availability import availability as group_availability
from services.api.resources.groups import groups
from services.api.resources.itip import blueprint as itip_blueprint
from services.api.resources.operations import operations
from services.api.resources.people import facilitators, participants
from services.api.resources.proposals import blueprint as proposal_blueprint
from services.api.resources.public_feeds import calendar_feeds
from services.api.resources.scheduling import batch_blueprint, runs, sessions
from services.api.resources.webhooks import blueprint as webhook_blueprint
from services.api.spec import Api
from services.scheduler.scheduler import Scheduler
from shared.config import Settings
from shared.db.session import make_engine, make_read_session_factory, make_session_factory

API_DESCRIPTION = """\
Intervisie composes and schedules intervision (peer consultation) groups for education
professionals. School platforms submit sign-ups with availability, read back groups and
sessions, and subscribe to calendar feeds.

* Authenticate with `Authorization: Bearer <key>`.
* Errors are RFC 9457 `application/problem+json` documents; validation errors list each field
  under `errors` with its `field`, `location` and `reason`.
* Lists are JSON arrays; pagination metadata (`total`, `total_pages`, `page`, …) is in the
  `X-Pagination` header. Use `page` and `page_size` (at most 100).
* Text fields hold one line of Unicode text: control characters (NUL, tab, line breaks, …) and
  lone surrogates are refused with 422, naming the field.
* Request bodies are JSON, sent as `application/json` (another media type is 415); an operation
  that needs a body answers 400 without one, and so does JSON that cannot be read (an integer
  of more than 4,300 digits, say).
* Single resources carry an `ETag`; send it back as `If-Match` on a write to get 412 instead of
  overwriting someone else's change. Without `If-Match`, writes that meet are applied one after
  the other, never 412.
"""

V1_BLUEPRINTS = (
    facilitators, participants, groups, runs, batch_blueprint, sessions, invitation_blueprint, feed_blueprint,
    webhook_blueprint, proposal_blueprint, itip_blueprint, group_availability, calendar_source_blueprint,
)


SWAGGER_UI_URL = "/docs/static/"
LOST_RACE_ATTEMPTS = 3

log = logging.getLogger(__name__)


class Application(Flask):
    """Flask, except that a view whose write lost an optimistic-locking race runs again.

    The race: another request changed the row between this one's read and its UPDATE (``WHERE
    version = …``, see shared.db.models), and the transaction was rolled back. Run again, the
    view reads the row as it is now: a request without If-Match is applied to it (412 would
    blame the client for a precondition it never set), and one whose If-Match named the version
    that is gone gets its 412 from the precondition check.
    """

    def dispatch_request(self):
        for attempt in range(1, LOST_RACE_ATTEMPTS):
            try:
                return super().dispatch_request()
            except StaleDataError:
                log.info("%s %s lost a race to change a row (attempt %d); running it again", request.method, request.endpoint, attempt)
        return super().dispatch_request()  # losing again is answered by problems.lost_race


def _swagger_ui_file(filename: str):
    """Swagger UI's scripts and styles, from the swagger-ui-bundle package."""
    return send_from_directory(swagger_ui_path, filename, max_age=86400)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: sessionmaker[Session] | None = None,
    scheduler: Scheduler | None = None,
    clock: Callable[[], datetime] = _utcnow,
) -> Flask:
    """Build the API. Tests pass their own session factory, scheduler and clock."""
    settings = settings or Settings.from_env()
    app = Application(__name__)
    app.json.sort_keys = False  # fields in the order the schemas declare them
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_TITLE="Intervisie",
        API_VERSION="1.0.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL=SWAGGER_UI_URL,  # served from the package: /docs works offline
        API_SPEC_OPTIONS={
            "info": {"description": API_DESCRIPTION},
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {"bearerAuth": SECURITY_SCHEME}},
        },
    )
    if session_factory is None:
        session_factory = make_session_factory(make_engine(settings.database_url))
    if scheduler is None:
        scheduler = Scheduler(settings, session_factory)
    app.extensions[EXTENSION] = AppState(
        settings=settings,
        session_factory=session_factory,
        read_session_factory=make_read_session_factory(session_factory),
        clock=clock,
        scheduler=scheduler,
        readiness_probes={"broker": scheduler.ping},
        participant_answers=Lru(settings.answer_cache_size),
    )
    observability.install(app)  # first: every answer, even a refusal, is counted and carries its X-Request-ID
    page_headers.install(app)
    if scheduler.embedded:
        # Started in the process that serves requests: after gunicorn's fork, never before it.
        app.before_request(scheduler.ensure_consuming)

    if settings.trusted_proxies:
        # Behind N proxies, the client's address (per-address limits, logs) and the scheme and
        # host come from their X-Forwarded-* headers; nobody else can set them.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    app.add_url_rule(f"{SWAGGER_UI_URL}<path:filename>", "swagger_ui_static", _swagger_ui_file)
    limiter = limits.install(app, settings)
    app.extensions[EXTENSION].readiness_probes["rate_limits"] = limits.storage_probe(limiter)
    observability.install_metrics(app, settings, limiter)
    api = Api(app)
    problems.register(app)
    api.register_blueprint(operations)
    api.register_blueprint(calendar_feeds)
    api.register_blueprint(answer_pages)
    api.register_blueprint(availability_pages)
    app.before_request(require_key)
    app.before_request(observability.note_client)
    idempotency.register(app)
    for blueprint in V1_BLUEPRINTS:
        api.register_blueprint(blueprint)
    return app
