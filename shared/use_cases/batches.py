"""Scheduling batches: groups planned together (see :mod:`shared.domain.cohort`).

A batch is a job like a run (see :mod:`leases`) that owns one ordinary scheduling run per group.
The API records the batch and its runs as ``queued``; a worker claims the batch (and with it the
runs), plans all groups jointly outside any transaction, and writes every run's outcome in one
transaction that first locks the groups and then their people, and checks each plan against the
bookings as they are then. A batch whose message was lost, or whose worker died, is found again
by :func:`batches_to_resume`; its runs are never resumed on their own.
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from shared.actor import Actor
from shared.db.models import Group, SchedulingBatch, SchedulingRun, Session
from shared.domain.cohort import CohortGroup, CohortResult, conflicts_of, planned_session_id
from shared.domain.planning import Plan
from shared.errors import FieldError, InvalidInput, NotFound
from shared.use_cases import bookings, leases, scheduling
from shared.use_cases.people import require_admin

FINISHED = "finished"
MAX_GROUPS = 1000
LEASE = timedelta(minutes=3)
"""Longer than the solver's limits, so that a live worker keeps its batch (its progress reports
renew it too)."""


def request_batch(session: DbSession, actor: Actor, group_ids: list[uuid.UUID], now: datetime) -> SchedulingBatch:
    """Record a batch and a queued run for each of its groups; the caller sends its message
    after the commit."""
    require_admin(actor, "scheduling batches")
    wanted = list(group_ids)
    found = {
        group.id: group
        for group in session.scalars(select(Group).where(Group.id.in_(wanted)).order_by(Group.id).with_for_update())
    }
    errors = [
        FieldError(f"group_ids.{index}", f"no group {group_id}")
        for index, group_id in enumerate(wanted) if group_id not in found
    ]
    for index, group_id in enumerate(wanted):
        if group_id in found and (refusal := scheduling.schedulability(session, found[group_id])) is not None:
            errors.append(FieldError(f"group_ids.{index}", refusal[1]))
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors)
    batch = SchedulingBatch(status=leases.QUEUED, created_at=now, group_ids=[str(g) for g in wanted], progress_total=len(wanted))
    session.add(batch)
    session.flush()
    session.add_all(
        SchedulingRun(group_id=group_id, status=leases.QUEUED, created_at=now, batch_id=batch.id) for group_id in wanted
    )
    session.flush()
    return batch


def get_batch(session: DbSession, actor: Actor, batch_id: uuid.UUID) -> SchedulingBatch:
    require_admin(actor, "scheduling batches")
    batch = session.get(SchedulingBatch, batch_id)
    if batch is None:
        raise NotFound(f"no scheduling batch {batch_id}")
    return batch


def ordered_runs(batch: SchedulingBatch) -> list[SchedulingRun]:
    """The batch's runs in the order its groups were asked for."""
    position = {group_id: index for index, group_id in enumerate(batch.group_ids)}
    return sorted(batch.runs, key=lambda run: position.get(str(run.group_id), len(position)))


# -- the worker's side ---------------------------------------------------------------------------


