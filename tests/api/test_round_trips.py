"""Reads close to a bare endpoint: how many times an authenticated GET goes to the database, how
long a cached key outlives its revocation, and a pool without a ping per request that survives
a restarted PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import pq
from sqlalchemy import event
from sqlalchemy.engine import make_url

from shared.db.models import Session as GroupSession
from shared.use_cases.api_keys import KEY_CACHE_SECONDS, KeyCache
from tests.integration.servers import INTERVISIE

MOST_ROUND_TRIPS = 3


@contextmanager
def statements(engine) -> Iterator[list[str]]:
    """Every statement the engine sends while the block runs."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


@contextmanager
def postgres_round_trips(engine) -> Iterator[list[str]]:
    """What PostgreSQL connections send while the block runs, from libpq's own trace: one entry
    per message that waits for the server (``Sync`` ends an extended-protocol statement,
    ``Query`` is a simple one such as BEGIN, COMMIT or ROLLBACK), so that transaction control and
    pings count too."""
    trace_file = tempfile.NamedTemporaryFile(prefix="libpq-trace-", delete=False)
    trace_file.close()
    descriptor = os.open(trace_file.name, os.O_WRONLY | os.O_APPEND)
    sent: list[str] = []

    def trace(dbapi_connection, _record, _proxy):
        dbapi_connection.pgconn.trace(descriptor)
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)

    def untrace(dbapi_connection, _record):
        if not dbapi_connection.closed:
            dbapi_connection.pgconn.untrace()

    event.listen(engine, "checkout", trace, insert=True)  # before the pool's own check, which may ping
    event.listen(engine, "checkin", untrace)
    try:
        yield sent
    finally:
        event.remove(engine, "checkout", trace)
        event.remove(engine, "checkin", untrace)
        os.close(descriptor)
        with open(trace_file.name) as lines:
            for line in lines:  # direction, length, message, its fields; a long one may span lines
                direction, _length, message, *fields = line.rstrip("\n").split("\t") + ["", ""]
                if direction == "F" and message in ("Sync", "Query"):
                    sent.append(f"{message} {fields[0][:60]}".strip())
        os.unlink(trace_file.name)


def _add_session(session_factory, group_id: str) -> str:
    start = datetime(2027, 1, 12, 18, 0, tzinfo=UTC)
    with session_factory.begin() as session:
        row = GroupSession(
            group_id=uuid.UUID(group_id), number=1, kind="guided", start=start, end=start + timedelta(minutes=90),
            timezone="Europe/Amsterdam", uid=f"{uuid.uuid4()}@intervisie",
        )
        session.add(row)
        session.flush()
        return str(row.id)


@pytest.fixture
def resources(group, session_factory) -> dict[str, str]:
    """The URL of one of each: a participant, a facilitator, a group with four members, a session."""
    return {
        "participant": f"/v1/participants/{group['member_list'][0]['id']}",
        "facilitator": f"/v1/facilitators/{group['facilitator']['id']}",
        "group": f"/v1/groups/{group['id']}",
        "session": f"/v1/sessions/{_add_session(session_factory, group['id'])}",
    }


@pytest.mark.parametrize("kind", ["participant", "facilitator", "group", "session"])
def test_an_authenticated_get_by_id_takes_at_most_three_statements(app, admin, resources, engine, kind):
    url = resources[kind]
    app.extensions["intervisie"].api_keys = KeyCache()  # the key's lookup counts too, the first time
    for attempt in ("key looked up", "key cached"):
        with statements(engine) as sent:
            response = admin.get(url)
        assert response.status_code == 200, response.json
        assert len(sent) <= MOST_ROUND_TRIPS, (attempt, sent)


