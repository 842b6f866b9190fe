"""The subscribe page ``/feeds/{token}`` as a person sees it: rendered by headless Chromium.

Real data (a group planned by the embedded worker of ``intervisie serve``), the page loaded in
Debian's Chromium, its DOM read back, and a screenshot read with tesseract, so the session list
is checked in the picture and not only in the HTML the server sent.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
from PIL import Image

from tests.integration.browser import Elements, dump_dom, read_lines, screenshot
from tests.integration.servers import free_port, serving
from tests.integration.workers import plan_over_http, seed_group

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

# Spelled out here rather than taken from shared.domain.texts, so the test is a second opinion.
DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
WIDTH, HEIGHT, SCALE = 900, 1400, 2


def _dutch_date(moment: datetime) -> str:
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def _expected(session: dict) -> dict[str, str]:
    start = datetime.fromisoformat(session["start"]).astimezone(AMSTERDAM)
    end = datetime.fromisoformat(session["end"]).astimezone(AMSTERDAM)
    label = (f"bijeenkomst {session['number']} van 3 (begeleid)" if session["kind"] == "guided"
             else f"bijeenkomst {session['number']} (zelfsturend)")
    return {
        "title": f"Intervisie Groep — {label}",
        "date": _dutch_date(start),
        "when": f"{DAYS[start.weekday()]} {_dutch_date(start)}, {start:%H:%M}–{end:%H:%M} (tijd in Amsterdam)",
    }


@pytest.fixture
def planned_feed(sqlite, tmp_path):
    """A served, planned group: ``(base_url, feed links, planned sessions)``."""
    url, factory, key, admin = sqlite
    group_id = seed_group(factory, admin)
    auth = {"Authorization": f"Bearer {key}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"INTERVISIE_DATABASE_URL": url, "INTERVISIE_PUBLIC_URL": base}
    with serving(env, port=port, log_path=tmp_path / "serve.log") as served:
        assert served == base
        run = plan_over_http(base, key, group_id, timeout=30)
        assert run["status"] == "succeeded", run
        links = requests.get(f"{base}/v1/groups/{group_id}/feed", headers=auth, timeout=10).json()
        yield base, links, run["plan"]["sessions"]


def test_subscribe_page_in_chromium_lists_the_planned_sessions_with_links_to_the_feed(planned_feed, tmp_path):
    base, links, sessions = planned_feed
    assert links["page_url"].startswith(f"{base}/feeds/") and links["url"] == links["page_url"] + ".ics"
    expected = [_expected(s) for s in sorted(sessions, key=lambda s: s["start"])]
    assert len(expected) == 9  # 3 guided and 6 self-directed, on Tuesdays 19:00–20:30

    page = Elements(dump_dom(links["page_url"]))

    assert [item["class"] for item in page.items] == ["scheduled"] * len(expected)
    shown = [{"title": " ".join(i["title"].split()), "when": " ".join(i["when"].split())} for i in page.items]
    assert shown == [{"title": e["title"], "when": e["when"]} for e in expected]
    assert page.by_id["feed-url"]["value"] == links["url"]
    assert page.labels["feed-url"] == "Of kopieer de link:"
    assert page.by_id["subscribe-apple"]["href"] == links["webcal_url"] == "webcal://" + links["url"].removeprefix("http://")
    google = urlsplit(page.by_id["subscribe-google"]["href"])
    assert (google.scheme, google.netloc) == ("https", "calendar.google.com")
    assert parse_qs(google.query)["cid"] == [links["webcal_url"]]
    for button, host in (("subscribe-outlook", "outlook.live.com"), ("subscribe-outlook365", "outlook.office.com")):
        outlook = urlsplit(page.by_id[button]["href"])
        assert (outlook.scheme, outlook.netloc, outlook.path) == ("https", host, "/calendar/0/addfromweb")
        assert parse_qs(outlook.query) == {"url": [links["url"]], "name": ["Intervisie – Groep"]}
    feed = requests.get(links["url"], timeout=10)  # what every button subscribes to is a live feed
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    assert feed.text.count("BEGIN:VEVENT") == len(expected)

    png = screenshot(links["page_url"], tmp_path / "feed-page.png", width=WIDTH, height=HEIGHT, scale=SCALE)
    print(f"screenshot of the subscribe page: {png}")

    with Image.open(png) as image:
        assert image.format == "PNG" and image.size == (WIDTH * SCALE, HEIGHT * SCALE)
        grey = image.convert("L")
        darkest, lightest = grey.getextrema()
        assert lightest - darkest > 150 and len(grey.getcolors()) > 16, "the screenshot is (nearly) blank"

    text = [_plain(line.text) for line in read_lines(png)]
    heading = _first(text, "Komende bijeenkomsten")
    assert _first(text, "Intervisie – Groep") < _first(text, "Of kopieer de link:") < heading, text
    first_title = _first(text, expected[0]["title"])
    first_date = _first(text, expected[0]["date"])
    assert heading < first_title < first_date, text
    assert text[first_date].startswith(_plain(expected[0]["when"].removesuffix(" (tijd in Amsterdam)"))), text[first_date]
    # The window is tall enough for the whole list: every session is in the picture, in order.
    dates = [_first(text, f"{e['date']}, 19:00") for e in expected]
    assert dates == sorted(dates), text


def _plain(text: str) -> str:
    """Text with one kind of dash and single spaces: tesseract reads – and — as - now and then."""
    return " ".join(re.sub(r"[\u2010-\u2015\u2212~-]", "-", text).split())


def _first(lines: list[str], needle: str) -> int:
    needle = _plain(needle)
    for index, line in enumerate(lines):
        if needle in line:
            return index
    raise AssertionError(f"{needle!r} not in the screenshot's text: {lines}")
