"""What the actors do, one function per job. Each owns its transactions.

A job receives ids, loads what it needs, calls the pure domain outside any transaction, and
writes the outcome in one transaction. Running a job twice for the same id changes nothing the
second time.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from services.scheduler.runtime import Runtime
from shared.domain.planning import find_plan
from shared.use_cases import scheduling

log = logging.getLogger(__name__)


class RunHeldElsewhere(Exception):
    """Another worker holds the run's lease; retry after it may have expired."""


def plan_run(runtime: Runtime, run_id: uuid.UUID) -> str:
    """Plan one scheduling run. Returns what happened, for logs and tests."""
    now = runtime.clock()
    with runtime.session_factory.begin() as session:
        lease = timedelta(seconds=runtime.settings.run_lease_seconds)
        claimed = scheduling.claim_run(session, run_id, runtime.name, now, lease)
        state = scheduling.run_state(session, run_id, runtime.name, now)
    if not claimed:
        if state.held_by_other:
            raise RunHeldElsewhere(f"run {run_id} is being planned by another worker")
        return f"skipped: run is {state.status or 'gone'}"
    if state.attempts > scheduling.MAX_ATTEMPTS:
        with runtime.session_factory.begin() as session:
            scheduling.fail_run(session, run_id, runtime.name, f"gave up after {scheduling.MAX_ATTEMPTS} attempts", now)
        return "failed: too many attempts"
    try:
        with runtime.session_factory() as session:
            request = scheduling.load_run_input(session, run_id, now)
        result = find_plan(request)
    except Exception as error:  # noqa: BLE001 - the input cannot be planned; say so on the run
        log.exception("scheduling run %s failed", run_id)
        with runtime.session_factory.begin() as session:
            scheduling.fail_run(session, run_id, runtime.name, f"{type(error).__name__}: {error}", runtime.clock())
        return "failed"
    with runtime.session_factory.begin() as session:
        changes = scheduling.record_result(session, run_id, runtime.name, result, runtime.clock())
    if changes is None:
        return "skipped: lease lost before the result was written"
    return type(result).__name__.lower()


def resume_lost_runs(runtime: Runtime, send: Callable[[uuid.UUID], None]) -> int:
    """Send again the runs whose message may have been lost. The database is the source of truth."""
    with runtime.session_factory() as session:
        run_ids = scheduling.runs_to_resume(
            session, runtime.clock(), queued_for=timedelta(seconds=runtime.settings.sweep_seconds)
        )
    for run_id in run_ids:
        send(run_id)
    if run_ids:
        log.info("re-sent %d scheduling run(s) whose message may have been lost", len(run_ids))
    return len(run_ids)
