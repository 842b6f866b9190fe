"""The transactional outbox: work that a change implies, recorded in the change's transaction.

:func:`record` adds a row and notes its id in ``session.info``; the entrypoint that owns the
transaction sends those ids to the worker after the commit (never before, so a worker cannot
see work that was rolled back). The worker's :func:`claim` marks the row dispatched in the same
transaction as the work it does, so a message delivered twice does the work once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from shared.db.models import OutboxMessage

SESSION_CHANGED = "session.changed"
MEMBERSHIP_CHANGED = "membership.changed"
WEBHOOK_EVENT = "webhook.event"
AT_RISK = "session.at_risk"
"""A session became at risk: its facilitator (guided) or chair (self-directed) is mailed."""
INFO_KEY = "outbox"


def record(session: Session, topic: str, payload: dict[str, Any], now: datetime) -> OutboxMessage:
    # The id is set here, so that rows of one transaction are inserted together at its flush.
    message = OutboxMessage(id=uuid.uuid4(), topic=topic, payload=payload, created_at=now)
    session.add(message)
    session.info.setdefault(INFO_KEY, []).append(message.id)
    return message


def recorded(session: Session) -> list[uuid.UUID]:
    """The outbox ids this session's transaction recorded (to send after its commit)."""
    return list(session.info.get(INFO_KEY, ()))


def claim(session: Session, message_id: uuid.UUID, now: datetime) -> OutboxMessage | None:
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.dispatched_at.is_(None))
        .values(dispatched_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    return session.get(OutboxMessage, message_id)


def undispatched(session: Session, now: datetime, *, older_than: timedelta) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.dispatched_at.is_(None), OutboxMessage.created_at < now - older_than)
            .order_by(OutboxMessage.created_at)
            .limit(1000)
        )
    )


def purge(session: Session, now: datetime, *, older_than: timedelta) -> int:
    return session.execute(
        delete(OutboxMessage).where(OutboxMessage.dispatched_at.is_not(None), OutboxMessage.dispatched_at < now - older_than)
    ).rowcount
