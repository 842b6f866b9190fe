"""Mail deliveries of invitations and notices (both :class:`~shared.db.models.MailDelivery`).

With SMTP configured a message is ``pending`` until the mail actor has handed it to the SMTP
server (``sent``) or given up (``failed``); without SMTP it is ``stored`` and only exposed
through the API. A worker *claims* a delivery (``sending``) so that no other worker mails it
too; a claim older than the sending timeout (``INTERVISIE_SENDING_TIMEOUT_SECONDS``) belonged to
a worker that died and is taken over.

So a mail goes out at least once: a worker that dies after the server took the message but
before it recorded ``sent`` leaves a claim that another worker takes over and sends again. The
copy carries the Message-ID of the first attempt (:mod:`shared.domain.mail`), so the receiver
can recognise it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session as DbSession

STORED, PENDING, SENDING, SENT, FAILED = "stored", "pending", "sending", "sent", "failed"
MAX_ATTEMPTS = 8


def initial_state(mail: bool) -> str:
    return PENDING if mail else STORED


def to_resume(
    session: DbSession, model: type, now: datetime, *, older_than: timedelta, sending_timeout: timedelta
) -> list[uuid.UUID]:
    """Pending deliveries whose message may be lost, and claims older than ``sending_timeout``
    (their workers died)."""
    return list(
        session.scalars(
            select(model.id)
            .where(
                or_(
                    (model.delivery_state == PENDING) & (model.issued_at < now - older_than),
                    (model.delivery_state == SENDING) & (model.attempted_at < now - sending_timeout),
                )
            )
            .order_by(model.issued_at)
            .limit(1000)
        )
    )


def claim(session: DbSession, model: type, delivery_id: uuid.UUID, now: datetime, *, sending_timeout: timedelta) -> bool:
    """Take a pending delivery, or one claimed longer than ``sending_timeout`` ago (its sender
    died), so that no other worker mails it too."""
    result = session.execute(
        update(model)
        .where(
            model.id == delivery_id,
            or_(
                model.delivery_state == PENDING,
                (model.delivery_state == SENDING) & (model.attempted_at < now - sending_timeout),
            ),
        )
        .values(delivery_state=SENDING, attempts=model.attempts + 1, attempted_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def record(
    session: DbSession, model: type, delivery_id: uuid.UUID, *, now: datetime, error: str | None, permanent: bool = False
) -> str:
    """Note how a delivery attempt went; returns the new state (``pending`` means: try again)."""
    delivery = session.get(model, delivery_id)
    if error is None:
        delivery.delivery_state, delivery.sent_at, delivery.last_error = SENT, now, None
    elif permanent or delivery.attempts >= MAX_ATTEMPTS:
        delivery.delivery_state, delivery.last_error = FAILED, error
    else:
        delivery.delivery_state, delivery.last_error = PENDING, error
    return delivery.delivery_state
