"""Value objects shared by the pure domain modules.

Everything here is plain data: frozen dataclasses built from the standard library only, so that
the availability arithmetic, the plan search and the calendar builder can be tested without a
database, and so that the same input always compares (and hashes) equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday slugs of the API, indexed like ``date.weekday()`` (Monday is 0)."""

HOLIDAY_REGIONS: tuple[str, ...] = ("noord", "midden", "zuid")
"""Dutch school-holiday regions, as the API spells them."""

LANGUAGES: tuple[str, ...] = ("nl", "en")


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """A recurring weekly window in the person's own wall-clock time.

    ``day`` is 0 (Monday) … 6 (Sunday). ``end`` is after ``start`` on the same day.
    """

    day: int
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class UnavailableRange:
    """A period in which the person cannot attend.

    Either two dates (inclusive: ``2027-03-08``–``2027-03-12`` blocks five whole days in the
    person's time zone) or two aware datetimes (half-open: ``[start, end)``).
    """

    start: date | datetime
    end: date | datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Availability:
    """When a person can meet. An empty ``weekly`` means "no weekly restriction"."""

    weekly: tuple[WeeklyWindow, ...] = ()
    unavailable: tuple[UnavailableRange, ...] = ()


@dataclass(frozen=True, slots=True)
class Person:
    """A required or optional attendee as the plan search sees them.

    ``id`` is an opaque string (the API's UUID); ``timezone`` an IANA name;
    ``school_holiday_region`` one of :data:`HOLIDAY_REGIONS` or ``None``.
    """

    id: str
    timezone: str
    availability: Availability = field(default_factory=Availability)
    school_holiday_region: str | None = None


@dataclass(frozen=True, slots=True)
class GroupConstraints:
    """The group's own rules for when sessions may take place (local time of the group)."""

    weekdays: frozenset[int] = frozenset(range(5))
    earliest: time = time(8, 0)
    latest: time = time(22, 0)
    skip_public_holidays: bool = True
    school_holiday_region: str | None = None
    self_directed_quorum: int | None = None
