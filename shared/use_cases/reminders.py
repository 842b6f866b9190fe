"""Reminders: a short mail to each required person who has not declined, some hours before a
session (``INTERVISIE_REMINDER_HOURS``, 48 by default).

Every worker's sweep looks for sessions that start within that time and issues the reminders
that are due. Each is a :class:`~shared.db.models.Notice` keyed by session, person and start,
inserted only if the key is free: with several workers sweeping at once, and after a worker
is killed, every reminder is issued exactly once — and a session that moves reminds again,
because its start is part of the key. Delivery is that of every notice (claimed, retried).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from shared.db.models import Facilitator, Notice, Participant
from shared.db.models import Session as GroupSession
from shared.domain import texts
from shared.domain.attendance import DECLINED, FACILITATOR
from shared.domain.ics import Contact
from shared.use_cases import attendance
from shared.use_cases.answers import Links
from shared.use_cases.invitations import contact_of, event_for
from shared.use_cases.notices import REMINDER, issue


def key_of(row: GroupSession, person_id) -> str:
    return f"{REMINDER}:{row.id}:{person_id}:{row.start.isoformat()}"


def issue_due(
    session: DbSession, now: datetime, *, hours: int, programme: Contact, links: Links, mail: bool
) -> list[Notice]:
    """Issue the reminders that are due and not yet issued; returns those issued now."""
    rows = list(session.scalars(
        select(GroupSession)
        .where(GroupSession.status == "scheduled", GroupSession.start > now, GroupSession.start <= now + timedelta(hours=hours))
        .order_by(GroupSession.start)
    ))
    if not rows:
        return []
    attendance.attach(session, rows, now=now)
    wanted = {
        key_of(row, entry.person_id): (row, entry)
        for row in rows for entry in row.attendance if entry.response != DECLINED
    }
    issued_before = set(session.scalars(select(Notice.key).where(Notice.key.in_(list(wanted)))))
    issued = []
    for key, (row, entry) in wanted.items():
        if key in issued_before:
            continue
        person = session.get(Facilitator if entry.role == FACILITATOR else Participant, uuid.UUID(entry.person_id))
        if person is None:
            continue
        event, _, _ = event_for(session, row, programme)
        contact = contact_of(person)
        notice = issue(
            session, key=key, kind=REMINDER, row=row, recipient=person,
            subject=texts.reminder_subject(event, contact.language),
            body=texts.reminder_text(
                event, contact, timezone=person.timezone, answer_url=links.url(session, row.id, person.id, now),
            ),
            now=now, mail=mail,
        )
        if notice is not None:
            issued.append(notice)
    return issued
