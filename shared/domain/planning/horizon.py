"""The search's working sets: feasible start minutes, and the sweep of the calendars that they
come from, grown month by month as the search needs it.

A sweep cuts time into segments ``(first_utc, stop_utc, present)`` of start minutes (UTC)
within which the same people can attend a session. ``present`` is a bit mask: bit 0 is the
group's hours, bit ``i + 1`` is ``people[i]``; the helpers below read it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING

from ..model import Person

if TYPE_CHECKING:
    from .base import PlannerBase


def within_hours(present: int) -> bool:
    """Whether the segment lies within the group's hours."""
    return bool(present & 1)


def person_bit(index: int) -> int:
    """The bit of ``people[index]``."""
    return 1 << (index + 1)


def attendee_count(present: int) -> int:
    """How many of the people can attend."""
    return (present >> 1).bit_count()


def absentees(people: tuple[Person, ...], present: int) -> tuple[Person, ...]:
    """The people who cannot attend, in their order."""
    return tuple(person for index, person in enumerate(people) if not present & person_bit(index))


class Starts:
    """Feasible local start minutes, sorted and as a set, grown as the horizon grows."""

    __slots__ = ("ordered", "members")

    def __init__(self) -> None:
        self.ordered: list[int] = []
        self.members: set[int] = set()

    def add(self, points: list[int]) -> None:
        points.sort()
        if points and self.ordered and points[0] < self.ordered[-1]:  # only around an autumn fold
            self.ordered = sorted(self.ordered + points)
        else:
            self.ordered.extend(points)
        self.members.update(points)

    def first_in(self, low: int, stop: int) -> int | None:
        index = bisect_left(self.ordered, low)
        if index < len(self.ordered) and self.ordered[index] < stop:
            return self.ordered[index]
        return None


class Horizon:
    """The sweep of the group's hours and some people, grown month by month as the search needs
    it: ``segments`` all of them, ``full`` those that everyone (``everyone``) can attend."""

    __slots__ = ("planner", "people", "everyone", "covered", "segments", "segment_starts", "full", "full_starts")

    def __init__(self, planner: PlannerBase, people: tuple[Person, ...], first_utc: int, first_month: int):
        self.planner = planner
        self.people = people
        self.everyone = (1 << (len(people) + 1)) - 1
        self.covered = (first_month - 1, first_utc)  # last month covered, and where coverage ends
        self.segments: list[tuple[int, int, int]] = []
        self.segment_starts: list[int] = []
        self.full: list[tuple[int, int, int]] = []
        self.full_starts: list[int] = []

    def cover(self, month: int) -> list[tuple[int, int, int]]:
        """Sweep up to the end of ``month``; returns the new segments."""
        last, stop_utc = self.covered
        if month <= last:
            return []
        target = self.planner.clock.utc(self.planner._month_start(month + 1))
        new = self.planner._segments(self.people, stop_utc, target)
        self.covered = (month, target)
        self.segments.extend(new)
        self.segment_starts.extend(segment[0] for segment in new)
        everyone = self.everyone
        full = [segment for segment in new if segment[2] == everyone]
        self.full.extend(full)
        self.full_starts.extend(segment[0] for segment in full)
        return new

    def present_at(self, utc: int) -> int:
        """``present`` of the segment holding the start minute ``utc`` (0 outside every one)."""
        index = bisect_right(self.segment_starts, utc) - 1
        if index >= 0 and utc < self.segments[index][1]:
            return self.segments[index][2]
        return 0
