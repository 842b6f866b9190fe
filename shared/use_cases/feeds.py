"""Calendar feeds: a facilitator's, a participant's and a group's, each behind its own token.

A token is 256 bits: ``HMAC-SHA256(secret key, owner and generation)``, URL-safe base64. The
database stores only its SHA-256, so a leaked database reveals no feed URL; the API can still
show an owner's URL again because it can derive it. Rotating bumps the generation: the old URL
is dead at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Protocol

from sqlalchemy import ColumnElement, String, Uuid, bindparam, cast, delete, func, select, union_all
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import aliased, defer, lazyload

from shared.db.models import (
    Facilitator,
    FeedToken,
    Group,
    GroupFeedChanges,
    Membership,
    Participant,
    RenderedEvent,
    Session,
)
from shared.domain.ics import RENDERING_VERSION, Contact, SessionEvent, published_vevent, rendering_key
from shared.use_cases.invitations import session_event

FACILITATOR, PARTICIPANT, GROUP = "facilitator", "participant", "group"
OWNER_KINDS = (FACILITATOR, PARTICIPANT, GROUP)


def derive_token(secret: bytes, kind: str, owner_id: uuid.UUID, generation: int) -> str:
    digest = hmac.new(secret, f"feed:{kind}:{owner_id}:{generation}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _row(session: DbSession, kind: str, owner_id: uuid.UUID) -> FeedToken | None:
    return session.scalar(select(FeedToken).where(FeedToken.owner_kind == kind, FeedToken.owner_id == owner_id))


def feed_token(session: DbSession, secret: bytes, kind: str, owner_id: uuid.UUID, now: datetime) -> str:
    """The owner's current token, created on first use."""
    row = _row(session, kind, owner_id)
    if row is None:
        token = derive_token(secret, kind, owner_id, 1)
        session.add(FeedToken(owner_kind=kind, owner_id=owner_id, generation=1, token_hash=hash_token(token), created_at=now))
        session.flush()
        return token
    return derive_token(secret, kind, owner_id, row.generation)


def rotate(session: DbSession, secret: bytes, kind: str, owner_id: uuid.UUID, now: datetime) -> str:
    """A new token for the owner; the old one stops working in the same commit."""
    row = _row(session, kind, owner_id)
    if row is None:
        return feed_token(session, secret, kind, owner_id, now)
    row.generation += 1
    token = derive_token(secret, kind, owner_id, row.generation)
    row.token_hash, row.created_at = hash_token(token), now
    session.flush()
    return token


# -- what a feed shows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    kind: str
    id: uuid.UUID
    name: str
    timezone: str
    language: str
    version: int
    changes: str | None = field(default=None, repr=False, compare=False)
    """The database's change counts of the owner's groups (``group:count,…``), read with the
    owner; not part of the owner (nor of the fingerprint), but what tells whether a remembered
    fingerprint holds."""


def _changes(kind: str, dialect: str) -> ColumnElement[str]:
    """The change counts of the groups a feed shows, as one text: each group's id and count,
    in the order of the ids, so that a group that joins or leaves the list changes it too."""
    if kind == GROUP:
        groups = select(FeedToken.owner_id.label("group_id"))
    elif kind == FACILITATOR:
        groups = select(Group.id.label("group_id")).where(Group.facilitator_id == FeedToken.owner_id)
    else:
        groups = select(Membership.group_id.label("group_id")).where(Membership.participant_id == FeedToken.owner_id)
    shown = groups.correlate(FeedToken).subquery()
    entry = cast(shown.c.group_id, String) + ":" + cast(func.coalesce(GroupFeedChanges.counter, 0), String)
    counted = select(entry.label("entry"), shown.c.group_id).outerjoin(
        GroupFeedChanges, GroupFeedChanges.group_id == shown.c.group_id
    ).select_from(shown)
    if dialect == "postgresql":
        listed = counted.with_only_columns(func.string_agg(entry, aggregate_order_by(",", shown.c.group_id)))
    else:  # SQLite aggregates an ordered subquery in its order
        ordered = counted.order_by(shown.c.group_id).subquery()
        listed = select(func.group_concat(ordered.c.entry, ","))
    return func.coalesce(listed.scalar_subquery(), "")


@lru_cache(maxsize=2)
def _owner_statement(dialect: str):
    """The token's owner, whatever its kind, and the change counts of its groups, in one round
    trip (a 304 should cost little)."""
    kinds = ((FACILITATOR, Facilitator), (PARTICIPANT, Participant), (GROUP, Group))
    owners = [
        select(
            FeedToken.owner_kind, FeedToken.owner_id, model.name, model.timezone, model.language, model.version,
            _changes(kind, dialect),
        )
        .join(model, (model.id == FeedToken.owner_id) & (FeedToken.owner_kind == kind))
        .where(FeedToken.token_hash == bindparam("token_hash"))
        for kind, model in kinds
    ]
    return union_all(*owners)


def resolve(session: DbSession, token: str) -> Owner | None:
    """The owner of a feed token, or None for an unknown or rotated token or a removed owner."""
    if not token or len(token) > 100:
        return None
    statement = _owner_statement(session.get_bind().dialect.name)
    row = session.execute(statement, {"token_hash": hash_token(token)}).first()
    return Owner(*row) if row else None


def _owned_by(kind: str, owner_id) -> ColumnElement[bool]:
    """Which sessions a feed shows (the query joins Session to its Group)."""
    if kind == FACILITATOR:
        return Group.facilitator_id == owner_id
    if kind == PARTICIPANT:
        return Session.group_id.in_(select(Membership.group_id).where(Membership.participant_id == owner_id))
    return Session.group_id == owner_id


