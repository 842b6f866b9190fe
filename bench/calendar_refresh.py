"""Benchmark of refreshing people's published calendars: ``python -m bench.calendar_refresh
[--people N] [--full-rounds N] [--unchanged-rounds N]``.

1,000 participants with two published calendars each — a school timetable (Zermelo or Magister,
every lesson of the school year) and a work or home calendar (Outlook, Google or iCloud: weekly
and fortnightly series with exceptions, moved occurrences, single appointments and all-day events
over two years), generated in the shapes of ``tests.feeds`` — served by a real threaded HTTP
server on loopback (``tests.calendar_server``: ETag and Last-Modified, 304 to a matching
conditional GET), stored in a fresh migrated PostgreSQL database, refreshed by two real
``intervisie worker`` processes through Redis (the broker the integration tests and the other
end-to-end benchmarks use), with ``INTERVISIE_CALENDAR_ALLOW_PRIVATE=1`` so that loopback
addresses pass the SSRF rules.

A round makes every source due (``next_fetch_at`` passed) and runs the sweep's own step
(:func:`services.scheduler.jobs.request_due_calendars`, which marks at most 500 a call) until it
finds no more, sending each fetch to the workers; the workers' own sweeps are set an hour apart so
that only the benchmark's marks them. The clock runs from the first mark to the last fetch
recorded (``record_fetch`` sets the next refresh from its own clock, which the benchmark reads
back; a poll sees them all). ``--full-rounds``: every feed changed since the last fetch (a new
ETag), so each conditional GET is answered 200 with the whole feed, which is expanded and stored;
``--unchanged-rounds``: nothing changed, each is answered 304 and only the source's times are
written. Target (issue 20): the 2,000 sources in ≤ 5 minutes.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import delete, func, select, update

from bench.support import _process, _wait_for_consumers, cpu_snapshot, percentile
from services.outbound_http import resolve
from services.scheduler import jobs
from services.scheduler.scheduler import Scheduler
from shared.actor import Actor
from shared.config import Settings
from shared.db.migrate import upgrade
from shared.db.models import BusyInterval, CalendarSource, OutboxMessage
from shared.db.session import make_engine, make_session_factory
from shared.domain import calendar_sources as rules
from shared.use_cases import calendar_sources, people
from shared.use_cases.api_keys import create_client
from tests.calendar_server import CalendarServer, Feed, calendar_server, http_date
from tests.databases import fresh_postgres_database
from tests.feeds import AMSTERDAM, Event, google, icloud, magister, outlook, zermelo
from tests.integration.servers import INTERVISIE
from tests.integration.workers import REDIS_URL, redis_namespace

TARGET_SECONDS = 300.0
WORKERS = 2
SOURCES_EACH = 2
VARIANTS = 6
"""Distinct feeds of each publisher (different seeds); people share them, each at an address of
its own with validators of its own."""
SECRET_KEY = "bench-calendar-refresh"
ZONE = "Europe/Amsterdam"
LESSON_TIMES = [(8, 30), (9, 20), (10, 30), (11, 20), (12, 40), (13, 30), (14, 20), (15, 10)]


# -- the feeds -------------------------------------------------------------------------------------


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM)


def school_year(today: date) -> tuple[date, date]:
    """The Monday the school year holding ``today`` begins on (late August) and its last day."""
    year = today.year if today >= date(today.year, 8, 20) else today.year - 1
    start = date(year, 8, 28) - timedelta(days=date(year, 8, 28).weekday())
    return start, date(year + 1, 7, 15)


def timetable(today: date, seed: int) -> list[Event]:
    """Every lesson of a teacher's school year as its own event (as Zermelo and Magister publish
    them): 20–28 lessons a week in fixed slots, holiday weeks left out, a few cancelled."""
    rng = random.Random(seed)
    start, end = school_year(today)
    slots = rng.sample([(day, slot) for day in range(5) for slot in range(len(LESSON_TIMES))], rng.randrange(20, 29))
    holidays = {start + timedelta(weeks=w) for w in (8, 17, 18, 25, 33)}
    events: list[Event] = []
    monday = start
    while monday <= end:
        if monday not in holidays:
            for day, slot in slots:
                begin = _at(monday + timedelta(days=day), *LESSON_TIMES[slot])
                status = "CANCELLED" if rng.random() < 0.03 else None
                # Unique within the first 8 characters too: Magister keeps 16 of them, Zermelo 8 after a number.
                events.append(Event(begin, begin + timedelta(minutes=50), summary=f"wis h{slot % 5 + 1}a", status=status,
                                    uid=f"{begin:%y%m%d%H%M}{seed:04d}"))
        monday += timedelta(weeks=1)
    return events


def agenda(today: date, seed: int) -> list[Event]:
    """A work or home calendar over the year before and after ``today``: weekly and fortnightly
    meetings (some ended, one day cancelled, one moved), single appointments, all-day events."""
    rng = random.Random(seed)
    first = today - timedelta(days=365)
    events: list[Event] = []
    for n in range(14):
        begin = _at(first + timedelta(days=rng.randrange(0, 200)), rng.randrange(8, 19), rng.choice((0, 30)))
        weeks = rng.choice((1, 1, 2))
        until = (begin + timedelta(weeks=rng.randrange(30, 100))).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        skipped = begin + timedelta(weeks=weeks * rng.randrange(2, 10))
        uid = f"reeks-{seed}-{n}"
        events.append(Event(begin, begin + timedelta(minutes=rng.choice((45, 60, 90))), rrule=f"FREQ=WEEKLY;INTERVAL={weeks};UNTIL={until}",
                            exdates=[skipped], uid=uid))
        moved = begin + timedelta(weeks=weeks * rng.randrange(10, 20))
        events.append(Event(moved + timedelta(days=1), moved + timedelta(days=1, hours=1), uid=uid, recurrence_id=moved, sequence=1))
    for n in range(320):
        day = first + timedelta(days=rng.randrange(0, 730))
        begin = _at(day, rng.randrange(7, 21), rng.choice((0, 15, 30, 45)))
        events.append(Event(begin, begin + timedelta(minutes=rng.choice((30, 60, 60, 90, 120))), uid=f"afspraak-{seed}-{n}"))
    for n in range(24):
        day = first + timedelta(days=rng.randrange(0, 730))
        events.append(Event(day, day + timedelta(days=rng.choice((1, 1, 3))), transparent=n % 3 == 0, uid=f"dag-{seed}-{n}"))
    return events


@dataclass(frozen=True)
class Published:
    publisher: str
    body: bytes


def publications(today: date) -> tuple[list[Published], list[Published]]:
    """:data:`VARIANTS` timetables (Zermelo and Magister in turn) and as many agendas (Outlook,
    Google and iCloud in turn)."""
    timetables, agendas = [], []
    for n in range(VARIANTS):
        lessons = timetable(today, 1000 + n)
        timetables.append(Published("Zermelo", zermelo(lessons)) if n % 2 == 0 else Published("Magister", magister(lessons)))
        events = agenda(today, 2000 + n)
        writer = (("Outlook", outlook), ("Google", google), ("iCloud", icloud))[n % 3]
        agendas.append(Published(writer[0], writer[1](events)))
    return timetables, agendas


# -- the people and their sources ---------------------------------------------------------------------


def seed(session_factory, server: CalendarServer, people_count: int, today: date) -> tuple[dict[str, Published], list[str]]:
    """``people_count`` participants with a timetable and an agenda each, published on ``server``;
    returns what each path publishes, and the paths."""
    timetables, agendas = publications(today)
    published: dict[str, Published] = {}
    now = datetime.now(UTC)
    with session_factory.begin() as session:
        issued = create_client(session, role="admin", name="bench")
    admin = Actor(issued.client_id, "admin", "bench")
    for start in range(0, people_count, 100):
        with session_factory.begin() as session:
            for n in range(start, min(people_count, start + 100)):
                person = people.create_participant(session, admin, {
                    "name": f"Docent {n}", "email": f"docent{n}@school{n % 50}.example.org", "timezone": ZONE,
                    "language": "nl", "organization": f"School {n % 50}", "role": "leerkracht", "themes": [],
                    "school_holiday_region": None, "external_ref": None, "availability": {"weekly": [], "unavailable": []},
                })
                for kind, choices in (("rooster", timetables), ("agenda", agendas)):
                    path = f"/{kind}/{n}.ics?token={uuid.uuid4().hex}"
                    published[path] = choices[n % len(choices)]
                    url = server.publish(path, Feed())
                    calendar_sources.create(session, admin, rules.PARTICIPANT, person.id, url, now=now,
                                            secret=SECRET_KEY.encode(), allow_private=True, resolve=resolve)
    with session_factory.begin() as session:
        # Nothing is asked for yet: each round makes the sources due itself.
        session.execute(delete(OutboxMessage))
        session.execute(update(CalendarSource).values(fetch_requested_at=None, next_fetch_at=now + timedelta(days=1)))
    return published, list(published)


def republish(server: CalendarServer, published: dict[str, Published], version: int) -> None:
    """Every feed as changed since the last fetch: a new ETag and Last-Modified."""
    modified = http_date(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=version))
    for path, feed in published.items():
        server.feeds[path] = Feed(feed.body, etag=f'"{uuid.uuid5(uuid.NAMESPACE_URL, path).hex[:16]}-{version}"',
                                  last_modified=modified)


# -- the workers ------------------------------------------------------------------------------------


@contextmanager
def worker_processes(database_url: str, namespace: str, count: int, log_dir: Path) -> Iterator[list]:
    env = {
        "INTERVISIE_DATABASE_URL": database_url,
        "INTERVISIE_BROKER_URL": REDIS_URL,
        "INTERVISIE_BROKER_NAMESPACE": namespace,
        "INTERVISIE_SECRET_KEY": SECRET_KEY,
        "INTERVISIE_CALENDAR_ALLOW_PRIVATE": "1",
        # The benchmark marks the sources due itself; the workers' sweeps stay out of the way.
        "INTERVISIE_SWEEP_SECONDS": "3600",
    }
    with ExitStack() as stack:
        processes = [
            stack.enter_context(_process([str(INTERVISIE), "worker"], env, log_dir / f"worker-{n}.log"))
            for n in range(count)
        ]
        _wait_for_consumers(processes, namespace)
        _wait_for_first_sweep([log_dir / f"worker-{n}.log" for n in range(count)])
        yield processes


def _wait_for_first_sweep(logs: list[Path], timeout: float = 60) -> None:
    """A worker sweeps once as it starts, then says it consumes: wait for that, so that its sweep
    cannot take a round's sources."""
    deadline = time.monotonic() + timeout
    while not all("consuming (" in log.read_text(errors="replace") for log in logs):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the workers did not report consuming within {timeout:.0f} s")
        time.sleep(0.1)


