"""The facilitator's page of issue 22 (item 6) as she uses it, in Debian's Chromium through its
DevTools protocol: who declined with what they wrote, times in her own city with the group's
beside them, another week reached by keyboard alone, the heat map's details as a table a
keyboard and a screen reader reach, text of at least 12 px at a phone's width (the heat map's
text measured as drawn), no sideways scrolling, and axe-core at a phone's and a desktop's width.
The README's pictures of the page are taken here."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from icalendar import Calendar

from tests.integration.pages import PHONE, accessibility_violations, chromium, overflows_horizontally, screenshots
from tests.integration.servers import serving_database
from tests.integration.workers import planned_group_over_http, wait_for, weekly

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

DESKTOP = {"width": 1280, "height": 900}
LONDON, AMSTERDAM = ZoneInfo("Europe/London"), ZoneInfo("Europe/Amsterdam")
EVENINGS = {
    "Anna de Vries": [("tue", "19:00", "21:30"), ("wed", "19:00", "21:00")],
    "Bram Jansen": [("tue", "19:00", "22:00"), ("thu", "19:00", "21:00")],
    "Chantal Bakker": [("tue", "18:30", "21:30"), ("wed", "19:30", "21:00")],
    "Daan Visser": [("tue", "19:00", "21:30"), ("thu", "19:30", "22:00")],
}
COMMENT = "Ouderavond op school; de week erna kan ik wel"
MEASURE_TEXT = """() => {
  // Every piece of text that is drawn, with the size it is drawn at: for HTML its computed font
  // size, for the heat map's SVG text its font size times the scale the SVG is drawn at.
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!node.textContent.trim() || !element) continue;
    if (element.closest('title, desc, script, style, .visually-hidden')) continue;
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    let size = parseFloat(getComputedStyle(element).fontSize);
    if (element instanceof SVGElement) size *= element.getScreenCTM().a;
    found.push({text: node.textContent.trim().slice(0, 40), size, svg: element instanceof SVGElement});
  }
  return found;
}"""


def _answer(base: str, link: str, response: str, comment: str = "") -> None:
    """Answer as the member does on the page of her invitation link (the form's own post)."""
    browser = requests.Session()
    page = browser.get(link, timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    posted = browser.post(link, data={"csrf": csrf, "comment": comment, "response": response}, allow_redirects=False, timeout=10)
    assert posted.status_code == 303, posted.text


@pytest.fixture
def served(sqlite, tmp_path):
    """A served, planned group whose facilitator lives in London; two members declined its first
    session, one with a comment: ``(base, facilitator's page, first session)``."""
    url, _, key, _ = sqlite
    auth = {"Authorization": f"Bearer {key}"}
    with serving_database(url, tmp_path / "serve.log") as base:
        group, members, facilitator, run = planned_group_over_http(base, key, EVENINGS, {
            "name": "Fien Jansen", "email": "fien@example.org", "timezone": "Europe/London",
            "availability": weekly([(d, "18:00", "21:00") for d in ("mon", "tue", "wed", "thu")]),
        })
        first = min(run["plan"]["sessions"], key=lambda s: s["start"])

        def link_of(email):
            found = requests.get(f"{base}/v1/sessions/{first['id']}/invitations?page_size=50", headers=auth, timeout=10).json()
            invitation = next((i for i in found if i["recipient"]["email"] == email), None)
            if invitation is None:
                return None
            ics = requests.get(base + invitation["ics_url"], headers=auth, timeout=10).content
            return re.search(re.escape(base) + r"/answer/[A-Za-z0-9_-]+", str(Calendar.from_ical(ics).walk("VEVENT")[0]["DESCRIPTION"])).group(0)

        _answer(base, wait_for(lambda: link_of("lid0@example.org"), 30, "Anna's invitation"), "accepted")
        _answer(base, wait_for(lambda: link_of("lid2@example.org"), 30, "Chantal's invitation"), "declined", COMMENT)
        _answer(base, wait_for(lambda: link_of("lid3@example.org"), 30, "Daan's invitation"), "declined")
        page_url = requests.get(f"{base}/v1/facilitators/{facilitator['id']}/feed", headers=auth, timeout=10).json()["page_url"]
        yield base, page_url, first


def _monday(moment: datetime) -> date:
    day = moment.astimezone(AMSTERDAM).date()
    return day - timedelta(days=day.weekday())


def test_she_reads_who_declined_with_their_words_and_the_time_in_her_city_and_the_groups(served):
    _, page_url, first = served
    start, end = (datetime.fromisoformat(first[k]) for k in ("start", "end"))
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE, locale="nl-NL")
        assert page.goto(page_url).status == 200
        item = page.locator("section.group ol.sessions > li").first
        assert "1 van 5 komen" in item.inner_text() and "2 kunnen niet" in item.inner_text()
        declined = item.locator(".declined")
        assert declined.inner_text().startswith("Afgemeld:")
        assert declined.locator("li").all_inner_texts() == [f"Chantal Bakker: {COMMENT}", "Daan Visser (geen toelichting)"]
        assert declined.locator("li q").all_inner_texts() == [COMMENT]  # quoted: her words, not the page's
        london, amsterdam = start.astimezone(LONDON), start.astimezone(AMSTERDAM)
        when = " ".join(item.locator(".when").inner_text().split())
        here = f"{london:%H:%M}–{end.astimezone(LONDON):%H:%M}"
        there = f"{amsterdam:%H:%M}–{end.astimezone(AMSTERDAM):%H:%M}"
        assert when.endswith(f", {here} (tijd in Londen; {there} in Nederland)"), when
        # The map keeps the group's clock, and says so to her in London.
        assert page.locator("figcaption").first.inner_text().endswith("(Tijden in Nederland)")


def _tab_to(page, selector: str, limit: int = 60) -> int:
    """Press Tab until the element ``selector`` has the focus; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return presses
    raise AssertionError(f"{selector} not reached in {limit} presses of Tab")


def test_by_keyboard_alone_she_goes_to_the_next_week_and_back_and_reads_the_table(served):
    _, page_url, first = served
    week = _monday(datetime.fromisoformat(first["start"]))
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE, locale="nl-NL")
        assert page.goto(page_url).status == 200
        caption = page.locator("figcaption").first
        assert f"{week.day}" in caption.inner_text()
        _tab_to(page, 'a[rel="next"]')
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert f"week={week + timedelta(days=7)}" in page.url and page.url.endswith("-week")
        assert caption.inner_text().startswith("Wie kan wanneer in de week van maandag " + str((week + timedelta(days=7)).day))
        # The page opens at the map she asked for: the next Tab is the link back, not the page's top.
        assert _tab_to(page, 'a[rel="prev"]') == 1
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert f"week={week}" in page.url
        # The table of the first day with a session: a disclosure opened with Enter, then read.
        tuesday = page.locator(".week-table details").nth(1)
        assert not tuesday.evaluate("(d) => d.open")
        presses = _tab_to(page, ".week-table details:nth-of-type(2) summary")
        assert presses <= 4  # prev, next, Monday, Tuesday: the map itself takes no stop
        page.keyboard.press("Enter")
        assert tuesday.evaluate("(d) => d.open")
        rows = tuesday.locator("tbody tr")
        assert rows.count() >= 3
        headers = tuesday.locator("thead th").all_inner_texts()
        assert headers == ["Tijd", "Kan komen", "Kan niet komen"]
        texts = [" | ".join(r.locator("th, td").all_inner_texts()) for r in rows.all()]
        assert any(t.startswith("19:") and "gepland" in t and "5 van 5" in t for t in texts), texts
        assert any("niet: " not in t and "Fien Jansen" in t for t in texts)
        page.keyboard.press("Enter")  # and closed again
        assert not tuesday.evaluate("(d) => d.open")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_text_reads_at_12_px_nothing_scrolls_sideways_and_axe_finds_nothing(served, viewport, tmp_path):
    _, page_url, _ = served
    with chromium() as browser:
        context = browser.new_context(viewport=viewport, locale="nl-NL", bypass_csp=True)  # for axe-core only
        page = context.new_page()
        assert page.goto(page_url).status == 200
        assert not overflows_horizontally(page)
        assert accessibility_violations(page) == []
        page.screenshot(path=str(screenshots(tmp_path) / f"facilitator-page-{viewport['width']}.png"), full_page=True)
        page.evaluate("() => document.querySelectorAll('.week-table details').forEach((d) => { d.open = true; })")
        assert not overflows_horizontally(page)
        assert accessibility_violations(page) == []
        drawn = page.evaluate(MEASURE_TEXT)
        in_map = [t for t in drawn if t["svg"]]
        assert len(in_map) > 30 and any(t["text"] == "19:00" for t in in_map)
        small = [t for t in drawn if t["size"] < 12]
        assert small == [], small[:10]
        if viewport is PHONE:
            assert min(t["size"] for t in in_map) < 13.5  # measured as drawn: the map is shrunk to fit
        context.close()
