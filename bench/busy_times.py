"""Benchmark of busy times from a calendar feed: ``python -m bench.busy_times [--runs N]``.

A teacher's five-year school timetable as Outlook publishes it (``tests.feeds.school_timetable``:
seeded, about 5,000 VEVENTs — fortnightly lesson series with UNTIL and a holiday EXDATE, moved
and cancelled lessons as RECURRENCE-ID overrides, single meetings — with Windows zone names,
VTIMEZONEs, reminders, titles, places and attendees) is turned into busy times for the 15-month
horizon from the middle of its five years and stored in PostgreSQL. The target of issue 20 is
"expanded and stored in ≤ 1 s", one figure: from the feed's bytes to the busy intervals
committed, through the worker's own job (:func:`services.scheduler.jobs.fetch_calendar` on a
fresh migrated database, its HTTP request answered with the feed from memory so that the clock
runs from the moment the job holds the bytes to its commit). Beside it, measured apart, the
expansion alone (:func:`shared.domain.busy_times.busy_intervals`) and the store alone
(:func:`shared.use_cases.calendar_sources.record_fetch` in its transaction, replacing the
source's intervals), and the whole job with a real GET of the feed from a server on loopback.
Like ``intervisie worker``, the benchmark puts its boot heap beyond the garbage collector
(:func:`services.scheduler.worker.settle_heap`) before it measures anything; ``--no-settle``
measures without, as an API process with the embedded worker runs it.
Beside the expansion, the same expansion with every event through icalendar and
recurring-ical-events (``singles_by_text=False``: how it ran before plain single events were read
from their text), which must give the same intervals. Medians of ``--runs`` runs after a first
(cold) one; CPU time is shown too, because the machine
is shared. For scale, the same feed is also expanded for a window over all its five years, where
nothing can be left out before icalendar parses it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock

from services.outbound_http import resolve
from services.scheduler import calendar_fetch, jobs
from services.scheduler.runtime import Runtime
from services.scheduler.worker import settle_heap
from shared.actor import Actor
from shared.config import Settings
from shared.db.migrate import upgrade
from shared.db.models import CalendarSource
from shared.db.session import make_engine, make_session_factory
from shared.domain import calendar_sources as rules
from shared.domain import feed_text
from shared.domain.busy_times import MAX_SECONDS, busy_intervals, horizon
from shared.use_cases import calendar_sources, people
from shared.use_cases.api_keys import IssuedKey, create_client
from tests.calendar_server import Feed, calendar_server
from tests.databases import fresh_postgres_database
from tests.feeds import AMSTERDAM, school_timetable

TARGET_SECONDS = 1.0
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=AMSTERDAM)
"""In the middle of the timetable's school years 2023–24 to 2027–28."""
ZONE = "Europe/Amsterdam"
ETAG = '"rooster-1"'


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def timed(step: Callable[[], object], runs: int) -> tuple[list[float], list[float], object]:
    """Wall and CPU seconds of each of ``runs`` calls of ``step``, and what the last returned."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = step()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus, result


def measured(step: Callable[[], tuple[float, float]], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``runs`` calls of a ``step`` that measures a part of itself."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = step()
        walls.append(wall)
        cpus.append(cpu)
    return walls, cpus


def warm(values: list[float]) -> float:
    """The median of the runs after the first (cold) one."""
    return statistics.median(values[1:] or values)


def expand(feed: bytes, window: tuple[datetime, datetime], time_limit: float = MAX_SECONDS, **options) -> list:
    return busy_intervals(feed, window_start=window[0], window_end=window[1], default_timezone=ZONE,
                          time_limit=time_limit, **options)


# -- the worker's job on PostgreSQL ------------------------------------------------------------------


@contextmanager
def worker_runtime():
    """A fresh migrated PostgreSQL database with a participant, and the runtime a worker's job
    runs with (its clock stopped at :data:`NOW`)."""
    with fresh_postgres_database(prefix="intervisie_bench") as url:
        upgrade(url)
        engine = make_engine(url)
        settings = Settings(database_url=url, secret_key="bench-busy-times", calendar_allow_private=True)
        runtime = Runtime(settings, make_session_factory(engine), clock=lambda: NOW)
        with runtime.session_factory.begin() as session:
            admin = create_client(session, role="admin", name="bench")
            person = people.create_participant(session, _actor(admin), {
                "name": "Docent", "email": "docent@school.example.org", "timezone": ZONE, "language": "nl",
                "organization": "School", "role": "leerkracht", "themes": [], "school_holiday_region": None,
                "external_ref": None, "availability": {"weekly": [], "unavailable": []},
            })
        try:
            yield runtime, _actor(admin), person.id
        finally:
            engine.dispose()


def _actor(issued: IssuedKey) -> Actor:
    return Actor(issued.client_id, "admin", "bench")


def add_source(runtime: Runtime, actor, person_id: uuid.UUID, url: str) -> uuid.UUID:
    with runtime.session_factory.begin() as session:
        return calendar_sources.create(
            session, actor, rules.PARTICIPANT, person_id, url,
            now=NOW, secret=runtime.settings.secret(), allow_private=True, resolve=resolve,
        ).id


def ask_fetch(runtime: Runtime, source_id: uuid.UUID) -> None:
    """What the sweep or a refresh does before each run: a fetch is asked for."""
    with runtime.session_factory.begin() as session:
        calendar_sources.request_refresh(session, session.get(CalendarSource, source_id), NOW)


def job_from_bytes(runtime: Runtime, source_id: uuid.UUID, feed: bytes) -> Callable[[], tuple[float, float]]:
    """One run of the worker's job whose GET hands over ``feed`` from memory: the wall and CPU
    seconds from the job holding the bytes to its commit (the job's return)."""
    handed: list[tuple[float, float]] = []

    def fetch(url, **_options):
        handed.append((time.perf_counter(), time.process_time()))
        return rules.Fetched(feed, ETAG, None)

    def run() -> tuple[float, float]:
        ask_fetch(runtime, source_id)
        with mock.patch.object(calendar_fetch, "fetch", fetch):
            outcome = jobs.fetch_calendar(runtime, source_id)
        wall, cpu = time.perf_counter(), time.process_time()
        if not outcome.startswith("fetched"):
            raise RuntimeError(f"the job did not store the feed: {outcome}")
        return wall - handed[-1][0], cpu - handed[-1][1]

    return run


def store_alone(runtime: Runtime, source_id: uuid.UUID, feed: bytes, intervals: list) -> Callable[[], tuple[float, float]]:
    """``record_fetch`` of ``intervals`` (replacing the source's) in its transaction, to the commit."""
    pairs = [(i.start, i.end) for i in intervals]

    def run() -> tuple[float, float]:
        ask_fetch(runtime, source_id)
        with runtime.session_factory.begin() as session:
            calendar_sources.claim(session, source_id, runtime.name, NOW)
        wall, cpu = time.perf_counter(), time.process_time()
        with runtime.session_factory.begin() as session:
            if not calendar_sources.record_fetch(
                session, source_id, runtime.name, rules.Fetched(feed, ETAG, None), pairs,
                now=NOW, refresh=timedelta(minutes=runtime.settings.calendar_refresh_minutes),
            ):
                raise RuntimeError("the lease was lost")
        return time.perf_counter() - wall, time.process_time() - cpu

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each measure after a first (cold) one")
    parser.add_argument("--no-settle", action="store_true", help="leave the boot heap to the garbage collector")
    options = parser.parse_args()
    runs = options.runs + 1
    load_before = load()
    if not options.no_settle:
        settle_heap()  # as `intervisie worker` does after its boot, before it takes a message

    feed, events = school_timetable()
    window = horizon(NOW)
    everything = (datetime(2023, 8, 1, tzinfo=UTC), datetime(2028, 8, 1, tzinfo=UTC))
    selection = feed_text.split(feed_text.read(feed), window)
    singles = sum(event.single for event in selection.events)

    expand_walls, expand_cpus, intervals = timed(lambda: expand(feed, window), runs)
    library_walls, library_cpus, library_intervals = timed(lambda: expand(feed, window, singles_by_text=False), runs)
    if library_intervals != intervals:
        raise RuntimeError("the fast path and the libraries disagree")
    whole_walls, whole_cpus, whole_intervals = timed(
        # For scale only: the worker's limit (a wall time) is lifted, so that load does not cut it off.
        lambda: expand(feed, everything, time_limit=600), max(1, options.runs // 3))

    with worker_runtime() as (runtime, actor, person_id), calendar_server() as server:
        url = server.publish("/rooster.ics?token=bench", Feed(feed, etag=ETAG))
        source_id = add_source(runtime, actor, person_id, url)
        # The one figure: the job from the bytes to the commit (its CPU is this process's).
        one_times, one_cpus = measured(job_from_bytes(runtime, source_id, feed), runs)
        store_walls, store_cpus = measured(store_alone(runtime, source_id, feed, intervals), runs)

        def whole_job() -> str:
            ask_fetch(runtime, source_id)
            server.feeds["/rooster.ics?token=bench"] = Feed(feed, etag=f'"{uuid.uuid4().hex}"')
            outcome = jobs.fetch_calendar(runtime, source_id)
            if not outcome.startswith("fetched"):
                raise RuntimeError(f"the job did not store the feed: {outcome}")
            return outcome

        job_walls, job_cpus, _ = timed(whole_job, runs)

    median = warm(one_times)
    print(f"Five-year timetable published from Outlook: {events:,} VEVENTs ({feed.count(b'RRULE:'):,} with a rule), "
          f"{len(feed) / 2**20:.1f} MiB; horizon {window[0]:%Y-%m-%d} to {window[1]:%Y-%m-%d}; PostgreSQL on loopback; "
          f"median of {options.runs} runs after a first one; boot heap "
          f"{'left to the garbage collector (--no-settle)' if options.no_settle else 'frozen as the worker freezes it'}. Load average (1 / 5 / 15 min) before: {load_before}, "
          f"after: {load()}.\n")
    print("| figure | measured | target | ratio | met |")
    print("| --- | ---: | ---: | ---: | --- |")
    print(f"| five-year timetable expanded and stored: the feed's bytes to its busy intervals committed (worker's job) | "
          f"{median:.2f} s | ≤ {TARGET_SECONDS:g} s | {median / TARGET_SECONDS:.2f}× | "
          f"{'yes' if median <= TARGET_SECONDS else 'no'} |\n")
    print("| step (median after a cold run) | wall | CPU of this process | cold run (wall) |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| expanded and stored (the figure above) | {median:.2f} s | {warm(one_cpus):.2f} s | {one_times[0]:.2f} s |")
    print(f"| → the expansion alone (`busy_intervals`) | {warm(expand_walls):.2f} s | {warm(expand_cpus):.2f} s | {expand_walls[0]:.2f} s |")
    print(f"| → the expansion with every event through icalendar and recurring-ical-events (`singles_by_text=False`, "
          f"as before the fast path; same intervals) | {warm(library_walls):.2f} s | {warm(library_cpus):.2f} s | "
          f"{library_walls[0]:.2f} s |")
    print(f"| → the store alone (`record_fetch`, replacing {len(intervals):,} intervals, to the commit) | "
          f"{warm(store_walls) * 1000:.0f} ms | {warm(store_cpus) * 1000:.0f} ms | {store_walls[0] * 1000:.0f} ms |")
    print(f"| the whole job with a GET from a server on loopback (claim, {len(feed) / 2**20:.1f} MiB, expand, store) | "
          f"{warm(job_walls):.2f} s | {warm(job_cpus):.2f} s (and the server's) | {job_walls[0]:.2f} s |\n")
    print("| measure | value |")
    print("| --- | ---: |")
    print(f"| feed size | {len(feed):,} bytes |")
    print(f"| VEVENTs in the feed / that can touch the horizon / of these, plain single events read from their text "
          f"(the rest go to icalendar) | {events:,} / {len(selection.events):,} / {singles:,} |")
    print(f"| busy intervals in the horizon (merged, stored) | {len(intervals):,} |")
    print(f"| whole five years as the window: busy intervals | {len(whole_intervals):,} |")
    print(f"| whole five years as the window: median wall / CPU time | {statistics.median(whole_walls):.2f} s / "
          f"{statistics.median(whole_cpus):.2f} s |")


if __name__ == "__main__":
    main()
