"""Calendar invitations: issued by the worker when sessions or memberships change.

Each invitation is one iTIP message to one recipient (so members' addresses are not spread),
stored with its delivery state (see :mod:`shared.use_cases.deliveries`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from shared.actor import Actor
from shared.db.models import Facilitator, Group, Invitation, Participant, Session
from shared.domain import texts
from shared.domain.ics import Contact, SessionEvent, build_invitation
from shared.domain.mail import build_invitation_email
from shared.errors import NotFound
from shared.use_cases import attendance, deliveries
from shared.use_cases.answers import Links
from shared.use_cases.groups import upcoming_sessions
from shared.use_cases.people import Page, paginate
from shared.use_cases.scheduling import get_session

REQUEST, CANCEL = "REQUEST", "CANCEL"
NOTICE_OF_CHANGE = {"created": "new", "cancelled": "cancelled"}  # anything else: "changed"
FACILITATOR, PARTICIPANT = "facilitator", "participant"


def contact_of(person: Facilitator | Participant) -> Contact:
    return Contact(name=person.name, email=person.email, language=person.language)


def session_event(
    row: Session, group: Group, facilitator: Facilitator | None, chair_name: str | None, programme: Contact
) -> SessionEvent:
    return SessionEvent(
        uid=row.uid,
        sequence=row.sequence,
        number=row.number,
        kind=row.kind,
        guided_total=group.guided_sessions,
        start=row.start,
        end=row.end,
        timezone=row.timezone,
        status=row.status,
        group_name=group.name,
        theme=group.theme,
        meeting_url=group.meeting_url,
        chair_name=chair_name,
        last_modified=row.updated_at,
        organizer=programme,
        facilitator=contact_of(facilitator) if row.kind == "guided" and facilitator is not None else None,
    )


def event_for(session: DbSession, row: Session, programme: Contact) -> tuple[SessionEvent, Group, Facilitator | None]:
    group = session.get(Group, row.group_id)
    facilitator = session.get(Facilitator, group.facilitator_id) if group.facilitator_id else None
    chair = session.get(Participant, row.chair_id) if row.chair_id else None
    event = session_event(row, group, facilitator, chair.name if chair else None, programme)
    return event, group, facilitator


def _issue(
    session: DbSession,
    event: SessionEvent,
    row: Session,
    recipients: Iterable[tuple[str, uuid.UUID | None, Contact, str]],
    *,
    method: str,
    notice: str,
    now: datetime,
    mail: bool,
    links: Links | None,
) -> list[Invitation]:
    issued = []
    for kind, recipient_id, contact, role in recipients:
        answer_url = _answer_url(session, links, row, recipient_id, method, now)
        ics = build_invitation(event, contact, method=method, role=role, issued_at=now, answer_url=answer_url)
        invitation = Invitation(
            session_id=row.id,
            recipient_kind=kind,
            recipient_id=recipient_id,
            recipient_name=contact.name,
            recipient_email=contact.email,
            language=contact.language,
            method=method,
            notice=notice,
            sequence=event.sequence,
            issued_at=now,
            ics=ics.decode("utf-8"),
            delivery_state=deliveries.initial_state(mail),
        )
        session.add(invitation)
        issued.append(invitation)
    session.flush()
    return issued


def _answer_url(
    session: DbSession, links: Links | None, row: Session, recipient_id: uuid.UUID | None, method: str, now: datetime
) -> str | None:
    """The recipient's own answer link in a REQUEST, for someone the session requires."""
    if links is None or method != REQUEST or recipient_id is None:
        return None
    group = session.get(Group, row.group_id)
    if str(recipient_id) not in {person for person, _ in attendance.required_people(group, row)}:
        return None  # planned absent: nothing to answer
    return links.url(session, row.id, recipient_id, now)


