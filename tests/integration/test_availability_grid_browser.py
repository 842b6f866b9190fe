"""The week on a participant's availability page as people fill it in (issue 22, items 1-4), in
Debian's Chromium through Playwright: ``intervisie serve`` on loopback, a group that meets on
Tuesday and Thursday evenings in Amsterdam, one member there, one in New York and one person in
no group.

The grid opens on the group's evenings (on each member's own clock), the rest of the week closed
under "Andere tijden"; it is one tab stop that the arrow keys move through, Shift+arrows tick a
stretch and Enter never submits; a drag by mouse or by finger (after a long press) ticks exactly
the rectangle it spans and scrolls the page at its edge; a refused save keeps everything with the
reason in Dutch next to its field, even in an English browser; without JavaScript it is a plain
form that still posts. axe-core finds nothing at a phone's and a desktop's width."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page

from shared.db.migrate import upgrade
from shared.db.session import make_engine, make_session_factory
from shared.domain import week_form as grid
from shared.domain.week_grid import coming_monday
from shared.use_cases.api_keys import create_client
from tests.integration.pages import PHONE, accessibility_violations, chromium, overflows_horizontally, screenshots
from tests.integration.servers import serving_database
from tests.integration.workers import first_of_month_after_next

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

DESKTOP = {"width": 1280, "height": 900}
EVENINGS = {"weekdays": ["tue", "thu"], "earliest": "19:00", "latest": "22:00"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``(base, auth, links)``: links by person (``anna`` in Amsterdam and ``nina`` in New York, both
    in the group; ``loner`` in no group)."""
    folder = tmp_path_factory.mktemp("grid")
    url = f"sqlite:///{folder}/intervisie.db"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine).begin() as session:
        key = create_client(session, role="admin", name="Organiser").key
    engine.dispose()
    auth = {"Authorization": f"Bearer {key}"}
    with serving_database(url, folder / "serve.log") as base:
        def post(path, body):
            response = requests.post(base + path, json=body, headers=auth, timeout=10)
            assert response.status_code in (201, 202), response.text
            return response.json()

        group = post("/v1/groups", {
            "name": "IB-groep Utrecht", "theme": "passend_onderwijs", "constraints": EVENINGS,
            "starts_on": first_of_month_after_next().isoformat(),
        })
        people = {}
        for n, (name, zone, weekly) in enumerate((
            ("Anna de Vries", "Europe/Amsterdam", [{"day": "tue", "start": "19:00", "end": "21:30"}]),
            ("Nina Bakker", "America/New_York", []),
            ("Lotte Smit", "Europe/Amsterdam", []),
        )):
            people[name.split()[0].lower()] = post("/v1/participants", {
                "name": name, "email": f"p{n}@example.org", "organization": f"School {n}", "role": "intern_begeleider",
                "timezone": zone, "language": "nl", "availability": {"weekly": weekly},
            })
        for member in ("anna", "nina"):
            assert requests.put(f"{base}/v1/groups/{group['id']}/members/{people[member]['id']}", headers=auth, timeout=10).ok
        links = {
            "anna": post(f"/v1/participants/{people['anna']['id']}/availability-link", None)["url"],
            "nina": post(f"/v1/participants/{people['nina']['id']}/availability-link", None)["url"],
            "loner": post(f"/v1/participants/{people['lotte']['id']}/availability-link", None)["url"],
        }
        yield base, auth, people, links


def stored(base: str, auth: dict, person: dict) -> dict:
    return requests.get(f"{base}/v1/participants/{person['id']}", headers=auth, timeout=10).json()["availability"]


def ticked(page: Page) -> list[str]:
    return sorted(page.eval_on_selector_all('input[name="slot"]:checked', "boxes => boxes.map(b => b.value)"))


def focused(page: Page) -> str:
    return page.evaluate("() => document.activeElement.value || document.activeElement.id || document.activeElement.tagName")


def first_part(page: Page) -> tuple[list[str], list[str]]:
    """The day names and the times of the table shown first."""
    return (
        page.eval_on_selector_all("#grid thead abbr", "cells => cells.map(c => c.title)"),
        page.eval_on_selector_all("#grid tbody th", "cells => cells.map(c => c.textContent.trim())"),
    )


