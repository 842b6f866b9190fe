"""The busy time read from people's published calendars, as stored: what planning reads
(:func:`busy_between`), what a person's export shows, and forgetting it all when the person goes.

Only start and end are stored, in UTC, per source (see shared.use_cases.calendar_sources).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shared.db.models import BusyInterval, CalendarSource
from shared.domain.availability import merge
from shared.use_cases import idempotency

Interval = tuple[datetime, datetime]


def _owned(kind: str, owner_id: uuid.UUID):
    return (CalendarSource.owner_kind == kind) & (CalendarSource.owner_id == owner_id)


def busy_between(
    session: Session, kind: str, owner_ids: Sequence[uuid.UUID], start: datetime, end: datetime,
) -> dict[uuid.UUID, list[Interval]]:
    """Each person's busy time from all their calendars that overlaps ``[start, end)``, merged
    and in order (a person without any is left out)."""
    found: dict[uuid.UUID, list[Interval]] = {}
    if not owner_ids:
        return found
    rows = session.execute(
        select(BusyInterval.owner_id, BusyInterval.start, BusyInterval.end)
        .where(
            BusyInterval.owner_kind == kind, BusyInterval.owner_id.in_(list(owner_ids)),
            BusyInterval.start < end, BusyInterval.end > start,
        )
        .order_by(BusyInterval.owner_id, BusyInterval.start)
    )
    for owner_id, busy_start, busy_end in rows:
        found.setdefault(owner_id, []).append((busy_start, busy_end))
    return {owner_id: merge(intervals) for owner_id, intervals in found.items()}


def exported(session: Session, kind: str, owner_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """What is kept of a person's calendars: each source as the API shows it (the address
    masked), and every busy interval read from them."""
    sources = list(session.scalars(select(CalendarSource).where(_owned(kind, owner_id)).order_by(CalendarSource.created_at, CalendarSource.id)))
    intervals = session.execute(
        select(BusyInterval.source_id, BusyInterval.start, BusyInterval.end)
        .where(BusyInterval.owner_kind == kind, BusyInterval.owner_id == owner_id)
        .order_by(BusyInterval.start, BusyInterval.source_id)
    )
    return {
        "calendar_sources": sources,
        "busy_intervals": [{"source_id": s, "start": start, "end": end} for s, start, end in intervals],
    }


def forget(session: Session, kind: str, owner_id: uuid.UUID) -> None:
    """A person erased or removed: their calendars, the busy time read from them, and the stored
    answers to the requests that added them go."""
    ids = list(session.scalars(select(CalendarSource.id).where(_owned(kind, owner_id))))
    if not ids:
        return
    session.execute(delete(BusyInterval).where(BusyInterval.source_id.in_(ids)))
    session.execute(delete(CalendarSource).where(CalendarSource.id.in_(ids)))
    for source_id in ids:
        idempotency.forget_resource(session, source_id)
