"""The transactional outbox: work that a change implies, recorded in the change's transaction.

:func:`record` adds a row and notes its id in ``session.info``; the entrypoint that owns the
transaction sends those ids to the worker after the commit (never before, so a worker cannot
see work that was rolled back). The worker's :func:`claim` marks the row dispatched in the same
transaction as the work it does, so a message delivered twice does the work once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from shared.db.models import OutboxMessage

SESSIONS_CHANGED = "sessions.changed"
"""Sessions changed (``created``, ``moved``, ``changed``, ``cancelled``, ``reinstated``): their
invitations are issued. One message for all the sessions one transaction changed (a plan's
dozen), so that the worker issues them together."""
SESSION_CHANGED = "session.changed"
"""One session changed: what versions before ``sessions.changed`` recorded. Still dispatched,
for rows a sweep finds after an upgrade."""
MEMBERSHIP_CHANGED = "membership.changed"
WEBHOOK_EVENT = "webhook.event"
AT_RISK = "session.at_risk"
"""A session became at risk: its facilitator (guided) or chair (self-directed) is mailed."""
CALENDAR_FETCH = "calendar.fetch"
"""A calendar source was added or asked to refresh: the worker fetches it (``source_id``)."""
INFO_KEY = "outbox"


def record(session: Session, topic: str, payload: dict[str, Any], now: datetime) -> OutboxMessage:
    # The id is set here, so that rows of one transaction are inserted together at its flush.
    message = OutboxMessage(id=uuid.uuid4(), topic=topic, payload=payload, created_at=now)
    session.add(message)
    session.info.setdefault(INFO_KEY, []).append(message.id)
    return message


def record_session_changes(session: Session, changes: Sequence[tuple[uuid.UUID, str]], now: datetime) -> OutboxMessage | None:
    """Record that these sessions changed, each with what happened to it, as one message."""
    if not changes:
        return None
    payload = {"changes": [{"session_id": str(session_id), "change": change} for session_id, change in changes]}
    return record(session, SESSIONS_CHANGED, payload, now)


def session_changes(message: OutboxMessage) -> list[tuple[uuid.UUID, str]]:
    """The (session id, change) pairs of a ``sessions.changed`` or ``session.changed`` message."""
    if message.topic == SESSION_CHANGED:
        return [(uuid.UUID(message.payload["session_id"]), message.payload["change"])]
    return [(uuid.UUID(item["session_id"]), item["change"]) for item in message.payload["changes"]]


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
