"""Benchmark of facilitator feeds over HTTP: ``python -m bench.feeds_http [--runs N]``.

Two facilitators in one fresh PostgreSQL database: one guides 50 groups of 10 sessions (500
sessions), the other one group of 10. Through the WSGI app (Flask's test client, so no network in
the numbers) it measures, interleaved run by run so that load hits all alike:

* 304 (``If-None-Match`` with the current ETag) at 10 and at 500 sessions, side by side: the
  fingerprint is remembered with the change counts of the feed's groups, so this should not grow
  with the feed (target: the 304 at 500 within 1.3× the 304 at 10);
* the same 304s right after a change in another facilitator's group (which moves none of these
  feeds' counts, so the remembered fingerprints stay in use);
* the same 304s in a process that has not computed their fingerprints yet (what a change in
  one of the feed's groups that leaves its bytes alone also costs once);
* first render ever: nothing rendered before, in memory or in the database;
* full render, cold: as in a freshly started process, with the events' renderings kept in the
  database by earlier requests (target: at most 50 ms);
* full render after one session changed: the usual case in a running server;
* full GET of an unchanged feed (rendered once, served from the per-process cache).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select

from services.api.app import create_app
from services.scheduler.scheduler import Scheduler
from shared.config import Settings
from shared.db.migrate import upgrade
from shared.db.models import Facilitator, Group, Membership, Participant, RenderedEvent, Session
from shared.db.session import make_engine, make_session_factory
from shared.domain import ics
from shared.use_cases.api_keys import create_client
from tests.databases import fresh_postgres_database

GROUPS, SESSIONS_PER_GROUP = 50, 10
RENDER_TARGET_MS, RATIO_TARGET = 50.0, 1.3
NOW = datetime(2026, 12, 1, tzinfo=UTC)
CONSTRAINTS = {"weekdays": ["tue"], "earliest": "08:00", "latest": "22:00", "skip_public_holidays": True,
               "school_holiday_region": None, "self_directed_quorum": None}


def seed(session_factory, client_id: uuid.UUID, name: str, groups: int) -> uuid.UUID:
    """A facilitator guiding ``groups`` groups of six members and SESSIONS_PER_GROUP sessions."""
    with session_factory.begin() as session:
        facilitator = Facilitator(name=name, email=f"{name.split()[0].lower()}@example.org", timezone="Europe/Amsterdam",
                                  language="nl", availability={"weekly": [], "unavailable": []})
        session.add(facilitator)
        session.flush()
        for g in range(groups):
            group = Group(name=f"Groep {name} {g}", theme="ouderbetrokkenheid", facilitator_id=facilitator.id,
                          timezone="Europe/Amsterdam", language="nl", meeting_url=f"https://meet.example.org/{g}",
                          session_minutes=90, guided_sessions=3, follow_up_sessions=9,
                          starts_on=date(2027, 1, 4), constraints=CONSTRAINTS, memberships=[])
            session.add(group)
            session.flush()
            members = []
            for m in range(6):
                person = Participant(client_id=client_id, name=f"Lid {g}-{m}", email=f"lid{g}-{m}@example.org",
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
        return facilitator.id


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
        with factory.begin() as session:
            issued = create_client(session, role="admin", name="bench")
        large_id = seed(factory, issued.client_id, "Fenna Jansen", GROUPS)
        small_id = seed(factory, issued.client_id, "Sanne de Boer", 1)
        elsewhere_id = seed(factory, issued.client_id, "Els Anders", 1)
        settings = Settings(database_url=url, secret_key="bench", public_url="http://bench", feed_rate_limit="1000000 per minute")
        app = create_app(settings, session_factory=factory, scheduler=Scheduler(settings, factory, autostart=False))
        client = app.test_client()
        auth = {"Authorization": f"Bearer {issued.key}"}
        large, small = (client.get(f"/v1/facilitators/{owner}/feed", headers=auth).json["url"].removeprefix("http://bench")
                        for owner in (large_id, small_id))
        state = app.extensions["intervisie"]

        def timed(path: str, **kwargs) -> tuple[float, object]:
            began = time.perf_counter()
            response = client.get(path, **kwargs)
            return time.perf_counter() - began, response

        def not_modified(path: str, samples: list[float]) -> None:
            etag = client.get(path).headers["ETag"]
            elapsed, response = timed(path, headers={"If-None-Match": etag})
            assert response.status_code == 304
            samples.append(elapsed)

        never, cold, changed, cached = [], [], [], []
        remembered = {10: [], 500: []}
        recomputed = {10: [], 500: []}
        elsewhere_304 = {10: [], 500: []}
        size = events = 0
        with factory() as session:
            session_ids = list(session.scalars(
                select(Session.id).join(Group).where(Group.facilitator_id == large_id).limit(args.runs + 1)))
            elsewhere = session.scalar(select(Session.id).join(Group).where(Group.facilitator_id == elsewhere_id))
        for run in range(args.runs):
            with factory.begin() as session:  # as if no feed had ever been served
                session.execute(delete(RenderedEvent))
            ics.clear_caches()
            state.rendered_feeds = type(state.rendered_feeds)()
            elapsed, response = timed(large)
            assert response.status_code == 200
            never.append(elapsed)
            ics.clear_caches()  # a freshly started process: renderings only in the database
            state.rendered_feeds = type(state.rendered_feeds)()
            state.feed_fingerprints = type(state.feed_fingerprints)()
            elapsed, response = timed(large)
            assert response.status_code == 200
            cold.append(elapsed)
            size, events = len(response.data), response.data.count(b"BEGIN:VEVENT")
            with factory.begin() as session:  # one session changes, as a re-plan or a move would
                row = session.get(Session, session_ids[run])
                row.sequence += 1
                row.updated_at = NOW + timedelta(minutes=run + 1)
            elapsed, response = timed(large)
            changed.append(elapsed)
            for _ in range(10):  # steady requests, not only the first after a write
                elapsed, response = timed(large)
                cached.append(elapsed)
            for _ in range(10):  # the two feeds in turn, so that load spikes hit both alike
                not_modified(small, remembered[10])
                not_modified(large, remembered[500])
            for sessions, path in ((10, small), (500, large)):
                etag = client.get(path).headers["ETag"]
                with factory.begin() as session:  # another facilitator's session changes
                    session.get(Session, elsewhere).sequence += 1
                elapsed, response = timed(path, headers={"If-None-Match": etag})
                assert response.status_code == 304
                elsewhere_304[sessions].append(elapsed)
                state.feed_fingerprints = type(state.feed_fingerprints)()  # as a process that never served it
                elapsed, response = timed(path, headers={"If-None-Match": etag})
                assert response.status_code == 304
                recomputed[sessions].append(elapsed)
        engine.dispose()

    small_ms, large_ms = median_ms(remembered[10]), median_ms(remembered[500])
    ratio = large_ms / small_ms
    render_ms = median_ms(cold)
    print(f"Facilitator feeds over HTTP (WSGI, PostgreSQL): {events} sessions ({size / 1024:.0f} KiB) and 10; "
          f"medians of {args.runs} runs (304s: {10 * args.runs} each)\n")
    print("| figure | measured | target | ratio | met |")
    print("| --- | ---: | ---: | ---: | --- |")
    print(f"| 304 Not Modified, 10 sessions | {small_ms:.2f} ms | | | |")
    print(f"| 304 Not Modified, {events} sessions | {large_ms:.2f} ms | ≤ {RATIO_TARGET}× the 304 at 10 | "
          f"{ratio:.2f}× | {'yes' if ratio <= RATIO_TARGET else 'no'} |")
    print(f"| full render, fresh process, {events} sessions | {render_ms:.1f} ms | ≤ {RENDER_TARGET_MS:.0f} ms | "
          f"{render_ms / RENDER_TARGET_MS:.2f}× | {'yes' if render_ms <= RENDER_TARGET_MS else 'no'} |")
    for label, found in (("right after a change in another facilitator's group", elsewhere_304),
                         ("with its fingerprint computed again", recomputed)):
        print(f"| 304 {label}, 10 / {events} sessions | {median_ms(found[10]):.2f} / {median_ms(found[500]):.2f} ms "
              f"| | {median_ms(found[500]) / median_ms(found[10]):.2f}× | |")
    print(f"| full render, one session changed | {median_ms(changed):.1f} ms | ≤ {RENDER_TARGET_MS:.0f} ms | "
          f"{median_ms(changed) / RENDER_TARGET_MS:.2f}× | {'yes' if median_ms(changed) <= RENDER_TARGET_MS else 'no'} |")
    print(f"| full GET, unchanged (rendered feed cached) | {median_ms(cached):.1f} ms | | | |")
    print(f"| first render ever (nothing rendered before) | {median_ms(never):.0f} ms | | | |")


if __name__ == "__main__":
    main()
