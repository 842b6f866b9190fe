"""What the end-to-end benchmarks need around the service: a private stack of real processes,
an HTTP client, seeding through the API, and CPU accounting per component.

Everything runs on loopback. The PostgreSQL database and the Redis namespace are private to one
benchmark run and are dropped and emptied when :func:`running_stack` leaves, also on failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import redis
import requests
from requests.adapters import HTTPAdapter

from shared.domain.model import WEEKDAYS, Person
from shared.domain.planning import PlanRequest
from tests.databases import fresh_postgres_database
from tests.integration.servers import INTERVISIE, free_port, wait_until_serving
from tests.integration.workers import REDIS_URL, redis_namespace

BIN = Path(sys.executable).parent
HTTP_TIMEOUT = 30
STARTUP_TIMEOUT = 60


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# -- the stack: database, broker namespace, API under gunicorn, worker processes -----------------


@dataclass
class Stack:
    base_url: str
    key: str
    database_url: str
    namespace: str
    log_dir: Path
    api: subprocess.Popen
    workers: list[subprocess.Popen]

    @property
    def worker_pids(self) -> list[int]:
        return [worker.pid for worker in self.workers]


def _run_cli(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(INTERVISIE), *args], env={**os.environ, **env},
        capture_output=True, text=True, timeout=STARTUP_TIMEOUT, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"intervisie {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


@contextmanager
def _process(command: list[str], env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen]:
    """A child process logging to ``log_path``; SIGTERM (then SIGKILL) when the block ends."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


def _wait_for_consumers(processes: list[subprocess.Popen], namespace: str) -> None:
    """Wait until every worker process fetches from Redis: Dramatiq's broker then keeps a
    heartbeat of its own in the namespace."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while client.zcard(f"{namespace}:__heartbeats__") < len(processes):
            for process in processes:
                if process.poll() is not None:
                    raise RuntimeError(f"a worker exited with {process.returncode} while starting")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the workers did not consume within {STARTUP_TIMEOUT} s")
            time.sleep(0.1)
    finally:
        client.close()


@contextmanager
def running_stack(
    *, api_workers: int, api_threads: int, worker_count: int, worker_threads: int | None
) -> Iterator[Stack]:
    """A fresh migrated PostgreSQL database, a private Redis namespace, an admin key, the API
    under gunicorn and ``worker_count`` ``intervisie worker`` processes, all on loopback."""
    log_dir = Path(tempfile.mkdtemp(prefix="intervisie-bench-"))
    failed = True
    try:
        with ExitStack() as stack:
            # Entered first, so left last: the processes stop before the database is dropped and
            # before the namespace is emptied (a live worker would write its heartbeat again).
            database_url = stack.enter_context(fresh_postgres_database(prefix="intervisie_bench"))
            namespace = stack.enter_context(redis_namespace())
            env = {
                "INTERVISIE_DATABASE_URL": database_url,
                "INTERVISIE_BROKER_URL": REDIS_URL,
                "INTERVISIE_BROKER_NAMESPACE": namespace,
                # A benchmark is one client sending as fast as it can: the per-key limit would
                # measure the limiter, not the service.
                "INTERVISIE_RATE_LIMIT": "1000000 per minute",
            }
            if worker_threads is not None:
                env["INTERVISIE_WORKER_THREADS"] = str(worker_threads)
            _run_cli(["db", "upgrade"], env)
            key = _run_cli(["api-keys", "create", "--role", "admin", "--name", "bench"], env).strip().splitlines()[-1]

            port = free_port()
            api = stack.enter_context(_process(
                [
                    str(BIN / "gunicorn"), "services.api.wsgi:app",
                    "--bind", f"127.0.0.1:{port}",
                    "--workers", str(api_workers),
                    "--worker-class", "gthread" if api_threads > 1 else "sync",
                    "--threads", str(api_threads),
                    "--log-level", "warning",
                ],
                env, log_dir / "gunicorn.log",
            ))
            workers = [
                stack.enter_context(_process([str(INTERVISIE), "worker"], env, log_dir / f"worker-{n}.log"))
                for n in range(worker_count)
            ]
            base_url = f"http://127.0.0.1:{port}"
            wait_until_serving(base_url + "/readyz", api, timeout=STARTUP_TIMEOUT)
            _wait_for_consumers(workers, namespace)
            yield Stack(base_url, key, database_url, namespace, log_dir, api, workers)
        failed = False
    finally:
        if failed:
            print(f"logs of the API and the workers are kept in {log_dir}", file=sys.stderr)
        else:
            shutil.rmtree(log_dir, ignore_errors=True)


# -- HTTP --------------------------------------------------------------------------------------


class ApiClient:
    """A ``requests`` session per thread (keep-alive connections), all with the admin key."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {key}"}
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=2, max_retries=0))
            session.headers.update(self.headers)
            self._local.session = session
        return session

    def request(self, method: str, path: str, expect: int, json: object | None = None) -> requests.Response:
        response = self._session().request(method, self.base_url + path, json=json, timeout=HTTP_TIMEOUT)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response


