"""What a facilitator's own page shows: her groups by name, each one's coming sessions with who
answered what (by name, with their comment, for those who cannot come), and who can when in the
week of its next session or in a week she chose, with the weeks before and after it within reach.

Reached through her feed token (the subscribe page of her feed), so it may name the members of
the groups she guides — nobody else's.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from shared.db.models import Attendance, Facilitator, Group, Participant
from shared.db.models import Session as GroupSession
from shared.domain.attendance import ACCEPTED, DECLINED, TENTATIVE
from shared.domain.ics import Contact, SessionEvent
from shared.domain.week_grid import coming_monday, is_within_reach
from shared.use_cases import attendance
from shared.use_cases.group_availability import GroupWeek, week_of
from shared.use_cases.invitations import session_event

SESSIONS_PER_GROUP = 6


@dataclass(frozen=True)
class Declined:
    """One required person who cannot come, and what they wrote with it (None: nothing)."""

    name: str
    comment: str | None


@dataclass(frozen=True)
class Coming:
    """One coming session and the answers of its required people; who declined, in the order
    of its required people (facilitator first)."""

    event: SessionEvent
    required: int
    accepted: int
    tentative: int
    declined: int
    at_risk: bool
    declined_by: tuple[Declined, ...] = ()

    @property
    def unanswered(self) -> int:
        return self.required - self.accepted - self.tentative - self.declined


@dataclass(frozen=True)
class GroupOverview:
    id: uuid.UUID
    name: str
    theme: str | None
    members: int
    sessions: tuple[Coming, ...]
    week: GroupWeek
    previous_week: date | None = None  # the Monday before, when within reach
    next_week: date | None = None


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def overview(
    session: DbSession, facilitator_id: uuid.UUID, programme: Contact, now: datetime, week: date | None = None,
) -> list[GroupOverview]:
    """Her groups by name, each with its next sessions (cancelled ones too, marked) and the
    week of Monday ``week`` (by default the week of its next scheduled session, the coming week
    when none is planned), with the Mondays before and after it that lie within reach."""
    facilitator = session.get(Facilitator, facilitator_id)
    groups = list(session.scalars(select(Group).where(Group.facilitator_id == facilitator_id).order_by(Group.name, Group.id)))
    if facilitator is None or not groups:
        return []
    rows = list(
        session.scalars(
            select(GroupSession)
            .where(GroupSession.group_id.in_([g.id for g in groups]), GroupSession.end > now)
            .order_by(GroupSession.start, GroupSession.uid)
        )
    )
    scheduled = [row for row in rows if row.status == "scheduled"]
    attendance.attach(session, scheduled, now=now)
    chair_ids = {row.chair_id for row in rows if row.chair_id}
    chairs = dict(session.execute(select(Participant.id, Participant.name).where(Participant.id.in_(chair_ids))).all()) if chair_ids else {}
    declined = _declined(session, scheduled, facilitator)
    found = []
    for group in groups:
        own = [row for row in rows if row.group_id == group.id][:SESSIONS_PER_GROUP]
        coming = tuple(
            _coming(row, session_event(row, group, facilitator, chairs.get(row.chair_id), programme), declined.get(row.id, ()))
            for row in own
        )
        next_start = next((row.start for row in own if row.status == "scheduled"), None)
        if week is not None:
            monday = monday_of(week)
        elif next_start is None:
            monday = coming_monday(now, group.timezone)
        else:
            monday = monday_of(next_start.astimezone(ZoneInfo(group.timezone)).date())
        before, after = monday - timedelta(days=7), monday + timedelta(days=7)
        found.append(GroupOverview(
            group.id, group.name, group.theme, len(group.memberships), coming, week_of(session, group, monday),
            before if is_within_reach(before, now, group.timezone) else None,
            after if is_within_reach(after, now, group.timezone) else None,
        ))
    return found


def _declined(session: DbSession, rows: list[GroupSession], facilitator: Facilitator) -> dict[uuid.UUID, tuple[Declined, ...]]:
    """Who declined each of the attached sessions ``rows``, by name, with their comments (two
    queries for any number of sessions)."""
    wanted = {row.id: [uuid.UUID(entry.person_id) for entry in row.attendance if entry.response == DECLINED] for row in rows}
    wanted = {session_id: people for session_id, people in wanted.items() if people}
    if not wanted:
        return {}
    comments = {
        (session_id, person_id): comment
        for session_id, person_id, comment in session.execute(
            select(Attendance.session_id, Attendance.person_id, Attendance.comment)
            .where(Attendance.session_id.in_(list(wanted)), Attendance.response == DECLINED)
        )
    }
    member_ids = {person for people in wanted.values() for person in people if person != facilitator.id}
    names = dict(session.execute(select(Participant.id, Participant.name).where(Participant.id.in_(member_ids))).all()) if member_ids else {}
    names[facilitator.id] = facilitator.name
    return {
        session_id: tuple(Declined(names[person], comments.get((session_id, person))) for person in people if person in names)
        for session_id, people in wanted.items()
    }


def _coming(row: GroupSession, event: SessionEvent, declined_by: tuple[Declined, ...]) -> Coming:
    if row.status != "scheduled":
        return Coming(event, 0, 0, 0, 0, False)
    answers = Counter(entry.response for entry in row.attendance)
    return Coming(event, len(row.attendance), answers[ACCEPTED], answers[TENTATIVE], answers[DECLINED], row.at_risk, declined_by)
