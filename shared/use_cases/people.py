"""Facilitators and participants: creating, reading, changing and removing them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    Select,
    Subquery,
    bindparam,
    delete,
    exists,
    func,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
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
from shared.use_cases import busy_time, webhooks
from shared.use_cases.paging import MAX_OFFSET, Page, paginate


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
    if not data:  # a PATCH of {}: nothing to change, so no new version either
        return
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
    busy_time.forget(session, "facilitator", facilitator.id)
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


def get_participant(session: Session, actor: Actor, participant_id: uuid.UUID, *, lock: bool = False) -> Participant:
    """``lock``: the row is locked until the transaction ends (on PostgreSQL) and read as it
    is once the lock is had, so that writers that change the participant take turns."""
    query = visible_participants(actor).where(Participant.id == participant_id)
    if lock:
        query = query.with_for_update(of=Participant).execution_options(populate_existing=True)
    participant = session.scalar(query)
    if participant is None:
        raise NotFound(f"no participant {participant_id}")
    return participant


class ShownParticipant(SimpleNamespace):
    """A participant as a read shows it: the row's columns, its ``themes`` in their order and the
    ``group_ids`` of its groups in the order it joined them. Read with Core in one statement, not
    as ORM objects with their theme and membership objects: a page of 20 is a third of the work."""


_PARTICIPANTS = Participant.__table__
_THEMES = ParticipantTheme.__table__
_MEMBERSHIPS = Membership.__table__


@dataclass(frozen=True)
class _Shape:
    """Which conditions a read of participants has; their values are bound when it runs."""

    admin: bool
    by_id: bool = False
    filters: tuple[str, ...] = ()
    """Names of the set ParticipantFilter fields, in its order."""
    unassigned: bool | None = None
    paged: bool = False
    dialect: str = "postgresql"


def _matching(shape: _Shape) -> Select:
    """The participant columns of the participants of ``shape``, its values as bound parameters."""
    query = select(*_PARTICIPANTS.c)
    if not shape.admin:
        query = query.where(_PARTICIPANTS.c.client_id == bindparam("client_id"))
    if shape.by_id:
        query = query.where(_PARTICIPANTS.c.id == bindparam("participant_id"))
    for name in shape.filters:
        if name in ("role", "organization", "external_ref"):
            query = query.where(_PARTICIPANTS.c[name] == bindparam(name))
        elif name == "theme":
            query = query.where(exists().where(
                _THEMES.c.participant_id == _PARTICIPANTS.c.id, _THEMES.c.theme == bindparam("theme"),
            ))
        elif name == "group_id":
            query = query.where(exists().where(
                _MEMBERSHIPS.c.participant_id == _PARTICIPANTS.c.id, _MEMBERSHIPS.c.group_id == bindparam("group_id"),
            ))
    member = exists().where(_MEMBERSHIPS.c.participant_id == _PARTICIPANTS.c.id)
    if shape.unassigned is True:
        query = query.where(~member)
    elif shape.unassigned is False:
        query = query.where(member)
    return query


def _listed(dialect: str, shown: Subquery, value: ColumnElement, owner: ColumnElement, *order: ColumnElement) -> ColumnElement:
    """The values of a column of each participant ``shown``, in ``order``, as a list (a
    correlated subquery): PostgreSQL's array_agg orders them itself; SQLite before 3.44 cannot
    order an aggregate, so it makes a JSON array of an ordered subquery, which SQLite does not
    flatten under an aggregate and so reads in order — its behaviour, not a documented promise:
    tests/api/test_participant_answers.py and test_etags.py hold both orders on both databases."""
    if dialect == "postgresql":
        aggregated = select(func.array_agg(aggregate_order_by(value, *order))).where(owner == shown.c.id)
        return type_coerce(aggregated.scalar_subquery(), ARRAY(value.type))
    ordered = select(value).where(owner == shown.c.id).correlate(shown).order_by(*order).subquery()
    return type_coerce(select(func.json_group_array(ordered.c[0])).scalar_subquery(), JSON)


@lru_cache(maxsize=256)
def _shown_statement(shape: _Shape) -> Select:
    """Built once per shape and dialect (building a statement costs as much as running it): the
    participants in order, one row each with its themes and groups as lists; paged, with the
    count of all pages' rows as a window taken before LIMIT (and the lists made for the page's
    rows only). One row a participant rather than one per theme and group: a page of 20 reads
    half the rows, and groups none of them."""
    query = _matching(shape)
    if shape.paged:
        query = (
            query.add_columns(func.count().over().label("total"))
            .order_by(_PARTICIPANTS.c.created_at, _PARTICIPANTS.c.id)
            .limit(bindparam("limit")).offset(bindparam("offset"))
        )
    shown = query.subquery()
    themes = _listed(shape.dialect, shown, _THEMES.c.theme, _THEMES.c.participant_id, _THEMES.c.position)
    groups = _listed(
        shape.dialect, shown, _MEMBERSHIPS.c.group_id, _MEMBERSHIPS.c.participant_id,
        _MEMBERSHIPS.c.joined_at, _MEMBERSHIPS.c.group_id,
    )
    return select(shown, themes.label("themes"), groups.label("group_ids")).order_by(shown.c.created_at, shown.c.id)


@lru_cache(maxsize=256)
def _count_statement(shape: _Shape) -> Select:
    return select(func.count()).select_from(_matching(shape).subquery())


def _shown(session: Session, shape: _Shape, values: dict[str, Any]) -> tuple[list[ShownParticipant], int | None]:
    rows = session.execute(_shown_statement(replace(shape, dialect=session.get_bind().dialect.name)), values).all()
    shown = [
        ShownParticipant(
            **{column.name: row[index] for index, column in enumerate(_PARTICIPANTS.c)},
            themes=row.themes or [],
            # PostgreSQL answers UUIDs; SQLite's JSON array, their hex text.
            group_ids=[uuid.UUID(str(group_id)) for group_id in row.group_ids or ()],
        )
        for row in rows
    ]
    return shown, (rows[0].total if rows and shape.paged else None)


def show_participant(session: Session, actor: Actor, participant_id: uuid.UUID) -> ShownParticipant:
    """A participant as the API shows it, in one statement."""
    shown, _ = _shown(
        session, _Shape(admin=actor.is_admin, by_id=True), {"participant_id": participant_id, "client_id": actor.client_id}
    )
    if not shown:
        raise NotFound(f"no participant {participant_id}")
    return shown[0]


def list_participants(
    session: Session, actor: Actor, filters: ParticipantFilter, page: Page
) -> tuple[list[ShownParticipant], int]:
    """A page of the participants the actor sees, as the API shows them, and how many there are
    in all pages: one statement (a count of its own past the last page)."""
    values: dict[str, Any] = {"client_id": actor.client_id}
    for field in fields(ParticipantFilter):
        value = getattr(filters, field.name)
        if value is not None and field.name != "unassigned":
            values[field.name] = value
    filtered = tuple(name for name in values if name != "client_id")
    offset = (page.number - 1) * page.size
    if offset <= MAX_OFFSET:
        shape = _Shape(admin=actor.is_admin, filters=filtered, unassigned=filters.unassigned, paged=True)
        shown, total = _shown(session, shape, {**values, "limit": page.size, "offset": offset})
        if shown:
            return shown, total
    shape = _Shape(admin=actor.is_admin, filters=filtered, unassigned=filters.unassigned)
    return [], session.scalar(_count_statement(shape), values) or 0


def update_participant(
    session: Session, participant: Participant, data: Mapping[str, Any], *, now: datetime, source: str = "api",
) -> None:
    """Change a participant; a changed availability raises ``participant.availability_changed``
    (``source``: ``api``, or ``link`` when they filled it in on their own page)."""
    if not data:  # a PATCH of {}: nothing to change, so no new version either
        return
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
