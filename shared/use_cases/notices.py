"""Plain mails about a session: the alarm when it is at risk (and, see :mod:`reminders`, the
reminder before it). Each is a :class:`~shared.db.models.Notice`, delivered like invitations
(see :mod:`shared.use_cases.deliveries`) and issued once: its ``key`` is unique."""

from __future__ import annotations

import uuid
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as DbSession

from shared.db.models import Attendance, Facilitator, Group, Notice, Participant, Session
from shared.domain import texts
from shared.domain.attendance import alarm_recipient, declined_ids, not_coming
from shared.domain.ics import Contact
from shared.domain.mail import build_notice_email, notice_identity
from shared.use_cases import attendance, deliveries
from shared.use_cases.invitations import FACILITATOR, PARTICIPANT, contact_of, event_for
from shared.use_cases.scheduling import alternatives_of

AT_RISK, REMINDER = "at_risk", "reminder"
ALTERNATIVES_IN_MAIL = 3


def issue(
    session: DbSession, *, key: str, kind: str, row: Session, recipient: Facilitator | Participant,
    subject: str, body: str, now: datetime, mail: bool,
) -> Notice | None:
    """Record a notice unless one with ``key`` exists (then None): once only, also when two
    workers try at the same moment (the insert skips a key that is taken)."""
    values = {
        "id": uuid.uuid4(), "key": key, "kind": kind, "session_id": row.id, "subject": subject[:300], "body": body,
        "recipient_kind": FACILITATOR if isinstance(recipient, Facilitator) else PARTICIPANT,
        "recipient_id": recipient.id, "recipient_name": recipient.name, "recipient_email": recipient.email,
        "language": recipient.language, "issued_at": now, "delivery_state": deliveries.initial_state(mail), "attempts": 0,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = session.execute(
        dialect.insert(Notice).values(**values).on_conflict_do_nothing(index_elements=["key"]).returning(Notice.id)
    ).scalar()
    return session.get(Notice, inserted) if inserted else None


def issue_at_risk(
    session: DbSession, session_id: uuid.UUID, change_id: uuid.UUID, *, now: datetime, programme: Contact, mail: bool
) -> list[Notice]:
    """Mail the facilitator (guided) or the chair (self-directed; the next member in turn when
    the chair is one who declined or has a calendar conflict, the facilitator without a chair)
    that a session became at risk: who declined, with their comments, who is busy in their own
    calendar, and the best other times. Nothing when the session
    was answered back out of risk, or cancelled, before this ran, or when the alarm in force
    was mailed already (one mail per alarm, so at most one a day)."""
    # Locked, so that two of the messages asking for this alarm's mail cannot both send it.
    row = session.scalar(select(Session).where(Session.id == session_id).with_for_update())
    if row is None or row.status != "scheduled" or row.start <= now:
        return []
    attendance.attach(session, [row], now=now)
    if not row.at_risk or attendance.alarm_mailed(session, row.id):
        return []
    event, group, facilitator = event_for(session, row, programme)
    declined = declined_ids(row.attendance)
    busy = [conflict.person_id for conflict in row.conflicts]
    recipient = facilitator
    if row.kind != "guided" and row.chair_id is not None:
        gone = not_coming(row.attendance, row.conflicts)
        chair = alarm_recipient(str(row.chair_id), [str(pid) for pid in group.member_ids], gone)
        recipient = session.get(Participant, uuid.UUID(chair)) if chair else facilitator
    if recipient is None:
        return []
    found, _ = alternatives_of(session, group, row, now, ALTERNATIVES_IN_MAIL)
    contact = contact_of(recipient)
    notice = issue(
        session, key=f"{AT_RISK}:{change_id}", kind=AT_RISK, row=row, recipient=recipient,
        subject=texts.at_risk_subject(event, contact.language),
        body=texts.at_risk_text(
            event, contact, declined=_names_and_comments(session, group, row, declined), alternatives=[c.start for c in found],
            busy=[name for name, _comment in _names_and_comments(session, group, row, busy)], timezone=recipient.timezone,
        ),
        now=now, mail=mail,
    )
    return [notice] if notice else []


def _names_and_comments(session: DbSession, group: Group, row: Session, person_ids: list[str]) -> list[tuple[str, str | None]]:
    """``(name, comment)`` of ``person_ids`` (those who declined ``row``, or those busy during
    it), in the order given: that of its attendance."""
    ids = [uuid.UUID(pid) for pid in person_ids]
    names = dict(session.execute(select(Participant.id, Participant.name).where(Participant.id.in_(ids))).all())
    if group.facilitator_id in ids:
        names[group.facilitator_id] = session.get(Facilitator, group.facilitator_id).name
    comments = dict(session.execute(
        select(Attendance.person_id, Attendance.comment).where(Attendance.session_id == row.id, Attendance.person_id.in_(ids))
    ).all())
    return [(names[pid], comments.get(pid)) for pid in ids if pid in names]


def email_for(session: DbSession, notice_id: uuid.UUID, programme: Contact, now: datetime, links=None) -> EmailMessage:
    """The plain mail of a notice (its text was written when it was issued)."""
    notice = session.get(Notice, notice_id)
    return build_notice_email(
        sender=programme,
        recipient=Contact(notice.recipient_name, notice.recipient_email, notice.language),
        subject=notice.subject,
        text=notice.body,
        identity=notice_identity(notice.key),
        message_id_domain=programme.email.rpartition("@")[2] or "intervisie",
        date=now,
    )
