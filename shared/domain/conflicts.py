"""Calendar conflicts: a required person whose own calendar is busy during a planned session.

A session *can* conflict while it is scheduled and still to come (it starts after ``now``); a
cancelled or past one never does. Its required people are those of
:func:`shared.domain.attendance.required`: for a guided session the facilitator and every member,
for a self-directed one the members not listed absent. One of them *conflicts* when busy time
read from their published calendars overlaps the session by at least a moment (``[start, end)``
intervals: an appointment that ends as the session starts does not).

Conflicts are not stored: they are read from the busy times whenever a session is shown, so
they go away by themselves when a refresh no longer finds the busy time, when the calendar is
removed, or when the session moves or is cancelled. A refresh looks again only at the person's
sessions that the old or the new busy times touch (:func:`touched`): one of them may have just
become at risk.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

CALENDAR = "calendar"
"""Where a conflict was found: busy time in the person's published calendar."""
SOURCES: tuple[str, ...] = (CALENDAR,)

Interval = tuple[datetime, datetime]
Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Conflict:
    """One required person who is busy elsewhere during the session."""

    person_id: str
    source: str = CALENDAR


def can_conflict(status: str, start: datetime, now: datetime) -> bool:
    """Whether a session is checked at all: scheduled and still to come."""
    return status == "scheduled" and start > now


def overlaps(start: datetime, end: datetime, intervals: Iterable[Interval]) -> bool:
    """Whether any of ``intervals`` shares a moment with ``[start, end)``."""
    return any(busy_start < end and busy_end > start for busy_start, busy_end in intervals)


def touched(sessions: Mapping[Key, Interval], busy: Sequence[Interval]) -> list[Key]:
    """The sessions (``key: (start, end)``) that share a moment with any of ``busy``: of a
    person's sessions, those whose conflicts a change of these intervals can change."""
    return [key for key, (start, end) in sessions.items() if overlaps(start, end, busy)]
