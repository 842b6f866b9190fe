"""A brute-force scheduling oracle, written independently of the engine.

It shares nothing with ``shared.domain.availability`` or ``shared.domain.planning``: it reads the
request's fields, walks every 15-minute point of the group's local clock, and asks each person
directly (convert the session into their zone with ``zoneinfo``, check their weekly windows,
unavailable ranges and school holidays). Slow on purpose; only the holiday lookups and the value
objects of ``model.py`` are shared.

Conventions it checks (the product's, stated in the engine's module docstring): the first guided
session lies on/after ``max(starts_on, not_before's date)`` and before six months after that day;
"21 days apart" is measured on the group's wall clock.

It also judges one person's sessions against the booking rules (:func:`broken_rules`), with
datetimes and the person's own calendar rather than the engine's minute arithmetic.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.domain.dutch_holidays import public_holidays, school_holidays
from shared.domain.model import Person

UTC = UTC
ONE_DAY = timedelta(days=1)
GAP = timedelta(days=21)


# -- one person, one session -------------------------------------------------------------------


def _is_end_of_day(moment: time) -> bool:
    """00:00 and time.max (the API's "24:00") as an end time mean midnight at the end of the day."""
    return moment == time(0) or moment >= time(23, 59, 59)


def _covered_by_weekly(person: Person, start: datetime, end: datetime) -> bool:
    zone = ZoneInfo(person.timezone)
    point = start
    while point < end:
        local = point.astimezone(zone)
        clock = local.time()
        reach = None
        for window in person.availability.weekly:
            if window.day != local.weekday() or clock < window.start:
                continue
            if _is_end_of_day(window.end):
                window_end = datetime.combine(local.date() + ONE_DAY, time(0), tzinfo=zone)
            elif clock < window.end:
                window_end = datetime.combine(local.date(), window.end, tzinfo=zone)
            else:
                continue
            if reach is None or window_end > reach:
                reach = window_end
        if reach is None or reach <= point:
            return False
        point = reach
    return True


def person_can_attend(person: Person, start: datetime, end: datetime) -> bool:
    zone = ZoneInfo(person.timezone)
    first_day = start.astimezone(zone).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(zone).date()
    days = []
    day = first_day
    while day <= last_day:
        days.append(day)
        day += ONE_DAY
    for blocked in person.availability.unavailable:
        if isinstance(blocked.start, datetime) or isinstance(blocked.end, datetime):
            if isinstance(blocked.start, datetime):
                blocked_start = blocked.start if blocked.start.tzinfo else blocked.start.replace(tzinfo=zone)
            else:
                blocked_start = datetime.combine(blocked.start, time(0), tzinfo=zone)
            if isinstance(blocked.end, datetime):
                blocked_end = blocked.end if blocked.end.tzinfo else blocked.end.replace(tzinfo=zone)
            else:
                blocked_end = datetime.combine(blocked.end + ONE_DAY, time(0), tzinfo=zone)
            if start < blocked_end and blocked_start < end:
                return False
        elif any(blocked.start <= day <= blocked.end for day in days):
            return False
    if person.school_holiday_region:
        if any(day in school_holidays(person.school_holiday_region, day.year) for day in days):
            return False
    if person.availability.weekly and not _covered_by_weekly(person, start, end):
        return False
    return True


# -- the group --------------------------------------------------------------------------------------


def _end_of(request, start: datetime) -> datetime:
    return (start.astimezone(UTC) + timedelta(minutes=request.session_minutes)).astimezone(start.tzinfo)


def group_allows(request, start: datetime) -> bool:
    """The group's own rules for a session starting at ``start`` (aware, any zone)."""
    rules = request.constraints
    zone = ZoneInfo(request.timezone)
    local = start.astimezone(zone)
    end = _end_of(request, local)
    if local.minute % 15 or local.second or local.microsecond:
        return False
    if local.weekday() not in rules.weekdays or local.time() < rules.earliest:
        return False
    if _is_end_of_day(rules.latest):
        if not (end.date() == local.date() or (end.date() == local.date() + ONE_DAY and end.time() == time(0))):
            return False
    elif end.date() != local.date() or end.time() > rules.latest:
        return False
    if rules.skip_public_holidays and local.date() in public_holidays(local.year):
        return False
    if rules.school_holiday_region and local.date() in school_holidays(rules.school_holiday_region, local.year):
        return False
    return True


def required_people(request, kind: str) -> tuple[Person, ...]:
    return (request.facilitator, *request.members) if kind == "guided" else tuple(request.members)


def absent_people(request, start: datetime, people) -> list[str]:
    end = _end_of(request, start)
    return [person.id for person in people if not person_can_attend(person, start, end)]


def grid_points(request, first_day: date, stop_day: date):
    """Every existing 15-minute wall-clock point of the group's zone that its rules allow."""
    zone = ZoneInfo(request.timezone)
    rules = request.constraints
    day = first_day
    while day < stop_day:
        if day.weekday() in rules.weekdays:
            for minute in range(0, 24 * 60, 15):
                naive = datetime.combine(day, time(minute // 60, minute % 60))
                if naive.time() < rules.earliest:
                    continue
                moment = naive.replace(tzinfo=zone)
                if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
                    continue  # skipped by a spring-forward change
                if group_allows(request, moment):
                    yield moment
        day += ONE_DAY


def feasible_starts(request, people, first_day: date, stop_day: date) -> list[datetime]:
    not_before = request.not_before
    found = []
    for moment in grid_points(request, first_day, stop_day):
        if not_before is not None and moment < not_before:
            continue
        end = _end_of(request, moment)
        if all(person_can_attend(person, moment, end) for person in people):
            found.append(moment)
    return found


# -- guided plans -------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def first_window(request) -> tuple[date, date]:
    low = request.starts_on
    if request.not_before is not None:
        low = max(low, request.not_before.astimezone(ZoneInfo(request.timezone)).date())
    return low, add_months(low, 6)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _wall(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def guided_starts(request) -> tuple[date, date, list[datetime]]:
    low, high = first_window(request)
    stop = add_months(date(high.year, high.month, 1), request.guided_sessions)
    return low, high, feasible_starts(request, required_people(request, "guided"), low, stop)


@dataclass(frozen=True)
class OracleSlot:
    first: datetime
    weekday: int
    start: time
    week_of_month: int | None


def _week(day: date) -> int:
    return (day.day - 1) // 7 + 1


def _chains(walls: set[datetime], previous: datetime, year: int, month: int, count: int):
    """Every series of ``count`` same-weekday/time sessions in consecutive months after ``previous``."""
    if count == 0:
        yield ()
        return
    for day_number in range(1, calendar.monthrange(year, month)[1] + 1):
        candidate = datetime(year, month, day_number, previous.hour, previous.minute)
        if candidate.weekday() != previous.weekday() or candidate not in walls or candidate - previous < GAP:
            continue
        for rest in _chains(walls, candidate, *_next_month(year, month), count - 1):
            yield (candidate, *rest)


def fixed_slot_plan(request, starts=None) -> OracleSlot | None:
    """The best fixed-slot guided plan by the product's ordering, by enumerating every series."""
    low, high, feasible = starts if starts is not None else guided_starts(request)
    walls = {_wall(moment) for moment in feasible}
    by_day: dict[date, list[datetime]] = {}
    for moment in feasible:
        if low <= moment.date() < high:
            by_day.setdefault(moment.date(), []).append(moment)
    count = request.guided_sessions
    for day in sorted(by_day):
        other_weeks = None
        for moment in sorted(by_day[day]):
            series = list(_chains(walls, _wall(moment), *_next_month(day.year, day.month), count - 1))
            if not series:
                continue
            if any(all(_week(later.date()) == _week(day) for later in chain) for chain in series):
                return OracleSlot(moment, day.weekday(), moment.time().replace(tzinfo=None), _week(day))
            if other_weeks is None:
                other_weeks = OracleSlot(moment, day.weekday(), moment.time().replace(tzinfo=None), None)
        if other_weeks is not None:
            return other_weeks
    return None


def any_guided_plan(request, starts=None) -> bool:
    """Whether any series of guided sessions exists (backward, latest-start reasoning)."""
    low, high, feasible = starts if starts is not None else guided_starts(request)
    by_month: dict[tuple[int, int], list[datetime]] = {}
    for moment in feasible:
        by_month.setdefault((moment.year, moment.month), []).append(_wall(moment))
    count = request.guided_sessions
    year, month = low.year, low.month
    while date(year, month, 1) < high:
        months = [(year, month)]
        for _ in range(count - 1):
            months.append(_next_month(*months[-1]))
        latest = None
        for position in range(count - 1, -1, -1):
            candidates = by_month.get(months[position], [])
            if position == 0:
                candidates = [moment for moment in candidates if low <= moment.date() < high]
            if position < count - 1:
                candidates = [moment for moment in candidates if latest is not None and latest - moment >= GAP]
            latest = max(candidates, default=None)
            if latest is None:
                break
        if latest is not None:
            return True
        year, month = _next_month(year, month)
    return False


def month_has_start(request, year: int, month: int, after: datetime | None, minimum: int) -> bool:
    """Whether a self-directed session with at least ``minimum`` members fits in the month."""
    zone = ZoneInfo(request.timezone)
    first = date(year, month, 1)
    stop = date(*_next_month(year, month), 1)
    for moment in grid_points(request, first, stop):
        if request.not_before is not None and moment < request.not_before:
            continue
        if after is not None and _wall(moment) - _wall(after.astimezone(zone)) < GAP:
            continue
        present = len(request.members) - len(absent_people(request, moment, request.members))
        if present >= minimum:
            return True
    return False


# -- one person's sessions: the booking rules -----------------------------------------------------


@dataclass(frozen=True)
class Held:
    """One session of a person: aware ``start`` and ``end``; ``new`` when it is being placed."""

    id: str
    start: datetime
    end: datetime
    new: bool = False


def broken_rules(
    sessions: list[Held], zone: str, *, break_minutes: int | None = None,
    per_day: int | None = None, per_week: int | None = None,
) -> set[tuple]:
    """What placing the new ``sessions`` breaks, for a person in ``zone``:

    * ``("overlap", {a, b})``: two sessions, one of them new, share a moment;
    * ``("break", {a, b})``: they do not, but lie less than ``break_minutes`` apart;
    * ``("day", id)`` / ``("week", id)``: a new session that starts on a day (a week, Monday to
      Sunday) of ``zone`` with more than ``per_day`` (``per_week``) sessions starting in it,
      and is not among the first that keep their place: the old ones, then the new ones by start.
    """
    found: set[tuple] = set()
    gap = timedelta(minutes=break_minutes or 0)
    for index, first in enumerate(sessions):
        for second in sessions[index + 1:]:
            if not (first.new or second.new):
                continue
            pair = frozenset((first.id, second.id))
            if first.start < second.end and second.start < first.end:
                found.add(("overlap", pair))
            elif first.start < second.end + gap and second.start < first.end + gap:
                found.add(("break", pair))
    local = ZoneInfo(zone)
    for rule, limit, period in (
        ("day", per_day, lambda day: day),
        ("week", per_week, lambda day: day.isocalendar()[:2]),
    ):
        if not limit:
            continue
        starting: dict[object, list[Held]] = defaultdict(list)
        for held in sessions:
            starting[period(held.start.astimezone(local).date())].append(held)
        for together in starting.values():
            ordered = sorted(together, key=lambda held: (held.new, held.start, held.id))
            found.update((rule, held.id) for held in ordered[limit:] if held.new)
    return found