def test_a_platform_key_reads_a_session_of_its_participants_group_in_three_statements(
    admin, platform, session_factory, engine
):
    from tests.api import payloads

    mine = platform.post("/v1/participants", json=payloads.participant(1)).json
    group = admin.post("/v1/groups", json=payloads.group()).json
    admin.put(f"/v1/groups/{group['id']}/members/{mine['id']}")
    url = f"/v1/sessions/{_add_session(session_factory, group['id'])}"
    with statements(engine) as sent:
        shown = platform.get(url)
    assert shown.status_code == 200
    assert [a["person_id"] for a in shown.json["attendance"]] == [mine["id"]]
    assert len(sent) <= MOST_ROUND_TRIPS, sent


def test_reads_show_what_they_showed_before(admin, resources, group):
    participant = admin.get(resources["participant"]).json
    assert participant["themes"] == ["ouderbetrokkenheid"]
    assert participant["group_ids"] == [group["id"]]
    shown = admin.get(resources["group"]).json
    assert [m["participant_id"] for m in shown["members"]] == [m["id"] for m in group["member_list"]]
    assert shown["member_count"] == 4
    session = admin.get(resources["session"]).json
    assert [a["person_id"] for a in session["attendance"]] == [group["facilitator"]["id"]] + [
        m["id"] for m in group["member_list"]
    ]
    page = admin.get("/v1/participants?page_size=2")
    assert [p["id"] for p in page.json] == [m["id"] for m in group["member_list"][:2]]
    assert all(p["group_ids"] == [group["id"]] for p in page.json)
    assert '"total": 4' in page.headers["X-Pagination"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("kind", ["participant", "facilitator", "group", "session"])
def test_on_postgresql_no_begin_commit_or_ping_goes_with_a_read(app, admin, resources, engine, kind):
    admin.get(resources[kind])
    with postgres_round_trips(engine) as sent:
        response = admin.get(resources[kind])
    assert response.status_code == 200
    assert len(sent) <= MOST_ROUND_TRIPS, sent
    assert not [message for message in sent if message.startswith("Query")], sent


def test_a_key_revoked_by_another_process_stops_working_within_the_cache_time(app, admin, settings):
    assert KEY_CACHE_SECONDS <= 5
    now = [1_000.0]
    app.extensions["intervisie"].api_keys = KeyCache(clock=lambda: now[0])
    assert admin.get("/v1/participants").status_code == 200
    # The operator revokes it with the command, which no API process hears of.
    subprocess.run(
        [str(INTERVISIE), "api-keys", "revoke", admin.key[:12]],
        env={**os.environ, "INTERVISIE_DATABASE_URL": settings.database_url}, check=True, capture_output=True, timeout=60,
    )
    now[0] += KEY_CACHE_SECONDS - 0.1
    assert admin.get("/v1/participants").status_code == 200  # still trusted: cached less than the cache time ago
    now[0] += 0.2
    refused = admin.get("/v1/participants")
    assert refused.status_code == 401
    assert refused.json["detail"] == "The API key is not valid, or has been revoked."


def test_an_unknown_key_is_looked_up_every_time(app, client, engine):
    for _ in range(2):
        with statements(engine) as sent:
            response = client.get("/v1/participants", headers={"Authorization": "Bearer ivk_not-a-real-key"})
        assert response.status_code == 401
        assert len(sent) == 1


def _terminate_other_backends(database_url: str) -> None:
    """What a restart of PostgreSQL does to the service's connections: the server ends them."""
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        deadline = time.monotonic() + 10
        while conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]:
            assert time.monotonic() < deadline, "the backends did not end"
            time.sleep(0.05)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_reads_and_writes_go_on_after_postgresql_ended_every_connection(app, admin, resources, database_url):
    from tests.api import payloads

    for url in resources.values():
        assert admin.get(url).status_code == 200
    _terminate_other_backends(database_url)
    for url in resources.values():
        assert admin.get(url).status_code == 200
    _terminate_other_backends(database_url)
    assert admin.post("/v1/participants", json=payloads.participant(9)).status_code == 201
    assert app.test_client().get("/readyz").json["checks"]["database"] == "ok"