# -- a round --------------------------------------------------------------------------------------


@dataclass
class Round:
    kind: str
    seconds: float
    """From the first mark to the last fetch recorded."""
    marking_seconds: float
    sweeps: int
    requests: int
    answered_304: int
    failed: int
    cpu: dict[str, float]
    busy_intervals: int


def _database_pids(database_url: str, database: str) -> set[int]:
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        return {row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))}


def _cpu(before, after, worker_pids: set[int], postgres_pids: set[int]) -> dict[str, float]:
    used = {"workers": 0.0, "postgres": 0.0, "redis": 0.0, "bench (HTTP server, sweep, polling)": 0.0}
    for pid, (name, _, seconds) in after.processes.items():
        earlier = before.processes.get(pid)
        spent = seconds - (earlier[2] if earlier else 0.0)
        if pid in worker_pids:
            used["workers"] += spent
        elif pid in postgres_pids:
            used["postgres"] += spent
        elif name.startswith("redis-server"):
            used["redis"] += spent
        elif pid == os.getpid():
            used["bench (HTTP server, sweep, polling)"] += spent
    busy = after.machine_busy - before.machine_busy
    used["others on the machine"] = max(0.0, busy - sum(used.values()))
    used["machine busy share"] = busy / max(1e-9, after.machine_total - before.machine_total)
    return used


