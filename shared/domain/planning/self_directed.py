"""The self-directed months: the members (not the facilitator), one session per month after the
guided ones, at least 21 days apart, keeping the group's slot where they can.

* A self-directed session keeps the slot only when it has the slot's weekday, time and, if the
  slot names one, week of the month ("second Tuesday"); otherwise ``keeps_slot`` is False and the
  note says what differs.
* With a quorum, ties between equally attended starts go to the slot (its week first), then to the
  earliest start. Without a fixed slot, later sessions prefer the first guided session's weekday
  and time; they carry ``keeps_slot=False`` and a note saying there is no fixed slot.
* A month in which no start works is skipped, with the reason; a few months beyond the follow-up
  sessions are tried before giving up.
* The chair rotation moves on from whoever chaired last, so a member who stands in for an absent
  one does not chair twice in a row.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace

from .. import availability as av
from . import texts
from .base import PlannerBase
from .horizon import Horizon, absentees, attendee_count, within_hours
from .months import slot_candidates, week_of_month
from .values import (
    DAY,
    EXTRA_FOLLOW_UP_MONTHS,
    GAP,
    SELF_DIRECTED,
    PlannedSession,
    SkippedMonth,
    Slot,
)


class SelfDirected(PlannerBase):
    def _month_choice(self, horizon: Horizon, month: int, earliest_local: int, quorum: int | None,
                      preference: tuple[int, int, int | None] | None) -> tuple[int, int, int] | None:
        """``(utc, local, present)`` of the month's self-directed session, or None to skip the month."""
        stop_local = self._month_start(month + 1)
        earliest_utc, stop_utc = self.clock.utc(earliest_local), self.clock.utc(stop_local)
        if self.not_before_utc is not None:
            earliest_utc = max(earliest_utc, self.not_before_utc)

        def preferred(wanted) -> tuple[int, int, int] | None:
            if preference is None:
                return None
            weekday, minute, week = preference
            for local in slot_candidates(month, weekday, minute, week):
                if earliest_local <= local < stop_local and self.clock.exists(local):
                    utc = self.clock.utc(local)
                    present = horizon.present_at(utc)
                    if utc >= earliest_utc and wanted(present):
                        return utc, local, present
            return None

        everyone = horizon.everyone
        chosen = preferred(lambda present: present == everyone)
        if chosen is not None:
            return chosen
        full, full_starts = horizon.full, horizon.full_starts
        index = max(0, bisect_right(full_starts, earliest_utc) - 1)
        while index < len(full) and full[index][0] < stop_utc:
            first, stop, present = full[index]
            point = self._grid(max(first, earliest_utc), min(stop, stop_utc))
            if point is not None and point[1] >= earliest_local:
                return point[0], point[1], present
            index += 1
        if quorum is None:
            return None

        # Nobody-missing is impossible this month: the start the most members can attend.
        best, earliest = -1, None
        segments = horizon.segments
        index = max(0, bisect_right(horizon.segment_starts, earliest_utc) - 1)
        while index < len(segments) and segments[index][0] < stop_utc:
            first, stop, present = segments[index]
            index += 1
            attendees = attendee_count(present)
            if attendees <= best or attendees < quorum:
                continue
            point = self._grid(max(first, earliest_utc), min(stop, stop_utc))
            if point is not None and point[1] >= earliest_local:
                best, earliest = attendees, (point[0], point[1], present)
        if earliest is None:
            return None
        return preferred(lambda present: within_hours(present) and attendee_count(present) == best) or earliest

    def _self_directed(self, first_month: int, count: int, previous: int | None,
                       preference: tuple[int, int, int | None] | None, slot: Slot | None,
                       next_number: int) -> tuple[list[PlannedSession], list[SkippedMonth]]:
        members = self.request.members
        total = len(members)
        quorum = self.request.constraints.self_directed_quorum
        if quorum is not None:
            quorum = max(1, min(quorum, total))
        last_month = first_month + count + EXTRA_FOLLOW_UP_MONTHS - 1
        horizon = Horizon(self, members, self.clock.utc(self._month_start(first_month)), first_month)
        sessions: list[PlannedSession] = []
        skipped: list[SkippedMonth] = []
        for month in range(first_month, last_month + 1):
            if len(sessions) == count or not members:
                break
            if month > horizon.covered[0]:
                # The months the follow-up sessions need, then a few more whenever months are skipped.
                horizon.cover(min(last_month, max(month + count - len(sessions) - 1, horizon.covered[0] + 3)))
            earliest_local = self._month_start(month)
            if previous is not None:
                earliest_local = max(earliest_local, previous + GAP)
            chosen = self._month_choice(horizon, month, earliest_local, quorum, preference)
            year, month_number = month // 12, month % 12 + 1
            if chosen is None:
                reason = texts.skipped_month(month_number, year, quorum, total, self.language)
                skipped.append(SkippedMonth(year, month_number, reason))
                continue
            utc, local, present = chosen
            absent = tuple(member.id for member in absentees(members, present))
            keeps, note = self._slot_note(slot, local)
            if absent:
                quorum_note = texts.below_quorum(total - len(absent), total, quorum, self.language)
                note = f"{note} {quorum_note}" if note else quorum_note
            sessions.append(PlannedSession(
                number=next_number + len(sessions),
                kind=SELF_DIRECTED,
                start=av.to_datetime(utc, self.zone),
                end=av.to_datetime(utc + self.minutes, self.zone),
                chair_id=None,
                absent_ids=absent,
                keeps_slot=keeps,
                note=note,
            ))
            previous = local
        return sessions, skipped

    def _slot_note(self, slot: Slot | None, local: int) -> tuple[bool, str | None]:
        if slot is None:
            return False, texts.no_slot(self.language)
        day = local // DAY
        if av.weekday_of(day) != slot.weekday or local % DAY != slot.start.hour * 60 + slot.start.minute:
            return False, texts.slot_missed(slot.describe(self.language, self.minutes), self.language)
        week = week_of_month(day)
        if slot.week_of_month is not None and week != slot.week_of_month:
            return False, texts.other_week(week, slot.weekday, slot.week_of_month, self.language)
        return True, None

    def _assign_chairs(self, sessions: list[PlannedSession], past_self_directed: int) -> list[PlannedSession]:
        members = self.request.members
        if not members:
            return sessions
        turn = past_self_directed % len(members)
        chaired = []
        for session in sessions:
            for step in range(len(members)):
                index = (turn + step) % len(members)
                if members[index].id not in session.absent_ids:
                    chaired.append(replace(session, chair_id=members[index].id))
                    turn = index + 1
                    break
            else:
                chaired.append(session)
        return chaired
