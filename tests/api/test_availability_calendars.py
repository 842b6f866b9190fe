"""A participant's own published calendars on her availability page: pasted in a form, fetched by
the worker from a real HTTP server, their status in words in her language and zone, their busy
half hours striped in the week, removed by a button; every refusal said in Dutch next to the
field with what she typed kept, and the address never shown, logged or redirected to in full."""

from __future__ import annotations

import html as markup
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest

from shared.config import Settings
from tests.api import payloads
from tests.api.test_availability_links import csrf_of, link_for, path_of
from tests.calendar_server import Feed, calendar_server, ics

pytestmark = pytest.mark.usefixtures("public_dns")

SECRET = "/rooster/4f9c2a/lessen.ics?token=Geheim77"
# The tests' clock is Tuesday 24 November 2026, 12:00 UTC (13:00 in Amsterdam): Wednesday's
# first hour of lessons, 09:00-10:00 in Amsterdam, lies in the page's seven days.
WEDNESDAY_LESSON = (datetime(2026, 11, 25, 8, 0, tzinfo=UTC), datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(database_url=database_url, public_url="http://intervisie.test", secret_key="test-secret")


def page_of(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def add(client, path: str, url: str, page: str | None = None):
    page = page or page_of(client, path)
    return client.post(f"{path}/calendars", data={"url": url, "csrf": csrf_of(page)})


def field_error(page: str) -> str:
    found = re.search(r'<p class="field-error" id="calendar-url-error">([^<]*)</p>', page)
    return markup.unescape(found.group(1)) if found else ""


def typed_value(page: str) -> str:
    return markup.unescape(re.search(r'id="calendar-url" name="url" value="([^"]*)"', page).group(1))


def states(page: str) -> list[str]:
    return [markup.unescape(s) for s in re.findall(r'<span class="calendar-state [a-z]+">([^<]*)</span>', page)]


def busy_slots(page: str) -> list[tuple[str, str]]:
    """Each striped cell's slot and what it tells a screen reader (the id it is described by)."""
    return re.findall(r'<td class="busy"><label><input type="checkbox" name="slot" value="([a-z]{3} [0-9:]{5})"[^>]*aria-describedby="([a-z-]+)"', page)


def remove_actions(page: str) -> list[str]:
    return re.findall(r'<form method="post" action="([^"]*/remove)#calendars">', page)


def test_she_adds_her_timetable_sees_it_fetched_in_words_and_its_lessons_striped_in_her_week(
    client, platform, person, worker, allow_private, caplog,
):
    path = path_of(link_for(platform, person["id"]))
    with calendar_server() as server, caplog.at_level(logging.DEBUG):
        url = server.publish(SECRET, Feed(ics(WEDNESDAY_LESSON)))
        added = add(client, path, url)
        assert added.status_code == 303
        assert added.headers["Location"] == f"{path}?calendar=added#calendars"
        page = page_of(client, f"{path}?calendar=added")
        assert "Je agenda is toegevoegd." in page
        assert states(page) == ["wordt opgehaald"]
        assert f"Agenda 1: {server.base}/…" in page
        worker.drain()
        page = page_of(client, path)
    assert states(page) == ["bijgewerkt om 13:00"]  # the fetch at 12:00 UTC, in Amsterdam
    assert busy_slots(page) == [("wed 09:00", "busy-wed"), ("wed 09:30", "busy-wed")]
    assert '<span id="busy-wed" hidden>bezet in je agenda op woensdag 25 november 2026</span>' in page
    assert "Gestreept: bezet in je agenda op die dag, in de zeven dagen van 24 november 2026 tot en met 30 november 2026." in page
    assert "Geheim77" not in page and "lessen.ics" not in page
    assert "Geheim77" not in caplog.text and "lessen.ics" not in caplog.text
    sources = platform.get(f"/v1/participants/{person['id']}/calendar-sources").json
    assert [(s["status"], s["busy_count"]) for s in sources] == [("ok", 1)]


def test_a_failed_fetch_is_said_in_her_words_and_the_last_good_busy_times_stay(
    client, platform, person, worker, allow_private, clock,
):
    path = path_of(link_for(platform, person["id"]))
    english = platform.post("/v1/participants", json=payloads.participant(2, language="en", timezone="America/New_York")).json
    english_path = path_of(link_for(platform, english["id"]))
    with calendar_server() as server:
        url = server.publish(SECRET, Feed(ics(WEDNESDAY_LESSON)))
        assert add(client, path, url).status_code == 303
        assert add(client, english_path, url).status_code == 303
        worker.drain()
        server.feeds[SECRET] = Feed(b"gone", status=404)
        clock.now += timedelta(days=1)
        for person_id in (person["id"], english["id"]):
            source = platform.get(f"/v1/participants/{person_id}/calendar-sources").json[0]
            assert platform.post(f"/v1/participants/{person_id}/calendar-sources/{source['id']}/refresh").status_code == 202
        worker.drain()
    page = page_of(client, path)
    assert states(page) == ["ophalen mislukt; laatst bijgewerkt op 24 november 2026 om 13:00, en die bezette tijden blijven staan"]
    assert "De agenda-server antwoordde &#39;niet gevonden&#39; (404): de link klopt niet meer. Maak een nieuwe link en plak die hier." in page
    assert "the calendar server answered" not in page
    assert busy_slots(page) == [("wed 09:00", "busy-wed"), ("wed 09:30", "busy-wed")]  # kept
    english_page = page_of(client, english_path)
    assert states(english_page) == ["fetching failed; last updated on 24 November 2026 at 07:00, and those busy times are kept"]
    assert "The calendar server answered &#39;not found&#39; (404): the link no longer works." in english_page
    assert busy_slots(english_page) == []  # the lesson is at 03:00 in New York, before the grid's 07:00
    source = platform.get(f"/v1/participants/{person['id']}/calendar-sources").json[0]
    assert (source["last_error"], source["last_error_code"]) == ("the calendar server answered 404 Not Found", "not-found")


@pytest.mark.parametrize(("typed", "reason"), [
    ("", "Plak eerst de link van je agenda."),
    ("   ", "Plak eerst de link van je agenda."),
    ("http://outlook.office365.com/owa/calendar/x/calendar.ics", "De link moet beginnen met https:// of webcal://."),
    ("mijn agenda", "De link moet beginnen met https:// of webcal://."),
    ("ftp://files.example.org/rooster.ics", "De link moet beginnen met https:// of webcal://."),
    ("https://user:pw@calendar.example.org/a.ics", "Dit is geen link die we kunnen lezen. Kopieer de hele link opnieuw uit je agenda."),
    ("https://calendar.example.org/a b.ics", "Dit is geen link die we kunnen lezen. Kopieer de hele link opnieuw uit je agenda."),
    ("https://127.0.0.1/rooster.ics", "Deze link kan niet: de server staat niet op het openbare internet, of bestaat niet."),
    ("https://calendar.example.org/" + "x" * 2000, "Deze link is langer dan 2000 tekens: kopieer alleen de link zelf."),
])
def test_a_refused_address_is_said_in_dutch_next_to_the_field_with_what_she_typed_kept(client, platform, person, typed, reason):
    path = path_of(link_for(platform, person["id"]))
    refused = add(client, path, typed)
    assert refused.status_code == 400 and refused.headers["Cache-Control"] == "no-store"
    page = refused.get_data(as_text=True)
    assert field_error(page) == reason
    assert typed_value(page) == typed[:2000]
    assert 'aria-describedby="calendar-url-error calendar-url-hint" aria-invalid="true" autofocus' in page
    assert 'action="/availability/' in page and "Traceback" not in page
    assert platform.get(f"/v1/participants/{person['id']}/calendar-sources").json == []


def test_a_host_that_does_not_resolve_to_a_public_address_is_refused_in_dutch(client, platform, person, monkeypatch):
    monkeypatch.setattr("services.api.resources.availability_page.resolve", lambda host, port: ["10.0.0.7"])
    page = add(client, path_of(link_for(platform, person["id"])), "webcal://intranet.school.example/rooster.ics").get_data(as_text=True)
    assert field_error(page) == "Deze link kan niet: de server staat niet op het openbare internet, of bestaat niet."


def test_a_sixth_calendar_and_the_same_one_twice_are_refused_in_her_language(client, platform, person):
    path = path_of(link_for(platform, person["id"]))
    for n in range(5):
        assert add(client, path, f"https://calendar{n}.example.org/feed.ics?key=k{n}").status_code == 303
    again = add(client, path, "webcal://calendar0.example.org/feed.ics?key=k0")
    assert field_error(again.get_data(as_text=True)) == "Je hebt al 5 agenda's, meer kan niet. Verwijder er eerst een voordat je een nieuwe toevoegt."
    sixth = add(client, path, "https://calendar5.example.org/feed.ics?key=k5")
    assert sixth.status_code == 400
    page = sixth.get_data(as_text=True)
    assert field_error(page) == "Je hebt al 5 agenda's, meer kan niet. Verwijder er eerst een voordat je een nieuwe toevoegt."
    assert typed_value(page) == "https://calendar5.example.org/feed.ics?key=k5"
    assert len(platform.get(f"/v1/participants/{person['id']}/calendar-sources").json) == 5

    listed = platform.get(f"/v1/participants/{person['id']}/calendar-sources").json
    other = next(s["id"] for s in listed if s["url"] != "https://calendar0.example.org/…")
    [action] = [a for a in remove_actions(page_of(client, path)) if other in a]
    assert client.post(action, data={"csrf": csrf_of(page)}).status_code == 303
    same = add(client, path, "webcal://calendar0.example.org/feed.ics?key=k0")
    assert field_error(same.get_data(as_text=True)) == "Deze agenda staat al op je pagina."

    english = platform.post("/v1/participants", json=payloads.participant(2, language="en")).json
    english_path = path_of(link_for(platform, english["id"]))
    assert add(client, english_path, "https://calendar.example.org/a.ics").status_code == 303
    twice = add(client, english_path, "https://calendar.example.org/a.ics").get_data(as_text=True)
    assert field_error(twice) == "This calendar is already on your page."
    assert field_error(add(client, english_path, "http://calendar.example.org/b.ics").get_data(as_text=True)) == (
        "The link must start with https:// or webcal://."
    )


def test_she_removes_a_calendar_by_its_button_and_its_busy_times_go(client, platform, person, worker, allow_private):
    path = path_of(link_for(platform, person["id"]))
    with calendar_server() as server:
        url = server.publish(SECRET, Feed(ics(WEDNESDAY_LESSON)))
        assert add(client, path, url).status_code == 303
        worker.drain()
    page = page_of(client, path)
    assert busy_slots(page)
    assert (f'<button type="submit" class="secondary">Verwijder<span class="visually-hidden"> agenda 1 ({server.base}/…)'
            '</span></button>') in page
    [action] = remove_actions(page)
    removed = client.post(action, data={"csrf": csrf_of(page)})
    assert removed.status_code == 303 and removed.headers["Location"] == f"{path}?calendar=removed#calendars"
    page = page_of(client, f"{path}?calendar=removed")
    assert "De agenda is verwijderd, met de bezette tijden die eruit gelezen waren." in page
    assert busy_slots(page) == [] and states(page) == [] and 'id="busy-hint"' not in page
    assert platform.get(f"/v1/participants/{person['id']}/calendar-sources").json == []
    again = client.post(action, data={"csrf": csrf_of(page)})  # a second click: nothing left to remove
    assert again.status_code == 303 and again.headers["Location"] == f"{path}#calendars"
    not_an_id = client.post(f"{path}/calendars/null/remove", data={"csrf": csrf_of(page)})
    assert not_an_id.status_code == 303 and not_an_id.headers["Location"] == f"{path}#calendars"


def test_calendar_posts_without_the_pages_csrf_field_change_nothing(client, platform, person):
    path = path_of(link_for(platform, person["id"]))
    refused = client.post(f"{path}/calendars", data={"url": "https://calendar.example.org/a.ics", "csrf": "0" * 64})
    assert refused.status_code == 400
    assert field_error(refused.get_data(as_text=True)) == "Dit formulier is verlopen. Laad de pagina opnieuw en plak de link nog eens."
    assert add(client, path, "https://calendar.example.org/a.ics").status_code == 303
    [action] = remove_actions(page_of(client, path))
    kept = client.post(action, data={})
    assert kept.status_code == 400
    assert "Dit formulier is verlopen. Laad de pagina opnieuw en probeer het nog eens." in kept.get_data(as_text=True)
    assert len(platform.get(f"/v1/participants/{person['id']}/calendar-sources").json) == 1


def test_another_participants_calendar_cannot_be_removed_from_her_page(client, platform, person):
    other = platform.post("/v1/participants", json=payloads.participant(2)).json
    other_path = path_of(link_for(platform, other["id"]))
    assert add(client, other_path, "https://calendar.example.org/a.ics").status_code == 303
    [other_action] = remove_actions(page_of(client, other_path))
    path = path_of(link_for(platform, person["id"]))
    page = page_of(client, path)
    mine = other_action.replace(other_path, path)
    assert client.post(mine, data={"csrf": csrf_of(page)}).status_code == 303
    assert len(platform.get(f"/v1/participants/{other['id']}/calendar-sources").json) == 1


def test_a_dead_link_cannot_add_or_remove(client, platform, person):
    link = link_for(platform, person["id"])
    page = page_of(client, path_of(link))
    assert platform.delete(f"/v1/participants/{person['id']}/availability-link").status_code == 204
    assert add(client, path_of(link), "https://calendar.example.org/a.ics", page).status_code == 404
    assert platform.get(f"/v1/participants/{person['id']}/calendar-sources").json == []
