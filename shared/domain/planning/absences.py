"""Why one person cannot attend a candidate time, as a reason code an organiser can act on.

Diagnostics name, per best start, every required person who misses it and why:

* ``booked``: another of our sessions overlaps it; ``break``: it lies too close to another of
  the facilitator's sessions for her ``break_minutes``; ``day-full``/``week-full``: her
  ``max_sessions_per_day``/``_per_week`` is reached (see :mod:`shared.domain.bookings`). These
  name the other session.
* ``calendar-busy``: busy time read from the person's own published calendar.
* ``unavailable``: a date range in which the person said they are away; ``school-holiday``:
  their school-holiday region is on holiday.
* ``weekday``: their weekly availability has no window on that weekday at all; ``hours``: it
  has windows that day, but none that holds the whole session.
* ``unknown``: none of these explains it (kept so that every absentee has a reason).

Availability reasons come before bookings: a person who could not come anyway is not said to
be booked. ``local`` is the start on the person's own wall clock, the clock their weekdays,
days and weeks are counted on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from .. import availability as av
from .. import bookings as bk
from ..model import Availability, Person

BOOKED, BREAK, DAY_FULL, WEEK_FULL = "booked", "break", "day-full", "week-full"
CALENDAR_BUSY, UNAVAILABLE, SCHOOL_HOLIDAY = "calendar-busy", "unavailable", "school-holiday"
WEEKDAY, HOURS, UNKNOWN = "weekday", "hours", "unknown"
REASON_CODES: tuple[str, ...] = (
    BOOKED, BREAK, DAY_FULL, WEEK_FULL, CALENDAR_BUSY, UNAVAILABLE, SCHOOL_HOLIDAY, WEEKDAY, HOURS, UNKNOWN,
)
"""Every reason an absentee can have."""
WITH_SESSION: frozenset[str] = frozenset((BOOKED, BREAK, DAY_FULL, WEEK_FULL))
"""The reasons that name another of our sessions."""

_BOOKING_REASONS = {bk.OVERLAP: BOOKED, bk.BREAK: BREAK, bk.DAY: DAY_FULL, bk.WEEK: WEEK_FULL}


@dataclass(frozen=True, slots=True)
class Absence:
    """``person_id`` cannot attend the candidate starting at ``local`` (their own wall clock,
    naive) for ``reason``; ``session_id`` is the other session for :data:`WITH_SESSION`."""

    person_id: str
    reason: str
    local: datetime
    session_id: str | None = None


def absence_of(person: Person, utc: int, minutes: int, conflict: bk.Conflict | None = None) -> Absence:
    """Why ``person`` cannot attend ``[utc, utc + minutes)`` (UTC minutes); ``conflict`` is the
    booking that keeps them, when their own availability would let them come."""
    local = av.to_datetime(utc, ZoneInfo(person.timezone)).replace(tzinfo=None)
    end = utc + minutes
    if conflict is not None:
        if conflict.source == bk.CALENDAR:
            return Absence(person.id, CALENDAR_BUSY, local)
        return Absence(person.id, _BOOKING_REASONS[conflict.reason], local, conflict.session_id)
    away = replace(person, availability=Availability(unavailable=person.availability.unavailable), school_holiday_region=None)
    if person.availability.unavailable and not av.can_attend(away, utc, end):
        return Absence(person.id, UNAVAILABLE, local)
    if person.school_holiday_region and not av.can_attend(replace(person, availability=Availability()), utc, end):
        return Absence(person.id, SCHOOL_HOLIDAY, local)
    weekly = person.availability.weekly
    if weekly and not av.can_attend(replace(person, availability=Availability(weekly=weekly), school_holiday_region=None), utc, end):
        if not any(window.day == local.weekday() for window in weekly):
            return Absence(person.id, WEEKDAY, local)
        return Absence(person.id, HOURS, local)
    return Absence(person.id, UNKNOWN, local)


def absence_at(person: Person, bookings: tuple[bk.Booking, ...], capacity: bk.Capacity | None, utc: int, minutes: int) -> Absence:
    """Why ``person`` cannot attend ``[utc, utc + minutes)``, with their ``bookings`` (and, for a
    facilitator, her ``capacity``) as :func:`absence_of` weighs them; for one time, such as a move."""
    end = utc + minutes
    conflict = None
    if av.can_attend(person, utc, end):
        own = [booking for booking in bookings if booking.person_id == person.id]
        block = bk.first_block(bk.blocks(own, person.timezone, capacity), utc, end) if own else None
        if block is not None:
            conflict = bk.Conflict(person.id, block.session_id, block.reason, block.source)
    return absence_of(person, utc, minutes, conflict)