# -- seeding through the API --------------------------------------------------------------------


def _moment(value: date | datetime) -> str:
    return value.isoformat()


def availability_document(person: Person) -> dict:
    return {
        "weekly": [
            {"day": WEEKDAYS[w.day], "start": w.start.strftime("%H:%M"), "end": w.end.strftime("%H:%M")}
            for w in person.availability.weekly
        ],
        "unavailable": [
            {"start": _moment(u.start), "end": _moment(u.end), "note": u.note}
            for u in person.availability.unavailable
        ],
    }


def _person_document(person: Person, label: str) -> dict:
    return {
        "name": label,
        "email": f"{person.id}@bench.example.org",
        "timezone": person.timezone,
        "language": "nl",
        "availability": availability_document(person),
    }


def seed_group(api: ApiClient, request: PlanRequest, label: str) -> str:
    """Create the facilitator, the members and the group of ``request``; returns the group id."""
    facilitator = api.request("POST", "/v1/facilitators", 201, _person_document(request.facilitator, f"{label} begeleider"))
    member_ids = []
    for index, member in enumerate(request.members):
        document = {
            **_person_document(member, f"{label} lid {index}"),
            "organization": f"School {label}-{index}",
            "role": "leerkracht",
            "themes": [],
            "school_holiday_region": member.school_holiday_region,
        }
        member_ids.append(api.request("POST", "/v1/participants", 201, document).json()["id"])
    constraints = request.constraints
    group = api.request("POST", "/v1/groups", 201, {
        "name": f"Intervisiegroep {label}",
        "facilitator_id": facilitator.json()["id"],
        "timezone": request.timezone,
        "language": request.language,
        "session_minutes": request.session_minutes,
        "guided_sessions": request.guided_sessions,
        "follow_up_sessions": request.follow_up_sessions,
        "starts_on": request.starts_on.isoformat(),
        "constraints": {
            "weekdays": [WEEKDAYS[day] for day in sorted(constraints.weekdays)],
            "earliest": constraints.earliest.strftime("%H:%M"),
            "latest": constraints.latest.strftime("%H:%M"),
            "skip_public_holidays": constraints.skip_public_holidays,
            "school_holiday_region": constraints.school_holiday_region,
            "self_directed_quorum": constraints.self_directed_quorum,
        },
    }).json()["id"]
    for member_id in member_ids:
        api.request("PUT", f"/v1/groups/{group}/members/{member_id}", 200)
    return group


def seed_groups(api: ApiClient, requests_: Sequence[PlanRequest], threads: int) -> list[str]:
    """Seed every group through the API, ``threads`` groups at a time; ids in input order."""
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="seed") as pool:
        return list(pool.map(lambda item: seed_group(api, item[1], f"g{item[0]}"), enumerate(requests_)))


