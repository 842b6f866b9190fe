"""The ``intervisie`` command: serve, worker, mail-in, db, api-keys, openapi."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import click

from shared.config import Settings
from shared.errors import ServiceError

log = logging.getLogger("intervisie")


def _settings() -> Settings:
    return Settings.from_env()


def _session_factory(settings: Settings):
    from shared.db.session import make_engine, make_session_factory

    return make_session_factory(make_engine(settings.database_url))


def _configure_logging(settings: Settings) -> None:
    """JSON lines on stderr (INTERVISIE_LOG_FORMAT, INTERVISIE_LOG_LEVEL), scrubbed of secrets.

    Called before the instrumented modules are imported: with PROMETHEUS_MULTIPROC_DIR their
    counters are files in that directory, which must exist by then."""
    from services.telemetry import configure_logging

    configure_logging(settings.log_format, settings.log_level)
    if settings.metrics_multiproc_dir:
        os.makedirs(settings.metrics_multiproc_dir, exist_ok=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Intervisie: intervision groups, their sessions and calendars."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the API (with the embedded worker when the broker is `embedded`)."""
    import signal

    from werkzeug.serving import run_simple

    settings = _settings()
    _configure_logging(settings)
    from services.api.app import create_app
    from services.api.observability import AccessLogHandler
    from shared.db.migrate import upgrade

    if not os.environ.get(Settings.ENV_NAMES["public_url"]):
        # Unconfigured, the links handed out (feeds, answer and availability pages) point here.
        settings = dataclasses.replace(settings, public_url=f"http://{host}:{port}")
    if settings.is_sqlite:
        upgrade(settings.database_url)
    app = create_app(settings)
    scheduler = app.extensions["intervisie"].scheduler
    if scheduler.embedded:
        scheduler.ensure_consuming()  # pick up unfinished runs now, not at the first request
    inbound = None
    if settings.inbound_smtp:
        from services.mailin import parse_address, receiver

        state = app.extensions["intervisie"]
        inbound = receiver(
            *parse_address(settings.inbound_smtp), state.session_factory, state.clock,
            reply_address=settings.programme_email, authserv_id=settings.inbound_authserv_id,
            dispatch=state.scheduler.dispatch,
        )
        inbound.start()
        log.info("receiving mail (calendar replies) on %s", settings.inbound_smtp)
    log.info("Intervisie API on http://%s:%s (docs at /docs)", host, port)
    # SIGTERM ends serving as Ctrl-C does, so that the process exits normally and the embedded
    # worker first finishes the mail under way (Scheduler.ensure_consuming stops it at exit).
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False, request_handler=AccessLogHandler)
    finally:
        if inbound is not None:
            inbound.stop()


