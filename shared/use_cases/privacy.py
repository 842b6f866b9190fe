"""What the GDPR asks of us: everything stored about a participant, and erasing them.

Erasure is one transaction: the person leaves their groups (each upcoming session's SEQUENCE
grows and a CANCEL to them is recorded in the outbox, with the address it needs), their feed
token dies, they are taken out of sessions' absentee lists, their published calendars and the
busy time read from them, stored API answers and webhook logs about them go, the platform is
told (``participant.erased``), and the row is deleted. Once the CANCELs have been issued (and
mailed, when mail is on), the invitations to them are deleted too.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from shared.actor import Actor
from shared.db.models import (
    Attendance,
    AvailabilityLink,
    FeedToken,
    Group,
    Invitation,
    Participant,
    Session,
    Webhook,
    WebhookDelivery,
)
from shared.use_cases import attendance, availability_links, busy_time, groups, idempotency, webhooks
from shared.use_cases.people import get_participant, revoke_feed


def export(session: DbSession, actor: Actor, participant_id: uuid.UUID, now: datetime) -> dict[str, Any]:
    """Everything stored about the person (the representation plus what refers to them)."""
    participant = get_participant(session, actor, participant_id)
    group_ids = [m.group_id for m in participant.memberships]
    group_names = dict(session.execute(select(Group.id, Group.name).where(Group.id.in_(group_ids))).all()) if group_ids else {}
    sessions = (
        list(session.scalars(select(Session).where(Session.group_id.in_(group_ids)).order_by(Session.start)))
        if group_ids else []
    )
    sent = list(
        session.scalars(
            select(Invitation)
            .where(Invitation.recipient_kind == "participant", Invitation.recipient_id == participant.id)
            .order_by(Invitation.issued_at)
        )
    )
    feed = session.scalar(select(FeedToken).where(FeedToken.owner_kind == "participant", FeedToken.owner_id == participant.id))
    events = select(WebhookDelivery).where(WebhookDelivery.subject_id == participant.id)
    if not actor.is_admin:
        events = events.join(Webhook, Webhook.id == WebhookDelivery.webhook_id).where(Webhook.client_id == actor.client_id)
    return {
        "exported_at": now,
        "participant": participant,
        "memberships": [
            {"group_id": m.group_id, "group_name": group_names.get(m.group_id), "joined_at": m.joined_at}
            for m in participant.memberships
        ],
        "sessions": [
            {
                "session_id": s.id, "group_id": s.group_id, "number": s.number, "start": s.start,
                "status": s.status, "chair": s.chair_id == participant.id,
                "absent": str(participant.id) in (s.absent_ids or []),
            }
            for s in sessions
        ],
        "invitations": [
            {
                "invitation_id": i.id, "session_id": i.session_id, "method": i.method, "notice": i.notice,
                "sequence": i.sequence, "issued_at": i.issued_at, "email": i.recipient_email,
                "delivery_state": i.delivery_state, "sent_at": i.sent_at,
            }
            for i in sent
        ],
        "attendance": [
            {"session_id": a.session_id, "response": a.response, "responded_at": a.responded_at, "source": a.source,
             "comment": a.comment}
            for a in session.scalars(select(Attendance).where(Attendance.person_id == participant.id).order_by(Attendance.responded_at))
        ],
        "feed": {"exists": feed is not None, "created_at": feed.created_at if feed else None},
        "availability_links": [
            {"created_at": link.created_at, "expires_at": link.expires_at}
            for link in session.scalars(
                select(AvailabilityLink).where(AvailabilityLink.participant_id == participant.id).order_by(AvailabilityLink.created_at)
            )
        ],
        "webhook_events": [
            {"delivery_id": d.id, "webhook_id": d.webhook_id, "event_type": d.event_type, "created_at": d.created_at, "state": d.state}
            for d in session.scalars(events.order_by(WebhookDelivery.created_at))
        ],
        **busy_time.exported(session, "participant", participant.id),
    }


def erase(session: DbSession, actor: Actor, participant_id: uuid.UUID, now: datetime) -> None:
    participant = get_participant(session, actor, participant_id)
    group_ids = [m.group_id for m in participant.memberships]
    # Groups in id order, as batches lock them, so that an erasure and a batch cannot deadlock.
    for membership in sorted(participant.memberships, key=lambda m: m.group_id):
        groups.leave(session, groups.get_group(session, actor, membership.group_id, lock=True), membership, now, announce=False)
    marker = str(participant.id)
    for row in session.scalars(select(Session).where(Session.group_id.in_(group_ids))) if group_ids else ():
        if marker in (row.absent_ids or []):
            # Only the erased person's own entry goes: what the others were sent stays current.
            row.absent_ids = [i for i in row.absent_ids if i != marker]
    for row in session.scalars(select(Session).where(Session.chair_id == participant.id)):
        # Feeds show the chair gone; the members' invitations stay current (no new SEQUENCE), so
        # their calendars' answers still count.
        row.chair_id = None
        row.updated_at = now
    revoke_feed(session, "participant", participant.id)
    availability_links.forget(session, participant.id)
    busy_time.forget(session, "participant", participant.id)
    attendance.forget_person(session, participant.id)
    idempotency.forget_resource(session, participant.id)
    webhooks.forget_subject(session, participant.id)
    webhooks.emit(session, "participant.erased", webhooks.participant_data(participant), now)
    session.delete(participant)
    session.flush()


def forget_invitations_of_erased(session: DbSession, recipient_id: uuid.UUID) -> int:
    """Delete the invitations to someone erased, once none of them is still to be mailed."""
    if session.get(Participant, recipient_id) is not None:
        return 0
    outstanding = session.scalar(
        select(Invitation.id).where(
            Invitation.recipient_id == recipient_id, Invitation.delivery_state.in_(("pending", "sending"))
        ).limit(1)
    )
    if outstanding is not None:
        return 0
    return session.execute(
        delete(Invitation).where(Invitation.recipient_kind == "participant", Invitation.recipient_id == recipient_id)
    ).rowcount
