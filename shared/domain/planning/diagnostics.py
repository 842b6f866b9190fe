"""Why there is no plan: per month the best starts that there are, who misses them, and who of
those would be free but is booked into another session or busy in their own calendar; and for
each who misses one, why (:mod:`.absences`).

Diagnostics list at most one candidate per day (its best, earliest start), so that the top three
show three different days.
"""

from __future__ import annotations

from .. import availability as av
from .. import bookings as bk
from ..model import Person
from .absences import absence_of
from .base import PlannerBase
from .horizon import absentees, attendee_count
from .months import month_of_day
from .values import DAY, TOP_CANDIDATES, CandidateSlot, MonthDiagnostics


class Diagnostics(PlannerBase):
    def _booked(self, person: Person, utc: int) -> bk.Conflict | None:
        """Why ``person``, free by their own availability, is booked at a session from ``utc``."""
        blocks = self.blocks.get(person.id)
        if not blocks:
            return None
        end = utc + self.minutes
        if not any(a <= utc and end <= b for a, b in self._free_calendar(person).free(utc - 1, end + 1)):
            return None
        block = bk.first_block(blocks, utc, end)
        return bk.Conflict(person.id, block.session_id, block.reason, block.source) if block else None

    def _diagnostics(self, people, segments, earliest_utc: int, earliest_local: int, first_month: int,
                     last_month: int) -> tuple[MonthDiagnostics, ...]:
        """Per month the best start of each day (most attendees, then earliest), the top three;
        times at which nobody can attend are left out, so a month may list fewer (or none)."""
        per_day: dict[int, tuple[int, int, int]] = {}
        for first, stop, present in segments:
            point = self._grid(max(first, earliest_utc), stop) if stop > earliest_utc else None
            if point is None or point[1] < earliest_local:
                continue
            utc, local = point
            attendees = attendee_count(present)
            if attendees == 0:  # a time nobody can make is no candidate
                continue
            day = local // DAY
            best = per_day.get(day)
            if best is None or attendees > best[0]:
                per_day[day] = (attendees, utc, present)
        by_month: dict[int, list[tuple[int, int, int]]] = {}
        for day in sorted(per_day):
            by_month.setdefault(month_of_day(day), []).append(per_day[day])
        months = []
        for month in range(first_month, last_month + 1):
            ranked = sorted(by_month.get(month, []), key=lambda item: (-item[0], item[1]))[:TOP_CANDIDATES]
            slots = []
            for attendees, utc, present in ranked:
                absent = absentees(people, present)
                booked = [self._booked(person, utc) for person in absent]
                slots.append(CandidateSlot(
                    start=av.to_datetime(utc, self.zone),
                    attendees=attendees,
                    absent_ids=tuple(person.id for person in absent),
                    booked=tuple(conflict for conflict in booked if conflict is not None),
                    absences=tuple(
                        absence_of(person, utc, self.minutes, conflict) for person, conflict in zip(absent, booked, strict=True)
                    ),
                ))
            months.append(MonthDiagnostics(year=month // 12, month=month % 12 + 1, best_slots=tuple(slots)))
        return tuple(months)
