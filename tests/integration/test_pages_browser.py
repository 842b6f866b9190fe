"""The pages of issue 11 as people use them, in Debian's Chromium through its DevTools protocol:
a participant ticks her week on her own page and saves it (read back through the API), and the
facilitator opens her page and finds her groups, the answers and the heat map. Each page is
checked with axe-core at a desktop's and a phone's width, and photographed at both for the README."""

from __future__ import annotations

import re

import pytest
import requests

from tests.integration.pages import PHONE, accessibility_violations, chromium, overflows_horizontally, screenshots
from tests.integration.servers import serving_database
from tests.integration.workers import planned_group_over_http, wait_for, weekly

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

DESKTOP = {"width": 1280, "height": 900}
EVENINGS = {
    "Anna de Vries": [("tue", "19:00", "21:30"), ("wed", "19:00", "21:00")],
    "Bram Jansen": [("tue", "19:00", "22:00"), ("thu", "19:00", "21:00")],
    "Chantal Bakker": [("tue", "18:30", "21:30"), ("wed", "19:30", "21:00")],
    "Daan Visser": [("tue", "19:00", "21:30"), ("thu", "19:30", "22:00")],
    "Eva Smit": [("mon", "19:00", "21:30"), ("tue", "19:00", "21:30")],
}


@pytest.fixture
def served(sqlite, tmp_path):
    """A served, planned group of five with a facilitator: ``(base, auth, group, members, facilitator)``."""
    url, _, key, _ = sqlite
    auth = {"Authorization": f"Bearer {key}"}
    with serving_database(url, tmp_path / "serve.log") as base:
        group, members, facilitator, _ = planned_group_over_http(base, key, EVENINGS, {
            "name": "Fien Jansen", "email": "fien@example.org",
            "availability": weekly([(d, "19:00", "22:00") for d in ("mon", "tue", "wed", "thu")]),
        })
        yield base, auth, group, members, facilitator


def test_a_participant_ticks_her_week_on_her_own_page_and_it_is_stored(served, tmp_path):
    base, auth, _, members, _ = served
    anna = members[0]
    link = requests.post(f"{base}/v1/participants/{anna['id']}/availability-link", headers=auth, timeout=10).json()
    folder = screenshots(tmp_path)
    with chromium() as browser:
        for viewport, name in ((DESKTOP, "availability-page-1280.png"), (PHONE, "availability-page-390.png")):
            page = browser.new_page(viewport=viewport, locale="nl-NL", bypass_csp=True)  # bypass: for axe-core only
            assert page.goto(link["url"]).status == 200
            assert page.get_attribute("html", "lang") == "nl"
            assert page.locator("h1").inner_text() == "Wanneer kun je?"
            assert not overflows_horizontally(page)
            assert accessibility_violations(page) == []
            page.screenshot(path=str(folder / name), full_page=viewport is PHONE)
            page.close()

        page = browser.new_page(viewport=PHONE, locale="nl-NL", bypass_csp=True)
        page.goto(link["url"])
        page.keyboard.press("Tab")  # the first stop is the link that skips the 224 boxes
        assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#save"
        ticked = page.locator('input[name="slot"]:checked')
        assert [ticked.nth(i).get_attribute("value") for i in range(ticked.count())] == [
            "tue 19:00", "wed 19:00", "tue 19:30", "wed 19:30", "tue 20:00", "wed 20:00", "tue 20:30", "wed 20:30", "tue 21:00",
        ]
        # Untick Wednesday evening, tick Thursday 10:00–11:00, by the cells' labels, as a screen reader finds them.
        for time in ("19:00", "19:30", "20:00", "20:30"):
            page.get_by_label(f"woensdag {time}", exact=True).click()
        page.get_by_label("donderdag 10:00", exact=True).check()
        page.get_by_label("donderdag 10:30", exact=True).press("Space")  # the keyboard ticks a box too
        page.get_by_label("Eerste dag").fill("2027-07-19")
        page.get_by_label("Laatste dag").fill("2027-08-27")
        page.get_by_label("Opmerking (niet verplicht)").fill("zomervakantie")
        page.keyboard.press("Tab")  # from the note on to the save button, and press it
        assert page.evaluate("() => document.activeElement.id") == "save"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("#status").inner_text() == "Dank je wel. Je week is opgeslagen."
        assert accessibility_violations(page) == []
        page.screenshot(path=str(folder / "availability-page-saved-390.png"))

    stored = requests.get(f"{base}/v1/participants/{anna['id']}", headers=auth, timeout=10).json()["availability"]
    assert stored == {
        "weekly": [{"day": "tue", "start": "19:00", "end": "21:30"}, {"day": "thu", "start": "10:00", "end": "11:00"}],
        "unavailable": [{"start": "2027-07-19", "end": "2027-08-27", "note": "zomervakantie"}],
    }
    log = (tmp_path / "serve.log").read_text()
    assert link["url"].rsplit("/", 1)[1] not in log and "POST /availability/[redacted]" in log


