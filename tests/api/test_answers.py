"""Answer links: each invitation carries the recipient's own link; its page shows and records."""

from __future__ import annotations

import html as markup
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from shared.config import Settings
from tests.api.scenarios import run_to_completion

LINK = re.compile(r"http://intervisie\.test/answer/[A-Za-z0-9_-]{43}")


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(database_url=database_url, public_url="http://intervisie.test", secret_key="test-secret")


@pytest.fixture
def planned(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    worker.drain()  # the invitations
    group["sessions"] = run["plan"]["sessions"]
    return group


def invitation_to(admin, session_id: str, email: str) -> dict:
    found = [i for i in admin.get(f"/v1/sessions/{session_id}/invitations?page_size=50").json if i["recipient"]["email"] == email]
    return found[-1]


def link_in(admin, invitation: dict) -> str:
    body = admin.get(invitation["ics_url"]).data
    description = str(Calendar.from_ical(body).walk("VEVENT")[0]["DESCRIPTION"])
    return LINK.search(description).group(0)


def path_of(link: str) -> str:
    return link.removeprefix("http://intervisie.test")


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)


def comment_field_of(page: str) -> str:
    """What the comment field holds as a browser reads it (the line break after the tag is not
    part of it)."""
    raw = re.search(r'<textarea id="comment" name="comment"[^>]*>(.*?)</textarea>', page, flags=re.S).group(1)
    return markup.unescape(raw.removeprefix("\n"))


def pressed_of(page: str) -> dict[str, str]:
    """Each answer button's aria-pressed."""
    return dict(re.findall(r'<button type="submit" name="response" value="(\w+)" aria-pressed="(\w+)">', page))


def comments_of(admin, person_id: str) -> list[tuple[str, str | None]]:
    """The person's stored answers with their comments, as their export shows them."""
    return [(a["response"], a["comment"]) for a in admin.get(f"/v1/participants/{person_id}/export").json["attendance"]]


def assert_words_not_slugs(html: str) -> None:
    """What a person reads on the page (not its markup, nor its links) shows no slug or zone id."""
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", html, flags=re.S)
    words = [word for word in text.split() if "://" not in word]
    assert [word for word in words if "_" in word or "Europe/" in word] == []


def test_each_invitation_carries_its_recipients_own_link(admin, planned):
    session_id = planned["sessions"][0]["id"]
    links = {
        person["email"]: link_in(admin, invitation_to(admin, session_id, person["email"]))
        for person in [planned["facilitator"], *planned["member_list"]]
    }
    assert len(set(links.values())) == 5  # one per person
    again = link_in(admin, invitation_to(admin, session_id, planned["member_list"][0]["email"]))
    assert again == links[planned["member_list"][0]["email"]]
    other_session = link_in(admin, invitation_to(admin, planned["sessions"][1]["id"], planned["member_list"][0]["email"]))
    assert other_session != again  # bound to the session too


def test_the_page_shows_without_recording_and_the_form_records(admin, client, planned):
    session_id = planned["sessions"][0]["id"]
    member = planned["member_list"][1]
    path = path_of(link_in(admin, invitation_to(admin, session_id, member["email"])))
    page = client.get(path)
    assert page.status_code == 200
    assert page.content_type == "text/html; charset=utf-8"
    html = page.get_data(as_text=True)
    assert '<html lang="nl">' in html
    assert "IB-groep Utrecht 1" in html and "dinsdag 12 januari 2027, 19:00–20:30 (tijd in Amsterdam)" in html
    assert "https://meet.example.org/ib-utrecht-1" in html
    assert '<dt>Thema</dt><dd id="theme">Ouderbetrokkenheid</dd>' in html
    assert_words_not_slugs(html)
    assert [m for m in re.findall(r'name="response" value="(\w+)"', html)] == ["accepted", "tentative", "declined"]
    assert "Je hebt nog niet geantwoord." in html
    assert page.headers["Cache-Control"] == "no-store" and "form-action 'self'" in page.headers["Content-Security-Policy"]
    client.get(path)  # a mail scanner opening the link twice changes nothing
    shown = {a["person_id"]: a for a in admin.get(f"/v1/sessions/{session_id}").json["attendance"]}
    assert shown[member["id"]]["response"] == "needs_action"

    saved = client.post(path, data={"response": "declined", "comment": "Ouderavond", "csrf": csrf_of(html)})
    assert saved.status_code == 303 and saved.headers["Location"] == path + "?saved=1"
    assert "Je antwoord is opgeslagen: Nee, ik kan niet." in client.get(saved.headers["Location"]).get_data(as_text=True)
    shown = {a["person_id"]: a for a in admin.get(f"/v1/sessions/{session_id}").json["attendance"]}
    assert (shown[member["id"]]["response"], shown[member["id"]]["source"]) == ("declined", "link")
    assert admin.get(f"/v1/sessions/{session_id}").json["at_risk"] is True
    exported = admin.get(f"/v1/participants/{member['id']}/export").json["attendance"]
    assert [(a["session_id"], a["response"], a["comment"]) for a in exported] == [(session_id, "declined", "Ouderavond")]