def run_round(
    kind: str, session_factory, scheduler: Scheduler, server: CalendarServer, sources: int,
    worker_pids: set[int], database_url: str, database: str, timeout: float,
) -> Round:
    asked_before = len(server.requests)
    refresh = timedelta(minutes=scheduler.settings.calendar_refresh_minutes)
    with session_factory.begin() as session:
        session.execute(update(CalendarSource).values(next_fetch_at=datetime.now(UTC) - timedelta(seconds=1)))
    postgres_pids = _database_pids(database_url, database)
    before = cpu_snapshot()
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    sweeps = 0
    while jobs.request_due_calendars(scheduler.runtime, scheduler.actors.send_calendar_fetches):
        sweeps += 1
    marking = time.perf_counter() - started
    deadline = started + timeout
    while True:
        with session_factory() as session:
            done = session.scalar(select(func.count()).where(CalendarSource.next_fetch_at > started_at + refresh / 2))
        if done >= sources:
            break
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{kind}: {done} of {sources} sources recorded after {timeout:.0f} s")
        time.sleep(0.2)
    postgres_pids |= _database_pids(database_url, database)
    after = cpu_snapshot()
    with session_factory() as session:
        last = session.scalar(select(func.max(CalendarSource.next_fetch_at))) - refresh
        failed = session.scalar(select(func.count()).where(CalendarSource.status == rules.FAILED))
        stored = session.scalar(select(func.count()).select_from(BusyInterval))
    asked = server.requests[asked_before:]
    conditional = sum(
        1 for r in asked
        if (feed := server.feeds.get(r.path)) is not None and feed.etag and r.headers.get("if-none-match") == feed.etag
    )
    return Round(kind, (last - started_at).total_seconds(), marking, sweeps, len(asked), conditional, failed,
                 _cpu(before, after, worker_pids, postgres_pids), stored)


