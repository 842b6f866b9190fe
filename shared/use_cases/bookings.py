"""Who is booked when, read from the database, and the locks that keep two writers from booking
one person twice (see :mod:`shared.domain.bookings` for the rules).

A person's bookings are their other scheduled sessions: for a facilitator the guided sessions of
every group she guides, for a participant every session of every group they are in, except those
where they are listed absent; and the busy time read from their own published calendars
(:mod:`shared.use_cases.busy_time`), which keeps a session from overlapping it like another
session does but counts towards no capacity. Everything that places a session — a run, a batch, a move, a
reinstatement, a new member, a new facilitator — takes :func:`lock_people` on everyone involved
(in a fixed order, after any group row locks) and checks against bookings read after the lock,
in the transaction that writes. On SQLite, ``BEGIN IMMEDIATE`` already serialises writers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session as DbSession

from shared.db.models import Facilitator, Group, Membership, Participant, Session
from shared.domain import bookings as bk
from shared.domain import busy_times
from shared.domain import calendar_sources as sources
from shared.errors import ScheduleConflict
from shared.use_cases import busy_time

LOOKBACK = timedelta(days=7)
"""Sessions that ended this long before now still count (a week's limit looks back)."""


def capacity_of(document: dict[str, Any] | None) -> bk.Capacity | None:
    if not document or not any(document.values()):
        return None
    return bk.Capacity(
        max_sessions_per_day=document.get("max_sessions_per_day"),
        max_sessions_per_week=document.get("max_sessions_per_week"),
        break_minutes=document.get("break_minutes"),
    )


def _lock_key(person_id: uuid.UUID) -> int:
    return int.from_bytes(person_id.bytes[:8], "big", signed=True)


def lock_people(session: DbSession, person_ids: Iterable[uuid.UUID]) -> None:
    """Serialise writers that book any of these people, until the transaction ends.

    PostgreSQL: transaction-scoped advisory locks, taken in key order so that two writers cannot
    deadlock on each other. Take group row locks (``FOR UPDATE``) before these, never after.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({_lock_key(person_id) for person_id in person_ids})
    if keys:
        session.execute(
            text("SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS ordered"),
            {"keys": keys},
        )


def bookings_for(
    session: DbSession,
    *,
    facilitator_ids: Iterable[uuid.UUID] = (),
    participant_ids: Iterable[uuid.UUID] = (),
    now: datetime,
    replacing: Iterable[uuid.UUID] = (),
    excluding: Iterable[uuid.UUID] = (),
    calendars: bool = True,
    until: datetime | None = None,
) -> list[bk.Booking]:
    """The scheduled sessions these people are booked into, from a week before ``now`` on, and
    (with ``calendars``) the busy time their calendars hold from then until ``until`` (default:
    as far as it is kept).

    Left out: the sessions in ``excluding``, and the upcoming sessions (from ``now``) of the
    groups in ``replacing`` — those a plan being written replaces.
    """
    facilitator_ids, participant_ids = list(facilitator_ids), list(participant_ids)
    replacing, excluding = set(replacing), set(excluding)
    since = now - LOOKBACK
    rows: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, datetime, datetime, list[str]]] = []
    if facilitator_ids:
        rows.extend(session.execute(
            select(Group.facilitator_id, Session.id, Session.group_id, Session.start, Session.end, Session.absent_ids)
            .join(Group, Group.id == Session.group_id)
            .where(
                Group.facilitator_id.in_(facilitator_ids), Session.kind == "guided",
                Session.status == "scheduled", Session.end > since,
            )
        ))
    if participant_ids:
        rows.extend(session.execute(
            select(Membership.participant_id, Session.id, Session.group_id, Session.start, Session.end, Session.absent_ids)
            .join(Membership, Membership.group_id == Session.group_id)
            .where(Membership.participant_id.in_(participant_ids), Session.status == "scheduled", Session.end > since)
        ))
    found = [
        bk.Booking(str(person_id), str(session_id), start, end)
        for person_id, session_id, group_id, start, end, absent in rows
        if session_id not in excluding
        and not (group_id in replacing and start >= now)
        and str(person_id) not in absent
    ]
    if calendars:
        found.extend(calendar_bookings(
            session, facilitator_ids=facilitator_ids, participant_ids=participant_ids,
            start=since, end=until or busy_times.horizon(now)[1],
        ))
    return sorted(found, key=lambda booking: (booking.person_id, booking.start, booking.session_id))


def calendar_bookings(
    session: DbSession, *, facilitator_ids: Iterable[uuid.UUID], participant_ids: Iterable[uuid.UUID],
    start: datetime, end: datetime,
) -> list[bk.Booking]:
    """The busy time these people's calendars hold in ``[start, end)``, as bookings of source
    :data:`~shared.domain.bookings.CALENDAR` (one per merged stretch)."""
    found = []
    for kind, ids in ((sources.FACILITATOR, facilitator_ids), (sources.PARTICIPANT, participant_ids)):
        for owner_id, intervals in busy_time.busy_between(session, kind, list(ids), start, end).items():
            person_id = str(owner_id)
            found.extend(
                bk.Booking(person_id, f"{bk.CALENDAR}:{person_id}:{busy_start.isoformat()}", busy_start, busy_end, bk.CALENDAR)
                for busy_start, busy_end in intervals
            )
    return found


@dataclass(frozen=True)
class Placement:
    """A session about to be placed, and whom it books."""

    session_id: uuid.UUID
    start: datetime
    end: datetime
    facilitator_id: uuid.UUID | None  # for a guided session
    participant_ids: tuple[uuid.UUID, ...]


def check(
    session: DbSession, placements: list[Placement], now: datetime, *,
    excluding: Iterable[uuid.UUID] = (), calendars: bool = False,
) -> None:
    """Raise :class:`ScheduleConflict` when a placement would book someone twice or break a
    facilitator's capacity, or (with ``calendars``: a session being moved) lie in busy time from
    someone's calendar. Call it under :func:`lock_people` for everyone placed."""
    facilitator_ids = sorted({p.facilitator_id for p in placements if p.facilitator_id is not None})
    participant_ids = sorted({pid for p in placements for pid in p.participant_ids})
    if not placements or not (facilitator_ids or participant_ids):
        return
    excluding = {*excluding, *(p.session_id for p in placements)}
    bookings = bookings_for(
        session, facilitator_ids=facilitator_ids, participant_ids=participant_ids, now=now, excluding=excluding,
        calendars=calendars, until=max(p.end for p in placements),
    )
    timezones: dict[str, str] = {}
    capacities: dict[str, bk.Capacity] = {}
    for facilitator in session.scalars(select(Facilitator).where(Facilitator.id.in_(facilitator_ids))):
        timezones[str(facilitator.id)] = facilitator.timezone
        capacity = capacity_of(facilitator.capacity)
        if capacity:
            capacities[str(facilitator.id)] = capacity
    if participant_ids:
        timezones.update(
            (str(pid), zone)
            for pid, zone in session.execute(select(Participant.id, Participant.timezone).where(Participant.id.in_(participant_ids)))
        )
    proposals = [
        bk.Proposal(
            str(p.session_id), p.start, p.end,
            tuple(str(pid) for pid in ([p.facilitator_id] if p.facilitator_id else []) + list(p.participant_ids)),
        )
        for p in placements
    ]
    found = bk.conflicts(proposals, bookings, timezones, capacities)
    if found:
        raise ScheduleConflict.of([(session_id, conflict) for session_id, conflict in found])
