"""The plan search: when a group meets, or why it cannot.

:func:`find_plan` places the guided sessions (facilitator and every member, one per calendar
month in consecutive months, at least 21 days apart, the first within six months of
``starts_on``) on one fixed weekday and time when such a plan exists, and then the self-directed
sessions (the members, one per month, keeping that slot where they can). When no guided plan
exists it answers :class:`Infeasible` with per-month diagnostics and the people who block every
plan.

Rules the product brief leaves open, decided here:

* "21 days apart" is measured on the group's wall clock (19:30 on 3 March to 19:30 on 24 March
  is 21 days even when the clocks changed in between).
* When ``not_before`` lies after ``starts_on`` (a re-plan), the six-month window for the first
  session starts at ``not_before``'s date.
* A self-directed session keeps the slot only when it has the slot's weekday, time and, if the
  slot names one, week of the month ("second Tuesday"); otherwise ``keeps_slot`` is False and
  the note says what differs.
* A re-plan whose past guided sessions share a weekday and time continues that slot (same week
  of the month preferred) when it can, before looking for a new one.
* The chair rotation moves on from whoever chaired last, so a member who stands in for an
  absent one does not chair twice in a row.
* With a quorum, ties between equally attended starts go to the slot (its week first), then to
  the earliest start. Without a fixed slot, later sessions prefer the first guided session's
  weekday and time; they carry ``keeps_slot=False`` and a note saying there is no fixed slot.
* Diagnostics list at most one candidate per day (its best, earliest start), so that the top
  three show three different days.
* In the hour that an autumn change repeats, a wall-clock time means its first pass; wall-clock
  times that a spring change skips are never planned.

The modules, in the order they build on each other: ``texts`` and ``values`` (what is asked and
answered), ``months`` (calendar arithmetic), ``horizon`` (the sweep and its feasible starts),
``base`` (clock, calendars and the 15-minute grid; integer minutes throughout), then the seams of
the search, ``diagnostics``, ``guided``, ``candidates`` (series for batches) and
``self_directed``, which ``planner`` composes into the whole plan; and ``alternatives``, other
times for one session that is at risk.
"""

from __future__ import annotations

from .base import remaining_guided
from .candidates import SeriesSpace
from .planner import (
    alternatives,
    attendance_at,
    candidate_series,
    find_plan,
    plan_with_series,
    series_space,
)
from .values import (
    EXTRA_FOLLOW_UP_MONTHS,
    FIRST_SESSION_WINDOW_MONTHS,
    GRID_MINUTES,
    GUIDED,
    KINDS,
    MIN_GAP_DAYS,
    SELF_DIRECTED,
    TOP_CANDIDATES,
    CandidateSlot,
    Infeasible,
    MonthDiagnostics,
    PastSession,
    Plan,
    PlannedSession,
    PlanRequest,
    Series,
    SkippedMonth,
    Slot,
)

__all__ = [
    "CandidateSlot",
    "EXTRA_FOLLOW_UP_MONTHS",
    "FIRST_SESSION_WINDOW_MONTHS",
    "GRID_MINUTES",
    "GUIDED",
    "Infeasible",
    "KINDS",
    "MIN_GAP_DAYS",
    "MonthDiagnostics",
    "PastSession",
    "Plan",
    "PlanRequest",
    "PlannedSession",
    "SELF_DIRECTED",
    "Series",
    "SeriesSpace",
    "SkippedMonth",
    "Slot",
    "TOP_CANDIDATES",
    "alternatives",
    "attendance_at",
    "candidate_series",
    "find_plan",
    "plan_with_series",
    "remaining_guided",
    "series_space",
]
