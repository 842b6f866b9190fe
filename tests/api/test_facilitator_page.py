"""The facilitator's page (the subscribe page of her feed): her groups by name, each coming
session with its answers, a copy button, and who can when in the week of the next session."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from shared.config import Settings
from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING, run_to_completion
from tests.api.test_answers import csrf_of, invitation_to, link_in, path_of

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(database_url=database_url, public_url="http://intervisie.test", secret_key="test-secret")


@pytest.fixture
def planned(admin, worker, group):
    assert run_to_completion(admin, worker, group["id"])["status"] == "succeeded"
    return group


def page_of(client, admin, path: str) -> tuple[str, dict]:
    links = admin.get(path).json
    response = client.get(links["page_url"].removeprefix("http://intervisie.test"))
    assert response.status_code == 200
    return response.get_data(as_text=True), response.headers


def answer(admin, session_id: str, person_id: str, response: str) -> None:
    assert admin.put(f"/v1/sessions/{session_id}/attendance/{person_id}", json={"response": response}).status_code == 200


def test_her_page_lists_her_groups_by_name_with_answers_and_who_can_when(client, admin, worker, planned):
    second = admin.post("/v1/groups", json=payloads.group(name="Aandachtsgroep Zuid", theme="passend_onderwijs", facilitator_id=planned["facilitator"]["id"])).json
    sessions = admin.get(f"/v1/groups/{planned['id']}/sessions").json
    first = sessions[0]["id"]
    members = planned["member_list"]
    answer(admin, first, planned["facilitator"]["id"], "accepted")
    answer(admin, first, members[0]["id"], "accepted")
    answer(admin, first, members[1]["id"], "tentative")
    answer(admin, first, members[2]["id"], "declined")

    html, headers = page_of(client, admin, f"/v1/facilitators/{planned['facilitator']['id']}/feed")
    names = re.findall(r'<h2 id="group-[0-9a-f-]+-name">([^<]+)</h2>', html)
    assert names == ["Aandachtsgroep Zuid", "IB-groep Utrecht 1"]  # by name
    assert "Passend onderwijs" in html and "passend_onderwijs" not in html and "Europe/Amsterdam" not in html
    section = html.split(f'id="group-{planned["id"]}"', 1)[1]
    first_item = section.split("</li>", 1)[0]
    assert "bijeenkomst 1 van 3 (begeleid)" in first_item and "dinsdag 12 januari 2027" in first_item
    assert "2 van 5 komen" in first_item and "1 misschien" in first_item and "1 kan niet" in first_item
    assert "1 heeft nog niet geantwoord" in first_item and "niet iedereen kan komen" in first_item
    assert section.count('<li class="scheduled">') == 6  # her group's next six sessions
    assert "Nog geen bijeenkomsten gepland" in html.split(f'id="group-{second["id"]}"', 1)[1].split("</section>", 1)[0]

    # The heat map of the week of the group's next session (Monday 11 January 2027), inline.
    assert "Wie kan wanneer in de week van maandag 11 januari 2027</figcaption>" in section  # her clock is the group's
    svg = ET.fromstring(re.search(r"<svg.*?</svg>", section, flags=re.S).group(0))
    titles = [t.text for t in svg.iter(f"{SVG}title")]
    assert any(t.startswith("dinsdag 19:00 — 5 van 5") for t in titles), titles[:20]
    assert any(t.startswith("woensdag 19:00 — 0 van 5") for t in titles)

    # The copy button needs JavaScript; the script runs only with the nonce the page was sent with.
    nonce = re.search(r'<script nonce="([^"]+)">', html).group(1)
    assert f"script-src 'nonce-{nonce}'" in headers["Content-Security-Policy"]
    assert 'id="copy-feed" hidden' in html and 'id="feed-url" type="text" readonly' in html


def test_her_page_names_who_cannot_come_with_what_they_wrote(client, admin, worker, planned):
    worker.drain()  # the invitations, with each person's answer link
    sessions = admin.get(f"/v1/groups/{planned['id']}/sessions").json
    first, second = sessions[0]["id"], sessions[1]["id"]
    members = planned["member_list"]

    def declines(person: dict, session_id: str, comment: str) -> None:
        path = path_of(link_in(admin, invitation_to(admin, session_id, person["email"])))
        form = {"response": "declined", "comment": comment, "csrf": csrf_of(client.get(path).get_data(as_text=True))}
        assert client.post(path, data=form).status_code == 303

    declines(members[2], first, "Ouderavond <script>alert(1)</script> & rapporten")
    declines(planned["facilitator"], first, "")
    answer(admin, first, members[0]["id"], "tentative")  # counted, not listed: she may still come
    declines(members[1], second, "Ziek")

    html, _ = page_of(client, admin, f"/v1/facilitators/{planned['facilitator']['id']}/feed")
    items = html.split(f'id="group-{planned["id"]}"', 1)[1].split('<li class="scheduled">')[1:]
    declined = [re.search(r'<div class="declined" id="declined-[0-9a-f-]+-\d+">(.*?)</div>', item, flags=re.S) for item in items]
    assert declined[0].group(1) == (
        'Afgemeld:<ul><li><strong>Fien Jansen</strong> <span class="note">(geen toelichting)</span></li>'  # she herself, first
        "<li><strong>Deelnemer 2</strong>: <q>Ouderavond &lt;script&gt;alert(1)&lt;/script&gt; &amp; rapporten</q></li></ul>"
    )
    assert declined[1].group(1) == "Afgemeld:<ul><li><strong>Deelnemer 1</strong>: <q>Ziek</q></li></ul>"
    assert all(match is None for match in declined[2:])  # nobody declined those
    assert "<script>alert(1)</script>" not in html


def test_a_members_page_names_the_group_and_shows_no_one_elses_availability(client, admin, planned):
    html, headers = page_of(client, admin, f"/v1/participants/{planned['member_list'][0]['id']}/feed")
    assert "IB-groep Utrecht 1" in html and "<svg" not in html
    assert "Deelnemer 2" not in html  # no other member is named
    assert html.count('<li class="scheduled">') == 9


def test_a_facilitator_without_groups_is_told_so(client, admin):
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator(availability=TUESDAY_EVENING)).json
    html, _ = page_of(client, admin, f"/v1/facilitators/{facilitator['id']}/feed")
    assert 'id="no-groups"' in html


def test_she_goes_from_week_to_week_by_links_and_reads_each_week_as_a_table(client, admin, planned):
    html, _ = page_of(client, admin, f"/v1/facilitators/{planned['facilitator']['id']}/feed")
    section = html.split(f'id="group-{planned["id"]}"', 1)[1]
    previous = re.search(r'<a rel="prev" href="([^"]+)">', section).group(1)
    following = re.search(r'<a rel="next" href="([^"]+)">', section).group(1)
    assert previous.endswith(f"?week=2027-01-04#group-{planned['id']}-week")  # around Monday 11 January 2027
    assert following.endswith(f"?week=2027-01-18#group-{planned['id']}-week")

    response = client.get(following.split("#")[0].removeprefix("http://intervisie.test"))
    assert response.status_code == 200
    section = response.get_data(as_text=True).split(f'id="group-{planned["id"]}"', 1)[1]
    assert "Wie kan wanneer in de week van maandag 18 januari 2027" in section
    assert re.search(r'<a rel="prev" href="[^"]+\?week=2027-01-11#', section)
    # The table: seven days, each a disclosure with its stretches of half hours in words.
    assert section.count("<details>") == 7
    tuesday = section.split("<details>")[2]
    assert "dinsdag 19 januari 2027 — hoogstens 5 van 5" in tuesday
    assert re.search(r'<th scope="row">19:00–2\d:\d0</th>\s*<td>5 van 5: ', tuesday)
    assert '<th scope="col">Kan niet komen</th>' in tuesday


@pytest.mark.parametrize(("week", "field_reason"), [
    ("2031-01-06", "must lie within two years of today"),
    ("next-week", None),
])
def test_a_week_out_of_reach_or_not_a_date_is_a_problem(client, admin, planned, week, field_reason):
    path = admin.get(f"/v1/facilitators/{planned['facilitator']['id']}/feed").json["page_url"].removeprefix("http://intervisie.test")
    response = client.get(f"{path}?week={week}")
    assert response.status_code in (400, 422)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["errors"][0]["field"] == "week"
    if field_reason:
        assert field_reason in response.json["errors"][0]["reason"]


def test_any_day_of_a_week_shows_that_week_and_the_ends_of_reach_have_no_link_beyond(client, admin, planned):
    path = admin.get(f"/v1/facilitators/{planned['facilitator']['id']}/feed").json["page_url"].removeprefix("http://intervisie.test")
    html = client.get(f"{path}?week=2027-01-14").get_data(as_text=True)  # a Thursday
    assert "Wie kan wanneer in de week van maandag 11 januari 2027" in html
    far = client.get(f"{path}?week=2028-11-20").get_data(as_text=True)  # the last Monday within two years
    assert '<a rel="prev"' in far and '<a rel="next"' not in far  # 2028-11-27 lies past two years of 2026-11-24