@main.command(name="mail-in")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=int)
def mail_in(host: str, port: int) -> None:
    """Receive the programme's mail: calendar replies (iTIP REPLY) are recorded as answers."""
    import signal
    import threading
    from datetime import UTC, datetime

    from services.mailin import receiver
    from services.scheduler.broker import EMBEDDED
    from services.scheduler.scheduler import Scheduler

    settings = _settings()
    _configure_logging(settings)
    factory = _session_factory(settings)
    dispatch = None
    if settings.broker_url != EMBEDDED:
        # Only sends: the alarms an answer raises reach the workers at once (with the embedded
        # broker, the serving process's sweep finds them).
        dispatch = Scheduler(settings, factory, autostart=False).dispatch
    controller = receiver(
        host, port, factory, lambda: datetime.now(UTC),
        reply_address=settings.programme_email, authserv_id=settings.inbound_authserv_id, dispatch=dispatch,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    controller.start()
    log.info("receiving mail (calendar replies) on %s:%s", host, port)
    stopped.wait()
    controller.stop()


@main.command()
def worker() -> None:
    """Run a Dramatiq worker for the configured broker until SIGTERM."""
    settings = _settings()
    _configure_logging(settings)
    from services.scheduler.worker import run_worker

    if settings.worker_metrics_port:
        from services.metrics_gate import serve_worker_metrics
        from services.telemetry import scrape_registry

        serve_worker_metrics(settings, scrape_registry(settings.metrics_multiproc_dir))
    run_worker(settings)


@main.command("worker-health")
@click.option("--max-age", default=60, show_default=True, type=int, help="Seconds since the last heartbeat.")
def worker_health(max_age: int) -> None:
    """Exit 0 when a worker's heartbeat (INTERVISIE_WORKER_HEARTBEAT_FILE) is fresh: a health check."""
    import time

    path = _settings().worker_heartbeat_file
    if not path:
        click.echo("error: INTERVISIE_WORKER_HEARTBEAT_FILE is not set", err=True)
        sys.exit(2)
    try:
        age = time.time() - Path(path).stat().st_mtime
    except FileNotFoundError:
        click.echo(f"unhealthy: no heartbeat at {path} yet", err=True)
        sys.exit(1)
    if age > max_age:
        click.echo(f"unhealthy: the last heartbeat is {age:.0f} s old", err=True)
        sys.exit(1)
    click.echo(f"healthy: heartbeat {age:.0f} s ago")


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply Alembic migrations up to REVISION."""
    from shared.db.migrate import upgrade

    upgrade(_settings().database_url, revision)


@main.group("api-keys")
def api_keys() -> None:
    """Create, list and revoke API keys."""


def _fail(error: ServiceError) -> None:
    click.echo(f"error: {error.detail}", err=True)
    sys.exit(1)


@api_keys.command("create")
@click.option("--role", type=click.Choice(["admin", "platform"]), help="For a new client.")
@click.option("--name", help="Name of the new client, e.g. the platform's name.")
@click.option("--client-id", type=click.UUID, help="Add a key to an existing client instead.")
def api_keys_create(role: str | None, name: str | None, client_id: uuid.UUID | None) -> None:
    """Create a key; the key alone is the last line of output."""
    from shared.use_cases import api_keys as use_cases

    if client_id is None and not (role and name):
        raise click.UsageError("give --role and --name for a new client, or --client-id")
    factory = _session_factory(_settings())
    try:
        with factory.begin() as session:
            if client_id is not None:
                issued = use_cases.add_key(session, client_id)
            else:
                issued = use_cases.create_client(session, role=role, name=name)
    except ServiceError as error:
        _fail(error)
    click.echo(f"client {issued.client_id}, key {issued.prefix}… (shown once; stored hashed)", err=True)
    click.echo(issued.key)


@api_keys.command("revoke")
@click.argument("prefix")
def api_keys_revoke(prefix: str) -> None:
    """Revoke the key whose prefix (its first 12 characters) is PREFIX."""
    from shared.use_cases import api_keys as use_cases

    factory = _session_factory(_settings())
    try:
        with factory.begin() as session:
            key = use_cases.revoke_key(session, prefix, now=datetime.now(UTC))
    except ServiceError as error:
        _fail(error)
    click.echo(f"revoked {key.prefix} at {key.revoked_at.isoformat()}")


@api_keys.command("list")
def api_keys_list() -> None:
    """List keys: prefix, client, role, created, revoked."""
    from shared.use_cases import api_keys as use_cases

    factory = _session_factory(_settings())
    with factory() as session:
        for key in use_cases.list_keys(session):
            revoked = key.revoked_at.isoformat() if key.revoked_at else "-"
            click.echo(
                f"{key.prefix}\t{key.client.name}\t{key.client.role}\t"
                f"{key.created_at.isoformat()}\t{revoked}"
            )


@main.command()
@click.option("--output", "-o", type=click.Path(path_type=Path), default=Path("openapi.yaml"), show_default=True)
def openapi(output: Path) -> None:
    """Write the OpenAPI document generated from the code."""
    from services.api.openapi import render_yaml

    output.write_text(render_yaml(), encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


if __name__ == "__main__":
    main()
