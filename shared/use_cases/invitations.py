"""Calendar invitations: issued by the worker when sessions or memberships change.

Each invitation is one iTIP message to one recipient (so members' addresses are not spread),
stored with its delivery state (see :mod:`shared.use_cases.deliveries`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import EmailMessage
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import selectinload

from shared.actor import Actor
from shared.db.models import Facilitator, Group, Invitation, Membership, Participant, Session
from shared.domain import texts
from shared.domain.attendance import sequence_to_send
from shared.domain.ics import Contact, Invitee, SessionEvent, build_invitations
from shared.domain.mail import build_invitation_email, invitation_identity
from shared.errors import NotFound
from shared.use_cases import attendance, deliveries
from shared.use_cases.answers import Links
from shared.use_cases.groups import upcoming_sessions
from shared.use_cases.paging import Page, paginate
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


class _Recipient(NamedTuple):
    kind: str  # FACILITATOR or PARTICIPANT
    id: uuid.UUID | None
    contact: Contact
    role: str  # CHAIR or REQ-PARTICIPANT


@dataclass(frozen=True)
class _Change:
    """One session's change as its recipients will read it."""

    row: Session
    group: Group
    event: SessionEvent
    recipients: list[_Recipient]
    method: str
    notice: str


@dataclass(frozen=True)
class Issued:
    """An invitation as issued, with what the caller passes on: its mail and its webhook event."""

    id: uuid.UUID
    session_id: uuid.UUID
    recipient_kind: str
    recipient_id: uuid.UUID | None
    delivery_state: str


def sequences_sent(session: DbSession, session_ids: Iterable[uuid.UUID]) -> dict[tuple[uuid.UUID, uuid.UUID], int]:
    """The SEQUENCE each person was last sent about each of ``session_ids``, by (session, person):
    what their calendar holds, and so what their REPLY is judged against."""
    ids = list(session_ids)
    if not ids:
        return {}
    query = (
        select(Invitation.session_id, Invitation.recipient_id, func.max(Invitation.sequence))
        .where(Invitation.session_id.in_(ids), Invitation.recipient_id.is_not(None))
        .group_by(Invitation.session_id, Invitation.recipient_id)
    )
    return {(session_id, person_id): sequence for session_id, person_id, sequence in session.execute(query)}


ISSUING_LOCKS = 19_001
"""The advisory-lock class of issuing about a session (the two-key form, apart from the person
locks of :func:`shared.use_cases.bookings.lock_people`)."""


def issuing_lock_key(session_id: uuid.UUID) -> int:
    return int.from_bytes(session_id.bytes[:4], "big", signed=True)


def lock_issuing(session: DbSession, session_ids: Iterable[uuid.UUID]) -> None:
    """Serialise the issuing of messages about these sessions until the transaction ends, so that
    two workers (a member leaving and joining again at once, a join and a move) cannot both read
    what a person was last sent and send two messages with one SEQUENCE (and one Message-ID).
    PostgreSQL only, keys in order so that two issuers cannot deadlock; SQLite has one writer."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({issuing_lock_key(session_id) for session_id in session_ids})
    if keys:
        session.execute(
            text("SELECT count(pg_advisory_xact_lock(:kind, k)) FROM (SELECT unnest(CAST(:keys AS integer[])) AS k ORDER BY k) AS ordered"),
            {"kind": ISSUING_LOCKS, "keys": keys},
        )


def _issue(session: DbSession, changes: list[_Change], *, now: datetime, mail: bool, links: Links | None) -> list[Issued]:
    """The invitations of ``changes``: the answer links recorded together, each session's
    messages rendered together (:func:`build_invitations`) for each SEQUENCE its recipients are
    sent (see :func:`~shared.domain.attendance.sequence_to_send`, read under
    :func:`lock_issuing`), and every row in one INSERT."""
    lock_issuing(session, {change.row.id for change in changes})
    wanted = []
    for change in changes:
        answering = _answering(change.group, change.row, change.method)
        wanted += [(change.row.id, r.id) for r in change.recipients if r.id is not None and str(r.id) in answering]
    urls = links.urls(session, wanted, now) if links is not None and wanted else {}
    sent = sequences_sent(session, {change.row.id for change in changes})
    state = deliveries.initial_state(mail)
    rows = []
    for change in changes:
        by_sequence: dict[int, list[_Recipient]] = {}
        for recipient in change.recipients:
            number = sequence_to_send(change.row.sequence, sent.get((change.row.id, recipient.id)))
            by_sequence.setdefault(number, []).append(recipient)
        for sequence, recipients in by_sequence.items():
            invitees = [Invitee(r.contact, r.role, urls.get((change.row.id, r.id))) for r in recipients]
            event = replace(change.event, sequence=sequence)
            rendered = build_invitations(event, invitees, method=change.method, issued_at=now)
            rows += [_row(change, recipient, sequence, ics, now, state) for recipient, ics in zip(recipients, rendered, strict=True)]
    if rows:
        session.execute(insert(Invitation), rows)
    return [Issued(r["id"], r["session_id"], r["recipient_kind"], r["recipient_id"], state) for r in rows]


def _row(change: _Change, recipient: _Recipient, sequence: int, ics: bytes, now: datetime, state: str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "session_id": change.row.id,
        "recipient_kind": recipient.kind,
        "recipient_id": recipient.id,
        "recipient_name": recipient.contact.name,
        "recipient_email": recipient.contact.email,
        "language": recipient.contact.language,
        "method": change.method,
        "notice": change.notice,
        "sequence": sequence,
        "issued_at": now,
        "ics": ics.decode("utf-8"),
        "delivery_state": state,
    }


def _answering(group: Group, row: Session, method: str) -> set[str]:
    """Who finds their own answer link in a message about ``row``: in a REQUEST, everyone the
    session requires (someone planned absent has nothing to answer)."""
    if method != REQUEST:
        return set()
    return {person for person, _ in attendance.required_people(group, row)}


def _answer_url(
    session: DbSession, links: Links | None, row: Session, recipient_id: uuid.UUID | None, method: str, now: datetime
) -> str | None:
    """The recipient's own answer link in a REQUEST, for someone the session requires."""
    if links is None or recipient_id is None:
        return None
    if str(recipient_id) not in _answering(session.get(Group, row.group_id), row, method):
        return None
    return links.url(session, row.id, recipient_id, now)


