"""The heat map: well-formed, self-contained SVG whose every cell says in words what its colour says."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from shared.domain.bookings import Booking
from shared.domain.heatmap import FONT_SIZE, NARROWEST, WIDTH, PlannedSession, colour, render_heatmap
from shared.domain.model import Availability, GroupConstraints, Person, WeeklyWindow
from shared.domain.week_grid import FACILITATOR, MEMBER, Attendee, week_grid

SVG = "{http://www.w3.org/2000/svg}"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TITLE = re.compile(r"^(?P<day>\w+) (?P<start>\d\d:\d\d) — (?P<available>\d+) (?:van|of) (?P<total>\d+)(?P<rest>.*)$")


def window(day: int, start: str, end: str) -> WeeklyWindow:
    return WeeklyWindow(day, time.fromisoformat(start), time.fromisoformat(end))


def person(pid: str, *weekly: WeeklyWindow, zone: str = "Europe/Amsterdam") -> Person:
    return Person(pid, zone, Availability(tuple(weekly)))


PEOPLE = [
    Attendee(person("fien", window(1, "18:00", "22:00"), window(3, "19:00", "22:00")), FACILITATOR, "Fien Jansen"),
    Attendee(person("anna", window(1, "19:30", "21:30"), window(2, "09:00", "12:00")), MEMBER, "Anna de Vries"),
    Attendee(person("bram", window(1, "13:00", "16:00"), zone="America/New_York"), MEMBER, "Bram <B&B> Jansen"),
    Attendee(person("dirk", window(1, "19:00", "22:00"), window(3, "19:00", "21:00")), MEMBER, "Dirk Kok"),
]
BOOKED = [Booking("dirk", "elsewhere", datetime(2027, 3, 18, 19, 0, tzinfo=AMSTERDAM), datetime(2027, 3, 18, 20, 0, tzinfo=AMSTERDAM))]
PLANNED = [PlannedSession(datetime(2027, 3, 16, 19, 30, tzinfo=AMSTERDAM), datetime(2027, 3, 16, 21, 0, tzinfo=AMSTERDAM), 2)]
GRID = week_grid(date(2027, 3, 15), "Europe/Amsterdam", PEOPLE, GroupConstraints(), BOOKED)


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def group(root: ET.Element, name: str) -> ET.Element:
    (found,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == name]
    return found


def cells(root: ET.Element) -> list[ET.Element]:
    return group(root, "cells").findall(f"{SVG}rect")


def title_of(element: ET.Element) -> str:
    return element.find(f"{SVG}title").text


def test_the_svg_is_well_formed_self_contained_and_labelled():
    svg = render_heatmap(GRID, PLANNED, "nl")
    root = parsed(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox").startswith("0 0 390 ")
    title = root.find(f"{SVG}title")
    assert title.get("id") == root.get("aria-labelledby") and title.text == "Wie kan wanneer, week van 15 maart 2027"
    desc = root.find(f"{SVG}desc")
    assert desc.get("id") == root.get("aria-describedby")
    assert desc.text.startswith("Per half uur van 07:00 tot 23:00: hoeveel van de 4 mensen kunnen.")
    assert "Het meest: 4 van 4, op dinsdag 19:30–21:00." in desc.text
    assert "Gepland: dinsdag 19:30–21:00." in desc.text
    for forbidden in ("<script", "<style", "@import", "href=", "<image", "<foreignObject"):
        assert forbidden not in svg
    assert all(url == f"url(#{root.get('aria-labelledby').removesuffix('-title')}-hatch)" for url in re.findall(r"url\([^)]*\)", svg))


def test_seven_days_by_32_half_hours_each_with_a_title_that_matches_the_grid():
    root = parsed(render_heatmap(GRID, PLANNED, "nl"))
    rects = cells(root)
    assert len(rects) == 7 * 32  # 07:00–23:00: nobody can come outside it
    by_title = {}
    for rect in rects:
        match = TITLE.match(title_of(rect))
        assert match, title_of(rect)
        by_title[match["day"], match["start"]] = (int(match["available"]), int(match["total"]), match["rest"], rect.get("fill"))
    weekdays = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]
    for cell in GRID.cells:
        if not "07:00" <= cell.start < "23:00":
            continue
        available, total, _, fill = by_title[weekdays[cell.local_date.weekday()], cell.start]
        assert (available, total) == (cell.available, 4)
        assert fill == colour(cell.available, 4)  # the colour says nothing the title does not


def test_a_title_names_who_cannot_come_and_why_not_by_colour_alone():
    root = parsed(render_heatmap(GRID, PLANNED, "nl"))
    titles = [title_of(rect) for rect in cells(root)]
    assert "dinsdag 19:30 — 4 van 4; gepland" in titles
    assert "dinsdag 19:00 — 3 van 4; niet: Anna de Vries" in titles
    assert "dinsdag 18:00 — 2 van 4; niet: Anna de Vries, Dirk Kok" in titles  # Bram: 13:00 in New York is 18:00 here in this week
    assert "donderdag 19:00 — 1 van 4; niet: Anna de Vries, Bram <B&B> Jansen, Dirk Kok (andere bijeenkomst)" in titles
    assert "zaterdag 10:00 — 0 van 4; niet: Fien Jansen, Anna de Vries, Bram <B&B> Jansen, Dirk Kok; buiten de dagen en tijden van de groep" in titles
    hatched = len(group(root, "outside").findall(f"{SVG}rect"))
    assert hatched == sum("buiten de dagen en tijden van de groep" in t for t in titles) == 7 * 32 - 5 * 28


def test_planned_sessions_are_outlined_and_said_in_the_cells_they_take():
    root = parsed(render_heatmap(GRID, PLANNED, "nl"))
    (session,) = group(root, "planned").findall(f"{SVG}g")
    assert title_of(session) == "Gepland: bijeenkomst 2, dinsdag 19:30–21:00"
    outline = session.findall(f"{SVG}rect")
    assert {r.get("stroke") for r in outline} == {"#000000", "#ffffff"}
    first = next(r for r in cells(root) if title_of(r).startswith("dinsdag 19:30"))
    assert float(outline[0].get("y")) - float(first.get("y")) == 3
    assert float(outline[0].get("height")) == 3 * 12 - 6  # three half hours
    assert sum(title_of(r).endswith("; gepland") for r in cells(root)) == 3
    without = parsed(render_heatmap(GRID, [], "nl"))
    assert group(without, "planned").findall(f"{SVG}g") == []


def test_the_legend_shows_every_count_with_its_colour_and_the_two_marks():
    root = parsed(render_heatmap(GRID, PLANNED, "nl"))
    legend = group(root, "legend")
    texts = [t.text for t in legend.iter(f"{SVG}text")]
    assert texts == ["Aantal dat kan", "0", "1", "2", "3", "4", "gepland", "buiten de dagen en tijden van de groep"]
    swatches = [r.get("fill") for r in legend.findall(f"{SVG}rect")][:5]
    assert swatches == [colour(n, 4) for n in range(5)]
    assert len(set(swatches)) == 5
    assert colour(0, 4) == "#e6e6e6"  # nobody: grey, not a colour of the scale


def test_english_titles_and_weekday_names():
    root = parsed(render_heatmap(GRID, PLANNED, "en"))
    titles = [title_of(rect) for rect in cells(root)]
    assert "Tuesday 19:00 — 3 of 4; not: Anna de Vries" in titles
    assert "Thursday 19:00 — 1 of 4; not: Anna de Vries, Bram <B&B> Jansen, Dirk Kok (another session)" in titles
    assert root.find(f"{SVG}title").text == "Who can when, week of 15 March 2027"


def test_rows_widen_to_a_planned_session_at_night_and_show_the_half_hours_that_do_not_exist():
    spring = week_grid(date(2027, 3, 22), "Europe/Amsterdam", PEOPLE, GroupConstraints())
    night = [PlannedSession(datetime(2027, 3, 28, 1, 0, tzinfo=AMSTERDAM), datetime(2027, 3, 28, 4, 0, tzinfo=AMSTERDAM))]
    root = parsed(render_heatmap(spring, night, "nl"))
    rects = cells(root)
    assert len(rects) == 7 * 44  # from the session's 01:00 to 23:00
    titles = [title_of(r) for r in rects]
    assert "zondag 02:00 — bestaat niet: de klok gaat een uur vooruit" in titles
    assert "zondag 02:30 — bestaat niet: de klok gaat een uur vooruit" in titles
    assert sum("bestaat niet" in t for t in titles) == 2


def test_several_maps_on_one_page_keep_their_ids_apart():
    first = parsed(render_heatmap(GRID, PLANNED, "nl", id_prefix="group-1"))
    second = parsed(render_heatmap(GRID, PLANNED, "nl", id_prefix="group-2"))
    ids = [e.get("id") for root in (first, second) for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids)) == 6


def test_a_group_without_people_draws_an_empty_week():
    empty = week_grid(date(2027, 3, 15), "Europe/Amsterdam", [], GroupConstraints())
    root = parsed(render_heatmap(empty, [], "nl"))
    assert len(cells(root)) == 7 * 32
    assert root.find(f"{SVG}desc").text.endswith("Niemand kan deze week.")


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_planned_outline_stands_out_at_3_to_1_on_every_colour_of_every_scale():
    root = parsed(render_heatmap(GRID, PLANNED, "nl"))
    (session,) = group(root, "planned").findall(f"{SVG}g")
    dark, light = session.findall(f"{SVG}rect")
    assert (dark.get("stroke"), light.get("stroke")) == ("#000000", "#ffffff")
    # The white line lies on the black one; what shows of the black is the rest, on each side.
    visible_dark = (float(dark.get("stroke-width")) - float(light.get("stroke-width"))) / 2
    assert visible_dark >= 2 and float(light.get("stroke-width")) >= 2
    fills = {colour(count, total) for total in range(1, 16) for count in range(total + 1)}
    for fill in fills:
        assert max(contrast("#000000", fill), contrast("#ffffff", fill)) >= 3, fill
    # Both are needed: the darkest fill hides black, the lightest hides white.
    assert contrast("#000000", colour(4, 4)) < 3 and contrast("#ffffff", colour(1, 4)) < 3


def _font_sizes(root: ET.Element) -> list[float]:
    """The font size every text of the SVG is drawn at, inherited as SVG inherits it."""
    sizes = []

    def walk(element: ET.Element, inherited: float) -> None:
        size = float(element.get("font-size", inherited))
        if element.tag == f"{SVG}text":
            sizes.append(size)
        for child in element:
            walk(child, size)

    walk(root, 16.0)
    return sizes


def test_every_text_reads_at_12_px_on_a_phone_width():
    for language in ("nl", "en"):
        root = parsed(render_heatmap(GRID, PLANNED, language))
        sizes = _font_sizes(root)
        assert len(sizes) == 7 * 2 + 16 + 1 + 5 + 2  # days, hours, legend title, counts, two marks
        assert min(sizes) == FONT_SIZE
        assert float(root.get("viewBox").split()[2]) == WIDTH
        assert min(sizes) * NARROWEST / WIDTH >= 12
