"""Facilitators and participants: creating, reading, changing and removing them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.orm import Session

from shared.actor import Actor
from shared.db.models import (
    Facilitator,
    FeedToken,
    Group,
    Membership,
    Participant,
    ParticipantTheme,
    utcnow,
)
from shared.errors import Conflict, Forbidden, NotFound


@dataclass(frozen=True)
class Page:
    number: int
    size: int


@dataclass(frozen=True)
class ParticipantFilter:
    role: str | None = None
    theme: str | None = None
    organization: str | None = None
    unassigned: bool | None = None
    group_id: uuid.UUID | None = None
    external_ref: str | None = None


def require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise Forbidden(f"{what} are managed with an admin key")


def paginate(session: Session, query: Select, page: Page) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    offset = (page.number - 1) * page.size
    if offset >= total:  # past the last page; the offset may not even fit the database's integer
        return [], total
    items = session.scalars(query.limit(page.size).offset(offset))
    return list(items), total


def _apply(row: Any, data: Mapping[str, Any]) -> None:
    for name, value in data.items():
        setattr(row, name, value)


def touch(row: Any) -> None:
    """Make the row's version move, also when only related rows (themes, members) changed."""
    row.updated_at = utcnow()


# Facilitators --------------------------------------------------------------------------------


def create_facilitator(session: Session, actor: Actor, data: Mapping[str, Any]) -> Facilitator:
    require_admin(actor, "facilitators")
    facilitator = Facilitator(**data)
    session.add(facilitator)
    session.flush()
    return facilitator


def get_facilitator(session: Session, actor: Actor, facilitator_id: uuid.UUID) -> Facilitator:
    require_admin(actor, "facilitators")
    facilitator = session.get(Facilitator, facilitator_id)
    if facilitator is None:
        raise NotFound(f"no facilitator {facilitator_id}")
    return facilitator


def list_facilitators(session: Session, actor: Actor, page: Page) -> tuple[list[Facilitator], int]:
    require_admin(actor, "facilitators")
    query = select(Facilitator).order_by(Facilitator.created_at, Facilitator.id)
    return paginate(session, query, page)


def update_facilitator(session: Session, facilitator: Facilitator, data: Mapping[str, Any]) -> None:
    _apply(facilitator, data)
    touch(facilitator)
    session.flush()


def delete_facilitator(session: Session, facilitator: Facilitator) -> None:
    guided = session.scalar(select(func.count()).where(Group.facilitator_id == facilitator.id))
    if guided:
        raise Conflict(
            f"the facilitator guides {guided} group(s); give those groups another facilitator first"
        )
    session.delete(facilitator)
    revoke_feed(session, "facilitator", facilitator.id)
    session.flush()


# Participants --------------------------------------------------------------------------------


def visible_participants(actor: Actor) -> Select:
    query = select(Participant)
    if not actor.is_admin:
        query = query.where(Participant.client_id == actor.client_id)
    return query


def _ensure_unique_ref(
    session: Session, client_id: uuid.UUID, external_ref: str | None, own_id: uuid.UUID | None
) -> None:
    if external_ref is None:
        return
    clash = session.scalar(
        select(Participant.id).where(
            Participant.client_id == client_id,
            Participant.external_ref == external_ref,
        )
    )
    if clash is not None and clash != own_id:
        raise Conflict(f"external_ref {external_ref!r} is already used by participant {clash}")


def create_participant(session: Session, actor: Actor, data: Mapping[str, Any]) -> Participant:
    _ensure_unique_ref(session, actor.client_id, data.get("external_ref"), None)
    participant = Participant(client_id=actor.client_id, memberships=[], **data)
    session.add(participant)
    session.flush()
    return participant


def get_participant(session: Session, actor: Actor, participant_id: uuid.UUID) -> Participant:
    participant = session.scalar(
        visible_participants(actor).where(Participant.id == participant_id)
    )
    if participant is None:
        raise NotFound(f"no participant {participant_id}")
    return participant


def list_participants(
    session: Session, actor: Actor, filters: ParticipantFilter, page: Page
) -> tuple[list[Participant], int]:
    query = visible_participants(actor)
    if filters.role is not None:
        query = query.where(Participant.role == filters.role)
    if filters.organization is not None:
        query = query.where(Participant.organization == filters.organization)
    if filters.external_ref is not None:
        query = query.where(Participant.external_ref == filters.external_ref)
    if filters.theme is not None:
        query = query.where(
            exists().where(
                ParticipantTheme.participant_id == Participant.id,
                ParticipantTheme.theme == filters.theme,
            )
        )
    member = exists().where(Membership.participant_id == Participant.id)
    if filters.unassigned is True:
        query = query.where(~member)
    elif filters.unassigned is False:
        query = query.where(member)
    if filters.group_id is not None:
        query = query.where(
            exists().where(
                Membership.participant_id == Participant.id,
                Membership.group_id == filters.group_id,
            )
        )
    return paginate(session, query.order_by(Participant.created_at, Participant.id), page)


def update_participant(
    session: Session, participant: Participant, data: Mapping[str, Any], *, now: datetime, source: str = "api",
) -> None:
    """Change a participant; a changed availability raises ``participant.availability_changed``
    (``source``: ``api``, or ``link`` when they filled it in on their own page)."""
    from shared.use_cases import webhooks  # webhooks pages with this module's helpers

    if "external_ref" in data:
        _ensure_unique_ref(session, participant.client_id, data["external_ref"], participant.id)
    changed = "availability" in data and data["availability"] != participant.availability
    _apply(participant, data)
    touch(participant)
    session.flush()
    if changed:
        webhooks.emit(session, "participant.availability_changed", {**webhooks.participant_data(participant), "source": source}, now)


def revoke_feed(session: Session, kind: str, owner_id: uuid.UUID) -> None:
    """A removed owner's feed URL stops working with the removal."""
    session.execute(delete(FeedToken).where(FeedToken.owner_kind == kind, FeedToken.owner_id == owner_id))