def test_the_week_opens_on_the_groups_evenings_on_each_persons_own_clock_and_the_rest_is_closed(served, tmp_path):
    _, _, _, links = served
    folder = screenshots(tmp_path)
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP, locale="nl-NL", bypass_csp=True)  # bypass: for axe-core only
        page.goto(links["anna"])
        assert first_part(page) == (["dinsdag", "donderdag"], ["19:00", "19:30", "20:00", "20:30", "21:00", "21:30"])
        assert page.locator("#first-hint").inner_text() == "De dagen en uren van je groep, in je eigen tijd:"
        assert ticked(page) == ["tue 19:00", "tue 19:30", "tue 20:00", "tue 20:30", "tue 21:00"]  # her windows, in place
        others = page.locator("details#others")
        assert others.get_attribute("open") is None and not page.get_by_label("zaterdag 10:00", exact=True).is_visible()
        assert others.locator("summary").inner_text().strip() == "Andere tijden"
        assert page.locator('input[name="slot"]').count() == 7 * 32  # all of the week is in the one form
        for viewport, name in ((DESKTOP, "availability-grid-1280.png"), (PHONE, "availability-grid-390.png")):
            page.set_viewport_size(viewport)
            assert not overflows_horizontally(page)
            assert accessibility_violations(page) == []
            page.evaluate("() => window.scrollTo(0, 0)")
            page.screenshot(path=str(folder / name), full_page=True)
        others.locator("summary").click()
        assert accessibility_violations(page) == []
        assert not overflows_horizontally(page)

        # New York: the same evenings are her afternoon (an hour later between the clock changes).
        page.goto(links["nina"])
        monday = coming_monday(datetime.now(ZoneInfo("America/New_York")), "America/New_York")
        hours = grid.Hours(frozenset({1, 3}), datetime.strptime("19:00", "%H:%M").time(), datetime.strptime("22:00", "%H:%M").time(), "Europe/Amsterdam")
        opening = grid.opening_cells([hours], "America/New_York", monday)
        days, times = first_part(page)
        assert days == ["dinsdag", "donderdag"]
        assert times == sorted({grid.slot_value(cell)[4:] for cell in opening}) and times[0] in ("13:00", "14:00")
        assert page.locator("#first-hint").inner_text() == (
            "De dagen en uren van je groep, in je eigen tijd (tijd in New York); voor je groep is dat 19:00–22:00 in Nederland:"
        )
        assert "De tijden staan in je eigen tijdzone: tijd in New York." in page.locator("main > p").first.inner_text()

        # No group: the programme's usual hours, weekdays 15:00-21:00.
        page.goto(links["loner"])
        days, times = first_part(page)
        assert days == ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag"] and times[0] == "15:00" and times[-1] == "20:30"
        assert page.locator("#first-hint").inner_text() == "De gebruikelijke uren van het programma, in je eigen tijd:"


def test_by_keyboard_alone_she_reaches_thursday_19_ticks_a_stretch_and_saves_without_enter_submitting(served):
    base, auth, people, links = served
    errors: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE, locale="nl-NL")  # the page's own CSP, not bypassed
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(links["anna"])
        presses = 0

        def press(key: str) -> None:
            nonlocal presses
            presses += 1
            page.keyboard.press(key)

        press("Tab")
        assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#save"  # the skip link stays first
        press("Tab")
        assert focused(page) == "tue 19:00"  # the grid is one stop: its first ticked box
        press("ArrowRight")
        assert focused(page) == "thu 19:00" and presses == 3
        press("Space")
        for _ in range(3):
            press("Shift+ArrowDown")
        assert focused(page) == "thu 20:30"
        assert [value for value in ticked(page) if value.startswith("thu")] == ["thu 19:00", "thu 19:30", "thu 20:00", "thu 20:30"]
        press("Shift+ArrowUp")  # the stretch shrinks back
        assert [value for value in ticked(page) if value.startswith("thu")] == ["thu 19:00", "thu 19:30", "thu 20:00"]
        press("End")
        assert focused(page) == "thu 21:30"
        press("Home")
        assert focused(page) == "thu 19:00"
        press("ArrowLeft")
        press("ArrowDown")
        assert focused(page) == "tue 19:30"
        press("Space")  # unticks
        press("Enter")  # never submits from inside the grid
        page.wait_for_timeout(300)
        assert page.url == links["anna"] and page.locator("#status").count() == 0
        press("Tab")  # out of the grid at once: the closed "Andere tijden"
        assert page.evaluate("() => document.activeElement.tagName") == "SUMMARY"
        press("Enter")  # open it: its table is one more stop, which Ctrl+End takes to Sunday 22:30
        press("Tab")
        assert focused(page).startswith("mon ")
        press("Control+End")
        assert focused(page) == "sun 22:30"
        press("Space")
        assert page.locator("#others-count").inner_text() == "(1 aangevinkt)"
        press("Tab")
        assert focused(page) == "unavailable_start"
        page.keyboard.type("19-07-2027")
        press("Tab")
        page.keyboard.type("27-8-2027")
        press("Tab")
        page.keyboard.type("zomervakantie")
        press("Tab")
        assert focused(page) == "save"
        with page.expect_navigation():
            press("Enter")
        assert page.locator("#status").inner_text() == "Dank je wel. Je week is opgeslagen."
    assert errors == []
    assert stored(base, auth, people["anna"]) == {
        "weekly": [
            {"day": "tue", "start": "19:00", "end": "19:30"}, {"day": "tue", "start": "20:00", "end": "21:30"},
            {"day": "thu", "start": "19:00", "end": "20:30"}, {"day": "sun", "start": "22:30", "end": "23:00"},
        ],
        "unavailable": [{"start": "2027-07-19", "end": "2027-08-27", "note": "zomervakantie"}],
    }