def issue_for_session_change(
    session: DbSession, session_id: uuid.UUID, change: str, *, now: datetime, programme: Contact, mail: bool,
    links: Links | None = None,
) -> list[Invitation]:
    """REQUEST (new, moved, changed, reinstated) or CANCEL to everyone the session concerns."""
    row = session.get(Session, session_id)
    if row is None:
        return []
    event, group, facilitator = event_for(session, row, programme)
    recipients = []
    if row.kind == "guided" and facilitator is not None:
        recipients.append((FACILITATOR, facilitator.id, contact_of(facilitator), "CHAIR"))
    for membership in group.memberships:
        member = membership.participant
        recipients.append((PARTICIPANT, member.id, contact_of(member), "REQ-PARTICIPANT"))
    method = CANCEL if row.status == "cancelled" else REQUEST
    notice = NOTICE_OF_CHANGE.get(change, "changed")
    return _issue(session, event, row, recipients, method=method, notice=notice, now=now, mail=mail, links=links)


def issue_for_membership(
    session: DbSession, payload: dict[str, Any], *, now: datetime, programme: Contact, mail: bool,
    links: Links | None = None,
) -> list[Invitation]:
    """A member who joined gets a REQUEST for every upcoming session; one who left, a CANCEL."""
    group_id = uuid.UUID(payload["group_id"])
    participant_id = uuid.UUID(payload["participant_id"])
    contact = Contact(name=payload["name"], email=payload["email"], language=payload["language"])
    joined = payload["change"] == "joined"
    issued: list[Invitation] = []
    for row in upcoming_sessions(session, group_id, now):
        event, _, _ = event_for(session, row, programme)
        issued += _issue(
            session, event, row, [(PARTICIPANT, participant_id, contact, "REQ-PARTICIPANT")],
            method=REQUEST if joined else CANCEL, notice="new" if joined else "removed", now=now, mail=mail,
            links=links,
        )
    return issued


# -- reading and delivering ----------------------------------------------------------------------


def _visible_invitations(actor: Actor):
    """A platform sees only the invitations to its own participants."""
    query = select(Invitation)
    if not actor.is_admin:
        own = select(Participant.id).where(Participant.client_id == actor.client_id)
        query = query.where(Invitation.recipient_kind == PARTICIPANT, Invitation.recipient_id.in_(own))
    return query


def list_invitations(
    session: DbSession, actor: Actor, session_id: uuid.UUID, page: Page
) -> tuple[list[Invitation], int]:
    get_session(session, actor, session_id)
    query = _visible_invitations(actor).where(Invitation.session_id == session_id)
    return paginate(session, query.order_by(Invitation.issued_at, Invitation.sequence, Invitation.recipient_email, Invitation.id), page)


def get_invitation(session: DbSession, actor: Actor, invitation_id: uuid.UUID) -> Invitation:
    invitation = session.scalar(_visible_invitations(actor).where(Invitation.id == invitation_id))
    if invitation is None:
        raise NotFound(f"no invitation {invitation_id}")
    get_session(session, actor, invitation.session_id)
    return invitation


def email_for(
    session: DbSession, invitation_id: uuid.UUID, programme: Contact, now: datetime, links: Links | None = None
) -> EmailMessage:
    """The RFC 6047 mail of an invitation: a text part and the iTIP message as text/calendar."""
    invitation = session.get(Invitation, invitation_id)
    row = session.get(Session, invitation.session_id)
    event, _, _ = event_for(session, row, programme)
    answer_url = _answer_url(session, links, row, invitation.recipient_id, invitation.method, now)
    recipient = Contact(invitation.recipient_name, invitation.recipient_email, invitation.language)
    role = "CHAIR" if invitation.recipient_kind == FACILITATOR else "REQ-PARTICIPANT"
    return build_invitation_email(
        ics=invitation.ics.encode("utf-8"),
        method=invitation.method,
        sender=programme,
        recipient=recipient,
        subject=texts.mail_subject(event, language=invitation.language, notice=invitation.notice),
        text=texts.mail_text(event, recipient, notice=invitation.notice, role=role, answer_url=answer_url),
        message_id_domain=programme.email.rpartition("@")[2] or "intervisie",
        date=now,
    )