def test_a_form_not_from_the_page_or_without_a_choice_records_nothing(admin, client, planned):
    session_id = planned["sessions"][0]["id"]
    member = planned["member_list"][1]
    path = path_of(link_in(admin, invitation_to(admin, session_id, member["email"])))
    csrf = csrf_of(client.get(path).get_data(as_text=True))
    typed = "\nOuderavond <b>op school</b> & daarna\nnog een regel"  # even the first line break
    for form in ({"response": "declined"}, {"response": "declined", "csrf": "0" * 64}, {"response": "declined", "csrf": "é" * 64},
                 {"response": "maybe", "csrf": csrf}):
        refused = client.post(path, data={**form, "comment": typed})
        assert refused.status_code == 400, form
        page = refused.get_data(as_text=True)
        assert 'role="alert">Dit antwoord kon niet worden opgeslagen: ' in page
        assert comment_field_of(page) == typed, form  # what she typed is still there, escaped
        assert "<b>op school</b>" not in page
    too_long = client.post(path, data={"response": "declined", "csrf": csrf, "comment": "x" * 501})
    assert too_long.status_code == 400 and comment_field_of(too_long.get_data(as_text=True)) == "x" * 501
    shown = {a["person_id"]: a["response"] for a in admin.get(f"/v1/sessions/{session_id}").json["attendance"]}
    assert shown[member["id"]] == "needs_action"


def test_the_page_marks_the_answer_given_and_shows_the_comment_back(admin, client, planned):
    session_id = planned["sessions"][0]["id"]
    member = planned["member_list"][1]
    path = path_of(link_in(admin, invitation_to(admin, session_id, member["email"])))
    page = client.get(path).get_data(as_text=True)
    assert pressed_of(page) == {"accepted": "false", "tentative": "false", "declined": "false"}
    assert comment_field_of(page) == "" and "✓" not in page

    comment = "Ouderavond <i>op school</i> & daarna\nnog een regel"
    assert client.post(path, data={"response": "tentative", "comment": comment, "csrf": csrf_of(page)}).status_code == 303
    page = client.get(path).get_data(as_text=True)
    assert pressed_of(page) == {"accepted": "false", "tentative": "true", "declined": "false"}
    # Seen, not only heard: a check mark on the pressed button (the ring is in the style sheet).
    assert '<span aria-hidden="true">✓ </span>Misschien</button>' in page
    assert comment_field_of(page) == comment and "<i>op school</i>" not in page
    assert 'role="status">Je antwoord: Misschien.</p>' in page  # no thanks without the redirect's flag


def test_the_form_sent_as_shown_keeps_the_comment_and_an_emptied_field_clears_it(admin, client, planned):
    session_id = planned["sessions"][0]["id"]
    member = planned["member_list"][1]
    path = path_of(link_in(admin, invitation_to(admin, session_id, member["email"])))
    page = client.get(path).get_data(as_text=True)
    client.post(path, data={"response": "declined", "comment": "  Ouderavond\r\n", "csrf": csrf_of(page)})
    assert comments_of(admin, member["id"]) == [("declined", "Ouderavond")]

    # She changes her mind and presses another button; the field went back as the page filled it.
    page = client.get(path).get_data(as_text=True)
    client.post(path, data={"response": "tentative", "comment": comment_field_of(page), "csrf": csrf_of(page)})
    assert comments_of(admin, member["id"]) == [("tentative", "Ouderavond")]
    # A post without the field at all (not this page's form) keeps it too.
    client.post(path, data={"response": "accepted", "csrf": csrf_of(page)})
    assert comments_of(admin, member["id"]) == [("accepted", "Ouderavond")]
    # She empties the field: the comment is gone.
    client.post(path, data={"response": "accepted", "comment": "", "csrf": csrf_of(page)})
    assert comments_of(admin, member["id"]) == [("accepted", None)]
    assert comment_field_of(client.get(path).get_data(as_text=True)) == ""


