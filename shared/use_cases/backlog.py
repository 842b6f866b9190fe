"""How far the worker is behind, for the metrics: one cheap query each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.db.models import OutboxMessage


def outbox_lag_seconds(session: Session, now: datetime) -> float:
    """The age of the oldest outbox row not yet dispatched; 0 when none waits (the index on
    ``dispatched_at, created_at`` answers it from its first entry)."""
    oldest = session.scalar(select(func.min(OutboxMessage.created_at)).where(OutboxMessage.dispatched_at.is_(None)))
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
