"""Jobs that are rows: a scheduling run, a group proposal.

A job is ``queued`` until a worker claims it with a lease (``running``); the worker does the
work outside any transaction and writes the outcome in a transaction that first checks it
still owns the job. A job whose message was lost, or whose worker died, is found by
:func:`to_resume`. The models share the columns ``status``, ``created_at``, ``started_at``,
``finished_at``, ``attempts``, ``lease_owner`` and ``lease_until``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

QUEUED, RUNNING, FAILED = "queued", "running", "failed"
IN_FLIGHT = (QUEUED, RUNNING)


def claim(
    session: Session, model: type, job_id: uuid.UUID, owner: str, now: datetime, lease: timedelta, *, where: Any = True
) -> bool:
    """Take the job if it is queued, or running under a lease that ran out. Atomic."""
    claimable = or_(model.status == QUEUED, (model.status == RUNNING) & (model.lease_until < now))
    result = session.execute(
        update(model)
        .where(model.id == job_id, claimable, where)
        .values(status=RUNNING, lease_owner=owner, lease_until=now + lease, attempts=model.attempts + 1, started_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


@dataclass(frozen=True)
class JobState:
    status: str | None
    attempts: int
    held_by_other: bool


def state(session: Session, model: type, job_id: uuid.UUID, owner: str, now: datetime) -> JobState:
    job = session.get(model, job_id)
    if job is None:
        return JobState(None, 0, False)
    held = job.status == RUNNING and job.lease_owner != owner and job.lease_until is not None and job.lease_until >= now
    return JobState(job.status, job.attempts, held)


def lock_owned(session: Session, model: type, job_id: uuid.UUID, owner: str) -> Any | None:
    """The job, locked, if ``owner`` still holds it; else None (and nothing may be written)."""
    job = session.scalar(select(model).where(model.id == job_id).with_for_update())
    if job is None or job.status != RUNNING or job.lease_owner != owner:
        return None
    return job


def finish(job: Any, status: str, now: datetime) -> None:
    job.status, job.finished_at, job.lease_until = status, now, None


def fail(session: Session, model: type, job_id: uuid.UUID, owner: str | None, error: str, now: datetime) -> bool:
    job = session.scalar(select(model).where(model.id == job_id).with_for_update())
    if job is None or job.status not in IN_FLIGHT or (owner is not None and job.lease_owner != owner):
        return False
    finish(job, FAILED, now)
    job.error = error
    return True


def to_resume(session: Session, model: type, now: datetime, *, queued_for: timedelta, where: Any = True) -> list[uuid.UUID]:
    """Jobs whose message may be lost: queued for a while, or running under an expired lease."""
    return list(
        session.scalars(
            select(model.id)
            .where(
                or_(
                    (model.status == QUEUED) & (model.created_at < now - queued_for),
                    (model.status == RUNNING) & (model.lease_until < now),
                ),
                where,
            )
            .order_by(model.created_at)
            .limit(500)
        )
    )


def request_ids(session: Session, model: type, ids: list[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    """The request id each of these jobs (or outbox messages) was recorded with."""
    if not ids:
        return {}
    return {job_id: request_id for job_id, request_id in session.execute(select(model.id, model.request_id).where(model.id.in_(ids)))}
