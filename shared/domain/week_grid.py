"""Who can when: one week of a group in half hours, and who of its people is free in each.

The grid is laid out on the wall clock of the group's zone: Monday to Sunday, 48 half hours a
day. Each cell is the 30 real minutes from its wall-clock start, and counts a person only when
that whole half hour is free for them:

* **absent**: their own availability does not cover it — weekly windows in their own zone,
  expanded for that real week (so a New York member's evening shifts by an hour in the weeks
  between the American and the European clock change), minus their unavailable dates and
  date-times and their school-holiday region; and everyone, on the days of the Dutch public or
  school holidays that the group skips;
* **busy**: otherwise free, but booked into another session that overlaps it, or busy then in
  their own published calendar (the caller passes the bookings of other groups only, and the
  busy time from calendars as bookings of source ``calendar``);
* **available**: neither.

``allowed`` says whether the group's own rules (weekdays, earliest–latest, skipped holidays)
admit the half hour. Two clock changes bend the grid: on a spring-forward day the half hours
that do not exist (02:00 and 02:30 in Amsterdam) are left out, so that week has 334 cells; on an
autumn day the repeated hour is shown once, as its first occurrence.

Times are integer UTC minutes as in :mod:`shared.domain.availability`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import availability as av
from .bookings import Booking
from .model import WEEKDAYS, GroupConstraints, Person

SLOT_MINUTES = 30
SLOTS_PER_DAY = av.MINUTES_PER_DAY // SLOT_MINUTES
FACILITATOR, MEMBER = "facilitator", "member"
FARTHEST = timedelta(days=2 * 365 + 1)
"""How far from today a week may lie (either way): beyond it the grid is no help to anyone."""


@dataclass(frozen=True, slots=True)
class Attendee:
    """A person of the group as the grid shows them."""

    person: Person
    role: str  # FACILITATOR or MEMBER
    name: str

    @property
    def id(self) -> str:
        return self.person.id


@dataclass(frozen=True, slots=True)
class Cell:
    """One half hour of the week, from ``local_time`` on ``local_date`` in the group's zone."""

    local_date: date
    local_time: time
    start_u: int
    end_u: int
    available: int
    absent_ids: tuple[str, ...]
    busy_ids: tuple[str, ...]
    allowed: bool

    @property
    def day(self) -> str:
        """The weekday slug of the API (``mon`` … ``sun``)."""
        return WEEKDAYS[self.local_date.weekday()]

    @property
    def start(self) -> str:
        return self.local_time.strftime("%H:%M")

    @property
    def slot(self) -> int:
        """Which half hour of the day (0 … 47)."""
        return (self.local_time.hour * 60 + self.local_time.minute) // SLOT_MINUTES


@dataclass(frozen=True, slots=True)
class WeekGrid:
    week: date  # the Monday
    timezone: str
    people: tuple[Attendee, ...]
    cells: tuple[Cell, ...]
    slot_minutes: int = SLOT_MINUTES


def coming_monday(now: datetime, timezone: str) -> date:
    """The Monday after today in ``timezone`` (a week from today when today is a Monday)."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    return today + timedelta(days=7 - today.weekday())


def is_within_reach(week: date, now: datetime, timezone: str) -> bool:
    """Whether ``week`` lies within :data:`FARTHEST` of today in ``timezone``."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    return abs(week - today) <= FARTHEST


def _covers(intervals: list[av.Interval], start: int, end: int) -> bool:
    """Whether one of the sorted, disjoint ``intervals`` holds all of ``[start, end)``."""
    index = bisect_right(intervals, (start, float("inf"))) - 1
    return index >= 0 and intervals[index][0] <= start and end <= intervals[index][1]


def _touches(intervals: list[av.Interval], start: int, end: int) -> bool:
    """Whether any of the sorted, disjoint ``intervals`` overlaps ``[start, end)``."""
    return bool(av.clip(intervals, start, end))


def week_grid(
    week: date,
    timezone: str,
    people: Sequence[Attendee],
    constraints: GroupConstraints,
    bookings: Iterable[Booking] = (),
) -> WeekGrid:
    """The half hours of the week of Monday ``week`` in ``timezone`` (the group's zone), with who
    of ``people`` is absent, busy or available in each.

    ``bookings`` are the people's sessions in other groups (those of this group are the caller's
    to leave out); only the ones of ``people`` count, and only for overlapping the half hour.
    """
    if week.weekday() != 0:
        raise ValueError(f"{week} is not a Monday")
    monday = av.day_number(week) * av.MINUTES_PER_DAY
    clock = av.clock_for(timezone, monday - av.MINUTES_PER_DAY, monday + 8 * av.MINUTES_PER_DAY)
    first_u = clock.utc(monday) - av.MINUTES_PER_DAY
    stop_u = clock.utc(monday + av.MINUTES_PER_WEEK) + av.MINUTES_PER_DAY
    free = {
        attendee.id: av.person_calendar(attendee.person, first_u, stop_u).free(first_u, stop_u) for attendee in people
    }
    booked: dict[str, list[av.Interval]] = {attendee.id: [] for attendee in people}
    for booking in bookings:
        if booking.person_id in booked:
            booked[booking.person_id].append(
                (av.utc_minutes(booking.start), av.utc_minutes(booking.end, ceil=True))
            )
    booked = {person_id: av.merge(intervals) for person_id, intervals in booked.items()}
    rules = av.group_calendar(constraints, timezone, first_u, stop_u)
    allowed = rules.free(first_u, stop_u)
    holidays = list(rules.blocked)

    cells = []
    for local in range(monday, monday + av.MINUTES_PER_WEEK, SLOT_MINUTES):
        if not clock.exists(local):
            continue  # skipped by a spring-forward change
        start_u = clock.utc(local)
        end_u = start_u + SLOT_MINUTES
        holiday = _touches(holidays, start_u, end_u)
        absent, busy = [], []
        for attendee in people:
            if holiday or not _covers(free[attendee.id], start_u, end_u):
                absent.append(attendee.id)
            elif _touches(booked[attendee.id], start_u, end_u):
                busy.append(attendee.id)
        minute = local % av.MINUTES_PER_DAY
        cells.append(Cell(
            local_date=av.day_date(local // av.MINUTES_PER_DAY),
            local_time=time(minute // 60, minute % 60),
            start_u=start_u,
            end_u=end_u,
            available=len(people) - len(absent) - len(busy),
            absent_ids=tuple(absent),
            busy_ids=tuple(busy),
            allowed=_covers(allowed, start_u, end_u),
        ))
    return WeekGrid(week=week, timezone=timezone, people=tuple(people), cells=tuple(cells))
