"""The planner's base: the group's clock and everyone's calendars, prepared once per request,
the sweeps over them, and the 15-minute grid of the group's wall clock.

Times are integer minutes (see :mod:`shared.domain.availability`): ``*_local`` names and
``local`` are wall-clock minutes of the group's zone, ``*_utc`` names and ``utc`` are UTC
minutes. In the hour that an autumn change repeats, a wall-clock time means its first pass;
wall-clock times that a spring change skips are never planned.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from .. import availability as av
from .. import bookings as bk
from ..model import Person
from .months import add_months, month_first_day, month_index, month_of_day
from .values import (
    DAY,
    EXTRA_FOLLOW_UP_MONTHS,
    FIRST_SESSION_WINDOW_MONTHS,
    GRID_MINUTES,
    GUIDED,
    KINDS,
    PlanRequest,
)


def remaining_guided(request: PlanRequest) -> int:
    """How many guided sessions are still to be planned (the rest lie in ``history``)."""
    return max(0, request.guided_sessions - sum(1 for past in request.history if past.kind == GUIDED))


class PlannerBase:
    """One request, prepared: its clock, the group's calendar and (lazily) each person's."""

    def __init__(self, request: PlanRequest):
        if request.session_minutes <= 0:
            raise ValueError("session_minutes must be positive")
        self.request = request
        self.zone = ZoneInfo(request.timezone)
        self.minutes = request.session_minutes
        self.language = request.language
        self.not_before_utc = (
            av.utc_minutes(self._aware(request.not_before), ceil=True) if request.not_before else None
        )
        self.history = tuple(sorted(request.history, key=lambda past: (past.start, past.number)))
        for past in self.history:
            if past.kind not in KINDS:
                raise ValueError(f"unknown session kind {past.kind!r}; expected one of {KINDS}")
        years = [request.starts_on.year, *(past.start.year for past in self.history)]
        if request.not_before:
            years.append(request.not_before.year)
        months = FIRST_SESSION_WINDOW_MONTHS + request.guided_sessions + request.follow_up_sessions + EXTRA_FOLLOW_UP_MONTHS
        self.clock = av.zone_clock(request.timezone, min(years) - 1, max(years) + months // 12 + 2)
        # Everything the search may look at: from the month of starts_on to the last month that
        # the latest possible series could reach. Calendars are prepared once for that range.
        latest = max([request.starts_on, *(av.day_date(self._local_of(past.start) // DAY) for past in self.history)])
        if request.not_before:
            latest = max(latest, av.day_date(self._local_of(request.not_before) // DAY))
        self.range_utc = (
            self.clock.utc(self._month_start(month_index(min(request.starts_on, latest)))) - DAY,
            self.clock.utc(self._month_start(month_index(latest) + months + 2)) + DAY,
        )
        self.group = av.group_calendar(request.constraints, request.timezone, *self.range_utc)
        self.calendars: dict[int, av.Calendar] = {}
        self.free_calendars: dict[int, av.Calendar] = {}
        self.blocks = self._blocks(request)

    def _aware(self, moment: datetime) -> datetime:
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.zone)

    def _local_of(self, moment: datetime) -> int:
        return self.clock.local(av.utc_minutes(self._aware(moment)))

    def _month_start(self, month: int) -> int:
        return month_first_day(month) * DAY

    @property
    def _not_before_day(self) -> int | None:
        return self.clock.local(self.not_before_utc) // DAY if self.not_before_utc is not None else None

    def _guided_bounds(self) -> tuple[int, int, int]:
        """How many guided sessions remain, and the local days ``[low, high)`` in which the
        first of them must lie."""
        request = self.request
        past_guided = [self._local_of(past.start) for past in self.history if past.kind == GUIDED]
        remaining = remaining_guided(request)
        if past_guided:
            low_day = month_first_day(month_of_day(past_guided[-1] // DAY) + 1)
        else:
            low_day = av.day_number(request.starts_on)
        low_day = max(low_day, av.day_number(request.starts_on))
        if self._not_before_day is not None:
            low_day = max(low_day, self._not_before_day)
        high_day = av.day_number(add_months(av.day_date(low_day), FIRST_SESSION_WINDOW_MONTHS))
        return remaining, low_day, high_day

    # -- calendars -------------------------------------------------------------------------

    @staticmethod
    def _blocks(request: PlanRequest) -> dict[str, list[bk.Block]]:
        """Per person id, where their bookings (and the facilitator's capacity) leave no room."""
        if not request.bookings:
            return {}
        by_person: dict[str, list[bk.Booking]] = {}
        for booking in request.bookings:
            by_person.setdefault(booking.person_id, []).append(booking)
        found = {}
        for person in (request.facilitator, *request.members):
            own = by_person.get(person.id)
            if own:
                capacity = request.capacity if person.id == request.facilitator.id else None
                found[person.id] = bk.blocks(own, person.timezone, capacity)
        return found

    def _free_calendar(self, person: Person) -> av.Calendar:
        """The person's own availability, bookings left out."""
        calendar = self.free_calendars.get(id(person))
        if calendar is None:
            calendar = self.free_calendars[id(person)] = av.person_calendar(person, *self.range_utc)
        return calendar

    def _calendar(self, person: Person) -> av.Calendar:
        """The person's availability minus the time their bookings take."""
        calendar = self.calendars.get(id(person))
        if calendar is None:
            calendar = self._free_calendar(person)
            blocks = self.blocks.get(person.id)
            if blocks:
                busy = [(block.start, block.end) for block in blocks]
                calendar = replace(calendar, blocked=tuple(av.merge([*calendar.blocked, *busy])))
            self.calendars[id(person)] = calendar
        return calendar

    # -- sweeps and grid points ------------------------------------------------------------

    def _segments(self, people: tuple[Person, ...], first_utc: int, stop_utc: int) -> list[tuple[int, int, int]]:
        """The sweep of the group's hours and ``people`` (see :mod:`.horizon`)."""
        minutes = self.minutes
        lists = [av.start_intervals(self.group.free(first_utc, stop_utc), minutes)]
        lists.extend(av.start_intervals(self._calendar(person).free(first_utc, stop_utc), minutes) for person in people)
        return av.sweep(lists, required=1)

    def _grid(self, first_utc: int, stop_utc: int) -> tuple[int, int] | None:
        """``(utc, local)`` of the first 15-minute point of the group's wall clock in
        ``[first_utc, stop_utc)``."""
        points = self._grid_locals(first_utc, stop_utc)
        if not points:
            return None
        return self.clock.utc(points[0]), points[0]

    def _grid_locals(self, first_utc: int, stop_utc: int) -> range | list[int]:
        """Local minutes of every grid point in ``[first_utc, stop_utc)``.

        The hour that an autumn change repeats counts once (its first pass), so that every local
        minute maps back to one instant.
        """
        clock = self.clock
        index = bisect_right(clock.utc_changes, first_utc)
        if index and clock.offsets[index] < clock.offsets[index - 1]:
            first_utc = max(first_utc, clock.utc_changes[index - 1] + clock.offsets[index - 1] - clock.offsets[index])
        if index >= len(clock.utc_changes) or clock.utc_changes[index] >= stop_utc:
            offset = clock.offsets[index]
            first = first_utc + (-(first_utc + offset)) % GRID_MINUTES
            return range(first + offset, stop_utc + offset, GRID_MINUTES)
        cut = clock.utc_changes[index]
        return [*self._grid_locals(first_utc, cut), *self._grid_locals(cut, stop_utc)]

    def _points(self, segments, wanted: int, earliest_utc: int, earliest_local: int) -> list[int]:
        """Local grid starts in the segments whose people include every bit of ``wanted``."""
        found: list[int] = []
        for first, stop, present in segments:
            if present & wanted == wanted and stop > earliest_utc:
                found.extend(self._grid_locals(max(first, earliest_utc), stop))
        return [local for local in found if local >= earliest_local] if found and min(found) < earliest_local else found
