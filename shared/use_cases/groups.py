"""Groups and their memberships."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, joinedload, lazyload, load_only

from shared.actor import Actor
from shared.db.models import Facilitator, Group, Membership, Participant
from shared.db.models import Session as GroupSession
from shared.errors import Conflict, InvalidInput, NotFound
from shared.use_cases import attendance, bookings, outbox, webhooks
from shared.use_cases.paging import Page, paginate
from shared.use_cases.people import get_participant, require_admin, revoke_feed, touch

MAX_MEMBERS = 8


def visible_groups(actor: Actor) -> Select:
    """Admins see every group; a platform the groups that one of its participants is in."""
    query = select(Group)
    if not actor.is_admin:
        query = query.where(
            exists()
            .where(Membership.group_id == Group.id)
            .where(Membership.participant_id == Participant.id)
            .where(Participant.client_id == actor.client_id)
        )
    return query


def _check_facilitator(session: Session, facilitator_id: uuid.UUID | None) -> None:
    if facilitator_id is not None and session.get(Facilitator, facilitator_id) is None:
        raise InvalidInput.field("facilitator_id", f"no facilitator {facilitator_id}")


def create_group(session: Session, actor: Actor, data: Mapping[str, Any]) -> Group:
    require_admin(actor, "groups")
    _check_facilitator(session, data.get("facilitator_id"))
    group = Group(memberships=[], **data)
    session.add(group)
    session.flush()
    return group


def get_group(session: Session, actor: Actor, group_id: uuid.UUID, *, lock: bool = False) -> Group:
    query = visible_groups(actor).where(Group.id == group_id)
    if lock:
        query = query.with_for_update()
    group = session.scalar(query)
    if group is None:
        raise NotFound(f"no group {group_id}")
    return group


SHOWN_WITH_GROUP = joinedload(Group.memberships).options(lazyload(Membership.participant))
"""What a group's representation reads: its memberships, in the statement that reads the group,
without the members themselves (writes load those with :func:`get_group`)."""
WITH_OWNERS = joinedload(Group.memberships).options(
    joinedload(Membership.participant).options(load_only(Participant.client_id), lazyload("*"))
)
""":data:`SHOWN_WITH_GROUP` and whose each member is (their platform), in the same statement:
what a platform's view of the group's sessions needs (see :func:`shared.use_cases.attendance.attach`)."""


def shown_with_sessions(actor: Actor):
    """What to read with a group whose sessions ``actor`` reads."""
    return SHOWN_WITH_GROUP if actor.is_admin else WITH_OWNERS


def show_group(session: Session, actor: Actor, group_id: uuid.UUID, *, loading=SHOWN_WITH_GROUP) -> Group:
    """A group as the API shows it, read in one statement (with ``loading``)."""
    group = session.scalars(
        visible_groups(actor).where(Group.id == group_id).options(loading)
    ).unique().one_or_none()
    if group is None:
        raise NotFound(f"no group {group_id}")
    return group


def list_groups(session: Session, actor: Actor, page: Page) -> tuple[list[Group], int]:
    return paginate(session, visible_groups(actor).order_by(Group.created_at, Group.id).options(SHOWN_WITH_GROUP), page)


def update_group(session: Session, actor: Actor, group: Group, data: Mapping[str, Any], now: datetime) -> None:
    """Change a group. A new facilitator takes over its upcoming guided sessions, so she must
    be free for them (409 ``schedule-conflict`` otherwise)."""
    require_admin(actor, "groups")
    if not data:  # a PATCH of {}: nothing to change, so no new version either
        return
    if "facilitator_id" in data:
        _check_facilitator(session, data["facilitator_id"])
        if data["facilitator_id"] not in (None, group.facilitator_id):
            _check_newcomer(session, group, now, facilitator_id=data["facilitator_id"])
    for name, value in data.items():
        setattr(group, name, value)
    touch(group)
    session.flush()


def delete_group(session: Session, actor: Actor, group: Group) -> None:
    require_admin(actor, "groups")
    for membership in group.memberships:  # their group_ids change with the group gone
        touch(membership.participant)
    session.delete(group)
    revoke_feed(session, "group", group.id)
    session.flush()


def upcoming_sessions(session: Session, group_id: uuid.UUID, now: datetime) -> list[GroupSession]:
    return list(
        session.scalars(
            select(GroupSession)
            .where(GroupSession.group_id == group_id, GroupSession.status == "scheduled", GroupSession.start >= now)
            .order_by(GroupSession.number)
        )
    )


def _check_newcomer(
    session: Session, group: Group, now: datetime, *,
    participant_id: uuid.UUID | None = None, facilitator_id: uuid.UUID | None = None,
) -> None:
    """A new member (every session) or facilitator (guided ones) must be free for the group's
    upcoming sessions: never booked twice, nor over a facilitator's capacity.

    The group's row is locked first, then the newcomer (the order every writer of sessions
    keeps), and only then are the sessions read: a run writing this group's sessions right now
    has committed them by then."""
    session.execute(select(Group.id).where(Group.id == group.id).with_for_update())
    bookings.lock_people(session, [participant_id or facilitator_id])
    upcoming = [
        row for row in upcoming_sessions(session, group.id, now) if participant_id or row.kind == "guided"
    ]
    bookings.check(session, [
        bookings.Placement(
            row.id, row.start, row.end, facilitator_id, (participant_id,) if participant_id else ()
        )
        for row in upcoming
    ], now)


def membership_payload(group_id: uuid.UUID, participant: Participant, change: str) -> dict[str, Any]:
    """What the worker needs to write to a member; kept so a CANCEL reaches someone since erased."""
    return {
        "group_id": str(group_id),
        "participant_id": str(participant.id),
        "change": change,
        "name": participant.name,
        "email": participant.email,
        "language": participant.language,
    }


def add_member(
    session: Session, actor: Actor, group_id: uuid.UUID, participant_id: uuid.UUID, now: datetime
) -> Membership:
    """Put a participant in a group; doing it again changes nothing.

    When the group already has upcoming sessions, the newcomer is sent invitations to them.
    """
    require_admin(actor, "memberships")
    # The row locks serialise concurrent additions: to one group, so that two of them cannot
    # both be the 8th; of one person, so that two groups taking her at once take turns instead
    # of one losing the race to move her version (her group_ids change).
    group = get_group(session, actor, group_id, lock=True)
    participant = get_participant(session, actor, participant_id, lock=True)
    for membership in group.memberships:
        if membership.participant_id == participant.id:
            return membership
    if len(group.memberships) >= MAX_MEMBERS:
        raise Conflict(f"the group already has {MAX_MEMBERS} members, the most a group can have")
    _check_newcomer(session, group, now, participant_id=participant.id)
    position = max((m.position for m in group.memberships), default=0) + 1
    membership = Membership(group=group, participant=participant, joined_at=now, position=position)
    session.add(membership)
    touch(group)
    touch(participant)  # its group_ids, and so its ETag, change
    session.flush()
    webhooks.emit(session, "participant.placed", webhooks.participant_data(participant, group_id=group.id), now)
    if upcoming_sessions(session, group.id, now):
        outbox.record(session, outbox.MEMBERSHIP_CHANGED, membership_payload(group.id, participant, "joined"), now)
    return membership


def remove_member(
    session: Session, actor: Actor, group_id: uuid.UUID, participant_id: uuid.UUID, now: datetime
) -> None:
    """Take a participant out of a group; they are sent a CANCEL for each upcoming session."""
    require_admin(actor, "memberships")
    group = get_group(session, actor, group_id, lock=True)
    for membership in group.memberships:
        if membership.participant_id == participant_id:
            leave(session, group, membership, now)
            return
    raise NotFound(f"participant {participant_id} is not a member of group {group_id}")


def leave(session: Session, group: Group, membership: Membership, now: datetime, *, announce: bool = True) -> None:
    """Take a member out; each upcoming session gets a CANCEL for them. ``announce=False`` when
    the leaving is part of an erasure (the erasure is announced instead)."""
    upcoming = upcoming_sessions(session, group.id, now)
    # The sessions themselves do not change: the leaver's CANCEL carries a SEQUENCE above what
    # she was sent (see shared.domain.attendance.sequence_to_send), and everyone else's
    # invitation stays as current as it was, so their calendars' answers still count.
    if upcoming:
        payload = membership_payload(group.id, membership.participant, "left")
        outbox.record(session, outbox.MEMBERSHIP_CHANGED, payload, now)
        attendance.forget_person(session, membership.participant_id, [row.id for row in upcoming])
    if announce:
        webhooks.emit(session, "participant.left", webhooks.participant_data(membership.participant, group_id=group.id), now)
    # Out of both collections (the participant's first: loading it later would autoflush the
    # orphan away), or deleting the participant afterwards would delete the membership twice.
    touch(membership.participant)  # its group_ids, and so its ETag, change
    membership.participant.memberships.remove(membership)
    group.memberships.remove(membership)
    touch(group)
    session.flush()
