"""Who can when, drawn: a :class:`~shared.domain.week_grid.WeekGrid` as a self-contained SVG heat map.

Days are columns and half hours rows (07:00–23:00, widened to any half hour in which the group
may meet, a session is planned, or more people can come than at the week's quietest time). A cell's colour says how many can come, on a sequential
scale taken from viridis (readable with every common colour-vision deficiency and in greyscale:
darker is more), with 0 a light grey of its own; every cell carries a ``<title>`` that says the
same in words ("dinsdag 19:30 — 5 van 6; niet: Anna de Vries"), so nothing is told by colour
alone. The group's planned sessions are outlined, half hours outside the group's own days and
hours hatched, and a legend explains all three.

The SVG has no external CSS, fonts or scripts, so that a page can inline it as it is; its
``viewBox`` is 390 units wide (a phone's width) and it scales to its container. Its smallest
text is :data:`FONT_SIZE` units, so that it still reads at 12 px when a phone's page shrinks it to
:data:`NARROWEST` px wide. The planned outline is dark, light and dark again (black, white,
black), so that one of them stands out on every colour of the scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton

from . import i18n
from .week_grid import SLOT_MINUTES, Cell, WeekGrid

VIRIDIS = (
    "#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
    "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725",
)
"""matplotlib's viridis at 0, 0.1, … 1."""
NOBODY = "#e6e6e6"
LIGHTEST = 0.85  # where on viridis (reversed) one person lies; all of them is its dark end

WIDTH = 390
LEFT = 46
COLUMN = 49
HEADER = 42
ROW = 12
FONT_SIZE = 15
"""The smallest text, in viewBox units."""
NARROWEST = 312
"""The narrowest width (px) at which the map's text is at least 12 px: 390 × 12 / 15."""
OUTLINE_DARK, OUTLINE_LIGHT = 6, 2  # stroke widths: 2 units of black either side of 2 of white
FIRST_SLOT, STOP_SLOT = 14, 46  # 07:00 and 23:00
BEST_RUNS_NAMED = 4


@dataclass(frozen=True, slots=True)
class PlannedSession:
    """A session of the group to outline (aware datetimes)."""

    start: datetime
    end: datetime
    number: int | None = None


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def _viridis(position: float) -> str:
    """The colour at ``position`` (0 … 1) of viridis, interpolated between its stops."""
    scaled = min(max(position, 0.0), 1.0) * (len(VIRIDIS) - 1)
    low = min(int(scaled), len(VIRIDIS) - 2)
    share = scaled - low
    a, b = _rgb(VIRIDIS[low]), _rgb(VIRIDIS[low + 1])
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b))


def colour(count: int, total: int) -> str:
    """The fill of a cell where ``count`` of ``total`` people can come."""
    if count <= 0 or total <= 0:
        return NOBODY
    if total == 1:
        return _viridis(0.0)
    return _viridis(LIGHTEST * (1 - (count - 1) / (total - 1)))


def _ink(fill: str) -> str:
    """Black or white, whichever reads better on ``fill``."""
    red, green, blue = (channel / 255 for channel in _rgb(fill))
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if luminance > 0.18 else "#ffffff"


def _hhmm(slot: int) -> str:
    minutes = slot * SLOT_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _weekday(day: date, language: str) -> str:
    return i18n.weekday_name(day.weekday(), language)


