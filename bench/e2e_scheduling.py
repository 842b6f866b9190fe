"""End-to-end scheduling benchmark: ``python -m bench.e2e_scheduling [--groups N] [--repeats N] [--full]``.

Scheduling through the whole production shape on this machine: the API under gunicorn, a fresh
PostgreSQL database, a private Redis namespace and ``intervisie worker`` processes, all on
loopback; the database is dropped and the namespace emptied at the end, also on failure. The
groups are those of ``bench.engine`` (seeded generator: 8 members and a facilitator, 2–4 weekly
windows and 5–10 unavailable ranges each, 3 guided and 9 follow-up sessions), created through
the API beforehand. By default ``groups`` groups are seeded once, and between repeats their
sessions and runs are deleted (invitations, answer links and attendance go with them), so that
every repeat plans groups that have never been planned; ``--fresh`` seeds ``repeats`` fresh sets
instead (slower: seeding is most of the time). ``--full`` is 200 fresh groups per repeat.

Each repeat waits until the workers have nothing left to do, POSTs one scheduling run per group
from ``--clients`` threads as fast as they go, and polls the database until every run has
finished; the times come from the runs' own rows (``created_at``, ``started_at``,
``finished_at``). Groups per second is N divided by the wall time from the first POST to the last
finished run (the plans' time; target: at least 20). A planned group's sessions also go through
the outbox to the invitations the worker issues; the repeat goes on until every outbox message
recorded since the first POST is dispatched, and takes the time at which its poll saw that (a
little late rather than early: the rows' timestamps are taken before their commit). Targets:
every invitation within 2× the plans' time, and at least 20 groups per second including their
invitations. The same groups are then planned by ``find_plan`` in this one process, from the very
inputs the workers loaded, so the cost of the API, the database and the broker shows next to the
pure engine. Prints a Markdown table of the figures against their targets, then one of medians
over the repeats (and each repeat) with the CPU each component used; ``--py-spy PATH`` adds where
one worker spent its time in the last repeat.

Gunicorn runs the ``gthread`` worker class, 2 processes × 4 threads by default: one process per
core (the API is Python, so a process only uses one core), and threads so that a process
keeps working while a request waits on PostgreSQL or Redis; gthread also keeps the client's
connections alive, where the sync class closes every one.
"""

from __future__ import annotations

import argparse
import queue
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg

from bench.engine import generate_groups
from bench.support import (
    COMPONENTS,
    ApiClient,
    Profiler,
    Stack,
    cpu_between,
    cpu_snapshot,
    percentile,
    running_stack,
    seed_groups,
)
from shared.db.models import Group
from shared.db.session import make_engine, make_session_factory
from shared.domain.planning import Infeasible, PlanRequest, find_plan
from shared.use_cases.scheduling import plan_request_for

TARGET_GROUPS_PER_SECOND = 20.0
TARGET_INVITATIONS_RATIO = 2.0
"""Every invitation within this many times the plans' time (both from the first POST)."""
POLL_SECONDS = 0.05
FINISHED = ("succeeded", "infeasible", "failed")


@dataclass
class Post:
    sent: float  # wall clock, comparable with the runs' timestamps (same machine)
    seconds: float
    status: int
    run_id: str | None


@dataclass
class Repeat:
    groups: int
    wall: float
    statuses: dict[str, int]
    run_seconds: list[float]
    post_seconds: list[float]
    posting: float
    queue_wait: list[float]
    in_worker: list[float]
    reclaimed: int
    cpu: dict[str, float]
    status_by_group: dict[str, str] = field(repr=False)
    outbox_messages: int = 0
    invitations: int = 0
    all_done: float | None = None
    """Seconds from the first POST until the follow-up work (outbox: invitations) was seen done."""
    cpu_after_plans: dict[str, float] = field(default_factory=dict)
    """CPU per component from the last finished run until the invitations were issued."""

    @property
    def per_second(self) -> float:
        return self.groups / self.wall

    @property
    def invitations_ratio(self) -> float:
        return self.all_done / self.wall

    @property
    def per_second_with_invitations(self) -> float:
        return self.groups / self.all_done


@dataclass
class EngineTiming:
    total: float
    per_group_ms: list[float]
    outcomes: dict[str, str]  # group id → succeeded | infeasible


