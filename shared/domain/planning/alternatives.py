"""Other times for one session that is at risk: where it could move without breaking a rule.

An alternative lies within the group's hours and rules, in everyone's availability (for a
self-directed session with a quorum: at least the quorum of members), never on a time that books
someone twice (the request's bookings are everyone's other sessions, this one left out), at
least 21 days (wall clock) from the group's neighbouring sessions, in the session's month or the
two weeks around it, never before the group's ``starts_on`` nor in the past (the request's
``not_before``), and not on the session's own day. At most one per day — the best start of that day — and the best first:
most attendees, then the group's slot (weekday and time), then the date nearest to the session's
own, then the earlier time.
"""

from __future__ import annotations

from datetime import datetime

from .. import availability as av
from .base import PlannerBase
from .horizon import Horizon, absentees, attendee_count, within_hours
from .months import month_first_day, month_of_day
from .values import DAY, GAP, GUIDED, CandidateSlot

AROUND_DAYS = 14
"""How far before and after the session's month an alternative may lie."""


class Alternatives(PlannerBase):
    def alternatives(
        self, kind: str, current: datetime, neighbours: list[datetime], slot: tuple[int, int] | None, limit: int
    ) -> tuple[CandidateSlot, ...]:
        request = self.request
        people = (request.facilitator, *request.members) if kind == GUIDED else request.members
        quorum = request.constraints.self_directed_quorum
        needed = len(people) if kind == GUIDED or quorum is None else min(quorum, len(people))
        current_local = self._local_of(current)
        month = month_of_day(current_local // DAY)
        # Never before the group starts: the two weeks around the month would otherwise reach
        # back into the month before a first session planned early in its month.
        earliest_local = max(month_first_day(month) * DAY - AROUND_DAYS * DAY, av.day_number(request.starts_on) * DAY)
        stop_local = month_first_day(month + 1) * DAY + AROUND_DAYS * DAY
        for neighbour in map(self._local_of, neighbours):
            if neighbour < current_local:
                earliest_local = max(earliest_local, neighbour + GAP)
            else:
                stop_local = min(stop_local, neighbour - GAP + 1)
        earliest_utc = self.clock.utc(earliest_local)
        if self.not_before_utc is not None:
            earliest_utc = max(earliest_utc, self.not_before_utc)
        stop_utc = self.clock.utc(stop_local)
        if earliest_utc >= stop_utc:
            return ()
        horizon = Horizon(self, people, earliest_utc, month_of_day(earliest_local // DAY))
        horizon.cover(month_of_day((stop_local - 1) // DAY))
        best: dict[int, tuple[tuple, int, int]] = {}
        for first, stop, present in horizon.segments:
            attendees = attendee_count(present)
            if not within_hours(present) or attendees < needed or stop <= earliest_utc or first >= stop_utc:
                continue
            for local in self._grid_locals(max(first, earliest_utc), min(stop, stop_utc)):
                if local // DAY == current_local // DAY or not earliest_local <= local < stop_local:
                    continue  # another time on the same day seldom mends a decline
                on_slot = slot is not None and (av.weekday_of(local // DAY), local % DAY) == slot
                rank = (-attendees, not on_slot, abs(local // DAY - current_local // DAY), local % DAY)
                day = local // DAY
                if day not in best or rank < best[day][0]:
                    best[day] = (rank, local, present)
        chosen = sorted(best.values())[:limit]
        return tuple(
            CandidateSlot(
                start=av.to_datetime(self.clock.utc(local), self.zone),
                attendees=attendee_count(present),
                absent_ids=tuple(person.id for person in absentees(people, present)),
            )
            for _, local, present in chosen
        )
