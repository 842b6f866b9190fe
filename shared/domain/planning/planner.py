"""The whole plan: the guided series, its slot, then the self-directed months around it; and the
public functions that ask the planner (see the package)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .. import availability as av
from . import texts
from .alternatives import Alternatives
from .candidates import Candidates, SeriesSpace
from .guided import GuidedSeries
from .months import month_index, month_of_day, week_of_month
from .self_directed import SelfDirected
from .values import (
    DAY,
    GUIDED,
    KINDS,
    SELF_DIRECTED,
    CandidateSlot,
    Infeasible,
    Plan,
    PlannedSession,
    PlanRequest,
    Series,
    Slot,
)


class _Planner(Candidates, SelfDirected, Alternatives):
    """One request's planner: the guided search (with its diagnostics and candidate series) and
    the self-directed months, on the calendars of :class:`~.base.PlannerBase`."""

    def plan(self, chosen: GuidedSeries | None = None) -> Plan | Infeasible:
        """The whole plan; with ``chosen``, that guided series instead of the search's own."""
        request = self.request
        history = self.history
        past_guided = [past for past in history if past.kind == GUIDED]
        past_self_directed = sum(1 for past in history if past.kind == SELF_DIRECTED)
        remaining_guided, low_day, high_day = self._guided_bounds()
        remaining_follow_up = max(0, request.follow_up_sessions - past_self_directed)
        next_number = max((past.number for past in history), default=0) + 1
        last_past = self._local_of(history[-1].start) if history else None
        not_before_day = self._not_before_day

        history_slot = self._shared_slot([self._local_of(past.start) for past in past_guided])
        slot: Slot | None = None
        sessions: list[PlannedSession] = []
        guided_locals = [self._local_of(past.start) for past in past_guided]
        if remaining_guided:
            people = (request.facilitator, *request.members)
            found = chosen or self._guided(people, remaining_guided, low_day, high_day, last_past, history_slot)
            if isinstance(found, Infeasible):
                return found
            if found.pattern is not None:
                weekday, minute = found.pattern
                continued = history_slot is not None and history_slot[:2] == found.pattern
                series = guided_locals + list(found.starts) if continued else list(found.starts)
                weeks = {week_of_month(local // DAY) for local in series}
                slot = Slot(weekday, time(minute // 60, minute % 60), weeks.pop() if len(weeks) == 1 else None)
            for offset, local in enumerate(found.starts):
                utc = self.clock.utc(local)
                sessions.append(PlannedSession(
                    number=next_number + offset,
                    kind=GUIDED,
                    start=av.to_datetime(utc, self.zone),
                    end=av.to_datetime(utc + self.minutes, self.zone),
                    chair_id=None,
                    absent_ids=(),
                    keeps_slot=slot is not None,
                    note=None if slot is not None else texts.no_slot_guided(self.language),
                ))
            guided_locals.extend(found.starts)
            next_number += len(found.starts)
        elif history_slot is not None:
            weekday, minute, week = history_slot
            slot = Slot(weekday, time(minute // 60, minute % 60), week)

        planned_locals = [self._local_of(past.start) for past in history] + guided_locals[len(past_guided):]
        previous = max(planned_locals) if planned_locals else None
        if previous is not None:
            first_month = month_of_day(previous // DAY) + 1
        else:
            first_month = month_index(request.starts_on)
        if not_before_day is not None:
            first_month = max(first_month, month_of_day(not_before_day))
        first_month = max(first_month, month_index(request.starts_on))

        if slot is not None:
            preference = (slot.weekday, slot.start.hour * 60 + slot.start.minute, slot.week_of_month)
        elif guided_locals:
            preference = (av.weekday_of(guided_locals[0] // DAY), guided_locals[0] % DAY, None)
        else:
            preference = None
        follow_ups, skipped = self._self_directed(first_month, remaining_follow_up, previous, preference, slot, next_number)
        sessions.extend(self._assign_chairs(follow_ups, past_self_directed))
        return Plan(slot=slot, sessions=tuple(sessions), skipped_months=tuple(skipped))

    @staticmethod
    def _shared_slot(locals_: list[int]) -> tuple[int, int, int | None] | None:
        if not locals_:
            return None
        patterns = {(av.weekday_of(local // DAY), local % DAY) for local in locals_}
        if len(patterns) != 1:
            return None
        weekday, minute = patterns.pop()
        weeks = {week_of_month(local // DAY) for local in locals_}
        return weekday, minute, weeks.pop() if len(weeks) == 1 else None


def find_plan(request: PlanRequest) -> Plan | Infeasible:
    """Plan a group's guided and self-directed sessions, or say why no guided plan exists."""
    return _Planner(request).plan()


def candidate_series(request: PlanRequest, limit: int, by_need: bool = False) -> tuple[tuple[Series, ...], bool]:
    """Up to ``limit`` series the group's remaining guided sessions could take (each satisfying
    every rule on its own, bookings included), the engine's preference first; and whether these
    are all there are (none when no guided session remains, see :func:`remaining_guided`).
    ``by_need``: series without a fixed slot only when the group has no fixed-slot series, and
    "all" means all of the kind offered."""
    planner = _Planner(request)
    found, complete = planner.candidates(limit, by_need)
    return tuple(_series(planner, chosen.starts, chosen.pattern is not None) for chosen in found), complete


def _series(planner: _Planner, starts: tuple[int, ...], fixed_slot: bool) -> Series:
    return Series(
        starts=tuple(av.to_datetime(planner.clock.utc(local), planner.zone) for local in starts),
        fixed_slot=fixed_slot,
        same_week=len({week_of_month(local // DAY) for local in starts}) == 1,
    )


def series_space(request: PlanRequest, limit: int = 0) -> tuple[SeriesSpace, tuple[Series, ...]]:
    """Every series the group's remaining guided sessions could take, as the starts they are
    made of (see :class:`.candidates.SeriesSpace`); and the first ``limit`` of them as
    :func:`candidate_series` lists them ``by_need``."""
    planner = _Planner(request)
    found = planner._starts()
    chosen, _ = planner.candidates(limit, True, found) if limit else ([], False)
    return planner.space(found), tuple(_series(planner, series.starts, series.pattern is not None) for series in chosen)


def plan_with_series(request: PlanRequest, series: Series) -> Plan:
    """The group's plan with ``series`` as its guided sessions (one of :func:`candidate_series`
    for the same request, or for one with more bookings that the series does not run into)."""
    planner = _Planner(request)
    starts = tuple(planner._local_of(start) for start in series.starts)
    pattern = (av.weekday_of(starts[0] // DAY), starts[0] % DAY) if series.fixed_slot else None
    plan = planner.plan(GuidedSeries(starts, pattern))
    assert isinstance(plan, Plan)
    return plan


def attendance_at(request: PlanRequest, start: datetime, kind: str) -> tuple[str, ...]:
    """Ids of the required people who cannot attend a session of ``request.session_minutes``
    starting at ``start`` (facilitator and members for guided sessions, members otherwise)."""
    if kind not in KINDS:
        raise ValueError(f"unknown session kind {kind!r}; expected one of {KINDS}")
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(request.timezone))
    first_utc = av.utc_minutes(start)
    stop_utc = av.utc_minutes(start.astimezone(UTC) + timedelta(minutes=request.session_minutes), ceil=True)
    required = (request.facilitator, *request.members) if kind == GUIDED else request.members
    return tuple(person.id for person in required if not av.can_attend(person, first_utc, stop_utc))


def alternatives(
    request: PlanRequest, kind: str, start: datetime, neighbours: list[datetime],
    slot: tuple[int, int] | None = None, limit: int = 5,
) -> tuple[CandidateSlot, ...]:
    """Up to ``limit`` other starts for the group's session of ``kind`` now at ``start``, best
    first (see :mod:`.alternatives`). ``neighbours``: the starts of the group's other sessions;
    ``slot``: the group's weekday and local minute, if it has one. The request's bookings must
    leave this session out."""
    return _Planner(request).alternatives(kind, start, neighbours, slot, limit)