def post_runs(api: ApiClient, group_ids: list[str], clients: int) -> tuple[dict[str, Post], list[threading.Thread]]:
    """Start ``clients`` threads that POST one run per group; returns the shared results."""
    pending: queue.SimpleQueue[str] = queue.SimpleQueue()
    for group_id in group_ids:
        pending.put(group_id)
    posts: dict[str, Post] = {}

    def client() -> None:
        while True:
            try:
                group_id = pending.get_nowait()
            except queue.Empty:
                return
            sent, before = time.time(), time.perf_counter()
            try:
                response = api.request("POST", f"/v1/groups/{group_id}/scheduling-runs", 202)
                posts[group_id] = Post(sent, time.perf_counter() - before, 202, response.json()["id"])
            except Exception as error:  # noqa: BLE001 - counted and shown; the others go on
                print(f"POST for group {group_id} failed: {error}", file=sys.stderr)
                posts[group_id] = Post(sent, time.perf_counter() - before, 0, None)

    threads = [threading.Thread(target=client, name=f"client-{n}", daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    return posts, threads


def our_backends(conn: psycopg.Connection) -> set[int]:
    return {row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")}


def has_outbox(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT to_regclass('outbox') IS NOT NULL AND to_regclass('invitations') IS NOT NULL").fetchone()[0]


def backlog(conn: psycopg.Connection) -> int:
    """Work the workers still have: runs in flight, and outbox messages not yet dispatched."""
    runs = conn.execute("SELECT count(*) FROM scheduling_runs WHERE status IN ('queued', 'running')").fetchone()[0]
    if not has_outbox(conn):
        return runs
    return runs + conn.execute("SELECT count(*) FROM outbox WHERE dispatched_at IS NULL").fetchone()[0]


def wait_until_idle(conn: psycopg.Connection, timeout: float) -> float:
    """Wait until the workers have nothing left to do (seeding records outbox work too)."""
    started = time.monotonic()
    while (left := backlog(conn)) > 0:
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"the workers still have {left} things to do after {timeout:.0f} s")
        time.sleep(0.2)
    return time.monotonic() - started


def follow_up(conn: psycopg.Connection, since: datetime, timeout: float) -> tuple[int, int, float | None]:
    """Wait for the outbox messages recorded since ``since`` to be dispatched.

    Returns (messages, invitations issued, wall clock when the poll saw them all dispatched), or
    zeros and None when this version of the service has no outbox.
    """
    if not has_outbox(conn):
        return 0, 0, None
    deadline = time.monotonic() + timeout
    while True:
        messages, pending = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE dispatched_at IS NULL) FROM outbox WHERE created_at >= %s",
            (since,),
        ).fetchone()
        seen = time.time()
        if pending == 0:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{pending} outbox messages still undispatched after {timeout:.0f} s")
        time.sleep(POLL_SECONDS)
    invitations = conn.execute("SELECT count(*) FROM invitations WHERE issued_at >= %s", (since,)).fetchone()[0]
    return messages, invitations, seen


def forget_plans(conn: psycopg.Connection, group_ids: list[str]) -> None:
    """Take the groups back to never planned: their sessions go (with their invitations, answer
    links and attendance, which cascade), and their runs."""
    ids = [uuid.UUID(g) for g in group_ids]
    conn.execute("DELETE FROM sessions WHERE group_id = ANY(%s)", (ids,))
    conn.execute("DELETE FROM scheduling_runs WHERE group_id = ANY(%s)", (ids,))


def measure(
    stack: Stack, api: ApiClient, conn: psycopg.Connection, group_ids: list[str], clients: int, timeout: float,
    profile: Profiler | None = None,
) -> Repeat:
    settled = wait_until_idle(conn, timeout)
    if settled > 1:
        print(f"waited {settled:.0f} s for the workers' earlier work to finish", file=sys.stderr)
    if profile is None:
        return _measure(stack, api, conn, group_ids, clients, timeout)
    profile.start()
    try:
        return _measure(stack, api, conn, group_ids, clients, timeout)
    finally:
        profile.stop()


def _measure(stack: Stack, api: ApiClient, conn: psycopg.Connection, group_ids: list[str], clients: int, timeout: float) -> Repeat:
    backends = our_backends(conn)
    since = datetime.now(UTC)
    cpu_before = cpu_snapshot()
    posts, threads = post_runs(api, group_ids, clients)
    deadline = time.monotonic() + timeout
    ids = [uuid.UUID(g) for g in group_ids]
    while True:
        posting = any(thread.is_alive() for thread in threads)
        expected = len(group_ids) if posting else sum(p.run_id is not None for p in posts.values())
        finished = conn.execute(
            "SELECT count(*) FROM scheduling_runs WHERE group_id = ANY(%s) AND status = ANY(%s)", (ids, list(FINISHED))
        ).fetchone()[0]
        if not posting and finished >= expected:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{finished} of {expected} runs finished after {timeout:.0f} s")
        time.sleep(POLL_SECONDS)
    backends |= our_backends(conn)
    planned = cpu_snapshot()
    used = cpu_between(stack, cpu_before, planned, backends)
    messages, invitations, all_seen = follow_up(conn, since, max(1.0, deadline - time.monotonic()))
    backends |= our_backends(conn)
    after_plans = cpu_between(stack, planned, cpu_snapshot(), backends)

    rows = conn.execute(
        "SELECT id, group_id, status, created_at, started_at, finished_at, attempts FROM scheduling_runs WHERE group_id = ANY(%s)",
        (ids,),
    ).fetchall()
    accepted = {p.run_id: (g, p) for g, p in posts.items() if p.run_id}
    statuses = {status: 0 for status in FINISHED}
    run_seconds, queue_wait, in_worker, reclaimed, status_by_group, last = [], [], [], 0, {}, 0.0
    for run_id, group_id, status, created, started, finished_at, attempts in rows:
        _, post = accepted[str(run_id)]
        statuses[status] += 1
        status_by_group[str(group_id)] = status
        run_seconds.append(finished_at.timestamp() - post.sent)
        last = max(last, finished_at.timestamp())
        if started is not None:
            queue_wait.append((started - created).total_seconds())
            in_worker.append((finished_at - started).total_seconds())
        reclaimed += attempts > 1
    statuses["POST failed"] = sum(p.run_id is None for p in posts.values())
    first = min(p.sent for p in posts.values())
    ok = [p for p in posts.values() if p.run_id]
    return Repeat(
        groups=len(group_ids),
        wall=last - first,
        statuses=statuses,
        run_seconds=run_seconds,
        post_seconds=[p.seconds for p in ok],
        posting=max(p.sent + p.seconds for p in ok) - first,
        queue_wait=queue_wait,
        in_worker=in_worker,
        reclaimed=reclaimed,
        cpu=used,
        status_by_group=status_by_group,
        outbox_messages=messages,
        invitations=invitations,
        all_done=max(last, all_seen) - first if all_seen else None,
        cpu_after_plans=after_plans,
    )


def time_engine(database_url: str, group_ids: list[str]) -> EngineTiming:
    """``find_plan`` in this process on the inputs the workers loaded for the same groups."""
    engine = make_engine(database_url)
    try:
        now = datetime.now(UTC)
        with make_session_factory(engine)() as session:
            requests_: list[tuple[str, PlanRequest]] = [
                (g, plan_request_for(session, session.get(Group, uuid.UUID(g)), now)) for g in group_ids
            ]
    finally:
        engine.dispose()
    # History is empty for fresh groups, so after their run these are the inputs the run had.
    find_plan(requests_[0][1])  # warm the caches (holidays, time zones), as a busy worker has them
    per_group, outcomes = [], {}
    started = time.perf_counter()
    for group_id, request in requests_:
        before = time.perf_counter()
        result = find_plan(request)
        per_group.append((time.perf_counter() - before) * 1000)
        outcomes[group_id] = "infeasible" if isinstance(result, Infeasible) else "succeeded"
    return EngineTiming(time.perf_counter() - started, per_group, outcomes)


def code_version() -> str:
    """The commit measured, and how many files of the work tree differ from it."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", "--no-optional-locks", *args], capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = len(git("status", "--porcelain", "--untracked-files=no").splitlines())
    return f"{commit}" + (f" with {changed} changed files" if changed else "")


def _median(values) -> float:
    return statistics.median(values)


def print_targets(repeats: list[Repeat], invited: bool) -> None:
    """The figures the issue sets targets for: figure | measured | target | ratio | met (medians)."""
    planned = _median([r.per_second for r in repeats])
    rows = [("groups planned per second", f"{planned:.1f}", f"≥ {TARGET_GROUPS_PER_SECOND:.0f}",
             planned / TARGET_GROUPS_PER_SECOND, planned >= TARGET_GROUPS_PER_SECOND)]
    if invited:
        plans, everything = _median([r.wall for r in repeats]), _median([r.all_done for r in repeats])
        ratio = _median([r.invitations_ratio for r in repeats])
        rate = _median([r.per_second_with_invitations for r in repeats])
        rows += [
            ("every invitation issued, against the plans", f"{everything:.2f} s vs {plans:.2f} s",
             f"≤ {TARGET_INVITATIONS_RATIO:.0f}× the plans' time", ratio, ratio <= TARGET_INVITATIONS_RATIO),
            ("groups per second including their invitations", f"{rate:.1f}", f"≥ {TARGET_GROUPS_PER_SECOND:.0f}",
             rate / TARGET_GROUPS_PER_SECOND, rate >= TARGET_GROUPS_PER_SECOND),
        ]
    print(f"| figure (median of {len(repeats)}) | measured | target | ratio | met |\n| --- | ---: | --- | ---: | --- |")
    for figure, measured, target, ratio, met in rows:
        print(f"| {figure} | {measured} | {target} | {ratio:.2f}× | {'yes' if met else 'no'} |")
    print()


def print_table(arguments, stack_config: str, repeats: list[Repeat], engines: list[EngineTiming], disagreements: int) -> None:
    def row(name: str, values: list[float], fmt: str, *, summary: str | None = None) -> str:
        cells = [format(v, fmt) for v in values]
        return f"| {name} | {summary or format(_median(values), fmt)} | " + " | ".join(cells) + " |"

    n = arguments.groups
    rate = [r.per_second for r in repeats]
    lines = [
        f"| measure (N = {n} groups per repeat) | median | " + " | ".join(f"repeat {i + 1}" for i in range(len(repeats))) + " |",
        "| --- | --- |" + " --- |" * len(repeats),
        row(f"**groups planned per second** (target ≥ {TARGET_GROUPS_PER_SECOND:.0f})", rate, ".1f",
            summary=f"**{_median(rate):.1f}** ({'met' if _median(rate) >= TARGET_GROUPS_PER_SECOND else 'missed'})"),
        row("wall time, first POST → last run finished (s)", [r.wall for r in repeats], ".2f"),
        row("succeeded (%)", [100 * r.statuses["succeeded"] / n for r in repeats], ".0f"),
        row("infeasible (%)", [100 * r.statuses["infeasible"] / n for r in repeats], ".0f"),
        row("failed runs + failed POSTs", [r.statuses["failed"] + r.statuses["POST failed"] for r in repeats], ".0f"),
        row("run latency POST → finished, median (s)", [_median(r.run_seconds) for r in repeats], ".2f"),
        row("run latency POST → finished, p95 (s)", [percentile(r.run_seconds, 0.95) for r in repeats], ".2f"),
        row("API POST latency, median (ms)", [1000 * _median(r.post_seconds) for r in repeats], ".1f"),
        row("API POST latency, p95 (ms)", [1000 * percentile(r.post_seconds, 0.95) for r in repeats], ".1f"),
        row("all POSTs answered after (s)", [r.posting for r in repeats], ".2f"),
        row("queued → claimed by a worker, median (s)", [_median(r.queue_wait) for r in repeats], ".2f"),
        row("claimed → finished in the worker, median (ms)", [1000 * _median(r.in_worker) for r in repeats], ".1f"),
        row("runs claimed more than once", [r.reclaimed for r in repeats], ".0f"),
    ]
    invited = all(r.all_done is not None for r in repeats)
    if invited:
        ratio = [r.invitations_ratio for r in repeats]
        with_invitations = [r.per_second_with_invitations for r in repeats]
        lines += [
            row("outbox messages recorded", [r.outbox_messages for r in repeats], ".0f"),
            row("invitations issued", [r.invitations for r in repeats], ".0f"),
            row("first POST → every invitation issued (s)", [r.all_done for r in repeats], ".2f"),
            row(f"**invitations' time ÷ plans' time** (target ≤ {TARGET_INVITATIONS_RATIO:.0f})", ratio, ".2f",
                summary=f"**{_median(ratio):.2f}** ({'met' if _median(ratio) <= TARGET_INVITATIONS_RATIO else 'missed'})"),
            row(f"**groups per second including their invitations** (target ≥ {TARGET_GROUPS_PER_SECOND:.0f})",
                with_invitations, ".1f",
                summary=f"**{_median(with_invitations):.1f}** ({'met' if _median(with_invitations) >= TARGET_GROUPS_PER_SECOND else 'missed'})"),
        ]
    lines += [
        row("pure engine, 1 process: total (s)", [e.total for e in engines], ".2f"),
        row("pure engine, 1 process: groups per second", [n / e.total for e in engines], ".0f"),
        row("pure engine: median per group (ms)", [_median(e.per_group_ms) for e in engines], ".2f"),
    ]
    for component in COMPONENTS + ("others",):
        lines.append(row(f"CPU s, first POST → last run finished: {component}", [r.cpu[component] for r in repeats], ".1f"))
    lines.append(row("machine busy then (% of all cores)", [100 * r.cpu["machine"] for r in repeats], ".0f"))
    if invited:
        for component in COMPONENTS + ("others",):
            lines.append(row(
                f"CPU s, last run finished → every invitation issued: {component}",
                [r.cpu_after_plans[component] for r in repeats], ".1f",
            ))
        lines.append(row("machine busy then (% of all cores)", [100 * r.cpu_after_plans["machine"] for r in repeats], ".0f"))
    print(f"Python {sys.version.split()[0]}, {datetime.now(UTC):%Y-%m-%d}, code {code_version()}; {stack_config}\n")
    print_targets(repeats, invited)
    print("\n".join(lines))
    print(f"\nRun outcomes that differ from the pure engine's on the same input: {disagreements}.")


def batch_of(group_ids: list[str], index: int, arguments) -> list[str]:
    """The groups repeat ``index`` plans: its own set, or the one set every time."""
    first = index * arguments.groups if arguments.fresh else 0
    return group_ids[first: first + arguments.groups]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=100, help="groups per repeat (default 100)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="seed fresh groups for every repeat")
    parser.add_argument("--full", action="store_true", help="200 fresh groups per repeat (a few minutes)")
    parser.add_argument("--clients", type=int, default=4, help="threads POSTing the runs")
    parser.add_argument("--seed-threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="intervisie worker processes")
    parser.add_argument("--worker-threads", type=int, default=None, help="INTERVISIE_WORKER_THREADS (default: the service's)")
    parser.add_argument("--api-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--api-threads", type=int, default=4, help="threads per gunicorn worker (1: the sync class)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds one repeat may take")
    parser.add_argument("--py-spy", metavar="PATH", help="py-spy executable: profile worker 1 during the last repeat, until its invitations are issued")
    arguments = parser.parse_args(argv)
    if arguments.full:
        arguments.groups, arguments.fresh = 200, True

    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    stack_config = (
        f"gunicorn {'gthread' if arguments.api_threads > 1 else 'sync'} {arguments.api_workers}×{arguments.api_threads}, "
        f"{arguments.workers} `intervisie worker` processes"
        + (f" × {arguments.worker_threads} threads" if arguments.worker_threads else "")
        + f", {arguments.clients} client threads, PostgreSQL and Redis on 127.0.0.1"
        + ("; fresh groups every repeat" if arguments.fresh else "; the same groups every repeat, their plans deleted in between")
    )
    sets = arguments.repeats if arguments.fresh else 1
    plan_requests = generate_groups(arguments.groups * sets)
    with running_stack(
        api_workers=arguments.api_workers, api_threads=arguments.api_threads,
        worker_count=arguments.workers, worker_threads=arguments.worker_threads,
    ) as stack:
        api = ApiClient(stack.base_url, stack.key)
        print(f"seeding {len(plan_requests)} groups through the API …", file=sys.stderr)
        started = time.perf_counter()
        group_ids = seed_groups(api, plan_requests, arguments.seed_threads)
        seeded = time.perf_counter() - started
        print(f"seeded in {seeded:.0f} s ({len(plan_requests) * 18 / seeded:.0f} requests/s)", file=sys.stderr)
        repeats: list[Repeat] = []
        profile = None
        with psycopg.connect(stack.database_url, autocommit=True) as conn:
            for index in range(arguments.repeats):
                batch = batch_of(group_ids, index, arguments)
                if index and not arguments.fresh:
                    wait_until_idle(conn, arguments.timeout)
                    forget_plans(conn, batch)
                last = index == arguments.repeats - 1
                if last and arguments.py_spy:
                    profile = Profiler(arguments.py_spy, stack.worker_pids[0])
                repeats.append(measure(stack, api, conn, batch, arguments.clients, arguments.timeout, profile))
                print(f"repeat {index + 1}: {repeats[-1].per_second:.1f} groups/s", file=sys.stderr)
        engines, disagreements = [], 0
        for index, repeat in enumerate(repeats):
            batch = batch_of(group_ids, index, arguments)
            engines.append(time_engine(stack.database_url, batch))
            disagreements += sum(
                repeat.status_by_group.get(g) != engines[-1].outcomes[g] for g in batch
            )
    print_table(arguments, stack_config, repeats, engines, disagreements)
    if profile is not None:
        print(f"\nWhere worker 1 spent its CPU in repeat {arguments.repeats} (py-spy, {profile.path}):\n")
        print(profile.summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
