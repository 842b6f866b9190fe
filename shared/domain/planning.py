"""The plan search: when a group meets, or why it cannot.

``find_plan`` places the guided sessions (facilitator and every member, one per calendar month
in consecutive months, at least 21 days apart, the first within six months of ``starts_on``)
on one fixed weekday and time when such a plan exists, and then the self-directed sessions (the
members, one per month, keeping that slot where they can). When no guided plan exists it
answers :class:`Infeasible` with per-month diagnostics and the people who block every plan.

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

Times are handled as integer minutes (see :mod:`shared.domain.availability`); ``L`` names are
local wall-clock minutes of the group's zone, ``u`` names UTC minutes.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from . import availability as av
from . import bookings as bk
from .model import GroupConstraints, Person

GUIDED = "guided"
SELF_DIRECTED = "self_directed"
KINDS: tuple[str, ...] = (GUIDED, SELF_DIRECTED)

GRID_MINUTES = 15
MIN_GAP_DAYS = 21
FIRST_SESSION_WINDOW_MONTHS = 6
EXTRA_FOLLOW_UP_MONTHS = 6  # months tried beyond follow_up_sessions before giving up
TOP_CANDIDATES = 3

_DAY = av.MINUTES_PER_DAY
_GAP = MIN_GAP_DAYS * _DAY
_NEVER = -(1 << 62)


# -- texts ---------------------------------------------------------------------------------------

_TEXTS: dict[str, dict[str, object]] = {
    "nl": {
        "weekdays": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
        "ordinals": ("eerste", "tweede", "derde", "vierde", "vijfde"),
        "months": (
            "januari", "februari", "maart", "april", "mei", "juni",
            "juli", "augustus", "september", "oktober", "november", "december",
        ),
        "slot_week": "{ordinal} {weekday} van de maand, {start}–{end}",
        "slot": "{weekday}, {start}–{end}",
        "no_slot_guided": (
            "Geen vaste dag en tijd mogelijk voor alle begeleide bijeenkomsten; "
            "het eerste mogelijke tijdstip is gekozen."
        ),
        "no_slot": "De groep heeft geen vaste dag en tijd; het eerste mogelijke tijdstip is gekozen.",
        "other_week": (
            "Zelfde dag en tijd, maar de {ordinal} {weekday} van de maand: "
            "de {slot_ordinal} kon deze maand niet."
        ),
        "slot_missed": "Het vaste tijdstip ({slot}) kon deze maand niet; het eerste mogelijke tijdstip is gekozen.",
        "quorum": "Niet iedereen kan: {present} van de {total} leden zijn er (quorum {quorum}).",
        "skip_all": (
            "Geen tijdstip in {month} {year} waarop alle leden kunnen "
            "(binnen de groepstijden en minstens 21 dagen na de vorige bijeenkomst)."
        ),
        "skip_quorum": (
            "Geen tijdstip in {month} {year} waarop minstens {quorum} van de {total} leden kunnen "
            "(binnen de groepstijden en minstens 21 dagen na de vorige bijeenkomst)."
        ),
        "infeasible": (
            "Geen plan mogelijk: er is geen reeks van {count} begeleide bijeenkomsten in opeenvolgende "
            "maanden, minstens 21 dagen uit elkaar, waarop de begeleider en alle leden kunnen, met de "
            "eerste tussen {first} en {last}."
        ),
        "blockers": "Zonder één van deze personen kan het wel: {ids}.",
        "no_blockers": "Het ligt niet aan één persoon: ook zonder wie dan ook lukt het niet.",
        "date": "{day} {month} {year}",
    },
    "en": {
        "weekdays": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "ordinals": ("first", "second", "third", "fourth", "fifth"),
        "months": (
            "January", "February", "March", "April", "May", "June",
            "July", "August", "September", "October", "November", "December",
        ),
        "slot_week": "{ordinal} {weekday} of the month, {start}–{end}",
        "slot": "{weekday}, {start}–{end}",
        "no_slot_guided": (
            "No fixed day and time fits all guided sessions; the earliest possible time was chosen."
        ),
        "no_slot": "The group has no fixed day and time; the earliest possible time was chosen.",
        "other_week": (
            "Same day and time, but the {ordinal} {weekday} of the month: "
            "the {slot_ordinal} was not possible this month."
        ),
        "slot_missed": "The fixed slot ({slot}) was not possible this month; the earliest possible time was chosen.",
        "quorum": "Not everyone can attend: {present} of {total} members present (quorum {quorum}).",
        "skip_all": (
            "No time in {month} {year} at which all members can attend "
            "(within the group's hours and at least 21 days after the previous session)."
        ),
        "skip_quorum": (
            "No time in {month} {year} at which at least {quorum} of the {total} members can attend "
            "(within the group's hours and at least 21 days after the previous session)."
        ),
        "infeasible": (
            "No plan possible: there is no series of {count} guided sessions in consecutive months, at "
            "least 21 days apart, that the facilitator and all members can attend, with the first "
            "between {first} and {last}."
        ),
        "blockers": "Without any one of these people it would work: {ids}.",
        "no_blockers": "No single person is the cause: removing any one person does not help.",
        "date": "{day} {month} {year}",
    },
}


def _texts(language: str) -> dict:
    return _TEXTS.get(language, _TEXTS["nl"])


def _format_date(day: date, language: str) -> str:
    texts = _texts(language)
    return texts["date"].format(day=day.day, month=texts["months"][day.month - 1], year=day.year)


# -- public values ---------------------------------------------------------------------------------


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
    """The required people's other sessions: busy time (see :mod:`shared.domain.bookings`)."""
    capacity: bk.Capacity | None = None
    """The facilitator's capacity, kept with her bookings."""


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
        texts = _texts(language)
        start = self.start.hour * 60 + self.start.minute
        end = (start + minutes) % _DAY
        values = {
            "weekday": texts["weekdays"][self.weekday],
            "start": f"{start // 60:02d}:{start % 60:02d}",
            "end": f"{end // 60:02d}:{end % 60:02d}",
        }
        if self.week_of_month is None:
            return texts["slot"].format(**values)
        return texts["slot_week"].format(ordinal=texts["ordinals"][self.week_of_month - 1], **values)


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