def test_a_recorded_post_redirects_to_the_page_so_a_reload_does_not_post_again(admin, client, planned):
    session_id = planned["sessions"][0]["id"]
    member = planned["member_list"][1]
    path = path_of(link_in(admin, invitation_to(admin, session_id, member["email"])))
    page = client.get(path).get_data(as_text=True)
    saved = client.post(path, data={"response": "declined", "comment": "Ouderavond", "csrf": csrf_of(page)})
    assert saved.status_code == 303
    assert saved.headers["Location"] == path + "?saved=1"  # the flag only: no state, no cookie
    assert "Set-Cookie" not in saved.headers
    assert saved.headers["Cache-Control"] == "no-store" and saved.headers["Referrer-Policy"] == "no-referrer"
    shown = client.get(saved.headers["Location"])
    assert shown.status_code == 200
    assert 'role="status">Dank je wel. Je antwoord is opgeslagen: Nee, ik kan niet.' in shown.get_data(as_text=True)

    # The platform records another answer; reloading the page she was sent to changes nothing.
    assert admin.put(f"/v1/sessions/{session_id}/attendance/{member['id']}", json={"response": "accepted"}).status_code == 200
    reloaded = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert pressed_of(reloaded)["accepted"] == "true"
    assert "Je antwoord is opgeslagen: Ja, ik kom." in reloaded
    shown = {a["person_id"]: a["response"] for a in admin.get(f"/v1/sessions/{session_id}").json["attendance"]}
    assert shown[member["id"]] == "accepted"


def test_the_saved_flag_on_a_page_without_an_answer_thanks_for_nothing(admin, client, planned):
    member = planned["member_list"][1]
    path = path_of(link_in(admin, invitation_to(admin, planned["sessions"][0]["id"], member["email"])))
    page = client.get(path + "?saved=1").get_data(as_text=True)
    assert "Je hebt nog niet geantwoord." in page and "opgeslagen" not in page


def test_a_comment_at_the_limit_with_line_breaks_as_a_browser_sends_them_is_saved(admin, client, planned):
    member = planned["member_list"][1]
    path = path_of(link_in(admin, invitation_to(admin, planned["sessions"][0]["id"], member["email"])))
    # maxlength counts each line break once; the browser sends it as CRLF (502 characters here).
    comment = "\r\n".join(["x" * 166] * 3)
    assert len(comment.replace("\r\n", "\n")) == 500
    saved = client.post(path, data={"response": "declined", "comment": comment, "csrf": csrf_of(client.get(path).get_data(as_text=True))})
    assert saved.status_code == 303
    assert comments_of(admin, member["id"]) == [("declined", comment.replace("\r\n", "\n"))]


def test_a_link_dies_when_its_person_leaves_or_the_session_is_cancelled(admin, client, planned):
    first, second = planned["sessions"][0]["id"], planned["sessions"][1]["id"]
    member = planned["member_list"][2]
    leaving = path_of(link_in(admin, invitation_to(admin, first, member["email"])))
    staying = path_of(link_in(admin, invitation_to(admin, second, planned["member_list"][0]["email"])))
    assert client.get(leaving).status_code == 200
    admin.delete(f"/v1/groups/{planned['id']}/members/{member['id']}")
    gone = client.get(leaving)
    assert gone.status_code == 404 and "Deze link werkt niet meer" in gone.get_data(as_text=True)
    assert client.post(leaving, data={"response": "accepted"}).status_code == 404
    admin.patch(f"/v1/sessions/{second}", json={"status": "cancelled"})
    assert client.get(staying).status_code == 404
    assert client.get("/answer/" + "A" * 43).status_code == 404


def test_an_english_speaker_gets_the_page_in_english_and_her_own_time_zone(admin, worker, group, client):
    member = group["member_list"][0]
    admin.patch(f"/v1/participants/{member['id']}", json={"language": "en", "timezone": "Europe/London"})
    run = run_to_completion(admin, worker, group["id"])
    worker.drain()
    first = run["plan"]["sessions"][0]
    path = path_of(link_in(admin, invitation_to(admin, first["id"], member["email"])))
    html = client.get(path).get_data(as_text=True)
    assert '<html lang="en">' in html and "Will you attend this session?" in html
    london = ZoneInfo("Europe/London")
    start, end = (datetime.fromisoformat(first[key]).astimezone(london) for key in ("start", "end"))
    group_time = f"{start.astimezone(ZoneInfo('Europe/Amsterdam')):%H:%M}–{end.astimezone(ZoneInfo('Europe/Amsterdam')):%H:%M}"
    assert f"{start:%A}, {start.day} {start:%B %Y}, {start:%H:%M}–{end:%H:%M} (London time; {group_time} in the Netherlands)" in html
    assert '<dt>Theme</dt><dd id="theme">Parental involvement</dd>' in html
    assert_words_not_slugs(html)
    assert first["start"].endswith("+01:00") and start.utcoffset().total_seconds() == 0  # an hour apart
    saved = client.post(path, data={"response": "accepted", "comment": "", "csrf": csrf_of(html)})
    thanked = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert 'role="status">Thank you. Your answer has been saved: Yes, I will attend.' in thanked
