"""Engines and session factories for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

import select
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from shared.tracing import REQUEST_ID

IDLE_PING_SECONDS = 10.0
"""A pooled PostgreSQL connection idle for longer is pinged before use (one round trip); one in
steady use is not, and is checked for a closed socket instead (no round trip)."""

RECYCLE_SECONDS = 1800
"""Pooled connections are replaced after this long, before firewalls or idle timeouts cut them."""

READ_ONLY = "intervisie_read_only"
"""Execution option of the read session factory's engine on SQLite: no ``BEGIN IMMEDIATE``."""


def normalise_url(url: str) -> str:
    """Let users write ``postgresql://`` and still get psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take control so that a write
        # transaction begins with BEGIN IMMEDIATE and concurrent writers queue instead of failing.
        event.listen(engine, "begin", _begin_immediate)
        return engine
    # No pool_pre_ping: it costs a round trip on every checkout, i.e. on every request.
    engine = create_engine(url, pool_size=5, max_overflow=10, pool_recycle=RECYCLE_SECONDS)
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", lambda dbapi_connection, record, _proxy: _check_alive(engine, dbapi_connection, record))
    return engine


def _begin_immediate(conn) -> None:
    # Reads (the read session factory) need no lock: in WAL mode each statement sees committed data.
    if not conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _note_checkin(_dbapi_connection, record) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _check_alive(engine: Engine, dbapi_connection, record) -> None:
    """Pessimistic disconnect handling without a round trip per checkout.

    A server that restarted or ended the session has closed the socket (after a FATAL message), so
    an idle connection's socket with something to read is dead: the pool is invalidated, because
    its other connections are as dead (a restart), and a new connection is made. A connection
    idle for long, which a silent network failure may have cut, is pinged.
    """
    if dbapi_connection.closed or _readable(dbapi_connection.fileno()):
        raise exc.InvalidatePoolError("the server closed the connection")
    checked_in_at = record.info.get("checked_in_at")
    if checked_in_at is not None and time.monotonic() - checked_in_at > IDLE_PING_SECONDS:
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError(str(error)) from error
            raise


def _readable(fileno: int) -> bool:
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # BEGIN is emitted by the "begin" listener
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def stamp_request_ids(session: Session, _flush_context, _instances) -> None:
    """Give the jobs and outbox messages a session adds (the rows with a ``request_id``
    column) the id of the request the work serves (shared.tracing), so that the sweep can send
    them again under it."""
    request_id = REQUEST_ID.get()
    if request_id is None:
        return
    for row in session.new:
        if hasattr(row, "request_id") and row.request_id is None:
            row.request_id = request_id


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: views serialise what a committed transaction returned.
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "before_flush", stamp_request_ids)
    return factory


def make_read_session_factory(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions for requests that only read (feeds, GETs of the API): no BEGIN and COMMIT round
    trips — autocommit on PostgreSQL, no ``BEGIN IMMEDIATE`` on SQLite — so each statement sees
    what was committed when it ran, as in a READ COMMITTED transaction. Never write with them."""
    engine = session_factory.kw.get("bind")
    if engine is None:
        return session_factory
    if engine.dialect.name == "postgresql":
        options = {"isolation_level": "AUTOCOMMIT"}
    elif engine.dialect.name == "sqlite":
        options = {READ_ONLY: True}
    else:
        return session_factory
    return sessionmaker(engine.execution_options(**options), expire_on_commit=False, autoflush=False)
