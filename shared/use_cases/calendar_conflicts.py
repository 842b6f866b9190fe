"""A refresh of a person's calendar that puts their planned sessions at risk.

Conflicts are never stored (see :mod:`shared.domain.conflicts`): what a refresh must do is raise
the alarm, once, for each of the person's upcoming sessions that the new busy times turn at risk
— as a decline would (:func:`shared.use_cases.attendance.alarm`: the ``session.at_risk`` event
and the mail, at most one a day per session). In the transaction that replaces the source's busy
intervals, :func:`at_stake` locks and judges the sessions the old or the new intervals touch
before the change, and :func:`alarm_new_risks` judges them again after it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from shared.db.models import BusyInterval, CalendarSource, Group, Membership
from shared.db.models import Session as GroupSession
from shared.domain import calendar_sources as calendar_rules
from shared.domain import conflicts as rules
from shared.use_cases import attendance

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class AtStake:
    """The sessions a change of busy time may put at risk, locked, and whether each already was."""

    rows: list[GroupSession]
    was_at_risk: dict[uuid.UUID, bool]


def at_stake(session: DbSession, source: CalendarSource, new: Sequence[Interval], now: datetime) -> AtStake:
    """Before ``source``'s busy intervals are replaced by ``new``: the owner's scheduled sessions
    still to come that the old or the new intervals touch, locked (in id order, so that two
    refreshes of one group's people cannot deadlock) and judged."""
    old = list(session.execute(
        select(BusyInterval.start, BusyInterval.end).where(BusyInterval.source_id == source.id)
    ))
    coming = _coming(session, source.owner_kind, source.owner_id, now)
    ids = rules.touched({row_id: (start, end) for row_id, start, end in coming}, [*old, *new])
    if not ids:
        return AtStake([], {})
    rows = list(session.scalars(
        select(GroupSession).where(GroupSession.id.in_(ids)).order_by(GroupSession.id)
        .with_for_update().execution_options(populate_existing=True)
    ))
    attendance.attach(session, rows, now=now)
    return AtStake(rows, {row.id: bool(row.at_risk) for row in rows})


def alarm_new_risks(session: DbSession, stake: AtStake, now: datetime) -> list[uuid.UUID]:
    """After the change: raise the alarm of each session at stake that is now at risk and was not
    before; returns their ids."""
    if not stake.rows:
        return []
    attendance.attach(session, stake.rows, now=now)
    turned = [row for row in stake.rows if row.at_risk and not stake.was_at_risk[row.id]]
    for row in turned:
        attendance.alarm(session, row, now)
    return [row.id for row in turned]


def _coming(session: DbSession, kind: str, owner_id: uuid.UUID, now: datetime) -> list[tuple[uuid.UUID, datetime, datetime]]:
    """``(id, start, end)`` of the sessions the person may be required at: for a participant
    those of their groups, for a facilitator the guided sessions of hers; scheduled, still to come."""
    query = select(GroupSession.id, GroupSession.start, GroupSession.end).where(
        GroupSession.status == "scheduled", GroupSession.start > now,
    )
    if kind == calendar_rules.PARTICIPANT:
        query = query.join(Membership, Membership.group_id == GroupSession.group_id).where(Membership.participant_id == owner_id)
    else:
        query = query.join(Group, Group.id == GroupSession.group_id).where(
            Group.facilitator_id == owner_id, GroupSession.kind == "guided",
        )
    return list(session.execute(query))
