"""What the plan search is asked and what it answers, and the numbers its rules are made of.

Every value here is public (see the package); ``DAY`` and ``GAP`` are the search's own minute
counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from .. import availability as av
from .. import bookings as bk
from ..model import GroupConstraints, Person
from . import texts
from .absences import Absence

GUIDED = "guided"
SELF_DIRECTED = "self_directed"
KINDS: tuple[str, ...] = (GUIDED, SELF_DIRECTED)

GRID_MINUTES = 15
MIN_GAP_DAYS = 21
FIRST_SESSION_WINDOW_MONTHS = 6
EXTRA_FOLLOW_UP_MONTHS = 6  # months tried beyond follow_up_sessions before giving up
TOP_CANDIDATES = 3

DAY = av.MINUTES_PER_DAY  # minutes in a day
GAP = MIN_GAP_DAYS * DAY  # minutes from one session's start to the earliest start of the next


# -- the question ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PastSession:
    """A session that already happened, or is fixed, before ``not_before``."""

    number: int
    kind: str  # "guided" | "self_directed"
    start: datetime  # aware


@dataclass(frozen=True)
class PlanRequest:
    """Everything the plan search needs; ``language`` (``nl``/``en``) is for readable texts."""

    timezone: str
    starts_on: date
    session_minutes: int
    guided_sessions: int
    follow_up_sessions: int
    facilitator: Person
    members: tuple[Person, ...]
    constraints: GroupConstraints
    not_before: datetime | None = None
    history: tuple[PastSession, ...] = ()
    language: str = "nl"
    bookings: tuple[bk.Booking, ...] = ()
    """The required people's other sessions and the busy time from their own calendars (see
    :mod:`shared.domain.bookings`)."""
    capacity: bk.Capacity | None = None
    """The facilitator's capacity, kept with her bookings."""


# -- a plan ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedSession:
    number: int
    kind: str
    start: datetime
    end: datetime
    chair_id: str | None
    absent_ids: tuple[str, ...]
    keeps_slot: bool
    note: str | None


@dataclass(frozen=True)
class Slot:
    """The fixed weekday and local start time that all guided sessions share."""

    weekday: int
    start: time
    week_of_month: int | None

    def describe(self, language: str = "nl", minutes: int = 90) -> str:
        start = self.start.hour * 60 + self.start.minute
        end = (start + minutes) % DAY
        return texts.slot(self.weekday, self.start, time(end // 60, end % 60), self.week_of_month, language)


@dataclass(frozen=True)
class SkippedMonth:
    year: int
    month: int
    reason: str


@dataclass(frozen=True)
class Plan:
    slot: Slot | None
    sessions: tuple[PlannedSession, ...]
    skipped_months: tuple[SkippedMonth, ...]


# -- no plan -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateSlot:
    start: datetime
    attendees: int
    absent_ids: tuple[str, ...]
    booked: tuple[bk.Conflict, ...] = ()
    """Those of ``absent_ids`` who would be free but are booked into another session, or busy
    in their own calendar (``source`` ``calendar``)."""
    absences: tuple[Absence, ...] = ()
    """Why each of ``absent_ids`` cannot come (diagnostics only, see :mod:`.absences`)."""


@dataclass(frozen=True)
class MonthDiagnostics:
    year: int
    month: int
    best_slots: tuple[CandidateSlot, ...]


@dataclass(frozen=True)
class Infeasible:
    months: tuple[MonthDiagnostics, ...]
    blockers: tuple[str, ...]
    reason: str


# -- candidate series, for planning groups together ------------------------------------------------


@dataclass(frozen=True)
class Series:
    """A possible series of a group's remaining guided sessions (see :func:`candidate_series`)."""

    starts: tuple[datetime, ...]  # aware, in the group's zone
    fixed_slot: bool  # one weekday and start time for all
    same_week: bool  # and one week of the month