def claim(session: DbSession, batch_id: uuid.UUID, owner: str, now: datetime) -> bool:
    """Take the batch (see :func:`leases.claim`); its unfinished runs go ``running`` with it."""
    if not leases.claim(session, SchedulingBatch, batch_id, owner, now, LEASE):
        return False
    session.execute(
        update(SchedulingRun)
        .where(SchedulingRun.batch_id == batch_id, SchedulingRun.status.in_(leases.IN_FLIGHT))
        .values(status=leases.RUNNING, lease_owner=owner, lease_until=now + LEASE, started_at=now, attempts=SchedulingRun.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return True


def state(session: DbSession, batch_id: uuid.UUID, owner: str, now: datetime) -> leases.JobState:
    return leases.state(session, SchedulingBatch, batch_id, owner, now)


def report_progress(session: DbSession, batch_id: uuid.UUID, owner: str, planned: int, total: int, now: datetime) -> bool:
    """Note how far the worker is, and renew its lease; False when it no longer holds the batch."""
    done = session.execute(
        update(SchedulingBatch)
        .where(SchedulingBatch.id == batch_id, SchedulingBatch.lease_owner == owner, SchedulingBatch.status == leases.RUNNING)
        .values(progress_planned=planned, progress_total=total, lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount)


def load_input(session: DbSession, batch_id: uuid.UUID, now: datetime) -> list[CohortGroup]:
    """Each group's plan request, its bookings leaving out every batch group's upcoming sessions."""
    batch = session.get(SchedulingBatch, batch_id)
    ids = [uuid.UUID(group_id) for group_id in batch.group_ids]
    found = {group.id: group for group in session.scalars(select(Group).where(Group.id.in_(ids)))}
    groups = [found[group_id] for group_id in ids if group_id in found]  # a deleted group took its run along
    requests = scheduling.plan_requests_for(session, groups, now, replacing=set(ids))
    return [CohortGroup(str(group.id), request) for group, request in zip(groups, requests, strict=True)]


def record(session: DbSession, batch_id: uuid.UUID, owner: str, result: CohortResult, keys: list[str], now: datetime) -> bool:
    """Write every run's outcome, if ``owner`` still holds the batch; False (and nothing
    written) otherwise. Under lock, the plans are checked together against the bookings as they
    are now; when someone booked one of their people meanwhile, they are written in the batch's
    order, each checked again and, where needed, planned again (and the batch is then not
    claimed optimal)."""
    batch = leases.lock_owned(session, SchedulingBatch, batch_id, owner)
    if batch is None:
        return False
    runs = {str(run.group_id): run for run in batch.runs}
    groups = {
        str(group.id): group
        for group in session.scalars(select(Group).where(Group.id.in_([uuid.UUID(k) for k in keys])).order_by(Group.id).with_for_update())
    }
    bookings.lock_people(session, [person for group in groups.values() for person in scheduling.people_of(group)])
    for key in [key for key, group in groups.items() if group.facilitator_id is None]:
        leases.finish(runs[key], leases.FAILED, now)
        runs[key].error = scheduling.NO_FACILITATOR
        del groups[key]
    outcomes = {key: outcome for key, outcome in zip(keys, result.results, strict=True) if key in groups}
    planned = [key for key, outcome in outcomes.items() if isinstance(outcome, Plan)]
    # Groups without a plan keep their sessions: they are bookings for the rest from now on.
    pending = {groups[key].id for key in planned}
    requests = scheduling.plan_requests_for(session, [groups[key] for key in planned], now, replacing=pending)
    unchanged = not conflicts_of([(request, outcomes[key]) for key, request in zip(planned, requests, strict=True)])
    replanned = False
    # Plans checked together touch only their own group's rows: written without a flush per
    # group, they go to the database in a few statements (500 groups: seconds, not half a minute).
    with session.no_autoflush if unchanged else nullcontext():
        for key in planned:
            group, outcome = groups[key], outcomes[key]
            if not unchanged:  # someone was booked meanwhile: check, and plan again, group by group
                outcome, again = scheduling.current_result(session, group, outcome, now, replacing=pending)
                replanned = replanned or again
            scheduling.write_outcome(session, runs[key], group, outcome, now)
            pending.discard(group.id)
    session.flush()
    # Diagnostics may name sessions planned just now, by their key in the batch.
    planned_ids = {
        planned_session_id(str(group_id), number): str(session_id)
        for session_id, group_id, number in session.execute(
            select(Session.id, Session.group_id, Session.number)
            .where(Session.group_id.in_([group.id for group in groups.values()]), Session.status == "scheduled")
        )
    }
    for key, outcome in outcomes.items():
        if not isinstance(outcome, Plan):
            scheduling.write_outcome(session, runs[key], groups[key], outcome, now, planned_ids=planned_ids)
    leases.finish(batch, FINISHED, now)
    written = sum(1 for run in runs.values() if run.status == scheduling.SUCCEEDED)
    batch.planned = written
    batch.upper_bound = result.upper_bound
    batch.progress_planned, batch.progress_total = written, len(batch.group_ids)
    # A group planned again one by one, or a group deleted meanwhile, breaks the proof.
    batch.optimal = result.optimal and not replanned and written >= result.upper_bound
    return True


def fail(session: DbSession, batch_id: uuid.UUID, owner: str | None, error: str, now: datetime) -> bool:
    """Give up on a batch: it is finished, and every run still in flight fails with ``error``."""
    batch = session.scalar(select(SchedulingBatch).where(SchedulingBatch.id == batch_id).with_for_update())
    if batch is None or batch.status not in leases.IN_FLIGHT or (owner is not None and batch.lease_owner != owner):
        return False
    for run in batch.runs:
        if run.status in leases.IN_FLIGHT:
            leases.finish(run, leases.FAILED, now)
            run.error = error
    leases.finish(batch, FINISHED, now)
    batch.error = error
    return True


def batches_to_resume(session: DbSession, now: datetime, *, queued_for: timedelta) -> list[uuid.UUID]:
    return leases.to_resume(session, SchedulingBatch, now, queued_for=queued_for)


def document(batch: SchedulingBatch) -> dict[str, Any]:
    """The batch as the API shows it."""
    return {
        "id": batch.id,
        "status": batch.status,
        "created_at": batch.created_at,
        "finished_at": batch.finished_at,
        "progress": (
            {"planned": batch.progress_planned or 0, "total": batch.progress_total or len(batch.group_ids)}
            if batch.status != leases.QUEUED else None
        ),
        "planned": batch.planned if batch.status == FINISHED else None,
        "upper_bound": batch.upper_bound if batch.status == FINISHED else None,
        "optimal": batch.optimal,
        "runs": [{"group_id": run.group_id, "id": run.id, "status": run.status} for run in ordered_runs(batch)],
    }