def box_centre(page: Page, label: str) -> tuple[float, float]:
    box = page.get_by_label(label, exact=True).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def rectangle(days: list[str], first: str, last: str) -> list[str]:
    start, stop = (int(t[:2]) * 60 + int(t[3:]) for t in (first, last))
    return sorted(f"{day} {m // 60:02d}:{m % 60:02d}" for day in days for m in range(start, stop + 30, 30))


def test_a_mouse_drag_ticks_exactly_the_rectangle_it_spans(served):
    _, _, _, links = served
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP, locale="nl-NL")
        page.goto(links["loner"])
        assert ticked(page) == []
        x, y = box_centre(page, "maandag 15:00")
        page.mouse.move(x, y)
        page.mouse.down()
        to = box_centre(page, "woensdag 16:30")
        page.mouse.move(*to, steps=2)  # a quick diagonal flick
        page.mouse.up()
        assert ticked(page) == rectangle(["mon", "tue", "wed"], "15:00", "16:30")
        # Out past Thursday and back: Thursday is as it was; from a ticked box a drag unticks.
        x, y = box_centre(page, "dinsdag 16:00")
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(*box_centre(page, "donderdag 17:00"), steps=3)
        page.mouse.move(*box_centre(page, "woensdag 16:30"), steps=3)
        page.mouse.up()
        assert ticked(page) == sorted(set(rectangle(["mon", "tue", "wed"], "15:00", "16:30")) - set(rectangle(["tue", "wed"], "16:00", "16:30")))
        page.get_by_label("vrijdag 20:00", exact=True).click()  # a plain click toggles once
        assert "fri 20:00" in ticked(page)


def touch(cdp, kind: str, x: float = 0, y: float = 0) -> None:
    points = [] if kind == "touchEnd" else [{"x": x, "y": y}]
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})


def test_a_finger_drags_a_rectangle_after_a_long_press_and_the_page_scrolls_at_the_edge(served):
    _, _, _, links = served
    with chromium() as browser:
        context = browser.new_context(viewport=PHONE, locale="nl-NL", has_touch=True, is_mobile=True)
        page = context.new_page()
        page.goto(links["loner"])
        cdp = context.new_cdp_session(page)
        page.get_by_label("donderdag 15:00", exact=True).evaluate("box => box.scrollIntoView({block: 'center'})")
        x, y = box_centre(page, "donderdag 15:00")
        touch(cdp, "touchStart", x, y)
        page.wait_for_timeout(700)  # a long press
        to = box_centre(page, "vrijdag 17:00")
        for step in range(1, 6):
            touch(cdp, "touchMove", x + (to[0] - x) * step / 5, y + (to[1] - y) * step / 5)
        touch(cdp, "touchEnd")
        page.wait_for_timeout(200)
        assert ticked(page) == rectangle(["thu", "fri"], "15:00", "17:00")

        # A quick swipe without the press scrolls and ticks nothing.
        x, y = box_centre(page, "maandag 18:00")
        touch(cdp, "touchStart", x, y)
        for step in range(1, 6):
            touch(cdp, "touchMove", x, y - 20 * step)
        touch(cdp, "touchEnd")
        page.wait_for_timeout(200)
        assert ticked(page) == rectangle(["thu", "fri"], "15:00", "17:00")

        # Held at the bottom edge, the page scrolls and the rectangle follows down the column.
        page.evaluate("() => window.scrollTo(0, 0)")
        page.get_by_label("maandag 15:00", exact=True).scroll_into_view_if_needed()
        x, y = box_centre(page, "maandag 15:00")
        before = page.evaluate("() => scrollY")
        touch(cdp, "touchStart", x, y)
        page.wait_for_timeout(700)
        bottom = PHONE["height"] - 5
        for step in range(1, 6):
            touch(cdp, "touchMove", x, y + (bottom - y) * step / 5)
        page.wait_for_timeout(1500)
        touch(cdp, "touchEnd")
        assert page.evaluate("() => scrollY") > before
        assert [value for value in ticked(page) if value.startswith("mon")] == rectangle(["mon"], "15:00", "20:30")