# -- CPU accounting ----------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[str, int, float]]:
    """pid → (command name, parent pid, CPU seconds so far) for every process we can read."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1: raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        # after the name: state, ppid, …; utime and stime are fields 14 and 15 of the whole line
        found[int(entry)] = (name, int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
    return found


def _machine_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


@dataclass(frozen=True)
class CpuSnapshot:
    processes: dict[int, tuple[str, int, float]]
    machine_busy: float
    machine_total: float


def cpu_snapshot() -> CpuSnapshot:
    return CpuSnapshot(_processes(), *_machine_seconds())


COMPONENTS = ("api", "workers", "postgres", "redis", "bench")


def cpu_between(stack: Stack, before: CpuSnapshot, after: CpuSnapshot, postgres_pids: set[int]) -> dict[str, float]:
    """CPU seconds used between two snapshots per component: the API (gunicorn and its workers),
    the scheduler workers, the PostgreSQL backends of our database (``postgres_pids``), Redis, this
    benchmark process, and everything else on the machine (``others``: the rest of the shared
    PostgreSQL server, other people's work); ``machine`` is the share of all cores that was busy."""
    processes = after.processes
    roots = {stack.api.pid: "api", os.getpid(): "bench", **{pid: "workers" for pid in stack.worker_pids}}

    def component(pid: int) -> str | None:
        name = processes[pid][0]
        if pid in postgres_pids:
            return "postgres"
        if name.startswith("redis-server"):
            return "redis"
        for _ in range(64):
            if pid in roots:
                return roots[pid]
            if pid not in processes:
                return None
            pid = processes[pid][1]
        return None

    used = dict.fromkeys(COMPONENTS, 0.0)
    for pid, (_, _, seconds) in processes.items():
        owner = component(pid)
        if owner is not None:
            earlier = before.processes.get(pid)
            used[owner] += seconds - (earlier[2] if earlier else 0.0)
    busy = after.machine_busy - before.machine_busy
    used["others"] = max(0.0, busy - sum(used.values()))
    used["machine"] = busy / max(1e-9, after.machine_total - before.machine_total)
    return used


# -- profiling a worker ------------------------------------------------------------------------


class Profiler:
    """``py-spy record`` of one process, in the collapsed-stack format (flame graph tools read it).

    Only samples of the thread holding the GIL count (``--gil``): a worker process runs Python
    on one core at a time, so these shares are of what limits it.
    """

    def __init__(self, py_spy: str, pid: int) -> None:
        self.py_spy, self.pid = py_spy, pid
        self.path = Path(tempfile.mkdtemp(prefix="intervisie-profile-")) / f"worker-{pid}.collapsed"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.py_spy, "record", "--pid", str(self.pid), "--rate", "200", "--format", "raw",
             "--output", str(self.path), "--nonblocking", "--gil"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        time.sleep(1.0)  # py-spy attaches before the first POST
        if self.process.poll() is not None:
            raise RuntimeError(f"py-spy exited: {self.process.stderr.read().decode(errors='replace')}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)

    def stacks(self) -> list[tuple[list[str], int]]:
        stacks = []
        for line in self.path.read_text().splitlines():
            frames, _, count = line.rpartition(" ")
            if frames:
                stacks.append((frames.split(";"), int(count)))
        return stacks

    def summary(self, *, top: int = 12) -> str:
        """Markdown tables: functions by inclusive share, the steps of each job, and the leaves."""
        stacks = self.stacks()
        total = sum(count for _, count in stacks) or 1
        inclusive: dict[str, int] = {}
        leaves: dict[str, int] = {}
        for frames, count in stacks:
            for name in {_frame_name(f) for f in frames}:
                inclusive[name] = inclusive.get(name, 0) + count
            leaf = _frame_name(frames[-1])
            leaves[leaf] = leaves.get(leaf, 0) + count
        lines = [f"{total} samples at 200 Hz of the thread holding the GIL.", "", "| inclusive | function |", "| --- | --- |"]
        interesting = sorted(
            ((count, name) for name, count in inclusive.items() if any(part in name for part in _INTERESTING)),
            reverse=True,
        )
        lines += [f"| {100 * c / total:.0f}% | `{name}` |" for c, name in interesting[:top * 2]]
        lines += ["", "| job → step | share of samples | share of the job |", "| --- | --- | --- |"]
        for job in _JOBS:
            steps: dict[str, int] = {}
            for frames, count in stacks:
                names = [_frame_name(f) for f in frames]
                if job in names:
                    below = names[names.index(job) + 1:]
                    step = below[0].split(" (")[0] if below else "(the job itself)"
                    step = _STEP_NAMES.get(step, step)
                    steps[step] = steps.get(step, 0) + count
            whole = sum(steps.values())
            if whole:
                lines.append(f"| `{job.split(' (')[0]}` | {100 * whole / total:.0f}% | 100% |")
                lines += [
                    f"| → `{step}` | {100 * c / total:.0f}% | {100 * c / whole:.0f}% |"
                    for c, step in sorted(((c, n) for n, c in steps.items()), reverse=True)[:6]
                ]
        lines += ["", "| self | function |", "| --- | --- |"]
        lines += [f"| {100 * c / total:.0f}% | `{name}` |" for c, name in sorted(((c, n) for n, c in leaves.items()), reverse=True)[:top]]
        return "\n".join(lines)


# The worker's jobs, whose steps the profile splits.
_JOBS = ("plan_run (services/scheduler/jobs.py)", "dispatch (services/scheduler/jobs.py)")

_STEP_NAMES = {
    "_GeneratorContextManager.__exit__": "commit (end of a transaction block)",
    "Session.__exit__": "commit (end of a transaction block)",
    "_GeneratorContextManager.__enter__": "begin (start of a transaction block)",
}

# Frames worth naming in the inclusive table: the jobs and their steps, and the layers they share.
_INTERESTING = (
    "services/scheduler/", "shared/use_cases/", "shared/domain/", "shared/db/",
    "Session.commit (", "Session.flush (", "_emit_lazyload (", "_load_for_path (", "SQLCompiler.__init__ (",
    "Cursor.execute (", "RedisBroker.", "_RedisConsumer.", "Message.decode (", "Message.encode (",
)


def _frame_name(frame: str) -> str:
    """``find_plan (shared/domain/planning/planner.py:110)`` → ``find_plan (shared/domain/planning/planner.py)``."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"
