"""A participant adds her own published calendar on her availability page, as she would: ``intervisie
serve`` with its embedded worker, a real HTTP server on loopback publishing her timetable
(INTERVISIE_CALENDAR_ALLOW_PRIVATE=1), and Debian's Chromium driven by the keyboard alone. She
pastes the link, reads the status in words once the worker has fetched it, finds her lessons
striped in her week (and described to a screen reader), is refused a sixth calendar in Dutch next
to the field with what she typed kept, and removes one by its button. axe-core finds nothing at a
phone's and a desktop's width."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page, expect

from shared.domain import i18n
from shared.domain.model import WEEKDAYS
from tests.calendar_server import Feed, calendar_server, ics
from tests.integration.pages import PHONE, accessibility_violations, chromium, overflows_horizontally, screenshots
from tests.integration.servers import serving_database
from tests.integration.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(360)]

DESKTOP = {"width": 1280, "height": 900}
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SECRET = "/rooster/9b1e/lessen.ics?token=Geheim42"


def tomorrows_lesson() -> tuple[datetime, datetime]:
    """An hour of lessons tomorrow, 10:00-11:00 in Amsterdam (the server's clock is the real one)."""
    tomorrow = datetime.now(AMSTERDAM).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(10), AMSTERDAM)
    return start.astimezone(UTC), (start + timedelta(hours=1)).astimezone(UTC)


@pytest.fixture
def served(sqlite, tmp_path):
    """The API and its embedded worker, calendars on loopback allowed: ``(base, auth, participant, page link)``."""
    url, _, key, _ = sqlite
    auth = {"Authorization": f"Bearer {key}"}
    with serving_database(url, tmp_path / "serve.log", INTERVISIE_CALENDAR_ALLOW_PRIVATE="1") as base:
        person = requests.post(f"{base}/v1/participants", headers=auth, timeout=10, json={
            "name": "Anna de Vries", "email": "anna@example.org", "organization": "OBS De Linde", "role": "intern_begeleider",
            "timezone": "Europe/Amsterdam", "language": "nl",
            "availability": {"weekly": [{"day": "tue", "start": "19:00", "end": "21:30"}]},
        }).json()
        link = requests.post(f"{base}/v1/participants/{person['id']}/availability-link", headers=auth, timeout=10).json()["url"]
        yield base, auth, person, link


def tab_to(page: Page, check: str, limit: int = 400) -> None:
    """Press Tab until the focused element passes ``check`` (a JavaScript predicate of it)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => ({check})(document.activeElement)"):
            return
    raise AssertionError(f"no element passing {check} was reached by Tab")


def states(page: Page) -> list[str]:
    return page.locator(".calendar-state").all_inner_texts()


def test_she_adds_her_timetable_sees_it_in_words_and_in_her_week_and_removes_it_by_keyboard(served, tmp_path):
    base, auth, person, link = served
    lesson = tomorrows_lesson()
    local = lesson[0].astimezone(AMSTERDAM)
    weekday = i18n.weekday_name(local.weekday(), "nl")
    folder = screenshots(tmp_path)
    with calendar_server() as server, chromium() as browser:
        url = server.publish(SECRET, Feed(ics(lesson), etag='"v1"'))
        page = browser.new_page(viewport=DESKTOP, locale="nl-NL", bypass_csp=True)  # bypass: for axe-core only
        assert page.goto(link).status == 200

        # Keyboard only: Tab on to the link field (past the week's boxes), paste, press Enter.
        tab_to(page, "e => e.id === 'calendar-url'")
        page.keyboard.insert_text(url)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{link}?calendar=added#calendars"
        assert page.locator("#calendar-status").inner_text().startswith("Je agenda is toegevoegd.")
        assert page.locator(".calendar .address").all_inner_texts() == [f"Agenda 1: {server.base}/…"]

        def fetched():
            page.reload()
            return states(page) != ["wordt opgehaald"] and states(page)
        [status] = wait_for(fetched, 30, "the worker's fetch", interval=0.5)
        assert re.fullmatch(r"bijgewerkt om [0-2][0-9]:[0-5][0-9]", status), status
        assert "Geheim42" not in page.content() and "lessen.ics" not in page.content()

        # Her lesson is striped in the week, and a screen reader hears why.
        slot = WEEKDAYS[local.weekday()]
        busy = page.locator("td.busy input")
        assert [busy.nth(i).get_attribute("value") for i in range(busy.count())] == [f"{slot} 10:00", f"{slot} 10:30"]
        expect(page.get_by_label(f"{weekday} 10:00", exact=True)).to_have_accessible_description(
            f"bezet in je agenda op {i18n.format_date(local, 'nl')}",
        )
        expect(page.get_by_label(f"{weekday} 11:00", exact=True)).to_have_accessible_description("")
        assert page.locator("#busy-hint").inner_text().strip().startswith("Gestreept: bezet in je agenda op die dag")
        for viewport, name in ((DESKTOP, "availability-calendars-1280.png"), (PHONE, "availability-calendars-390.png")):
            page.set_viewport_size(viewport)
            assert not overflows_horizontally(page)
            assert accessibility_violations(page) == []
            page.locator("#calendars").screenshot(path=str(folder / name))

        # A link that is no link: refused in Dutch next to the field, what she typed kept, focus there.
        page.fill("#calendar-url", "mijn rooster van school")
        with page.expect_navigation():
            page.get_by_role("button", name="Agenda toevoegen").click()
        assert page.locator("#calendar-url-error").inner_text() == "De link moet beginnen met https:// of webcal://."
        assert page.input_value("#calendar-url") == "mijn rooster van school"
        assert page.evaluate("() => document.activeElement.id") == "calendar-url"
        expect(page.locator("#calendar-url")).to_have_accessible_description(re.compile("^De link moet beginnen met https://"))

        # Four more make five; a sixth is refused with the reason in Dutch, and the text kept.
        for n in range(4):
            more = server.publish(f"/extra/{n}.ics", Feed(ics()))
            added = requests.post(f"{base}/v1/participants/{person['id']}/calendar-sources", json={"url": more}, headers=auth, timeout=10)
            assert added.status_code == 201, added.text
        sixth = server.publish("/extra/6.ics", Feed(ics()))
        page.goto(link)
        tab_to(page, "e => e.id === 'calendar-url'")
        page.keyboard.insert_text(sixth)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("#calendar-url-error").inner_text() == (
            "Je hebt al 5 agenda's, meer kan niet. Verwijder er eerst een voordat je een nieuwe toevoegt."
        )
        assert page.input_value("#calendar-url") == sixth
        for viewport in (PHONE, DESKTOP):
            page.set_viewport_size(viewport)
            assert not overflows_horizontally(page)
            assert accessibility_violations(page) == []
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(folder / "availability-calendars-refused-390.png"), full_page=True)

        # Keyboard only: Tab to the button that removes her timetable (named after it), press Enter.
        page.goto(link)
        tab_to(page, "e => e.tagName === 'BUTTON' && e.textContent.includes('agenda 1 (')")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("#calendar-status").inner_text() == "De agenda is verwijderd, met de bezette tijden die eruit gelezen waren."
        assert page.locator("td.busy").count() == 0 and len(states(page)) == 4
        assert f"{server.base}/…" in page.locator(".calendar .address").first.inner_text()
        assert accessibility_violations(page) == []

    left = requests.get(f"{base}/v1/participants/{person['id']}/calendar-sources", headers=auth, timeout=10).json()
    assert len(left) == 4 and all(source["busy_count"] == 0 for source in left)
    log = (tmp_path / "serve.log").read_text()
    assert "Geheim42" not in log and "lessen.ics" not in log