def test_a_refused_save_keeps_everything_and_says_why_in_dutch_next_to_the_field_in_an_english_browser(served, tmp_path):
    base, auth, people, links = served
    before = stored(base, auth, people["nina"])
    folder = screenshots(tmp_path)
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE, locale="en-US", bypass_csp=True)  # bypass: for axe-core only
        page.goto(links["nina"])
        first = page.locator("#grid input").first
        first.focus()
        page.keyboard.press("Space")
        value = first.get_attribute("value")
        page.fill("#unavailable_start", "31-02-2027")
        page.fill("#unavailable_note", "studiereis naar Gent")
        with page.expect_navigation():
            page.get_by_role("button", name="Opslaan").click()
        assert page.locator("#unavailable_start-error").inner_text() == "31-02-2027 bestaat niet in de kalender."
        assert page.locator("#status").inner_text().startswith("Niet opgeslagen. 31-02-2027 bestaat niet in de kalender.")
        assert page.input_value("#unavailable_start") == "31-02-2027"
        assert page.input_value("#unavailable_note") == "studiereis naar Gent"
        assert ticked(page) == [value]
        assert page.evaluate("() => document.activeElement.id") == "unavailable_start"  # where the reason is
        assert page.get_attribute("#unavailable_start", "aria-invalid") == "true"
        assert page.locator("#date-hint").inner_text().startswith("Schrijf een datum als dd-mm-jjjj, bijvoorbeeld ")
        for viewport in (DESKTOP, PHONE):
            page.set_viewport_size(viewport)
            assert not overflows_horizontally(page)
            assert accessibility_violations(page) == []
        page.evaluate("() => window.scrollTo(0, 0)")  # the day names stick to the top of the view, not midway
        page.screenshot(path=str(folder / "availability-refused-390.png"), full_page=True)
        page.fill("#unavailable_start", "1-3-2027")
        page.fill("#unavailable_end", "3-3-2027")
        with page.expect_navigation():
            page.get_by_role("button", name="Opslaan").click()
        assert page.locator("#status").inner_text() == "Dank je wel. Je week is opgeslagen."
        assert "maandag 1 maart 2027 t/m woensdag 3 maart 2027 (studiereis naar Gent)" in page.content()
    assert stored(base, auth, people["nina"]) != before


def test_without_javascript_the_week_is_a_form_of_labelled_checkboxes_that_still_posts(served):
    base, auth, people, links = served
    with chromium() as browser:
        context = browser.new_context(viewport=PHONE, locale="nl-NL", java_script_enabled=False)
        page = context.new_page()
        page.goto(links["loner"])
        assert page.locator("#keys-hint").is_hidden() and page.locator("#grid").get_attribute("role") is None
        page.get_by_label("woensdag 15:30", exact=True).check()
        page.locator("#others summary").click()
        page.get_by_label("zaterdag 10:00", exact=True).check()
        page.get_by_label("Eerste dag").fill("24-12-2027")
        with page.expect_navigation():
            page.get_by_role("button", name="Opslaan").click()
        assert page.locator("#status").inner_text() == "Dank je wel. Je week is opgeslagen."
        assert ticked(page) == ["sat 10:00", "wed 15:30"]
        assert page.locator("#others-count").inner_text() == "(1 aangevinkt)"
    assert stored(base, auth, people["lotte"]) == {
        "weekly": [{"day": "wed", "start": "15:30", "end": "16:00"}, {"day": "sat", "start": "10:00", "end": "10:30"}],
        "unavailable": [{"start": "2027-12-24", "end": "2027-12-24", "note": None}],
    }
