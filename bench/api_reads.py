"""Benchmark of API reads over HTTP on PostgreSQL: ``python -m bench.api_reads [--full]``.

A fresh PostgreSQL database holds 40 participants (themes, group memberships), a facilitator, a
group of 6 with 12 sessions and an admin key. The API runs as a real server on loopback, twice:

* ``intervisie serve`` (werkzeug, threaded, the embedded worker idle in the process);
* gunicorn as the Dockerfile runs it (``-c python:services.api.gunicorn_config``: gthread, a
  process per core with 4 threads, keep-alive, the JSON access log; only its recycling of workers
  after 10,000 requests is off), with Redis as the broker and so for the rate-limit counts.
  ``--full`` also measures 4 sync workers, as the issue did.
* gunicorn again with ``INTERVISIE_ANSWER_CACHE_SIZE=0``, for comparison: a process keeps every
  participant's dumped answer by id, version, themes and groups, so the rounds above read
  unchanged participants as a platform's polling does; this one dumps every participant of every
  answer, as when each changed since the last read.

Throughput: 4 client processes, each one keep-alive connection (``http.client``), send GETs
as fast as they are answered for a few seconds: ``/healthz``, one participant, a page of 20
participants — in turns, several rounds, so that the three are measured side by side; medians.
Targets: one resource ≥ 0.4× and a page of 20 ≥ 0.25× the same server's ``/healthz``.

Latency under the production server: a mixed read load (participant, facilitator, group and
session by id, a page of 20 participants, a group's sessions) at a steady 100 requests a
second, open loop — each request is due at a fixed time and its latency counts from then, so a
slow answer delays none of the others' clocks. Target: p99 ≤ 25 ms.

The per-key rate limit is raised (as in the other HTTP benchmarks): the clients send one key as
fast as they can, and the limiter's count is still kept (in Redis under gunicorn) per request.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bench.support import cpu_snapshot, percentile
from shared.config import Settings
from shared.db.migrate import upgrade
from shared.db.models import Facilitator, Group, Membership, Participant, Session
from shared.db.session import make_engine, make_session_factory
from shared.use_cases.api_keys import create_client
from tests.databases import fresh_postgres_database
from tests.integration.servers import INTERVISIE, free_port, running
from tests.integration.workers import REDIS_URL, redis_namespace

CLIENTS = 4
PAGE_SIZE = 20
OPEN_LOOP_RATE = 100
ONE_TARGET, PAGE_TARGET, P99_TARGET_MS = 0.4, 0.25, 25.0
UNCACHED = "gunicorn, no participant answers kept"
GUNICORN = Path(sys.executable).with_name("gunicorn")
NOW = datetime(2026, 12, 1, tzinfo=UTC)
WEEK = {"weekly": [{"day": "tue", "start": "19:00", "end": "21:30"}], "unavailable": []}
CONSTRAINTS = {"weekdays": ["tue"], "earliest": "08:00", "latest": "22:00", "skip_public_holidays": True,
               "school_holiday_region": None, "self_directed_quorum": None}


@dataclass(frozen=True)
class Seeded:
    key: str
    participant: str
    facilitator: str
    group: str
    session: str


def seed(session_factory) -> Seeded:
    with session_factory.begin() as session:
        issued = create_client(session, role="admin", name="bench")
        facilitator = Facilitator(name="Fenna Jansen", email="fenna@example.org", timezone="Europe/Amsterdam",
                                  language="nl", availability=WEEK)
        group = Group(name="Intervisie Gedrag A", theme="gedrag", timezone="Europe/Amsterdam",
                      language="nl", meeting_url="https://meet.example.org/a", session_minutes=90, guided_sessions=3,
                      follow_up_sessions=9, starts_on=date(2027, 1, 4), constraints=CONSTRAINTS, memberships=[])
        session.add_all([facilitator, group])
        session.flush()
        group.facilitator_id = facilitator.id
        people = []
        for n in range(40):
            person = Participant(
                client_id=issued.client_id, external_ref=f"ref-{n}", name=f"Deelnemer {n}",
                email=f"deelnemer{n}@school{n}.example.org", timezone="Europe/Amsterdam", language="nl",
                organization=f"School {n}", role="leerkracht", availability=WEEK, memberships=[],
                created_at=NOW + timedelta(seconds=n),
            )
            person.themes = ["gedrag", "ouderbetrokkenheid"]
            session.add(person)
            people.append(person)
        session.flush()
        for position, person in enumerate(people[:6], start=1):
            session.add(Membership(group_id=group.id, participant_id=person.id, joined_at=NOW, position=position))
        sessions = []
        for number in range(1, 13):
            start = datetime(2027, 1, 5, 18, 0, tzinfo=UTC) + timedelta(weeks=4 * (number - 1))
            sessions.append(Session(group_id=group.id, number=number, kind="guided" if number <= 3 else "self_directed",
                                    start=start, end=start + timedelta(minutes=90), timezone="Europe/Amsterdam",
                                    uid=f"{uuid.uuid4()}@intervisie", chair_id=None if number <= 3 else people[number % 6].id))
        session.add_all(sessions)
        session.flush()
        return Seeded(issued.key, str(people[0].id), str(facilitator.id), str(group.id), str(sessions[0].id))


# -- servers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    base: str
    pid: int
    database_url: str


@contextmanager
def _server(command: list[str], env: dict[str, str], base: str) -> Iterator[Server]:
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "server.log"
        try:
            with running(command, env, base, log_path=log, ready="/readyz") as process:
                yield Server(base, process.pid, env["INTERVISIE_DATABASE_URL"])
        except BaseException:
            sys.stderr.write(log.read_text(errors="replace")[-4000:] if log.exists() else "")
            raise


def intervisie_serve(env: dict[str, str]):
    port = free_port()
    return _server([str(INTERVISIE), "serve", "--host", "127.0.0.1", "--port", str(port)], env, f"http://127.0.0.1:{port}")


def gunicorn(env: dict[str, str]):
    """As the Dockerfile's CMD, on a loopback port, except that no worker is recycled: a new one
    imports the app (a second or two of CPU) in whichever measurement it happens."""
    port = free_port()
    command = [str(GUNICORN), "-c", "python:services.api.gunicorn_config", "services.api.wsgi:app"]
    return _server(
        command, {**env, "INTERVISIE_BIND": f"127.0.0.1:{port}", "GUNICORN_CMD_ARGS": "--max-requests=0"},
        f"http://127.0.0.1:{port}",
    )


def gunicorn_sync(env: dict[str, str]):
    """As the issue measured: 4 sync workers (each closes the connection after a response)."""
    port = free_port()
    command = [str(GUNICORN), f"--bind=127.0.0.1:{port}", "--workers=4", "--worker-class=sync",
               "--logger-class=services.api.redaction.RedactingGunicornLogger", "services.api.wsgi:app"]
    return _server(command, env, f"http://127.0.0.1:{port}")


# -- clients -------------------------------------------------------------------------------------


def _get(connection: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> int:
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
    except (http.client.HTTPException, ConnectionError):
        connection.close()  # a sync worker closed it; the next request opens a new one
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status}")
    return response.status


def _closed_loop(host: str, port: int, path: str, headers: dict[str, str], start_at: float, seconds: float) -> tuple[int, float]:
    """One client: GETs one after another from ``start_at`` (wall clock) for ``seconds``; how many,
    and the CPU seconds the client spent on them."""
    connection = http.client.HTTPConnection(host, port, timeout=30)
    for _ in range(3):
        _get(connection, path, headers)
    time.sleep(max(0.0, start_at - time.time()))
    done, end, began = 0, start_at + seconds, time.process_time()
    while time.time() < end:
        _get(connection, path, headers)
        done += 1
    used = time.process_time() - began
    connection.close()
    return done, used


def _cpu_seconds(roots: set[int], postgres: set[int]) -> dict[str, float]:
    """CPU seconds so far of the server (its process tree), our database's PostgreSQL backends
    and Redis."""
    used = dict.fromkeys(("server", "postgres", "redis"), 0.0)
    processes = cpu_snapshot().processes
    for pid, (name, _parent, seconds) in processes.items():
        if pid in postgres:
            used["postgres"] += seconds
        elif name.startswith("redis-server"):
            used["redis"] += seconds
        else:
            for _ in range(8):
                if pid in roots:
                    used["server"] += seconds
                    break
                pid = processes.get(pid, ("", 0, 0.0))[1]
                if not pid:
                    break
    return used


def _backends(database_url: str) -> set[int]:
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        rows = connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()").fetchall()
    return {pid for (pid,) in rows}


@dataclass(frozen=True)
class Slice:
    per_second: float
    cpu_ms: dict[str, float]
    """CPU per request of each thing it needs: clients, server, PostgreSQL and Redis."""


def throughput(pool: ProcessPoolExecutor, server: Server, path: str, headers: dict[str, str], seconds: float) -> Slice:
    """Requests a second of ``CLIENTS`` clients together, and the CPU each took."""
    host, port = server.base.removeprefix("http://").split(":")
    postgres = _backends(server.database_url)
    before = _cpu_seconds({server.pid}, postgres)
    start_at = time.time() + 0.15
    results = [future.result() for future in [
        pool.submit(_closed_loop, host, int(port), path, headers, start_at, seconds) for _ in range(CLIENTS)
    ]]
    after = _cpu_seconds({server.pid}, postgres)
    done = sum(count for count, _ in results)
    used = {part: after[part] - before[part] for part in after} | {"clients": sum(cpu for _, cpu in results)}
    return Slice(done / seconds, {part: 1000 * value / max(1, done + 3 * CLIENTS) for part, value in used.items()})


def open_loop(server: Server, paths: list[str], headers: dict[str, str], rate: int, seconds: float) -> list[float]:
    """Latencies (ms) of ``rate`` requests a second, each due at a fixed time and timed from it."""
    host, port = server.base.removeprefix("http://").split(":")
    total = int(rate * seconds)
    threads = 16
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        mine = []
        for index in range(offset, total, threads):
            due = start + index / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            _get(connection, paths[index % len(paths)], headers)
            mine.append((time.perf_counter() - due) * 1000)
        connection.close()
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return latencies


# -- the benchmark -------------------------------------------------------------------------------


@dataclass
class Rounds:
    """Each round measures the three one after another."""

    healthz: list[Slice]
    one: list[Slice]
    page: list[Slice]

    def rates(self, name: str) -> list[float]:
        return [piece.per_second for piece in getattr(self, name)]

    def median(self, name: str) -> float:
        return statistics.median(self.rates(name))

    def ratios(self, name: str) -> list[float]:
        return [value / healthz for value, healthz in zip(self.rates(name), self.rates("healthz"), strict=True)]

    def ratio(self, name: str) -> float:
        """The median of the rounds' ratios: each round's requests ran within a few seconds of its
        /healthz, so a machine busy with other work slows both alike."""
        return statistics.median(self.ratios(name))

    def cpu_ms(self, name: str, part: str | None = None) -> float:
        """Median CPU milliseconds per request, of all parts or of one."""
        return statistics.median(
            piece.cpu_ms[part] if part else sum(piece.cpu_ms.values()) for piece in getattr(self, name)
        )


def measure(pool, server: Server, seeded: Seeded, rounds: int, seconds: float) -> Rounds:
    headers = {"Authorization": f"Bearer {seeded.key}"}
    paths = {"healthz": "/healthz", "one": f"/v1/participants/{seeded.participant}",
             "page": f"/v1/participants?page_size={PAGE_SIZE}"}
    found = Rounds([], [], [])
    for number in range(rounds):
        order = list(paths.items()) if number % 2 == 0 else list(reversed(paths.items()))
        for name, path in order:
            getattr(found, name).append(throughput(pool, server, path, headers, seconds))
    return found


def mixed_paths(seeded: Seeded) -> list[str]:
    return [
        f"/v1/participants/{seeded.participant}", f"/v1/facilitators/{seeded.facilitator}",
        f"/v1/groups/{seeded.group}", f"/v1/sessions/{seeded.session}",
        f"/v1/participants?page_size={PAGE_SIZE}", f"/v1/groups/{seeded.group}/sessions",
    ]


def answer_bytes(session_factory) -> float:
    """Memory a kept participant answer holds (tracemalloc): a page of seeded participants,
    dumped and kept as the answer cache keeps them, with their keys."""
    from services.api.schemas.people import ParticipantSchema, answer_key
    from shared.actor import ADMIN, Actor
    from shared.use_cases.people import Page, ParticipantFilter, list_participants

    with session_factory() as session:
        shown, _ = list_participants(session, Actor(uuid.uuid4(), ADMIN, "bench"), ParticipantFilter(), Page(1, PAGE_SIZE))
    schema, kept = ParticipantSchema(), []
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for participant in shown:
        kept.append((answer_key(participant), schema.dump(participant)))
    grown = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename"))
    tracemalloc.stop()
    return grown / len(kept)


def _row(figure: str, measured: str, target: str, ratio: float, met: bool | None) -> str:
    return f"| {figure} | {measured} | {target} | {ratio:.2f}× | {'—' if met is None else 'yes' if met else 'no'} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="more rounds and longer runs (about 3 minutes)")
    args = parser.parse_args()
    rounds, seconds, open_seconds = (10, 1.5, 30.0) if args.full else (6, 0.8, 6.0)

    results: dict[str, Rounds] = {}
    with fresh_postgres_database("intervisie_bench") as url, redis_namespace() as namespace:
        upgrade(url)
        engine = make_engine(url)
        seeded = seed(make_session_factory(engine))
        per_answer = answer_bytes(make_session_factory(engine))
        engine.dispose()
        common = {"INTERVISIE_DATABASE_URL": url, "INTERVISIE_SECRET_KEY": "bench",
                  "INTERVISIE_RATE_LIMIT": "1000000 per minute"}
        production = {**common, "INTERVISIE_BROKER_URL": REDIS_URL, "INTERVISIE_BROKER_NAMESPACE": namespace}
        headers = {"Authorization": f"Bearer {seeded.key}"}
        with ProcessPoolExecutor(CLIENTS, mp_context=multiprocessing.get_context("fork")) as pool:
            with intervisie_serve(common) as server:
                results["intervisie serve"] = measure(pool, server, seeded, rounds, seconds)
            with gunicorn(production) as server:
                results["gunicorn (Dockerfile)"] = measure(pool, server, seeded, rounds, seconds)
                paths = mixed_paths(seeded)
                open_loop(server, paths, headers, OPEN_LOOP_RATE, 1.0)  # every worker has its caches warm
                latencies = open_loop(server, paths, headers, OPEN_LOOP_RATE, open_seconds)
            with gunicorn({**production, "INTERVISIE_ANSWER_CACHE_SIZE": "0"}) as server:
                results[UNCACHED] = measure(pool, server, seeded, rounds, seconds)
            if args.full:
                with gunicorn_sync(production) as server:
                    results["gunicorn, 4 sync workers"] = measure(pool, server, seeded, rounds, seconds)

    print(f"API reads over HTTP on PostgreSQL: {CLIENTS} client processes with keep-alive, "
          f"{rounds} rounds of {seconds:g} s per request; medians, ratios the median of the rounds' ratios\n")
    print("| figure | measured | target | ratio | met |")
    print("| --- | ---: | --- | ---: | --- |")
    for server, found in results.items():
        healthz = found.median("healthz")
        for name, label, target in (("one", "GET one participant", ONE_TARGET), ("page", f"GET a page of {PAGE_SIZE} participants", PAGE_TARGET)):
            ratio = found.ratio(name)
            print(_row(f"{server}: {label} vs /healthz{' (for comparison)' if server == UNCACHED else ''}", f"{found.median(name):,.0f} vs {healthz:,.0f} req/s",
                       "—" if server == UNCACHED else f"≥ {target}× /healthz", ratio,
                       None if server == UNCACHED else ratio >= target))
    p50, p95, p99 = (percentile(latencies, share) for share in (0.5, 0.95, 0.99))
    print(_row(f"gunicorn: mixed reads at {OPEN_LOOP_RATE} req/s for {open_seconds:g} s (open loop), p99",
               f"{p99:.1f} ms (p50 {p50:.1f}, p95 {p95:.1f}; {len(latencies)} requests)",
               f"≤ {P99_TARGET_MS:g} ms", p99 / P99_TARGET_MS, p99 <= P99_TARGET_MS))
    print("\nCPU per request counts the clients, the server, our database's PostgreSQL backends and Redis; "
          "/healthz's CPU over a request's is the ratio the throughputs would have on a machine doing nothing else.\n")
    print("| server | request | req/s, median | min–max over rounds | ratio, min–max | CPU ms per request "
          "(server + PostgreSQL + Redis + clients) | CPU ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for server, found in results.items():
        for name, label in (("healthz", "/healthz"), ("one", "one participant"), ("page", f"page of {PAGE_SIZE}")):
            rates, ratios = found.rates(name), found.ratios(name)
            print(f"| {server} | {label} | {found.median(name):,.0f} | {min(rates):,.0f}–{max(rates):,.0f} "
                  f"| {min(ratios):.2f}–{max(ratios):.2f} | {found.cpu_ms(name):.2f} ("
                  f"{' + '.join(f'{found.cpu_ms(name, part):.2f}' for part in ('server', 'postgres', 'redis', 'clients'))}) "
                  f"| {found.cpu_ms('healthz') / found.cpu_ms(name):.2f}× |")
    print(f"\nMemory: a kept participant answer (dumped dict and key) holds {per_answer / 1024:.1f} KiB (tracemalloc; one "
          f"weekly window, two themes); the default {Settings().answer_cache_size:,} answers, "
          f"{Settings().answer_cache_size * per_answer / 2**20:.0f} MiB per API process at most.")


if __name__ == "__main__":
    main()