# -- the benchmark ------------------------------------------------------------------------------------


def _load() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--full-rounds", type=int, default=1, help="rounds in which every feed changed (200)")
    parser.add_argument("--unchanged-rounds", type=int, default=3, help="rounds in which no feed changed (304)")
    options = parser.parse_args()
    if options.full_rounds < 1:
        parser.error("--full-rounds must be 1 or more: the 304 rounds need the validators of a fetched feed")
    sources = options.people * SOURCES_EACH
    today = datetime.now(AMSTERDAM).date()
    load_at_start = _load()
    log_dir = Path(tempfile.mkdtemp(prefix="intervisie-bench-calendars-"))
    failed = True
    try:
        with ExitStack() as stack:
            database_url = stack.enter_context(fresh_postgres_database(prefix="intervisie_bench"))
            database = database_url.rsplit("/", 1)[1]
            upgrade(database_url)
            namespace = stack.enter_context(redis_namespace())
            engine = make_engine(database_url)
            stack.callback(engine.dispose)
            session_factory = make_session_factory(engine)
            server = stack.enter_context(calendar_server())
            seeding = time.perf_counter()
            published, paths = seed(session_factory, server, options.people, today)
            seeding = time.perf_counter() - seeding
            settings = Settings(database_url=database_url, broker_url=REDIS_URL, broker_namespace=namespace,
                                secret_key=SECRET_KEY, calendar_allow_private=True)
            scheduler = Scheduler(settings, session_factory, autostart=False)
            workers = stack.enter_context(worker_processes(database_url, namespace, WORKERS, log_dir))
            worker_pids = {worker.pid for worker in workers}
            rounds: list[Round] = []
            for number in range(options.full_rounds):
                republish(server, published, number + 1)
                rounds.append(run_round("whole feeds (200)", session_factory, scheduler, server, sources,
                                        worker_pids, database_url, database, timeout=3 * TARGET_SECONDS))
                print(f"round {len(rounds)}: {rounds[-1].seconds:.1f} s (load {_load()})", file=sys.stderr, flush=True)
            for _ in range(options.unchanged_rounds):
                rounds.append(run_round("unchanged (304)", session_factory, scheduler, server, sources,
                                        worker_pids, database_url, database, timeout=3 * TARGET_SECONDS))
                print(f"round {len(rounds)}: {rounds[-1].seconds:.1f} s (load {_load()})", file=sys.stderr, flush=True)
        failed = False
    finally:
        if failed:
            print(f"the workers' logs are kept in {log_dir}", file=sys.stderr)
        else:
            shutil.rmtree(log_dir, ignore_errors=True)
    report(options, published, paths, rounds, sources, seeding, load_at_start)
    return 1 if any(r.failed for r in rounds) else 0


