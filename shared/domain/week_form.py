"""A person's week as a grid of half hours, and back: the form behind the availability page.

The page shows Monday to Sunday in half-hour cells from 07:00 to 23:00, in the person's own
zone. A cell is ``(day, minute)``: ``day`` 0 (Monday) … 6, ``minute`` the start of the half hour
after midnight; in the form it is the value ``"tue 19:30"``. A cell is ticked when one of the
person's weekly windows covers the whole half hour. Ticked cells merge back into windows
(``tue 19:00`` … ``tue 21:00`` become 19:00–21:30); what the stored windows say outside the
grid (before 07:00, after 23:00) is kept as it was, since the page cannot show it.

Windows here are ``(day, start_minute, end_minute)`` with ``end`` up to 1440 (24:00).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.domain.model import WEEKDAYS

SLOT_MINUTES = 30
FIRST_MINUTE = 7 * 60
STOP_MINUTE = 23 * 60
"""The grid covers ``[07:00, 23:00)``: 32 half hours a day."""

Cell = tuple[int, int]
Window = tuple[int, int, int]

_SLOT = re.compile(r"(mon|tue|wed|thu|fri|sat|sun) ([01][0-9]|2[0-3]):(00|30)")


def grid_minutes() -> range:
    """The start minutes of the grid's half hours, 07:00 to 22:30."""
    return range(FIRST_MINUTE, STOP_MINUTE, SLOT_MINUTES)


def slot_value(cell: Cell) -> str:
    """``(1, 1170)`` → ``"tue 19:30"``."""
    day, minute = cell
    return f"{WEEKDAYS[day]} {minute // 60:02d}:{minute % 60:02d}"


def parse_slots(values: Iterable[str]) -> set[Cell]:
    """The cells of the form's ``slot`` values; ValueError naming the first value that is not a
    half hour of the grid."""
    cells: set[Cell] = set()
    for value in values:
        match = _SLOT.fullmatch(value)
        minute = int(match.group(2)) * 60 + int(match.group(3)) if match else -1
        if match is None or not FIRST_MINUTE <= minute < STOP_MINUTE:
            raise ValueError(f"{value[:20]!r} is not a half hour between 07:00 and 23:00 (like 'tue 19:30')")
        cells.add((WEEKDAYS.index(match.group(1)), minute))
    return cells


def merge(windows: Iterable[Window]) -> list[Window]:
    """Windows sorted by day and start, touching or overlapping ones of a day joined."""
    merged: list[Window] = []
    for day, start, end in sorted(windows):
        if merged and merged[-1][0] == day and start <= merged[-1][2]:
            merged[-1] = (day, merged[-1][1], max(merged[-1][2], end))
        else:
            merged.append((day, start, end))
    return merged


def ticked(windows: Iterable[Window]) -> set[Cell]:
    """The grid cells that the windows cover whole."""
    cells: set[Cell] = set()
    for day, start, end in merge(windows):
        for minute in grid_minutes():
            if start <= minute and minute + SLOT_MINUTES <= end:
                cells.add((day, minute))
    return cells


def windows_of(cells: Iterable[Cell], kept: Iterable[Window] = ()) -> list[Window]:
    """The ticked cells as windows, together with the parts of the ``kept`` windows that lie
    outside the grid (which the page neither shows nor changes)."""
    outside: list[Window] = []
    for day, start, end in kept:
        if start < FIRST_MINUTE:
            outside.append((day, start, min(end, FIRST_MINUTE)))
        if end > STOP_MINUTE:
            outside.append((day, max(start, STOP_MINUTE), end))
    return merge([(day, minute, minute + SLOT_MINUTES) for day, minute in cells] + outside)


def windows_from(weekly: Iterable[dict]) -> list[Window]:
    """Stored weekly windows (``{"day": "tue", "start": "19:00", "end": "21:30"}``) as windows."""
    return [(WEEKDAYS.index(w["day"]), _minutes(w["start"]), _minutes(w["end"])) for w in weekly]