@lru_cache(maxsize=8)
def _fingerprint_statement(kind: str, dialect: str):
    """Built once per kind and dialect: constructing the statement costs more than running it."""
    chair = aliased(Participant)
    columns = (Session.id, Session.version, Group.version, Facilitator.version, chair.version)
    query = (
        select(*columns)
        .join(Group, Group.id == Session.group_id)
        .outerjoin(Facilitator, Facilitator.id == Group.facilitator_id)
        .outerjoin(chair, chair.id == Session.chair_id)
        .where(_owned_by(kind, bindparam("owner_id", type_=Uuid)))
    )
    if dialect != "postgresql":
        return query.order_by(Session.id)
    line = func.concat_ws(":", *(func.coalesce(cast(c, String), "-") for c in columns))
    return query.with_only_columns(
        func.count(), func.md5(func.coalesce(func.string_agg(line, aggregate_order_by(",", Session.id)), ""))
    )


def fingerprint(session: DbSession, owner: Owner, programme: Contact) -> str:
    """A hash of everything a feed's bytes depend on, read without rendering (for 304s).

    Every row a feed shows or names (its sessions, their groups, facilitators and chairs) has a
    version that grows with each change; the fingerprint covers each session's id with all of
    those versions. On PostgreSQL the database folds them into one md5, so a 304 costs one short
    row instead of one row per session.
    """
    dialect = session.get_bind().dialect.name
    rows = session.execute(_fingerprint_statement(owner.kind, dialect), {"owner_id": owner.id})
    digest = hashlib.sha256(repr((RENDERING_VERSION, owner, programme)).encode())
    for row in rows:
        digest.update(":".join(map(str, row)).encode() + b",")
    return digest.hexdigest()[:40]


class Remembered(Protocol):
    def get(self, key: tuple) -> str | None: ...

    def put(self, key: tuple, value: str) -> None: ...


def current_fingerprint(session: DbSession, owner: Owner, programme: Contact, remembered: Remembered) -> str:
    """:func:`fingerprint`, taken from ``remembered`` while nothing the feed shows has changed.

    ``remembered`` maps (owner, programme, change counts of the owner's groups) to the
    fingerprint computed at those counts. The counts are read before the fingerprint (with the
    owner), so a fingerprint is never older than the counts it is kept under: at worst newer,
    which only costs a recomputation once the counts catch up. A change in a group the feed
    does not show moves no count of its own, and the remembered fingerprint stays in use.
    """
    if owner.changes is None:
        return fingerprint(session, owner, programme)
    key = (owner, programme, owner.changes)
    known = remembered.get(key)
    if known is None:
        known = fingerprint(session, owner, programme)
        remembered.put(key, known)
    return known


def feed_events(session: DbSession, owner: Owner, programme: Contact) -> list[SessionEvent]:
    rows = list(
        session.scalars(
            select(Session)
            .options(defer(Session.absent_ids), defer(Session.note))  # a feed shows neither
            .join(Group, Group.id == Session.group_id)
            .where(_owned_by(owner.kind, owner.id))
            .order_by(Session.start, Session.uid)
        )
    )
    group_ids = {row.group_id for row in rows}
    # Without their members: a feed names the group, not who is in it.
    groups = (
        {g.id: g for g in session.scalars(select(Group).options(lazyload(Group.memberships), defer(Group.constraints)).where(Group.id.in_(group_ids)))}
        if group_ids else {}
    )
    facilitator_ids = {g.facilitator_id for g in groups.values() if g.facilitator_id}
    facilitators = (
        {f.id: f for f in session.scalars(select(Facilitator).where(Facilitator.id.in_(facilitator_ids)))}
        if facilitator_ids else {}
    )
    chair_ids = {row.chair_id for row in rows if row.chair_id}
    chairs = (
        dict(session.execute(select(Participant.id, Participant.name).where(Participant.id.in_(chair_ids))).all())
        if chair_ids else {}
    )
    return [
        session_event(
            row,
            groups[row.group_id],
            facilitators.get(groups[row.group_id].facilitator_id),
            chairs.get(row.chair_id),
            programme,
        )
        for row in rows
    ]


# -- rendered events, kept between processes ------------------------------------------------------


def stored_renderings(session: DbSession, events: list[SessionEvent], language: str) -> dict[str, bytes]:
    """The VEVENT bytes already rendered for these events, where still current (same key)."""
    if not events:
        return {}
    keys = {event.uid: rendering_key(event, language) for event in events}
    rows = session.execute(
        select(RenderedEvent.uid, RenderedEvent.key, RenderedEvent.body).where(
            RenderedEvent.language == language, RenderedEvent.uid.in_(list(keys))
        )
    )
    return {uid: body.encode() for uid, key, body in rows if keys[uid] == key}


def store_renderings(session: DbSession, events: list[SessionEvent], language: str, stored: dict[str, bytes]) -> int:
    """Keep the renderings that were missing or stale; returns how many were written."""
    missing = [event for event in events if event.uid not in stored]
    if not missing:
        return 0
    uids = [event.uid for event in missing]
    session.execute(delete(RenderedEvent).where(RenderedEvent.language == language, RenderedEvent.uid.in_(uids)))
    session.add_all(
        RenderedEvent(uid=e.uid, language=language, key=rendering_key(e, language), body=published_vevent(e, language).decode())
        for e in missing
    )
    return len(missing)
