"""Who can when, as a table: the heat map's week in words, for a keyboard and a screen reader.

Per day the half hours the map draws, with neighbouring half hours that say the same (the same
people can and cannot, planned or not, inside the group's hours or not) taken together into one
stretch: "19:00–21:00 · 5 van 6 · niet: Anna de Vries". What the picture tells by colour and
outline, each row tells in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from . import i18n
from .heatmap import PlannedSession, drawn
from .week_grid import SLOT_MINUTES, WeekGrid


@dataclass(frozen=True, slots=True)
class Stretch:
    """Half hours of one day from ``start`` to ``end`` (``"19:00"``, ``"24:00"`` at midnight)
    in which the same people can come; ``exists`` is False where the clocks skip them."""

    start: str
    end: str
    available: int
    can: tuple[str, ...]
    cannot: tuple[str, ...]
    planned: bool
    allowed: bool
    exists: bool = True


@dataclass(frozen=True, slots=True)
class DayTable:
    day: date
    title: str  # "dinsdag 16 maart 2027"
    best: int  # the most people who can come in one of its half hours
    stretches: tuple[Stretch, ...]


def _hhmm(slot: int) -> str:
    minutes = slot * SLOT_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def week_table(grid: WeekGrid, planned: Sequence[PlannedSession] = (), language: str = "nl") -> tuple[DayTable, ...]:
    """The days of ``grid`` with their stretches, over the half hours the heat map draws, names
    in the order of ``grid.people`` (facilitator first); someone booked into another session is
    "Dirk Kok (andere bijeenkomst)"."""
    _ = i18n.translator(language)
    first_slot, stop_slot, in_session = drawn(grid, planned)
    names = {attendee.id: attendee.name for attendee in grid.people}
    by_position = {(cell.local_date, cell.slot): cell for cell in grid.cells}
    days = []
    for n in range(7):
        day = grid.week + timedelta(days=n)
        rows: list[tuple[tuple, int, int]] = []  # (what it says, first slot, stop slot)
        for slot in range(first_slot, stop_slot):
            cell = by_position.get((day, slot))
            if cell is None:
                said: tuple = (None,)
            else:
                cannot = {*cell.absent_ids, *cell.busy_ids}
                said = (
                    cell.available,
                    tuple(a.name for a in grid.people if a.id not in cannot),
                    tuple(names[i] for i in cell.absent_ids) + tuple(_("{name} (another session)", name=names[i]) for i in cell.busy_ids),
                    (day, slot) in in_session,
                    cell.allowed,
                )
            if rows and rows[-1][0] == said and rows[-1][2] == slot:
                rows[-1] = (said, rows[-1][1], slot + 1)
            else:
                rows.append((said, slot, slot + 1))
        stretches = tuple(
            Stretch(_hhmm(first), _hhmm(stop), 0, (), (), False, False, exists=False) if said == (None,)
            else Stretch(_hhmm(first), _hhmm(stop), *said)
            for said, first, stop in rows
        )
        best = max((s.available for s in stretches), default=0)
        days.append(DayTable(day, i18n.format_date(day, language), best, stretches))
    return tuple(days)