def _segments(planned: PlannedSession, week: date, zone: ZoneInfo) -> list[tuple[int, int, int]]:
    """``(day, first_slot, stop_slot)`` of a planned session within the week, per day it touches."""
    monday = datetime.combine(week, datetime.min.time())
    start = (planned.start.astimezone(zone).replace(tzinfo=None) - monday) // timedelta(minutes=1)
    end = (planned.end.astimezone(zone).replace(tzinfo=None) - monday) // timedelta(minutes=1)
    found = []
    for day in range(7):
        first, stop = max(start, day * 1440), min(end, (day + 1) * 1440)
        if first < stop:
            found.append((day, (first - day * 1440) // SLOT_MINUTES, -(-(stop - day * 1440) // SLOT_MINUTES)))
    return found


def _when(planned: PlannedSession, zone: ZoneInfo, language: str) -> str:
    start, end = planned.start.astimezone(zone), planned.end.astimezone(zone)
    return f"{_weekday(start.date(), language)} {start:%H:%M}–{end:%H:%M}"


def _rows(cells: Sequence[Cell], planned_slots: set[int]) -> tuple[int, int]:
    """The half hours to draw: 07:00–23:00, widened to every half hour in which the group may
    meet, a session is planned, or more people can come than at the week's quietest time (a
    person without weekly windows is free all night; that alone does not widen the map)."""
    quietest = min((cell.available for cell in cells), default=0)
    shown = {cell.slot for cell in cells if cell.allowed or cell.available > quietest} | planned_slots
    first = min(shown | {FIRST_SLOT})
    stop = max({slot + 1 for slot in shown} | {STOP_SLOT})
    return first, stop


def drawn(grid: WeekGrid, planned: Sequence[PlannedSession]) -> tuple[int, int, set[tuple[date, int]]]:
    """The half hours the map draws (``first_slot``, ``stop_slot``) and the ``(day, slot)`` of
    every half hour a planned session takes."""
    zone = ZoneInfo(grid.timezone)
    in_session = {
        (grid.week + timedelta(days=day), slot)
        for session in planned
        for day, first, stop in _segments(session, grid.week, zone)
        for slot in range(first, stop)
    }
    return (*_rows(grid.cells, {slot for _, slot in in_session}), in_session)


def _best_runs(cells: Sequence[Cell], best: int, language: str) -> list[str]:
    """The stretches of the week in which ``best`` people can come, as "dinsdag 19:00–21:00"."""
    runs: list[list] = []
    for cell in cells:
        if cell.available != best:
            continue
        if runs and runs[-1][0] == cell.local_date and runs[-1][2] == cell.slot:
            runs[-1][2] = cell.slot + 1
        else:
            runs.append([cell.local_date, cell.slot, cell.slot + 1])
    return [f"{_weekday(day, language)} {_hhmm(first)}–{_hhmm(stop)}" for day, first, stop in runs]


def render_heatmap(
    grid: WeekGrid,
    planned: Sequence[PlannedSession] = (),
    language: str = "nl",
    *,
    id_prefix: str = "heatmap",
) -> str:
    """The SVG text of ``grid``'s heat map, with ``planned`` (the group's own sessions) outlined,
    in ``language`` (``nl`` or ``en``). ``id_prefix`` keeps element ids unique when a page
    inlines more than one."""
    _ = i18n.translator(language)
    language = _.language
    zone = ZoneInfo(grid.timezone)
    total = len(grid.people)
    names = {attendee.id: attendee.name for attendee in grid.people}
    days = [grid.week + timedelta(days=n) for n in range(7)]
    by_position = {(cell.local_date, cell.slot): cell for cell in grid.cells}

    segments = [(session, _segments(session, grid.week, zone)) for session in planned]
    first_slot, stop_slot, in_session = drawn(grid, planned)
    rows = stop_slot - first_slot
    grid_bottom = HEADER + rows * ROW
    legend_top = grid_bottom + 16
    height = legend_top + 104

    def x_of(day: int) -> int:
        return LEFT + day * COLUMN

    def y_of(slot: int) -> int:
        return HEADER + (slot - first_slot) * ROW

    title = _("Who can when, week of {date}", date=i18n.format_date(grid.week, language, weekday=False))
    best = max((cell.available for cell in grid.cells), default=0)
    summary = [_("Per half hour from {first} to {last}: how many of the {total} people can come.", first=_hhmm(first_slot), last=_hhmm(stop_slot), total=total)]
    if best:
        runs = _best_runs(grid.cells, best, language)
        named = ", ".join(runs[:BEST_RUNS_NAMED])
        if len(runs) > BEST_RUNS_NAMED:
            named += ", " + _("and {n} more", n=len(runs) - BEST_RUNS_NAMED)
        summary.append(_("Most: {count}, on {when}.", count=_("{available} of {total}", available=best, total=total), when=named))
    else:
        summary.append(_("Nobody can come this week."))
    if planned:
        summary.append(_("Planned: {when}.", when="; ".join(_when(s, zone, language) for s in planned)))

    p = id_prefix
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-labelledby="{p}-title" aria-describedby="{p}-desc" style="max-width:100%;height:auto" '
        f'font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, Helvetica, Arial, sans-serif" font-size="{FONT_SIZE}">',
        f'<title id="{p}-title">{escape(title)}</title>',
        f'<desc id="{p}-desc">{escape(" ".join(summary))}</desc>',
        "<defs>",
        f'<pattern id="{p}-hatch" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<line x1="0" y1="0" x2="0" y2="5" stroke="#7f7f7f" stroke-width="1.5"/></pattern>',
        "</defs>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]

    out.append('<g class="days" text-anchor="middle" fill="#1a1a1a">')
    for n, day in enumerate(days):
        centre = x_of(n) + COLUMN // 2
        out.append(f'<text x="{centre}" y="16" font-weight="bold">{escape(format_date(day, "EEE", locale=_.locale))}</text>')
        out.append(f'<text x="{centre}" y="34">{escape(format_skeleton("Md", day, locale=_.locale))}</text>')
    out.append("</g>")
    out.append('<g class="hours" text-anchor="end" fill="#1a1a1a">')
    for slot in range(first_slot, stop_slot):
        if slot % 2 == 0:
            out.append(f'<text x="{LEFT - 4}" y="{y_of(slot) + 11}">{_hhmm(slot)}</text>')
    out.append("</g>")

    cells_out, hatched = ['<g class="cells" stroke="#ffffff" stroke-width="1">'], []
    for n, day in enumerate(days):
        weekday = _weekday(day, language)
        for slot in range(first_slot, stop_slot):
            x, y = x_of(n), y_of(slot)
            cell = by_position.get((day, slot))
            if cell is None:
                text = f"{weekday} {_hhmm(slot)} — " + _("does not exist: the clocks go forward an hour")
                cells_out.append(
                    f'<rect x="{x}" y="{y}" width="{COLUMN}" height="{ROW}" fill="#ffffff" stroke="#bdbdbd" '
                    f'stroke-dasharray="2 2"><title>{escape(text)}</title></rect>'
                )
                continue
            text = f"{weekday} {cell.start} — " + _("{available} of {total}", available=cell.available, total=total)
            missing = [names[i] for i in cell.absent_ids] + [_("{name} (another session)", name=names[i]) for i in cell.busy_ids]
            if missing:
                text += "; " + _("not: {names}", names=", ".join(missing))
            if (day, slot) in in_session:
                text += "; " + _("planned")
            if not cell.allowed:
                text += "; " + _("outside the group's days and hours")
                hatched.append((x, y))
            cells_out.append(
                f'<rect x="{x}" y="{y}" width="{COLUMN}" height="{ROW}" fill="{colour(cell.available, total)}" '
                f'data-available="{cell.available}"><title>{escape(text)}</title></rect>'
            )
    cells_out.append("</g>")
    out.extend(cells_out)
    out.append(f'<g class="outside" fill="url(#{p}-hatch)" pointer-events="none">')
    out.extend(f'<rect x="{x}" y="{y}" width="{COLUMN}" height="{ROW}"/>' for x, y in hatched)
    out.append("</g>")

    out.append('<g class="planned" fill="none" pointer-events="none">')
    for session, found in segments:
        when = _when(session, zone, language)
        label = _("Planned: session {number}, {when}", number=session.number, when=when) if session.number else _("Planned: {when}", when=when)
        for day, first, stop in found:
            first, stop = max(first, first_slot), min(stop, stop_slot)
            inset = OUTLINE_DARK / 2
            x, y, h = x_of(day) + inset, y_of(first) + inset, (stop - first) * ROW - 2 * inset
            out.append(f'<g class="session"><title>{escape(label)}</title>{_outline(x, y, COLUMN - 2 * inset, h)}</g>')
    out.append("</g>")

    out.extend(_legend(_, total, legend_top, p))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _outline(x: float, y: float, width: float, height: float) -> str:
    """The planned mark: a wide black stroke under a narrow white one, so that a line of black,
    of white and of black again runs round the cells, and one of them shows on any colour."""
    box = f'x="{x}" y="{y}" width="{width}" height="{height}"'
    return (
        f'<rect {box} stroke="#000000" stroke-width="{OUTLINE_DARK}"/>'
        f'<rect {box} stroke="#ffffff" stroke-width="{OUTLINE_LIGHT}"/>'
    )


def _legend(_: i18n.Translator, total: int, top: int, p: str) -> list[str]:
    step = min(34, (WIDTH - LEFT - 8) // (total + 1))
    legend, planned, outside = _("How many can come"), _("planned"), _("outside the group's days and hours")
    out = [f'<g class="legend" fill="#1a1a1a"><text x="{LEFT}" y="{top + 15}" font-weight="bold">{escape(legend)}</text>']
    for count in range(total + 1):
        fill = colour(count, total)
        x = LEFT + count * step
        out.append(
            f'<rect x="{x}" y="{top + 22}" width="{step - 3}" height="22" fill="{fill}" stroke="#bdbdbd" stroke-width="0.5"/>'
            f'<text x="{x + (step - 3) / 2}" y="{top + 38}" text-anchor="middle" fill="{_ink(fill)}">{count}</text>'
        )
    line = top + 54
    out.append(
        f'<g fill="none">{_outline(LEFT + 3, line + 3, 22, 12)}</g>'
        f'<text x="{LEFT + 34}" y="{line + 14}">{escape(planned)}</text>'
    )
    line += 26
    out.append(
        f'<rect x="{LEFT}" y="{line}" width="28" height="18" fill="{NOBODY}"/>'
        f'<rect x="{LEFT}" y="{line}" width="28" height="18" fill="url(#{p}-hatch)"/>'
        f'<text x="{LEFT + 34}" y="{line + 14}">{escape(outside)}</text>'
    )
    out.append("</g>")
    return out