def test_with_a_mouse_she_ticks_and_unticks_a_stretch_by_dragging(served):
    """The page's one script, under its own strict CSP (not bypassed here): pressing on a box and
    dragging gives every box passed over the first one's new state; a click stays one toggle."""
    base, auth, _, members, _ = served
    bram = members[1]
    link = requests.post(f"{base}/v1/participants/{bram['id']}/availability-link", headers=auth, timeout=10).json()
    errors: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP, locale="nl-NL")
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(link["url"])
        assert page.locator("#drag-hint").is_visible()  # the script ran

        def drag(first: str, last: str) -> None:
            start, end = (page.get_by_label(label, exact=True).bounding_box() for label in (first, last))
            page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
            page.mouse.down()
            page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
            page.mouse.up()

        def ticked_on(day: str) -> list[str]:
            boxes = page.locator(f'input[name="slot"][value^="{day} "]:checked')
            return [boxes.nth(i).get_attribute("value")[4:] for i in range(boxes.count())]

        drag("maandag 09:00", "maandag 11:30")  # down the column: six half hours
        assert ticked_on("mon") == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
        drag("maandag 10:00", "maandag 10:30")  # from a ticked box: unticks
        assert ticked_on("mon") == ["09:00", "09:30", "11:00", "11:30"]
        page.get_by_label("maandag 12:00", exact=True).click()  # a plain click still toggles once
        page.get_by_label("maandag 09:00", exact=True).click()
        assert ticked_on("mon") == ["09:30", "11:00", "11:30", "12:00"]
        page.get_by_label("dinsdag 19:00", exact=True).focus()
        page.keyboard.press("Space")  # after the mouse, the keyboard toggles as before
        assert "19:00" not in ticked_on("tue")
        with page.expect_navigation():
            page.get_by_role("button", name="Opslaan").click()
        assert page.locator("#status").inner_text() == "Dank je wel. Je week is opgeslagen."
    assert errors == []  # nothing refused by the CSP, nothing thrown

    weekly = requests.get(f"{base}/v1/participants/{bram['id']}", headers=auth, timeout=10).json()["availability"]["weekly"]
    assert {"day": "mon", "start": "09:30", "end": "10:00"} in weekly
    assert {"day": "mon", "start": "11:00", "end": "12:30"} in weekly
    assert {"day": "tue", "start": "19:30", "end": "22:00"} in weekly


def test_the_facilitator_finds_her_groups_answers_and_heat_map(served):
    base, auth, group, members, facilitator = served
    sessions = requests.get(f"{base}/v1/groups/{group['id']}/sessions", headers=auth, timeout=10).json()
    for person, response in ((facilitator, "accepted"), (members[0], "accepted"), (members[1], "accepted"), (members[2], "declined")):
        answered = requests.put(f"{base}/v1/sessions/{sessions[0]['id']}/attendance/{person['id']}", json={"response": response}, headers=auth, timeout=10)
        assert answered.status_code == 200, answered.text
    page_url = requests.get(f"{base}/v1/facilitators/{facilitator['id']}/feed", headers=auth, timeout=10).json()["page_url"]
    with chromium() as browser:  # its pictures are taken by test_facilitator_page_browser
        for viewport in (DESKTOP, PHONE):
            context = browser.new_context(viewport=viewport, locale="nl-NL", bypass_csp=True)
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
            page = context.new_page()
            assert page.goto(page_url).status == 200
            section = page.locator("section.group")
            assert section.locator("h2").inner_text() == "IB-groep Utrecht"
            assert "Passend onderwijs" in section.locator("p.note").first.inner_text()
            first = section.locator("li").first
            assert "3 van 6 komen" in first.inner_text() and "1 kan niet" in first.inner_text()
            assert first.locator(".declined li").all_inner_texts() == ["Chantal Bakker (geen toelichting)"]  # who, not only how many
            heat_map = section.locator("figure svg")
            assert heat_map.count() == 1 and heat_map.get_attribute("role") == "img"
            titles = heat_map.locator("title").all_text_contents()
            assert any(t.startswith("dinsdag 19:30 — 6 van 6") for t in titles), titles[:10]
            assert any(re.match(r"woensdag 19:30 — 3 van 6; niet: Bram Jansen, Daan Visser, Eva Smit", t) for t in titles), titles
            assert not overflows_horizontally(page)
            assert accessibility_violations(page) == []
            # The copy button appears with JavaScript and puts the feed link on the clipboard.
            page.locator("#copy-feed").click()
            page.wait_for_function("() => document.getElementById('copy-status').textContent !== ''", timeout=5000)
            assert page.locator("#copy-status").inner_text() == "Gekopieerd"
            assert page.evaluate("() => navigator.clipboard.readText()") == page.locator("#feed-url").input_value()
            context.close()


def test_her_page_runs_its_copy_script_under_its_own_policy_and_cannot_be_framed(served):
    """Not bypassed here: the page's CSP lets the copy button's script run by its nonce, refuses
    nothing else the page needs, and keeps the page out of any frame (frame-ancestors 'none')."""
    base, auth, _, _, facilitator = served
    page_url = requests.get(f"{base}/v1/facilitators/{facilitator['id']}/feed", headers=auth, timeout=10).json()["page_url"]
    errors: list[str] = []
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP, locale="nl-NL")
        page = context.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        assert page.goto(page_url).status == 200
        assert page.locator("#copy-feed").is_visible()  # the script ran: it shows the button
        assert errors == []  # nothing refused by the CSP, nothing thrown

        # Another site framing her page (names, answers, heat map) gets nothing shown.
        framing = context.new_page()
        framing.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        framing.goto(f"{base}/healthz")  # a page of the same site, which does not forbid framing
        framing.set_content(f'<iframe src="{page_url}" width="800" height="600"></iframe>')
        wait_for(lambda: any("frame-ancestors" in e for e in errors), 10, "the browser to refuse the frame")
        frame = framing.frames[1]
        assert "IB-groep" not in frame.content() and "copy-feed" not in frame.content()  # the browser's error page
        context.close()