def weekly_of(windows: Iterable[Window]) -> list[dict[str, str]]:
    """Windows as the API stores them."""
    return [{"day": WEEKDAYS[day], "start": _clock(start), "end": _clock(end)} for day, start, end in windows]


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def busy_cells(intervals: Sequence[tuple[datetime, datetime]], first_day: date, timezone: str) -> dict[Cell, date]:
    """The grid cells that busy time from a person's own calendars overlaps in the seven days from
    ``first_day`` (each weekday on its date in those days, on the wall clock of ``timezone``), with
    that date. A half hour is its 30 real minutes from its wall-clock start; any overlap counts."""
    zone = ZoneInfo(timezone)
    found: dict[Cell, date] = {}
    for offset in range(7):
        day = first_day + timedelta(days=offset)
        for minute in grid_minutes():
            start = datetime.combine(day, time(minute // 60, minute % 60), zone).astimezone(UTC)
            end = start + timedelta(minutes=SLOT_MINUTES)
            if any(busy_start < end and start < busy_end for busy_start, busy_end in intervals):
                found[(day.weekday(), minute)] = day
    return found


# The part of the week the page opens on.

USUAL_WEEKDAYS = frozenset(range(5))
USUAL_EARLIEST = time(15)
USUAL_LATEST = time(21)
"""The programme's usual hours, which a person in no group sees first: weekdays 15:00–21:00 (Dutch
time), from the end of a school day to the evening, where intervision sessions mostly fall."""
USUAL_ZONE = "Europe/Amsterdam"


@dataclass(frozen=True, slots=True)
class Hours:
    """A group's days and hours on its own clock: sessions fall on ``weekdays`` (0 = Monday),
    from ``earliest`` until ``latest``."""

    weekdays: frozenset[int]
    earliest: time
    latest: time
    timezone: str


USUAL_HOURS = Hours(USUAL_WEEKDAYS, USUAL_EARLIEST, USUAL_LATEST, USUAL_ZONE)


def opening_cells(hours: Iterable[Hours], timezone: str, week: date) -> set[Cell]:
    """The cells of a person's grid (on the wall clock of ``timezone``) whose whole half hour lies
    within one of the groups' ``hours`` in the week of Monday ``week``: what the page shows first.
    A group's evening in Amsterdam is a New York member's afternoon; the week matters only in the
    weeks between the American and the European clock change."""
    person = ZoneInfo(timezone)
    found: set[Cell] = set()
    for group in hours:
        zone = ZoneInfo(group.timezone)
        first = group.earliest.hour * 60 + group.earliest.minute
        last = group.latest.hour * 60 + group.latest.minute or 24 * 60  # latest 00:00: until midnight
        for offset in range(7):
            day = week + timedelta(days=offset)
            for minute in grid_minutes():
                start = datetime.combine(day, time(minute // 60, minute % 60), person).astimezone(zone)
                local = start.hour * 60 + start.minute
                if start.weekday() in group.weekdays and first <= local and local + SLOT_MINUTES <= last:
                    found.add((day.weekday(), minute))
    return found


def first_part(opening: set[Cell]) -> tuple[list[int], list[int]]:
    """The days and the start minutes of the part of the grid shown first: every day and every half
    hour from the first to the last of ``opening`` (a rectangle, so that the part reads as a
    table); the whole grid when ``opening`` is empty."""
    if not opening:
        return list(range(7)), list(grid_minutes())
    minutes = [minute for _, minute in opening]
    return sorted({day for day, _ in opening}), list(range(min(minutes), max(minutes) + SLOT_MINUTES, SLOT_MINUTES))


# Dates as people in the Netherlands write them, whatever their browser's language.

DATE_FORMAT = "dd-mm-jjjj"
_DUTCH_DATE = re.compile(r"(\d{1,2})[-./](\d{1,2})[-./](\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class DateProblem(ValueError):
    """Why a typed date is none: ``code`` is :data:`NOT_A_DATE` (not written as dd-mm-jjjj) or
    :data:`NO_SUCH_DAY` (31-02-2027)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


NOT_A_DATE, NO_SUCH_DAY = "not-a-date", "no-such-day"


def parse_day(text: str) -> date:
    """A day typed as ``8-3-2027``, ``08-03-2027`` (also with ``/`` or ``.``), or as the ISO
    ``2027-03-08`` that an older copy of the page sent; DateProblem says why it is none."""
    text = text.strip()
    if match := _DUTCH_DATE.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise DateProblem(NOT_A_DATE)
    try:
        return date(year, month, day)
    except ValueError:
        raise DateProblem(NO_SUCH_DAY) from None


def day_text(day: date) -> str:
    """``date(2027, 3, 8)`` → ``"08-03-2027"``, as :func:`parse_day` reads it back."""
    return f"{day.day:02d}-{day.month:02d}-{day.year:04d}"
