"""Benchmark of a facilitator feed over HTTP: ``python -m bench.feeds_http [--runs N]``.

A facilitator guides 42 groups of 12 sessions (504 sessions) in a fresh PostgreSQL database.
Through the WSGI app (Flask's test client, so no network in the numbers) it measures:

* first render ever: nothing rendered before, in memory or in the database;
* full render, cold: as in a freshly started process, with the events' renderings kept in the
  database by earlier requests;
* full render after one session changed: the usual case in a running server;
* full GET of an unchanged feed (rendered once, served from the per-process cache);
* 304: ``If-None-Match`` with the current ETag, answered from the fingerprint query alone.

Targets: a full render in at most 50 ms, a 304 in at most 3 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete

from services.api.app import create_app
from services.scheduler.scheduler import Scheduler
from shared.config import Settings
from shared.db.migrate import upgrade
from shared.db.models import Facilitator, Group, Membership, Participant, RenderedEvent, Session
from shared.db.session import make_engine, make_session_factory
from shared.domain import ics
from shared.use_cases.api_keys import create_client
from tests.databases import fresh_postgres_database

GROUPS, SESSIONS_PER_GROUP = 42, 12
NOW = datetime(2026, 12, 1, tzinfo=UTC)
CONSTRAINTS = {"weekdays": ["tue"], "earliest": "08:00", "latest": "22:00", "skip_public_holidays": True,
               "school_holiday_region": None, "self_directed_quorum": None}


def seed(session_factory) -> uuid.UUID:
    with session_factory.begin() as session:
        client = create_client(session, role="admin", name="bench")
        facilitator = Facilitator(name="Fenna Jansen", email="fenna@example.org", timezone="Europe/Amsterdam",
                                  language="nl", availability={"weekly": [], "unavailable": []})
        session.add(facilitator)
        session.flush()
        for g in range(GROUPS):
            group = Group(name=f"Groep {g}", theme="ouderbetrokkenheid", facilitator_id=facilitator.id,
                          timezone="Europe/Amsterdam", language="nl", meeting_url=f"https://meet.example.org/{g}",
                          session_minutes=90, guided_sessions=3, follow_up_sessions=9,
                          starts_on=date(2027, 1, 4), constraints=CONSTRAINTS, memberships=[])
            session.add(group)
            session.flush()
            members = []
            for m in range(6):
                person = Participant(client_id=client.client_id, name=f"Lid {g}-{m}", email=f"lid{g}-{m}@example.org",
                                     timezone="Europe/Amsterdam", language="nl", organization=f"School {m}",
                                     role="leerkracht", availability={"weekly": [], "unavailable": []}, memberships=[])
                session.add(person)
                session.flush()
                session.add(Membership(group_id=group.id, participant_id=person.id, joined_at=NOW, position=m + 1))
                members.append(person)
            first = datetime(2027, 1, 5, 18, 30, tzinfo=UTC) + timedelta(days=g % 28)
            for n in range(1, SESSIONS_PER_GROUP + 1):
                start = first + timedelta(weeks=4 * (n - 1))
                session.add(Session(group_id=group.id, number=n, kind="guided" if n <= 3 else "self_directed",
                                    start=start, end=start + timedelta(minutes=90), timezone="Europe/Amsterdam",
                                    status="scheduled", sequence=0, uid=f"{uuid.uuid4()}@intervisie",
                                    chair_id=None if n <= 3 else members[n % 6].id, absent_ids=[],
                                    created_at=NOW, updated_at=NOW))
        return facilitator.id, client.key


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with fresh_postgres_database("intervisie_bench") as url:
        upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        facilitator_id, key = seed(factory)
        settings = Settings(database_url=url, secret_key="bench", public_url="http://bench", feed_rate_limit="1000000 per minute")
        app = create_app(settings, session_factory=factory, scheduler=Scheduler(settings, factory, autostart=False))
        client = app.test_client()
        auth = {"Authorization": f"Bearer {key}"}
        path = client.get(f"/v1/facilitators/{facilitator_id}/feed", headers=auth).json["url"].removeprefix("http://bench")
        state = app.extensions["intervisie"]

        def timed(**kwargs) -> tuple[float, object]:
            began = time.perf_counter()
            response = client.get(path, **kwargs)
            return time.perf_counter() - began, response

        never, cold, changed, cached, not_modified = [], [], [], [], []
        size = events = 0
        with factory() as session:
            session_ids = [s.id for s in session.query(Session.id).limit(args.runs + 1)]
        for run in range(args.runs):
            with factory.begin() as session:  # as if no feed had ever been served
                session.execute(delete(RenderedEvent))
            ics.clear_caches()
            state.rendered_feeds = type(state.rendered_feeds)()
            elapsed, response = timed()
            assert response.status_code == 200
            never.append(elapsed)
            ics.clear_caches()  # a freshly started process: renderings only in the database
            state.rendered_feeds = type(state.rendered_feeds)()
            elapsed, response = timed()
            assert response.status_code == 200
            cold.append(elapsed)
            size, events = len(response.data), response.data.count(b"BEGIN:VEVENT")
            with factory.begin() as session:  # one session changes, as a re-plan or a move would
                row = session.get(Session, session_ids[run])
                row.sequence += 1
                row.updated_at = NOW + timedelta(minutes=run + 1)
            elapsed, response = timed()
            changed.append(elapsed)
            for _ in range(10):  # steady requests, not only the first after a write
                elapsed, response = timed()
                cached.append(elapsed)
            etag = response.headers["ETag"]
            for _ in range(10):
                elapsed, response = timed(headers={"If-None-Match": etag})
                assert response.status_code == 304
                not_modified.append(elapsed)
        engine.dispose()

    print(f"Facilitator feed over HTTP (WSGI, PostgreSQL): {events} sessions, {size / 1024:.0f} KiB, median of {args.runs} runs\n")
    print("| request | median ms | target |")
    print("| --- | ---: | ---: |")
    print(f"| first render ever (nothing rendered before) | {median_ms(never):.1f} | |")
    print(f"| full render, cold (fresh process) | {median_ms(cold):.1f} | ≤ 50 |")
    print(f"| full render, one session changed | {median_ms(changed):.1f} | ≤ 50 |")
    print(f"| full GET, unchanged (rendered feed cached) | {median_ms(cached):.1f} | |")
    print(f"| 304 Not Modified | {median_ms(not_modified):.2f} | ≤ 3 |")


if __name__ == "__main__":
    main()
