"""Who can when: a group's week in half hours, as data and as a heat map.

Loads the group, its facilitator and members, their sessions in other groups and the group's
own planned sessions of that week, and hands them to :mod:`shared.domain.week_grid` and
:mod:`shared.domain.heatmap`. The answer names people of several platforms, so only an admin
key reads it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from shared.actor import Actor
from shared.db.models import Facilitator, Group, Session
from shared.domain.heatmap import PlannedSession, render_heatmap
from shared.domain.week_grid import FACILITATOR, MEMBER, Attendee, WeekGrid, coming_monday, is_within_reach, week_grid
from shared.errors import Forbidden, InvalidInput
from shared.use_cases import bookings
from shared.use_cases.groups import get_group
from shared.use_cases.scheduling import constraints_of, person_of

TOO_FAR = "must lie within two years of today"


@dataclass(frozen=True)
class GroupWeek:
    """A group's week: the grid, the group's own sessions in it, and the group's language."""

    grid: WeekGrid
    planned: tuple[PlannedSession, ...]
    language: str

    def svg(self, *, id_prefix: str = "heatmap") -> str:
        return render_heatmap(self.grid, self.planned, self.language, id_prefix=id_prefix)


def group_week(
    session: DbSession, actor: Actor, group_id: uuid.UUID, week: date | None, now: datetime
) -> GroupWeek:
    """The week of Monday ``week`` (default: the coming one in the group's zone) of a group."""
    if not actor.is_admin:
        raise Forbidden("who can when names people of several platforms; it is read with an admin key")
    group = get_group(session, actor, group_id)
    if week is None:
        week = coming_monday(now, group.timezone)
    elif week.weekday() != 0:
        raise InvalidInput.field("week", "must be a Monday", "query")
    elif not is_within_reach(week, now, group.timezone):
        raise InvalidInput.field("week", TOO_FAR, "query")
    return week_of(session, group, week)


def week_of(session: DbSession, group: Group, week: date) -> GroupWeek:
    """The week of Monday ``week`` of ``group``, for a caller that has already checked access."""
    zone = ZoneInfo(group.timezone)
    first = datetime.combine(week, time(0), zone)
    stop = datetime.combine(week + timedelta(days=7), time(0), zone)
    people = []
    if group.facilitator_id is not None:
        facilitator = session.get(Facilitator, group.facilitator_id)
        people.append(Attendee(person_of(facilitator), FACILITATOR, facilitator.name))
    people.extend(Attendee(person_of(m.participant), MEMBER, m.participant.name) for m in group.memberships)
    own = list(session.scalars(select(Session).where(Session.group_id == group.id).order_by(Session.start)))
    others = bookings.bookings_for(
        session,
        facilitator_ids=[group.facilitator_id] if group.facilitator_id else [],
        participant_ids=group.member_ids,
        now=first,
        excluding={row.id for row in own},
        until=stop,
    )
    planned = tuple(
        PlannedSession(row.start, row.end, row.number)
        for row in own
        if row.status == "scheduled" and row.start < stop and first < row.end
    )
    grid = week_grid(week, group.timezone, people, constraints_of(group.constraints), others)
    return GroupWeek(grid, planned, group.language)