@dataclass(frozen=True)
class CandidateSlot:
    start: datetime
    attendees: int
    absent_ids: tuple[str, ...]
    booked: tuple[bk.Conflict, ...] = ()
    """Those of ``absent_ids`` who would be free but are booked into another session."""


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


# -- calendar helpers (local day numbers and month indexes: year * 12 + month - 1) -------------------


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


@lru_cache(maxsize=4096)
def _month_of_day(day: int) -> int:
    return _month_index(av.day_date(day))


@lru_cache(maxsize=4096)
def _month_first_day(month: int) -> int:
    return av.day_number(date(month // 12, month % 12 + 1, 1))


@lru_cache(maxsize=8192)
def _weekdays_in_month(month: int, weekday: int) -> tuple[int, ...]:
    first, stop = _month_first_day(month), _month_first_day(month + 1)
    day = first + (weekday - av.weekday_of(first)) % 7
    return tuple(range(day, stop, 7))


def _week_of_month(day: int) -> int:
    return (day - _month_first_day(_month_of_day(day))) // 7 + 1


def _add_months(day: date, months: int) -> date:
    month = _month_index(day) + months
    year, month = month // 12, month % 12 + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - date(year, month, 1)).days
    return date(year, month, min(day.day, last))


def _slot_candidates(month: int, weekday: int, minute: int, week: int | None) -> list[int]:
    """Local start minutes of a weekday/time in a month: the preferred week first, then by date."""
    days = _weekdays_in_month(month, weekday)
    if week is not None and week <= len(days):
        days = (days[week - 1],) + days[: week - 1] + days[week:]
    return [day * _DAY + minute for day in days]


# -- the search ---------------------------------------------------------------------------------------


class _Starts:
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


class _Horizon:
    """The sweep of the group's hours and some people, grown month by month as the search needs it.

    Segments are ``(first_u, stop_u, present)`` of start minutes; bit 0 of ``present`` is the
    group's hours, bit ``i + 1`` is ``people[i]``.
    """

    __slots__ = ("planner", "people", "everyone", "covered", "segments", "segment_starts", "full", "full_starts")

    def __init__(self, planner: _Planner, people: tuple[Person, ...], first_u: int, first_month: int):
        self.planner = planner
        self.people = people
        self.everyone = (1 << (len(people) + 1)) - 1
        self.covered = (first_month - 1, first_u)  # last month covered, and where coverage ends
        self.segments: list[tuple[int, int, int]] = []
        self.segment_starts: list[int] = []
        self.full: list[tuple[int, int, int]] = []
        self.full_starts: list[int] = []

    def cover(self, month: int) -> list[tuple[int, int, int]]:
        """Sweep up to the end of ``month``; returns the new segments."""
        last, stop_u = self.covered
        if month <= last:
            return []
        target = self.planner.clock.utc(self.planner._month_start(month + 1))
        new = self.planner._segments(self.people, stop_u, target)
        self.covered = (month, target)
        self.segments.extend(new)
        self.segment_starts.extend(segment[0] for segment in new)
        everyone = self.everyone
        full = [segment for segment in new if segment[2] == everyone]
        self.full.extend(full)
        self.full_starts.extend(segment[0] for segment in full)
        return new

    def present_at(self, u: int) -> int:
        index = bisect_right(self.segment_starts, u) - 1
        if index >= 0 and u < self.segments[index][1]:
            return self.segments[index][2]
        return 0


@dataclass(frozen=True)
class _Guided:
    starts: tuple[int, ...]  # local minutes
    pattern: tuple[int, int] | None  # (weekday, minute) of a fixed slot, None without one


class _Planner:
    def __init__(self, request: PlanRequest):
        if request.session_minutes <= 0:
            raise ValueError("session_minutes must be positive")
        self.request = request
        self.zone = ZoneInfo(request.timezone)
        self.minutes = request.session_minutes
        self.language = request.language
        self.texts = _texts(request.language)
        self.not_before_u = (
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
        latest = max([request.starts_on, *(av.day_date(self._local_of(past.start) // _DAY) for past in self.history)])
        if request.not_before:
            latest = max(latest, av.day_date(self._local_of(request.not_before) // _DAY))
        self.range_u = (
            self.clock.utc(self._month_start(_month_index(min(request.starts_on, latest)))) - _DAY,
            self.clock.utc(self._month_start(_month_index(latest) + months + 2)) + _DAY,
        )
        self.group = av.group_calendar(request.constraints, request.timezone, *self.range_u)
        self.calendars: dict[int, av.Calendar] = {}
        self.free_calendars: dict[int, av.Calendar] = {}
        self.blocks = self._blocks(request)

    def _aware(self, moment: datetime) -> datetime:
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.zone)

    def _local_of(self, moment: datetime) -> int:
        return self.clock.local(av.utc_minutes(self._aware(moment)))

    def _month_start(self, month: int) -> int:
        return _month_first_day(month) * _DAY

    # -- sweeps and grid points ------------------------------------------------------------

    def _segments(self, people: tuple[Person, ...], first_u: int, stop_u: int) -> list[tuple[int, int, int]]:
        minutes = self.minutes
        lists = [av.start_intervals(self.group.free(first_u, stop_u), minutes)]
        lists.extend(av.start_intervals(self._calendar(person).free(first_u, stop_u), minutes) for person in people)
        return av.sweep(lists, required=1)

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
            calendar = self.free_calendars[id(person)] = av.person_calendar(person, *self.range_u)
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

    def _booked(self, person: Person, u: int) -> bk.Conflict | None:
        """Why ``person``, free by their own availability, is booked at a session from ``u``."""
        blocks = self.blocks.get(person.id)
        if not blocks:
            return None
        end = u + self.minutes
        if not any(a <= u and end <= b for a, b in self._free_calendar(person).free(u - 1, end + 1)):
            return None
        block = bk.first_block(blocks, u, end)
        return bk.Conflict(person.id, block.session_id, block.reason) if block else None

    def _grid(self, first_u: int, stop_u: int) -> tuple[int, int] | None:
        """``(u, L)`` of the first 15-minute point of the group's wall clock in ``[first_u, stop_u)``."""
        points = self._grid_locals(first_u, stop_u)
        if not points:
            return None
        return self.clock.utc(points[0]), points[0]

    def _grid_locals(self, first_u: int, stop_u: int) -> range | list[int]:
        """Local minutes of every grid point in ``[first_u, stop_u)``.

        The hour that an autumn change repeats counts once (its first pass), so that every local
        minute maps back to one instant.
        """
        clock = self.clock
        index = bisect_right(clock.utc_changes, first_u)
        if index and clock.offsets[index] < clock.offsets[index - 1]:
            first_u = max(first_u, clock.utc_changes[index - 1] + clock.offsets[index - 1] - clock.offsets[index])
        if index >= len(clock.utc_changes) or clock.utc_changes[index] >= stop_u:
            offset = clock.offsets[index]
            first = first_u + (-(first_u + offset)) % GRID_MINUTES
            return range(first + offset, stop_u + offset, GRID_MINUTES)
        cut = clock.utc_changes[index]
        return [*self._grid_locals(first_u, cut), *self._grid_locals(cut, stop_u)]

    def _points(self, segments, wanted: int, low_u: int, low_L: int) -> list[int]:
        """Local grid starts in the segments whose people include every bit of ``wanted``."""
        found: list[int] = []
        for first, stop, present in segments:
            if present & wanted == wanted and stop > low_u:
                found.extend(self._grid_locals(max(first, low_u), stop))
        return [local for local in found if local >= low_L] if found and min(found) < low_L else found

    # -- guided series ---------------------------------------------------------------------

    def _follows(self, starts: _Starts, previous: int, month: int, count: int, weekday: int, minute: int,
                 week: int | None, before: int | None = None) -> Iterator[tuple[int, ...]]:
        """Every series of ``count`` sessions on a weekday/time in consecutive months from
        ``month``, each at least 21 days after the one before, in the order the search prefers
        them: the preferred week first, then by date, month by month."""
        if count == 0:
            yield ()
            return
        for local in _slot_candidates(month, weekday, minute, week):
            if local < previous + _GAP or local not in starts.members or (before is not None and local >= before):
                continue
            for rest in self._follows(starts, local, month + 1, count - 1, weekday, minute, week):
                yield (local, *rest)

    def _follow(self, starts: _Starts, previous: int, month: int, count: int, weekday: int, minute: int,
                week: int | None, before: int | None = None) -> tuple[int, ...] | None:
        """The preferred series of :meth:`_follows`, or None."""
        return next(self._follows(starts, previous, month, count, weekday, minute, week, before), None)

    def _earliest_series(self, starts: _Starts, previous: int, month: int, count: int) -> tuple[int, ...] | None:
        """The earliest feasible start in each of ``count`` months, 21 days apart (exact for
        existence: an earlier session never hurts the next one)."""
        series = []
        for step in range(count):
            local = starts.first_in(
                max(previous + _GAP, self._month_start(month + step)), self._month_start(month + step + 1)
            )
            if local is None:
                return None
            series.append(local)
            previous = local
        return tuple(series)

    def _fixed_slot(self, starts: _Starts, low: int, high: int, count: int) -> _Guided | None:
        """The first fixed-slot series with its first session in ``[low, high)``: earliest first
        date, then one week of the month for all, then the earlier time of day."""
        ordered = starts.ordered
        index, stop = bisect_left(ordered, low), bisect_left(ordered, high)
        while index < stop:
            day = ordered[index] // _DAY
            end = bisect_left(ordered, (day + 1) * _DAY, index, stop)
            month, weekday, week = _month_of_day(day), av.weekday_of(day), _week_of_month(day)
            other_weeks = None
            for local in ordered[index:end]:
                rest = self._follow(starts, local, month + 1, count - 1, weekday, local % _DAY, week)
                if rest is None:
                    continue
                if all(_week_of_month(later // _DAY) == week for later in rest):
                    return _Guided((local, *rest), (weekday, local % _DAY))
                if other_weeks is None:
                    other_weeks = _Guided((local, *rest), (weekday, local % _DAY))
            if other_weeks is not None:
                return other_weeks
            index = end
        return None

    def _any_series(self, starts: _Starts, low: int, high: int, count: int) -> _Guided | None:
        """Without a fixed slot: the earliest first session from which a series exists, then per
        month the first session's weekday and time when that still works, else the earliest start."""
        for month in range(_month_of_day(low // _DAY), _month_of_day((high - 1) // _DAY) + 1):
            first = starts.first_in(max(low, self._month_start(month)), min(high, self._month_start(month + 1)))
            if first is None or self._earliest_series(starts, first, month + 1, count - 1) is None:
                continue
            weekday, minute = av.weekday_of(first // _DAY), first % _DAY
            series, previous = [first], first
            for step in range(1, count):
                chosen = None
                for local in _slot_candidates(month + step, weekday, minute, None):
                    if (local >= previous + _GAP and local in starts.members
                            and self._earliest_series(starts, local, month + step + 1, count - 1 - step) is not None):
                        chosen = local
                        break
                if chosen is None:
                    chosen = self._earliest_series(starts, previous, month + step, 1)[0]
                series.append(chosen)
                previous = chosen
            return _Guided(tuple(series), None)
        return None

    def _guided(self, people: tuple[Person, ...], count: int, low_day: int, high_day: int,
                previous: int | None, history_slot: tuple[int, int, int | None] | None) -> _Guided | Infeasible:
        low, high = low_day * _DAY, high_day * _DAY
        first_month, last_first_month = _month_of_day(low_day), _month_of_day(high_day - 1)
        last_month = last_first_month + count - 1
        horizon = _Horizon(self, people, self.clock.utc(low), first_month)
        low_u = self.clock.utc(low)
        if self.not_before_u is not None:
            low_u = max(low_u, self.not_before_u)
        low_L = max(low, previous + _GAP) if previous is not None else low
        starts = _Starts()

        def cover(month: int) -> None:
            # Sweep a few months at a time: most groups find their slot in the first months.
            if month > horizon.covered[0]:
                new = horizon.cover(min(last_month, max(month, horizon.covered[0] + 3)))
                starts.add(self._points(new, horizon.everyone, low_u, low_L))

        if history_slot is not None:
            weekday, minute, week = history_slot
            for month in range(first_month, last_first_month + 1):
                cover(month + count - 1)
                found = self._follow(starts, _NEVER, month, count, weekday, minute, week, before=high)
                if found is not None:
                    return _Guided(found, (weekday, minute))
        for month in range(first_month, last_first_month + 1):
            cover(month + count - 1)
            plan = self._fixed_slot(starts, max(low, self._month_start(month)), min(high, self._month_start(month + 1)), count)
            if plan is not None:
                return plan
        cover(last_month)
        plan = self._any_series(starts, low, high, count)
        if plan is not None:
            return plan

        blockers = []
        for index, person in enumerate(people, start=1):
            others = horizon.everyone & ~(1 << index)
            without = _Starts()
            without.add(self._points(horizon.segments, others, low_u, low_L))
            if self._any_series(without, low, high, count) is not None:
                blockers.append(person.id)
        months = self._diagnostics(people, horizon.segments, low_u, low_L, first_month, last_month)
        reason = self.texts["infeasible"].format(
            count=count,
            first=_format_date(av.day_date(low_day), self.language),
            last=_format_date(av.day_date(high_day - 1), self.language),
        )
        if blockers:
            reason += " " + self.texts["blockers"].format(ids=", ".join(blockers))
        else:
            reason += " " + self.texts["no_blockers"]
        return Infeasible(months=months, blockers=tuple(blockers), reason=reason)

    def _diagnostics(self, people, segments, low_u: int, low_L: int, first_month: int,
                     last_month: int) -> tuple[MonthDiagnostics, ...]:
        """Per month the best start of each day (most attendees, then earliest), the top three;
        times at which nobody can attend are left out, so a month may list fewer (or none)."""
        per_day: dict[int, tuple[int, int, int]] = {}
        for first, stop, present in segments:
            point = self._grid(max(first, low_u), stop) if stop > low_u else None
            if point is None or point[1] < low_L:
                continue
            u, local = point
            attendees = (present >> 1).bit_count()
            if attendees == 0:  # a time nobody can make is no candidate
                continue
            day = local // _DAY
            best = per_day.get(day)
            if best is None or attendees > best[0]:
                per_day[day] = (attendees, u, present)
        by_month: dict[int, list[tuple[int, int, int]]] = {}
        for day in sorted(per_day):
            by_month.setdefault(_month_of_day(day), []).append(per_day[day])
        months = []
        for month in range(first_month, last_month + 1):
            ranked = sorted(by_month.get(month, []), key=lambda item: (-item[0], item[1]))[:TOP_CANDIDATES]
            slots = []
            for attendees, u, present in ranked:
                absent = [person for index, person in enumerate(people, start=1) if not present >> index & 1]
                booked = (self._booked(person, u) for person in absent)
                slots.append(CandidateSlot(
                    start=av.to_datetime(u, self.zone),
                    attendees=attendees,
                    absent_ids=tuple(person.id for person in absent),
                    booked=tuple(conflict for conflict in booked if conflict is not None),
                ))
            months.append(MonthDiagnostics(year=month // 12, month=month % 12 + 1, best_slots=tuple(slots)))
        return tuple(months)

    # -- candidate series, for planning groups together ----------------------------------------

    def candidates(self, limit: int) -> tuple[list[_Guided], bool]:
        """Up to ``limit`` guided series, and whether that is every series there is.

        In this order, each pass in date order and without repeats: per day the earliest
        fixed-slot series; per day further start times a session apart; every other fixed-slot
        series; then series without a fixed slot. So a short list still covers many days (which
        a facilitator's daily limit makes matter) before it covers many times of one day.
        """
        remaining, low_day, high_day = self._guided_bounds()
        if not remaining:
            return [], True
        people = (self.request.facilitator, *self.request.members)
        low, high = low_day * _DAY, high_day * _DAY
        last_past = self._local_of(self.history[-1].start) if self.history else None
        horizon = _Horizon(self, people, self.clock.utc(low), _month_of_day(low_day))
        low_u = self.clock.utc(low) if self.not_before_u is None else max(self.clock.utc(low), self.not_before_u)
        low_L = max(low, last_past + _GAP) if last_past is not None else low
        starts = _Starts()
        starts.add(self._points(horizon.cover(_month_of_day(high_day - 1) + remaining - 1), horizon.everyone, low_u, low_L))
        firsts = starts.ordered[bisect_left(starts.ordered, low):bisect_left(starts.ordered, high)]
        days: dict[int, list[int]] = {}
        for local in firsts:
            days.setdefault(local // _DAY, []).append(local)

        def fixed(local: int) -> Iterator[_Guided]:
            day = local // _DAY
            weekday, minute = av.weekday_of(day), local % _DAY
            for rest in self._follows(starts, local, _month_of_day(day) + 1, remaining - 1, weekday, minute, _week_of_month(day)):
                yield _Guided((local, *rest), (weekday, minute))

        def spread(times: list[int]) -> list[int]:
            chosen: list[int] = []
            for local in times:
                if not chosen or local >= chosen[-1] + self.minutes:
                    chosen.append(local)
            return chosen

        def earliest_per_day() -> Iterator[_Guided]:
            for times in days.values():
                first = next((series for local in times for series in fixed(local)), None)
                if first is not None:
                    yield first

        def spread_per_day() -> Iterator[_Guided]:
            for times in days.values():
                for local in spread(times):
                    first = next(fixed(local), None)
                    if first is not None:
                        yield first

        def every_fixed() -> Iterator[_Guided]:
            for local in firsts:
                yield from fixed(local)

        def without_slot(previous: int, month: int, count: int) -> Iterator[tuple[int, ...]]:
            if count == 0:
                yield ()
                return
            first = max(previous + _GAP, self._month_start(month))
            ordered = starts.ordered
            for local in ordered[bisect_left(ordered, first):bisect_left(ordered, self._month_start(month + 1))]:
                for rest in without_slot(local, month + 1, count - 1):
                    yield (local, *rest)

        def every_other() -> Iterator[_Guided]:
            for local in firsts:
                for rest in without_slot(local, _month_of_day(local // _DAY) + 1, remaining - 1):
                    series = (local, *rest)
                    if len({(av.weekday_of(point // _DAY), point % _DAY) for point in series}) > 1:
                        yield _Guided(series, None)

        found: list[_Guided] = []
        seen: set[tuple[int, ...]] = set()
        for candidates in (earliest_per_day(), spread_per_day(), every_fixed(), every_other()):
            for candidate in candidates:
                if candidate.starts in seen:
                    continue
                if len(found) == limit:
                    return found, False
                seen.add(candidate.starts)
                found.append(candidate)
        return found, True

    # -- self-directed ---------------------------------------------------------------------

    def _month_choice(self, horizon: _Horizon, month: int, low_L: int, quorum: int | None,
                      preference: tuple[int, int, int | None] | None) -> tuple[int, int, int] | None:
        """``(u, L, present)`` of the month's self-directed session, or None to skip the month."""
        high_L = self._month_start(month + 1)
        low_u, high_u = self.clock.utc(low_L), self.clock.utc(high_L)
        if self.not_before_u is not None:
            low_u = max(low_u, self.not_before_u)

        def preferred(wanted) -> tuple[int, int, int] | None:
            if preference is None:
                return None
            weekday, minute, week = preference
            for local in _slot_candidates(month, weekday, minute, week):
                if low_L <= local < high_L and self.clock.exists(local):
                    u = self.clock.utc(local)
                    present = horizon.present_at(u)
                    if u >= low_u and wanted(present):
                        return u, local, present
            return None

        everyone = horizon.everyone
        chosen = preferred(lambda present: present == everyone)
        if chosen is not None:
            return chosen
        full, full_starts = horizon.full, horizon.full_starts
        index = max(0, bisect_right(full_starts, low_u) - 1)
        while index < len(full) and full[index][0] < high_u:
            first, stop, present = full[index]
            point = self._grid(max(first, low_u), min(stop, high_u))
            if point is not None and point[1] >= low_L:
                return point[0], point[1], present
            index += 1
        if quorum is None:
            return None

        # Nobody-missing is impossible this month: the start the most members can attend.
        best, earliest = -1, None
        segments = horizon.segments
        index = max(0, bisect_right(horizon.segment_starts, low_u) - 1)
        while index < len(segments) and segments[index][0] < high_u:
            first, stop, present = segments[index]
            index += 1
            attendees = (present >> 1).bit_count()
            if attendees <= best or attendees < quorum:
                continue
            point = self._grid(max(first, low_u), min(stop, high_u))
            if point is not None and point[1] >= low_L:
                best, earliest = attendees, (point[0], point[1], present)
        if earliest is None:
            return None
        return preferred(lambda present: present & 1 and (present >> 1).bit_count() == best) or earliest

    def _self_directed(self, first_month: int, count: int, previous: int | None,
                       preference: tuple[int, int, int | None] | None, slot: Slot | None,
                       next_number: int) -> tuple[list[PlannedSession], list[SkippedMonth]]:
        members = self.request.members
        total = len(members)
        quorum = self.request.constraints.self_directed_quorum
        if quorum is not None:
            quorum = max(1, min(quorum, total))
        last_month = first_month + count + EXTRA_FOLLOW_UP_MONTHS - 1
        horizon = _Horizon(self, members, self.clock.utc(self._month_start(first_month)), first_month)
        texts = self.texts
        sessions: list[PlannedSession] = []
        skipped: list[SkippedMonth] = []
        for month in range(first_month, last_month + 1):
            if len(sessions) == count or not members:
                break
            if month > horizon.covered[0]:
                # The months the follow-up sessions need, then a few more whenever months are skipped.
                horizon.cover(min(last_month, max(month + count - len(sessions) - 1, horizon.covered[0] + 3)))
            low_L = self._month_start(month)
            if previous is not None:
                low_L = max(low_L, previous + _GAP)
            chosen = self._month_choice(horizon, month, low_L, quorum, preference)
            year, month_number = month // 12, month % 12 + 1
            if chosen is None:
                key = "skip_all" if quorum is None or quorum == total else "skip_quorum"
                reason = texts[key].format(month=texts["months"][month_number - 1], year=year, quorum=quorum, total=total)
                skipped.append(SkippedMonth(year, month_number, reason))
                continue
            u, local, present = chosen
            absent = tuple(member.id for index, member in enumerate(members, start=1) if not present >> index & 1)
            keeps, note = self._slot_note(slot, local)
            if absent:
                quorum_note = texts["quorum"].format(present=total - len(absent), total=total, quorum=quorum)
                note = f"{note} {quorum_note}" if note else quorum_note
            sessions.append(PlannedSession(
                number=next_number + len(sessions),
                kind=SELF_DIRECTED,
                start=av.to_datetime(u, self.zone),
                end=av.to_datetime(u + self.minutes, self.zone),
                chair_id=None,
                absent_ids=absent,
                keeps_slot=keeps,
                note=note,
            ))
            previous = local
        return sessions, skipped

    def _slot_note(self, slot: Slot | None, local: int) -> tuple[bool, str | None]:
        texts = self.texts
        if slot is None:
            return False, texts["no_slot"]
        day = local // _DAY
        if av.weekday_of(day) != slot.weekday or local % _DAY != slot.start.hour * 60 + slot.start.minute:
            return False, texts["slot_missed"].format(slot=slot.describe(self.language, self.minutes))
        week = _week_of_month(day)
        if slot.week_of_month is not None and week != slot.week_of_month:
            return False, texts["other_week"].format(
                ordinal=texts["ordinals"][week - 1],
                weekday=texts["weekdays"][slot.weekday],
                slot_ordinal=texts["ordinals"][slot.week_of_month - 1],
            )
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

    # -- the whole plan ------------------------------------------------------------------------

    @property
    def _not_before_day(self) -> int | None:
        return self.clock.local(self.not_before_u) // _DAY if self.not_before_u is not None else None

    def _guided_bounds(self) -> tuple[int, int, int]:
        """How many guided sessions remain, and the local days ``[low, high)`` in which the
        first of them must lie."""
        request = self.request
        past_guided = [self._local_of(past.start) for past in self.history if past.kind == GUIDED]
        remaining = remaining_guided(request)
        if past_guided:
            low_day = _month_first_day(_month_of_day(past_guided[-1] // _DAY) + 1)
        else:
            low_day = av.day_number(request.starts_on)
        low_day = max(low_day, av.day_number(request.starts_on))
        if self._not_before_day is not None:
            low_day = max(low_day, self._not_before_day)
        high_day = av.day_number(_add_months(av.day_date(low_day), FIRST_SESSION_WINDOW_MONTHS))
        return remaining, low_day, high_day

    def plan(self, chosen: _Guided | None = None) -> Plan | Infeasible:
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
                weeks = {_week_of_month(local // _DAY) for local in series}
                slot = Slot(weekday, time(minute // 60, minute % 60), weeks.pop() if len(weeks) == 1 else None)
            for offset, local in enumerate(found.starts):
                u = self.clock.utc(local)
                sessions.append(PlannedSession(
                    number=next_number + offset,
                    kind=GUIDED,
                    start=av.to_datetime(u, self.zone),
                    end=av.to_datetime(u + self.minutes, self.zone),
                    chair_id=None,
                    absent_ids=(),
                    keeps_slot=slot is not None,
                    note=None if slot is not None else self.texts["no_slot_guided"],
                ))
            guided_locals.extend(found.starts)
            next_number += len(found.starts)
        elif history_slot is not None:
            weekday, minute, week = history_slot
            slot = Slot(weekday, time(minute // 60, minute % 60), week)

        planned_locals = [self._local_of(past.start) for past in history] + guided_locals[len(past_guided):]
        previous = max(planned_locals) if planned_locals else None
        if previous is not None:
            first_month = _month_of_day(previous // _DAY) + 1
        else:
            first_month = _month_index(request.starts_on)
        if not_before_day is not None:
            first_month = max(first_month, _month_of_day(not_before_day))
        first_month = max(first_month, _month_index(request.starts_on))

        if slot is not None:
            preference = (slot.weekday, slot.start.hour * 60 + slot.start.minute, slot.week_of_month)
        elif guided_locals:
            preference = (av.weekday_of(guided_locals[0] // _DAY), guided_locals[0] % _DAY, None)
        else:
            preference = None
        follow_ups, skipped = self._self_directed(first_month, remaining_follow_up, previous, preference, slot, next_number)
        sessions.extend(self._assign_chairs(follow_ups, past_self_directed))
        return Plan(slot=slot, sessions=tuple(sessions), skipped_months=tuple(skipped))

    @staticmethod
    def _shared_slot(locals_: list[int]) -> tuple[int, int, int | None] | None:
        if not locals_:
            return None
        patterns = {(av.weekday_of(local // _DAY), local % _DAY) for local in locals_}
        if len(patterns) != 1:
            return None
        weekday, minute = patterns.pop()
        weeks = {_week_of_month(local // _DAY) for local in locals_}
        return weekday, minute, weeks.pop() if len(weeks) == 1 else None


def find_plan(request: PlanRequest) -> Plan | Infeasible:
    """Plan a group's guided and self-directed sessions, or say why no guided plan exists."""
    return _Planner(request).plan()


@dataclass(frozen=True)
class Series:
    """A possible series of a group's remaining guided sessions (see :func:`candidate_series`)."""

    starts: tuple[datetime, ...]  # aware, in the group's zone
    fixed_slot: bool  # one weekday and start time for all
    same_week: bool  # and one week of the month


def booking_conflicts(request: PlanRequest, plan: Plan) -> list[tuple[int, bk.Conflict]]:
    """``(session number, conflict)`` for every planned session that runs into a booking of one
    of its required people or breaks the facilitator's capacity (empty for a plan made from this
    request; not empty when bookings changed since the plan was made)."""
    people = (request.facilitator, *request.members)
    proposals = [
        bk.Proposal(
            str(session.number), session.start, session.end,
            tuple(
                person.id for person in (people if session.kind == GUIDED else request.members)
                if person.id not in session.absent_ids
            ),
        )
        for session in plan.sessions
    ]
    timezones = {person.id: person.timezone for person in people}
    capacities = {request.facilitator.id: request.capacity} if request.capacity else {}
    return [(int(number), conflict) for number, conflict in bk.conflicts(proposals, request.bookings, timezones, capacities)]


def remaining_guided(request: PlanRequest) -> int:
    """How many guided sessions are still to be planned (the rest lie in ``history``)."""
    return max(0, request.guided_sessions - sum(1 for past in request.history if past.kind == GUIDED))


def candidate_series(request: PlanRequest, limit: int) -> tuple[tuple[Series, ...], bool]:
    """Up to ``limit`` series the group's remaining guided sessions could take (each satisfying
    every rule on its own, bookings included), the engine's preference first; and whether these
    are all there are (none when no guided session remains, see :func:`remaining_guided`)."""
    planner = _Planner(request)
    found, complete = planner.candidates(limit)
    series = tuple(
        Series(
            starts=tuple(av.to_datetime(planner.clock.utc(local), planner.zone) for local in chosen.starts),
            fixed_slot=chosen.pattern is not None,
            same_week=len({_week_of_month(local // _DAY) for local in chosen.starts}) == 1,
        )
        for chosen in found
    )
    return series, complete


def plan_with_series(request: PlanRequest, series: Series) -> Plan:
    """The group's plan with ``series`` as its guided sessions (one of :func:`candidate_series`
    for the same request, or for one with more bookings that the series does not run into)."""
    planner = _Planner(request)
    starts = tuple(planner._local_of(start) for start in series.starts)
    pattern = (av.weekday_of(starts[0] // _DAY), starts[0] % _DAY) if series.fixed_slot else None
    plan = planner.plan(_Guided(starts, pattern))
    assert isinstance(plan, Plan)
    return plan


def attendance_at(request: PlanRequest, start: datetime, kind: str) -> tuple[str, ...]:
    """Ids of the required people who cannot attend a session of ``request.session_minutes``
    starting at ``start`` (facilitator and members for guided sessions, members otherwise)."""
    if kind not in KINDS:
        raise ValueError(f"unknown session kind {kind!r}; expected one of {KINDS}")
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(request.timezone))
    first_u = av.utc_minutes(start)
    stop_u = av.utc_minutes(start.astimezone(UTC) + timedelta(minutes=request.session_minutes), ceil=True)
    required = (request.facilitator, *request.members) if kind == GUIDED else request.members
    return tuple(person.id for person in required if not av.can_attend(person, first_u, stop_u))