_MEMBERS_WITHOUT_THEMES = selectinload(Group.memberships).joinedload(Membership.participant).lazyload(Participant.theme_rows)
"""An invitation names members; their themes are not read."""


def issue_for_session_changes(
    session: DbSession, changed: Sequence[tuple[uuid.UUID, str]], *, now: datetime, programme: Contact, mail: bool,
    links: Links | None = None,
) -> list[Issued]:
    """REQUEST (new, moved, changed, reinstated) or CANCEL to everyone each changed session
    concerns. ``changed`` holds (session id, change) pairs, usually all the sessions one plan
    changed: their groups, people and answer links are read once for all of them."""
    rows = {row.id: row for row in session.scalars(select(Session).where(Session.id.in_([i for i, _ in changed])))}
    groups_query = select(Group).where(Group.id.in_({row.group_id for row in rows.values()})).options(_MEMBERS_WITHOUT_THEMES)
    groups = {group.id: group for group in session.scalars(groups_query)}
    facilitator_ids = {group.facilitator_id for group in groups.values() if group.facilitator_id}
    facilitators = {f.id: f for f in session.scalars(select(Facilitator).where(Facilitator.id.in_(facilitator_ids)))}
    changes = []
    for session_id, change in changed:
        row = rows.get(session_id)
        if row is None:
            continue  # deleted with its group meanwhile
        group = groups[row.group_id]
        facilitator = facilitators.get(group.facilitator_id)
        chair = session.get(Participant, row.chair_id) if row.chair_id else None  # a member, loaded with the group
        recipients = []
        if row.kind == "guided" and facilitator is not None:
            recipients.append(_Recipient(FACILITATOR, facilitator.id, contact_of(facilitator), "CHAIR"))
        for membership in group.memberships:
            member = membership.participant
            recipients.append(_Recipient(PARTICIPANT, member.id, contact_of(member), "REQ-PARTICIPANT"))
        changes.append(_Change(
            row, group, session_event(row, group, facilitator, chair.name if chair else None, programme), recipients,
            CANCEL if row.status == "cancelled" else REQUEST, NOTICE_OF_CHANGE.get(change, "changed"),
        ))
    return _issue(session, changes, now=now, mail=mail, links=links)


def issue_for_membership(
    session: DbSession, payload: dict[str, Any], *, now: datetime, programme: Contact, mail: bool,
    links: Links | None = None,
) -> list[Issued]:
    """A member who joined gets a REQUEST for every upcoming session; one who left, a CANCEL."""
    group_id = uuid.UUID(payload["group_id"])
    participant_id = uuid.UUID(payload["participant_id"])
    contact = Contact(name=payload["name"], email=payload["email"], language=payload["language"])
    joined = payload["change"] == "joined"
    changes = []
    for row in upcoming_sessions(session, group_id, now):
        event, group, _ = event_for(session, row, programme)
        changes.append(_Change(
            row, group, event, [_Recipient(PARTICIPANT, participant_id, contact, "REQ-PARTICIPANT")],
            REQUEST if joined else CANCEL, "new" if joined else "removed",
        ))
    return _issue(session, changes, now=now, mail=mail, links=links)


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
    person = session.get(Facilitator if invitation.recipient_kind == FACILITATOR else Participant, invitation.recipient_id) if invitation.recipient_id else None
    return build_invitation_email(
        ics=invitation.ics.encode("utf-8"),
        method=invitation.method,
        sender=programme,
        recipient=recipient,
        subject=texts.mail_subject(event, language=invitation.language, notice=invitation.notice),
        text=texts.mail_text(
            event, recipient, notice=invitation.notice, role=role, answer_url=answer_url, timezone=person.timezone if person else None,
        ),
        identity=invitation_identity(
            method=invitation.method, session_id=str(invitation.session_id), sequence=invitation.sequence,
            person=f"{invitation.recipient_kind}:{invitation.recipient_id or invitation.recipient_email}",
        ),
        message_id_domain=programme.email.rpartition("@")[2] or "intervisie",
        date=now,
    )
