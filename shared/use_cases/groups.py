"""Groups and their memberships."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from shared.actor import Actor
from shared.db.models import Facilitator, Group, Membership, Participant
from shared.errors import Conflict, InvalidInput, NotFound
from shared.use_cases.people import Page, get_participant, paginate, require_admin, touch

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


def list_groups(session: Session, actor: Actor, page: Page) -> tuple[list[Group], int]:
    return paginate(session, visible_groups(actor).order_by(Group.created_at, Group.id), page)


def update_group(session: Session, actor: Actor, group: Group, data: Mapping[str, Any]) -> None:
    require_admin(actor, "groups")
    if "facilitator_id" in data:
        _check_facilitator(session, data["facilitator_id"])
    for name, value in data.items():
        setattr(group, name, value)
    touch(group)
    session.flush()


def delete_group(session: Session, actor: Actor, group: Group) -> None:
    require_admin(actor, "groups")
    session.delete(group)
    session.flush()


def add_member(
    session: Session, actor: Actor, group_id: uuid.UUID, participant_id: uuid.UUID
) -> Membership:
    """Put a participant in a group; doing it again changes nothing."""
    require_admin(actor, "memberships")
    # The row lock serialises concurrent additions, so that two of them cannot both be the 8th.
    group = get_group(session, actor, group_id, lock=True)
    participant = get_participant(session, actor, participant_id)
    for membership in group.memberships:
        if membership.participant_id == participant.id:
            return membership
    if len(group.memberships) >= MAX_MEMBERS:
        raise Conflict(f"the group already has {MAX_MEMBERS} members, the most a group can have")
    membership = Membership(group=group, participant=participant)
    session.add(membership)
    touch(group)
    session.flush()
    return membership


def remove_member(
    session: Session, actor: Actor, group_id: uuid.UUID, participant_id: uuid.UUID
) -> None:
    require_admin(actor, "memberships")
    group = get_group(session, actor, group_id, lock=True)
    for membership in group.memberships:
        if membership.participant_id == participant_id:
            group.memberships.remove(membership)
            touch(group)
            session.flush()
            return
    raise NotFound(f"participant {participant_id} is not a member of group {group_id}")
