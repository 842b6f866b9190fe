"""A participant's own week, by link: the link, the page, the form post, and what is stored."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from shared.config import Settings
from tests.api import payloads
from tests.webhook_receiver import webhook_receiver

LINK = re.compile(r"http://intervisie\.test/availability/([A-Za-z0-9_-]{43})")


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(database_url=database_url, public_url="http://intervisie.test", secret_key="test-secret", webhook_allow_private=True)



def link_for(caller, participant_id: str, **body) -> dict:
    response = caller.post(f"/v1/participants/{participant_id}/availability-link", json=body or None)
    assert response.status_code == 201, response.json
    assert LINK.fullmatch(response.json["url"]), response.json
    return response.json


def path_of(link: dict) -> str:
    return link["url"].removeprefix("http://intervisie.test")


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)


def checked(page: str) -> list[str]:
    return re.findall(r'name="slot" value="([a-z]{3} [0-9:]{5})"[^>]*checked', page)


def post_form(client, path: str, page: str, slots, **fields):
    return client.post(path, data={"slot": list(slots), "csrf": csrf_of(page), **fields})


def test_a_link_lasts_30_days_unless_asked_otherwise(platform, person, clock):
    link = link_for(platform, person["id"])
    assert link["expires_at"] == (clock.now + timedelta(days=30)).isoformat()
    assert link_for(platform, person["id"], valid_days=7)["expires_at"] == (clock.now + timedelta(days=7)).isoformat()
    response = platform.post(f"/v1/participants/{person['id']}/availability-link", json={"valid_days": 91})
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "valid_days"


def test_a_platform_gets_links_only_for_its_own_participants(admin, other_platform, person):
    assert other_platform.post(f"/v1/participants/{person['id']}/availability-link").status_code == 404
    assert other_platform.delete(f"/v1/participants/{person['id']}/availability-link").status_code == 404
    assert link_for(admin, person["id"])["url"]


def test_the_page_shows_the_week_in_the_participants_language_and_zone(client, platform, person):
    page = client.get(path_of(link_for(platform, person["id"])))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert '<html lang="nl">' in html and 'name="viewport"' in html
    assert "Deelnemer 1" in html and "tijdzone: tijd in Amsterdam." in html and "Europe/Amsterdam" not in html
    assert checked(html) == ["tue 19:00", "tue 19:30", "tue 20:00", "tue 20:30", "tue 21:00"]
    assert html.count('name="slot"') == 7 * 32
    assert 'aria-label="dinsdag 19:30"' in html
    assert "maandag 8 maart 2027 t/m vrijdag 12 maart 2027 (studiereis)" in html

    english = platform.post("/v1/participants", json=payloads.participant(2, language="en", timezone="America/New_York")).json
    html = client.get(path_of(link_for(platform, english["id"]))).get_data(as_text=True)
    assert '<html lang="en">' in html and "When can you meet?" in html and "time zone: New York time." in html


def test_ticked_cells_are_stored_as_windows_like_the_api_stores_them(client, platform, person):
    path = path_of(link_for(platform, person["id"]))
    before = platform.get(f"/v1/participants/{person['id']}")
    page = client.get(path).get_data(as_text=True)
    slots = ["tue 19:00", "tue 19:30", "tue 20:00", "tue 20:30", "tue 21:00", "thu 09:00", "thu 09:30"]
    response = post_form(client, path, page, slots, unavailable_start="3-5-2027", unavailable_end="07-05-2027", unavailable_note="meivakantie")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Je week is opgeslagen" in response.get_data(as_text=True)
    assert sorted(checked(response.get_data(as_text=True))) == sorted(slots)
    after = platform.get(f"/v1/participants/{person['id']}")
    assert after.json["availability"] == {
        "weekly": [{"day": "tue", "start": "19:00", "end": "21:30"}, {"day": "thu", "start": "09:00", "end": "10:00"}],
        "unavailable": [
            {"start": "2027-03-08", "end": "2027-03-12", "note": "studiereis"},
            {"start": "2027-05-03", "end": "2027-05-07", "note": "meivakantie"},
        ],
    }
    assert after.headers["ETag"] != before.headers["ETag"]  # the version moved, as with PUT


def test_a_period_is_removed_by_ticking_it(client, platform, person):
    path = path_of(link_for(platform, person["id"]))
    page = client.get(path).get_data(as_text=True)
    response = post_form(client, path, page, ["tue 19:00"], remove="0")
    assert response.status_code == 200
    assert platform.get(f"/v1/participants/{person['id']}").json["availability"]["unavailable"] == []


@pytest.mark.parametrize(("fields", "slots", "field", "reason"), [
    ({}, [], "week", "Vink minstens één half uur aan waarop je kunt."),
    ({}, ["tue 23:00"], "week", "Een aangevinkte tijd is geen half uur van de week op deze pagina."),
    ({}, ["tue 19:00", "wed 19:00", "tue 19:00"], "week", "Een half uur is twee keer verstuurd."),
    ({"unavailable_start": "07-05-2027", "unavailable_end": "03-05-2027"}, ["tue 19:00"], "unavailable_end",
     "De laatste dag kan niet vóór de eerste dag (07-05-2027) liggen."),
    ({"unavailable_start": "7 mei"}, ["tue 19:00"], "unavailable_start", "Schrijf de datum als dd-mm-jjjj, bijvoorbeeld 08-03-2027."),
    ({"unavailable_start": "31-02-2027"}, ["tue 19:00"], "unavailable_start", "31-02-2027 bestaat niet in de kalender."),
    ({"unavailable_start": "05/03/2027", "unavailable_end": "2027-13-01"}, ["tue 19:00"], "unavailable_end", "2027-13-01 bestaat niet in de kalender."),
    ({"unavailable_end": "03-05-2027"}, ["tue 19:00"], "unavailable_start", "Vul de eerste dag in waarop je niet kunt, als dd-mm-jjjj."),
    ({"remove": "5"}, ["tue 19:00"], "remove", "Een periode die je wilde verwijderen, staat niet meer op deze pagina."),
    ({"unavailable_start": "03-05-2027", "unavailable_note": "x" * 201}, ["tue 19:00"], "unavailable_note", "De opmerking mag hooguit 200 tekens lang zijn."),
])
def test_a_post_that_cannot_be_stored_says_why_next_to_the_field_keeps_what_was_sent_and_changes_nothing(
    client, platform, person, fields, slots, field, reason,
):
    path = path_of(link_for(platform, person["id"]))
    before = platform.get(f"/v1/participants/{person['id']}")
    page = client.get(path).get_data(as_text=True)
    response = post_form(client, path, page, slots, **fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and "Niet opgeslagen." in html, html[:3000]
    assert re.search(f'<p class="field-error" id="{field}-error">{re.escape(reason)}', html), html
    # Everything sent is on the page again, as it was sent.
    assert sorted(checked(html)) == sorted(set(slots) - {"tue 23:00"})
    for name in ("unavailable_start", "unavailable_end", "unavailable_note"):
        assert f'name="{name}" value="{fields.get(name, "")}"' in html
    assert "must not be before start" not in html and "dates are inclusive" not in html
    after = platform.get(f"/v1/participants/{person['id']}")
    assert after.json == before.json and after.headers["ETag"] == before.headers["ETag"]


def test_a_post_without_the_pages_csrf_field_is_refused(client, platform, person):
    path = path_of(link_for(platform, person["id"]))
    before = platform.get(f"/v1/participants/{person['id']}").json
    response = client.post(path, data={"slot": ["wed 10:00"], "csrf": "0" * 64})
    assert response.status_code == 400 and "verlopen" in response.get_data(as_text=True)
    assert platform.get(f"/v1/participants/{person['id']}").json == before


def test_a_revoked_expired_changed_or_erased_link_is_404(client, platform, person, clock):
    link = link_for(platform, person["id"])
    path = path_of(link)
    assert client.get(path).status_code == 200
    assert client.get(path[:-1] + ("A" if path[-1] != "A" else "B")).status_code == 404  # changed
    page = client.get(path).get_data(as_text=True)
    clock.now += timedelta(days=30)
    assert client.get(path).status_code == 404  # expired
    assert post_form(client, path, page, ["tue 19:00"]).status_code == 404
    clock.now -= timedelta(days=30)
    assert client.get(path).status_code == 200
    assert platform.delete(f"/v1/participants/{person['id']}/availability-link").status_code == 204
    assert client.get(path).status_code == 404  # revoked
    gone = client.get(path, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Deze link werkt niet meer" in gone.get_data(as_text=True)  # Dutch, whatever the browser's language
    path = path_of(link_for(platform, person["id"]))
    assert platform.delete(f"/v1/participants/{person['id']}").status_code == 204
    assert client.get(path).status_code == 404  # erased


def test_an_expired_link_says_so_in_its_persons_language_and_an_unknown_one_in_dutch(client, platform, clock):
    english = platform.post("/v1/participants", json=payloads.participant(3, language="en")).json
    path = path_of(link_for(platform, english["id"]))
    clock.now += timedelta(days=31)
    gone = client.get(path, headers={"Accept-Language": "nl-NL"})
    assert gone.status_code == 404 and "This link no longer works" in gone.get_data(as_text=True)
    unknown = client.get("/availability/" + "A" * 43, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert unknown.status_code == 404 and "Deze link werkt niet meer" in unknown.get_data(as_text=True)
    assert '<html lang="nl">' in unknown.get_data(as_text=True)


def test_a_filled_in_week_raises_the_same_webhook_as_a_put(client, platform, person, worker, clock):
    with webhook_receiver() as receiver:
        assert platform.post("/v1/webhooks", json={"url": receiver.url, "events": ["participant.availability_changed"]}).status_code == 201
        platform.put(f"/v1/participants/{person['id']}/availability", json={"weekly": [{"day": "wed", "start": "09:00", "end": "12:00"}]})
        path = path_of(link_for(platform, person["id"]))
        post_form(client, path, client.get(path).get_data(as_text=True), ["fri 16:00"])
        post_form(client, path, client.get(path).get_data(as_text=True), ["fri 16:00"])  # unchanged: no event
        worker.drain()
        events = receiver.events("participant.availability_changed")
    # Two events, one per real change (the unchanged second post raises none); the worker's
    # threads may deliver them in either order.
    assert sorted((e["data"] for e in events), key=lambda d: d["source"]) == [
        {"participant_id": person["id"], "source": "api"}, {"participant_id": person["id"], "source": "link"},
    ]


def test_links_are_not_logged(client, platform, person, caplog):
    from services.telemetry import redact

    path = path_of(link_for(platform, person["id"]))
    assert redact(f"GET {path} HTTP/1.1") == "GET /availability/[redacted] HTTP/1.1"


def test_a_participant_keeps_at_most_five_live_links_and_a_new_one_revokes_the_oldest(client, platform, person, clock, session_factory):
    from sqlalchemy import func, select

    from shared.db.models import AvailabilityLink

    links = []
    for _ in range(7):
        links.append(link_for(platform, person["id"]))
        clock.now += timedelta(minutes=1)
    assert [client.get(path_of(link)).status_code for link in links] == [404, 404, 200, 200, 200, 200, 200]
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AvailabilityLink)) == 5
