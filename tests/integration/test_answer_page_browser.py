"""The answer page as a person uses it: ``intervisie serve`` with its embedded worker plans a
group and issues the invitations; the link in a member's invitation is opened in Debian's
Chromium at a phone's width, answered with the keyboard alone, and checked with axe-core. The
post is redirected (303) to the page, which marks her answer and shows her comment back, and
reloading it posts nothing again."""

from __future__ import annotations

import re

import pytest
import requests
from icalendar import Calendar

from tests.integration.pages import PHONE, accessibility_violations, chromium, overflows_horizontally, screenshots
from tests.integration.servers import serving_database
from tests.integration.workers import plan_over_http, seed_group, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]



@pytest.fixture
def invited(sqlite, tmp_path):
    """A served, planned group: ``(base_url, auth headers, first session, a member's answer link)``."""
    url, factory, key, admin = sqlite
    group_id = seed_group(factory, admin)
    auth = {"Authorization": f"Bearer {key}"}
    with serving_database(url, tmp_path / "serve.log") as base:
        run = plan_over_http(base, key, group_id, timeout=30)
        first = run["plan"]["sessions"][0]

        def invitation():
            found = requests.get(f"{base}/v1/sessions/{first['id']}/invitations?page_size=50", headers=auth, timeout=10).json()
            return next((i for i in found if i["recipient"]["email"] == "lid1@example.org"), None)

        ics = requests.get(base + wait_for(invitation, 30, "the invitations")["ics_url"], headers=auth, timeout=10).content
        description = str(Calendar.from_ical(ics).walk("VEVENT")[0]["DESCRIPTION"])
        link = re.search(re.escape(base) + r"/answer/[A-Za-z0-9_-]+", description).group(0)
        yield base, auth, first, link


def test_a_member_declines_from_the_link_in_her_invitation_with_the_keyboard(invited, tmp_path):
    base, auth, first, link = invited
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE, locale="nl-NL", bypass_csp=True)  # for axe-core only
        assert page.goto(link).status == 200
        assert page.get_attribute("html", "lang") == "nl"
        assert page.locator("h1").inner_text() == "Groep"
        assert page.locator("#status").inner_text() == "Je hebt nog niet geantwoord."
        assert page.get_by_label("Opmerking (niet verplicht)").count() == 1
        assert not overflows_horizontally(page)
        assert accessibility_violations(page) == []
        page.screenshot(path=str(screenshots(tmp_path) / "answer-page.png"), full_page=True)

        # Keyboard only: into the comment, type, then on to the third button and press it.
        page.keyboard.press("Tab")
        while page.evaluate("() => document.activeElement.id") != "comment":
            page.keyboard.press("Tab")
        page.keyboard.type("Ouderavond op school")
        for _ in range(3):
            page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.value") == "declined"
        with page.expect_response(lambda r: r.request.method == "POST") as posted, page.expect_navigation():
            page.keyboard.press("Enter")
        assert posted.value.status == 303
        assert page.url == link + "?saved=1"
        status = page.locator("#status")
        assert status.get_attribute("role") == "status"
        assert status.inner_text().startswith("Dank je wel. Je antwoord is opgeslagen: Nee, ik kan niet.")
        assert_marked(page, "declined")
        assert page.input_value("#comment") == "Ouderavond op school"
        assert accessibility_violations(page) == []
        page.screenshot(path=str(screenshots(tmp_path) / "answer-page-answered.png"), full_page=True)

        # A reload asks for the page again: it posts nothing.
        answered_at = responded_at(base, auth, first["id"])
        methods = []
        page.on("request", lambda r: methods.append(r.method))
        assert page.reload().status == 200
        assert methods and set(methods) == {"GET"}  # the page (and perhaps its favicon), never a post
        assert responded_at(base, auth, first["id"]) == answered_at
        assert_marked(page, "declined")
        assert page.input_value("#comment") == "Ouderavond op school"

    session = requests.get(f"{base}/v1/sessions/{first['id']}", headers=auth, timeout=10).json()
    log = (tmp_path / "serve.log").read_text()
    token = link.rsplit("/", 1)[-1]
    assert token not in log and "POST /answer/[redacted]" in log  # the link is a secret: not in the log
    answered = [a for a in session["attendance"] if a["response"] != "needs_action"]
    assert [(a["role"], a["response"], a["source"]) for a in answered] == [("member", "declined", "link")]
    assert session["at_risk"] is True


def assert_marked(page, answer: str) -> None:
    """The button of ``answer`` is pressed, to a screen reader and to the eye (a check mark and
    a ring, not only a colour); the others are not."""
    buttons = page.locator('button[name="response"]')
    assert {b.get_attribute("value"): b.get_attribute("aria-pressed") for b in buttons.all()} == {
        value: "true" if value == answer else "false" for value in ("accepted", "tentative", "declined")
    }
    pressed = page.locator(f'button[value="{answer}"]')
    assert pressed.inner_text().startswith("✓")
    assert pressed.evaluate("b => getComputedStyle(b).boxShadow") != "none"
    assert all(not b.inner_text().startswith("✓") for b in buttons.all() if b.get_attribute("value") != answer)


def responded_at(base: str, auth: dict, session_id: str) -> list[str]:
    session = requests.get(f"{base}/v1/sessions/{session_id}", headers=auth, timeout=10).json()
    return [a["responded_at"] for a in session["attendance"] if a["response"] != "needs_action"]