def report(options, published: dict[str, Published], paths: list[str], rounds: list[Round], sources: int,
           seeding: float, load_at_start: str) -> None:
    sizes = [len(published[path].body) for path in paths]
    kinds = sorted({feed.publisher for feed in published.values()})
    print(f"{options.people:,} participants × {SOURCES_EACH} published calendars = {sources:,} sources "
          f"({', '.join(kinds)}; median {statistics.median(sizes) / 1024:.0f} KiB, p95 "
          f"{percentile(sizes, 0.95) / 1024:.0f} KiB, {sum(sizes) / 2**20:.0f} MiB in all), served on loopback; "
          f"{WORKERS} `intervisie worker` processes (4 threads each) through Redis; PostgreSQL on loopback. "
          f"Seeded in {seeding:.0f} s. Load average (1 / 5 / 15 min) at the start: {load_at_start}, at the end: {_load()}.\n")
    print("| figure | measured | target | ratio | met |")
    print("| --- | ---: | ---: | ---: | --- |")
    for kind in dict.fromkeys(r.kind for r in rounds):
        mine = [r for r in rounds if r.kind == kind]
        seconds = statistics.median(r.seconds for r in mine)
        spread = f" ({min(r.seconds for r in mine):.1f}–{max(r.seconds for r in mine):.1f})" if len(mine) > 1 else ""
        label = f"{sources:,} sources refreshed by {WORKERS} workers, {kind}: " + (
            f"median of {len(mine)} rounds" if len(mine) > 1 else "one round")
        print(f"| {label} | {seconds:.1f} s{spread} | ≤ {TARGET_SECONDS:.0f} s | {seconds / TARGET_SECONDS:.2f}× | "
              f"{'yes' if seconds <= TARGET_SECONDS else 'no'} |")
    print()
    print("| round | wall | sources/s | marking and sending (sweep calls) | requests / 304 | failed | busy intervals stored | "
          "CPU: workers | PostgreSQL | Redis | bench | others | machine busy |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for number, r in enumerate(rounds, 1):
        cpu = r.cpu
        print(f"| {number}: {r.kind} | {r.seconds:.1f} s | {sources / r.seconds:.1f} | {r.marking_seconds:.2f} s ({r.sweeps}) | "
              f"{r.requests:,} / {r.answered_304:,} | {r.failed} | {r.busy_intervals:,} | {cpu['workers']:.0f} s | "
              f"{cpu['postgres']:.1f} s | {cpu['redis']:.1f} s | {cpu['bench (HTTP server, sweep, polling)']:.1f} s | "
              f"{cpu['others on the machine']:.0f} s | {100 * cpu['machine busy share']:.0f}% |")
    print()
    print("| per source (median round of each kind) | worker CPU | wall × 2 workers |")
    print("| --- | ---: | ---: |")
    for kind in dict.fromkeys(r.kind for r in rounds):
        mine = sorted((r for r in rounds if r.kind == kind), key=lambda r: r.seconds)
        r = mine[len(mine) // 2]
        print(f"| {kind} | {1000 * r.cpu['workers'] / sources:.1f} ms | {1000 * WORKERS * r.seconds / sources:.1f} ms |")


if __name__ == "__main__":
    sys.exit(main())
