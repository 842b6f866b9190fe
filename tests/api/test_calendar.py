"""Invitations issued by the worker, and the subscription feeds."""

from __future__ import annotations

import logging
import re
import uuid

import pytest
import vobject
from sqlalchemy import delete, select, update

from shared.db.models import Facilitator, FeedToken, Group, Membership, Participant, Session
from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING, run_to_completion


@pytest.fixture
def planned(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    assert run["status"] == "succeeded"
    group["run"] = run
    return group


def _invitations(caller, session_id: str) -> list[dict]:
    response = caller.get(f"/v1/sessions/{session_id}/invitations?page_size=50")
    assert response.status_code == 200, response.json
    return response.json


def test_a_plan_issues_one_invitation_per_recipient_and_session(admin, planned):
    sessions = planned["run"]["plan"]["sessions"]
    guided = _invitations(admin, sessions[0]["id"])
    assert len(guided) == 5  # the facilitator and four members
    assert {i["method"] for i in guided} == {"REQUEST"}
    assert {i["delivery_state"] for i in guided} == {"stored"}  # no SMTP configured
    kinds = sorted(i["recipient"]["kind"] for i in guided)
    assert kinds == ["facilitator"] + ["participant"] * 4
    self_directed = _invitations(admin, sessions[3]["id"])
    assert len(self_directed) == 4  # members only


def test_the_ics_url_returns_the_itip_message_for_that_recipient(admin, planned):
    session = planned["run"]["plan"]["sessions"][1]
    invitation = next(i for i in _invitations(admin, session["id"]) if i["recipient"]["kind"] == "facilitator")
    response = admin.get(invitation["ics_url"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8; method=REQUEST"
    calendar = vobject.readOne(response.get_data(as_text=True), validate=True)
    assert calendar.method.value == "REQUEST"
    event = calendar.vevent
    attendees = event.contents["attendee"]
    assert len(attendees) == 1
    assert attendees[0].value == f"mailto:{planned['facilitator']['email']}"
    assert attendees[0].params["ROLE"] == ["CHAIR"]
    uid = admin.get(f"/v1/sessions/{session['id']}").json["uid"]
    assert event.uid.value == uid


def test_cancelling_a_session_sends_a_cancel_with_a_higher_sequence(admin, worker, planned):
    session_id = planned["run"]["plan"]["sessions"][4]["id"]
    admin.patch(f"/v1/sessions/{session_id}", json={"status": "cancelled"})
    worker.drain()
    cancels = [i for i in _invitations(admin, session_id) if i["method"] == "CANCEL"]
    assert len(cancels) == 4 and {i["sequence"] for i in cancels} == {1}
    body = admin.get(cancels[0]["ics_url"]).get_data(as_text=True)
    assert "METHOD:CANCEL" in body and "STATUS:CANCELLED" in body and "SEQUENCE:1" in body


def test_moving_a_session_sends_requests_with_the_new_time(admin, worker, planned):
    session_id = planned["run"]["plan"]["sessions"][1]["id"]
    admin.patch(f"/v1/sessions/{session_id}", json={"start": "2027-02-16T19:00:00+01:00"})
    worker.drain()
    latest = [i for i in _invitations(admin, session_id) if i["sequence"] == 1]
    assert len(latest) == 5 and {i["notice"] for i in latest} == {"changed"}
    body = admin.get(latest[0]["ics_url"]).get_data(as_text=True)
    assert "DTSTART;TZID=Europe/Amsterdam:20270216T190000" in body


def test_a_member_who_joins_gets_requests_and_one_who_leaves_gets_cancels(admin, worker, planned):
    newcomer = admin.post("/v1/participants", json=payloads.participant(7, availability=TUESDAY_EVENING)).json
    admin.put(f"/v1/groups/{planned['id']}/members/{newcomer['id']}")
    worker.drain()
    first = planned["run"]["plan"]["sessions"][0]["id"]
    mine = [i for i in _invitations(admin, first) if i["recipient"]["id"] == newcomer["id"]]
    assert [(i["method"], i["notice"]) for i in mine] == [("REQUEST", "new")]

    leaver = planned["member_list"][0]
    admin.delete(f"/v1/groups/{planned['id']}/members/{leaver['id']}")
    worker.drain()
    theirs = [i for i in _invitations(admin, first) if i["recipient"]["id"] == leaver["id"]]
    assert [(i["method"], i["notice"]) for i in theirs] == [("REQUEST", "new"), ("CANCEL", "removed")]
    assert theirs[1]["sequence"] == theirs[0]["sequence"] + 1
    # Only the leaver's count moved: the session, and what everyone else holds, stay current.
    assert admin.get(f"/v1/sessions/{first}").json["sequence"] == theirs[0]["sequence"] == 0
    others = [i for i in _invitations(admin, first) if i["recipient"]["id"] != leaver["id"]]
    assert {(i["method"], i["sequence"]) for i in others} == {("REQUEST", 0)}


def test_a_platform_sees_only_invitations_to_its_own_participants(admin, platform, worker, group):
    mine = platform.post("/v1/participants", json=payloads.participant(8, availability=TUESDAY_EVENING)).json
    admin.put(f"/v1/groups/{group['id']}/members/{mine['id']}")
    run = run_to_completion(admin, worker, group["id"])
    session_id = run["plan"]["sessions"][0]["id"]
    seen = _invitations(platform, session_id)
    assert [i["recipient"]["id"] for i in seen] == [mine["id"]]
    others = [i for i in _invitations(admin, session_id) if i["recipient"]["id"] != mine["id"]]
    assert platform.get(others[0]["ics_url"]).status_code == 404


# -- feeds ---------------------------------------------------------------------------------------


def _feed(client, caller, path: str) -> tuple[dict, str]:
    links = caller.get(path).json
    assert links["url"].startswith("http://intervisie.test/feeds/") and links["url"].endswith(".ics")
    assert links["webcal_url"] == "webcal://" + links["url"].removeprefix("http://")
    return links, links["url"].removeprefix("http://intervisie.test")


def test_facilitator_feed_lists_every_session_of_her_groups(client, admin, planned):
    links, path = _feed(client, admin, f"/v1/facilitators/{planned['facilitator']['id']}/feed")
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"].startswith("private")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    body = response.get_data(as_text=True)
    calendar = vobject.readOne(body, validate=True)
    assert calendar.method.value == "PUBLISH"
    assert len(calendar.contents["vevent"]) == 9
    assert "ATTENDEE" not in body
    for line in ("X-WR-CALNAME:", "X-WR-TIMEZONE:Europe/Amsterdam", "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H"):
        assert line in body


def test_feed_is_byte_identical_until_something_changes_and_answers_304(client, admin, worker, planned):
    _, path = _feed(client, admin, f"/v1/groups/{planned['id']}/feed")
    first, second = client.get(path), client.get(path)
    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"] and not first.headers["ETag"].startswith("W/")
    assert "Last-Modified" in first.headers
    not_modified = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert not_modified.status_code == 304 and not_modified.data == b""

    session_id = planned["run"]["plan"]["sessions"][5]["id"]
    admin.patch(f"/v1/sessions/{session_id}", json={"status": "cancelled"})
    changed = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert changed.get_data(as_text=True).count("STATUS:CANCELLED") == 1


def test_feed_changes_when_a_chair_is_renamed(client, admin, planned):
    _, path = _feed(client, admin, f"/v1/groups/{planned['id']}/feed")
    before = client.get(path)
    chair = planned["member_list"][0]
    admin.patch(f"/v1/participants/{chair['id']}", json={"name": "Nieuwe Voorzitter"})
    after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert "Nieuwe Voorzitter" in after.get_data(as_text=True)


def test_participant_feed_and_rotation_kill_the_old_url(client, admin, platform, worker, group):
    mine = platform.post("/v1/participants", json=payloads.participant(8, availability=TUESDAY_EVENING)).json
    admin.put(f"/v1/groups/{group['id']}/members/{mine['id']}")
    run_to_completion(admin, worker, group["id"])
    links, old = _feed(client, platform, f"/v1/participants/{mine['id']}/feed")
    assert platform.get(f"/v1/participants/{mine['id']}/feed").json == links  # stable until rotated
    assert client.get(old).status_code == 200
    rotated = platform.post(f"/v1/participants/{mine['id']}/feed/rotate").json
    assert rotated["url"] != links["url"]
    gone = client.get(old)
    assert gone.status_code == 404 and gone.content_type == "application/problem+json"
    assert client.get(rotated["url"].removeprefix("http://intervisie.test")).status_code == 200
    assert client.get(old.removesuffix(".ics")).status_code == 404


def test_feed_links_follow_the_access_rules(admin, platform, other_platform, planned):
    mine = platform.post("/v1/participants", json=payloads.participant(8)).json
    assert other_platform.get(f"/v1/participants/{mine['id']}/feed").status_code == 404
    assert platform.get(f"/v1/facilitators/{planned['facilitator']['id']}/feed").status_code == 403
    assert platform.get(f"/v1/groups/{planned['id']}/feed").status_code == 404


def test_unknown_token_is_404(client):
    assert client.get("/feeds/" + "A" * 43 + ".ics").status_code == 404
    assert client.get("/feeds/nope").status_code == 404


def test_deleting_a_participant_kills_their_feed(client, admin, planned):
    person = planned["member_list"][1]
    _, path = _feed(client, admin, f"/v1/participants/{person['id']}/feed")
    assert client.get(path).status_code == 200
    admin.delete(f"/v1/participants/{person['id']}")
    assert client.get(path).status_code == 404


def test_subscribe_page_lists_upcoming_sessions_with_one_click_links(client, admin, planned):
    links, path = _feed(client, admin, f"/v1/groups/{planned['id']}/feed")
    page = client.get(path.removesuffix(".ics"))
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    html = page.get_data(as_text=True)
    assert 'href="webcal://' in html
    assert "calendar.google.com" in html and "outlook.live.com" in html
    assert html.count('<li class="scheduled">') == 9
    assert "dinsdag 12 januari 2027, 19:00–20:30" in html
    assert "http://intervisie.test/feeds/" in html
    # One script, the copy button's, allowed by the nonce it was sent with; nothing from elsewhere.
    scripts = re.findall(r"<script([^>]*)>", html)
    assert len(scripts) == 1 and "src=" not in scripts[0]
    nonce = re.search(r'nonce="([^"]+)"', scripts[0]).group(1)
    assert f"script-src 'nonce-{nonce}'" in page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "Of kopieer de link:" in html and "Komende bijeenkomsten" in html
    assert "stylesheet" not in html  # no external assets


def test_feed_tokens_never_reach_the_logs(client, admin, planned, caplog):
    _, path = _feed(client, admin, f"/v1/groups/{planned['id']}/feed")
    token = path.removeprefix("/feeds/").removesuffix(".ics")
    from services.telemetry import redact

    assert token not in redact(f"GET {path} HTTP/1.1")
    assert "/feeds/[redacted].ics" in redact(f"GET {path} HTTP/1.1")
    with caplog.at_level(logging.DEBUG):
        client.get(path)
        client.get(path.removesuffix(".ics"))
    assert token not in caplog.text


def test_a_participant_feed_follows_a_move_to_a_group_of_the_same_shape(client, admin, worker, planned):
    twin = admin.post("/v1/groups", json=payloads.group(name="Tweelinggroep", facilitator_id=planned["facilitator"]["id"])).json
    for n in range(10, 14):
        person = admin.post("/v1/participants", json=payloads.participant(n, availability=TUESDAY_EVENING)).json
        admin.put(f"/v1/groups/{twin['id']}/members/{person['id']}")
    assert run_to_completion(admin, worker, twin["id"])["status"] == "succeeded"
    mover = planned["member_list"][0]
    _, path = _feed(client, admin, f"/v1/participants/{mover['id']}/feed")
    before = client.get(path)

    admin.delete(f"/v1/groups/{planned['id']}/members/{mover['id']}")
    admin.put(f"/v1/groups/{twin['id']}/members/{mover['id']}")
    after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    twin_uids = {s["uid"] for s in admin.get(f"/v1/groups/{twin['id']}/sessions?page_size=50").json}
    shown = {line.removeprefix("UID:") for line in after.get_data(as_text=True).splitlines() if line.startswith("UID:")}
    assert shown == twin_uids


def test_rendered_events_are_kept_so_a_fresh_process_serves_the_feed_without_rendering(
    app, client, admin, worker, planned, session_factory, monkeypatch
):
    from sqlalchemy import func, select

    from services.api.feed_cache import RenderedFeeds
    from shared.db.models import RenderedEvent
    from shared.domain import ics

    _, path = _feed(client, admin, f"/v1/groups/{planned['id']}/feed")
    first = client.get(path)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(RenderedEvent)) == 9

    # A new process: nothing in memory. Serialising an event would now fail the test.
    app.extensions["intervisie"].rendered_feeds = RenderedFeeds()
    ics.clear_caches()

    def no_rendering(*args, **kwargs):
        raise AssertionError("an event was serialised again")

    monkeypatch.setattr(ics.rendering, "session_vevent", no_rendering)
    again = client.get(path)
    assert again.data == first.data

    # A changed session no longer matches its stored rendering: it is rendered anew.
    monkeypatch.undo()
    admin.patch(f"/v1/sessions/{planned['run']['plan']['sessions'][2]['id']}", json={"status": "cancelled"})
    changed = client.get(path)
    assert changed.get_data(as_text=True).count("STATUS:CANCELLED") == 1
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(RenderedEvent)) == 9


# -- a feed's ETag follows every change to what it shows ----------------------------------------
#
# A 304 is answered from a fingerprint remembered with its groups' change counts: each case
# below first proves that the remembered fingerprint is in use (a 304 without computing one),
# then changes one thing the feed shows and expects a new ETag. A stale 304 here is the bug.


def _feed_path(client, admin, planned, owner: str) -> str:
    if owner == "group":
        path = f"/v1/groups/{planned['id']}/feed"
    elif owner == "facilitator":
        path = f"/v1/facilitators/{planned['facilitator']['id']}/feed"
    else:
        path = f"/v1/participants/{planned['member_list'][0]['id']}/feed"
    return _feed(client, admin, path)[1]


def _remembered_etag(client, path: str, monkeypatch) -> str:
    from shared.use_cases import feeds

    etag = client.get(path).headers["ETag"]
    with monkeypatch.context() as patched:
        patched.setattr(feeds, "fingerprint", lambda *args: pytest.fail("the fingerprint was computed again"))
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    return etag


def _sessions(planned) -> list[dict]:
    return planned["run"]["plan"]["sessions"]


def _chair_of_a_session(admin, planned) -> tuple[dict, dict]:
    for planned_session in _sessions(planned):
        shown = admin.get(f"/v1/sessions/{planned_session['id']}").json
        if shown.get("chair_id"):
            return shown, admin.get(f"/v1/participants/{shown['chair_id']}").json
    pytest.fail("no session has a chair")


def _hand_over(admin, planned) -> None:
    other = admin.post("/v1/facilitators", json=payloads.facilitator(name="Ander", email="ander@example.org")).json
    response = admin.patch(f"/v1/groups/{planned['id']}", json={"facilitator_id": other["id"]})
    assert response.status_code == 200, response.json


def _erase_a_chair(admin, planned) -> None:
    _, chair = _chair_of_a_session(admin, planned)
    assert admin.delete(f"/v1/participants/{chair['id']}").status_code == 204


API_CHANGES = {
    "session cancelled": lambda admin, planned: admin.patch(
        f"/v1/sessions/{_sessions(planned)[4]['id']}", json={"status": "cancelled"}),
    "session moved": lambda admin, planned: admin.patch(
        f"/v1/sessions/{_sessions(planned)[1]['id']}", json={"start": "2027-02-16T19:00:00+01:00"}),
    "group renamed": lambda admin, planned: admin.patch(f"/v1/groups/{planned['id']}", json={"name": "Nieuwe naam"}),
    "meeting link changed": lambda admin, planned: admin.patch(
        f"/v1/groups/{planned['id']}", json={"meeting_url": "https://meet.example.org/elders"}),
    "facilitator renamed": lambda admin, planned: admin.patch(
        f"/v1/facilitators/{planned['facilitator']['id']}", json={"name": "Fien de Wit"}),
    "facilitator's address changed": lambda admin, planned: admin.patch(
        f"/v1/facilitators/{planned['facilitator']['id']}", json={"email": "fien@elders.example.org"}),
    "group handed to another facilitator": _hand_over,
    "member leaves": lambda admin, planned: admin.delete(
        f"/v1/groups/{planned['id']}/members/{planned['member_list'][0]['id']}"),
    "chair renamed": lambda admin, planned: admin.patch(
        f"/v1/participants/{_chair_of_a_session(admin, planned)[1]['id']}", json={"name": "Nieuwe Voorzitter"}),
    "chair erased": _erase_a_chair,
    "group deleted": lambda admin, planned: admin.delete(f"/v1/groups/{planned['id']}"),
}

# Which feeds each change must reach (all three where the change shows in all three).
API_CASES = [
    ("session cancelled", "group"), ("session cancelled", "facilitator"), ("session cancelled", "participant"),
    ("session moved", "participant"),
    ("group renamed", "facilitator"), ("group renamed", "participant"),
    ("meeting link changed", "group"),
    ("facilitator renamed", "group"), ("facilitator renamed", "participant"),
    ("facilitator's address changed", "group"),
    ("group handed to another facilitator", "facilitator"), ("group handed to another facilitator", "group"),
    ("member leaves", "participant"),
    ("chair renamed", "group"), ("chair renamed", "facilitator"),
    ("chair erased", "group"),
    ("group deleted", "facilitator"), ("group deleted", "participant"),
]


@pytest.mark.parametrize(("change", "owner"), API_CASES, ids=[f"{c} / {o} feed" for c, o in API_CASES])
def test_a_remembered_feed_etag_changes_with_what_the_feed_shows(client, admin, planned, monkeypatch, change, owner):
    path = _feed_path(client, admin, planned, owner)
    etag = _remembered_etag(client, path, monkeypatch)
    response = API_CHANGES[change](admin, planned)
    assert response is None or response.status_code < 300, response.json
    after = client.get(path, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert client.get(path, headers={"If-None-Match": after.headers["ETag"]}).status_code == 304


def _bulk(session_factory, statement) -> None:
    with session_factory.begin() as session:
        assert session.execute(statement).rowcount >= 1


# Statements that bypass the ORM's flush (as a bulk job would write) and the database's own
# cascades; like every writer they bump the row's version, which the API's ETags rely on too.
BULK_CHANGES = {
    "sessions cancelled": lambda ids: update(Session).where(Session.group_id == ids["group"]).values(
        status="cancelled", version=Session.version + 1),
    "session deleted": lambda ids: delete(Session).where(Session.id == ids["session"]),
    "group renamed": lambda ids: update(Group).where(Group.id == ids["group"]).values(
        name="Hernoemd", version=Group.version + 1),
    "membership deleted": lambda ids: delete(Membership).where(Membership.participant_id == ids["member"]),
    "facilitator renamed": lambda ids: update(Facilitator).where(Facilitator.id == ids["facilitator"]).values(
        name="Hernoemd", version=Facilitator.version + 1),
    "chairs renamed": lambda ids: update(Participant).where(
        Participant.id.in_(select(Session.chair_id).where(Session.group_id == ids["group"]))
    ).values(name="Hernoemd", version=Participant.version + 1),
    "group deleted, its sessions by cascade": lambda ids: delete(Group).where(Group.id == ids["group"]),
}
BULK_CASES = [
    ("sessions cancelled", "facilitator"), ("session deleted", "participant"), ("group renamed", "participant"),
    ("membership deleted", "participant"), ("facilitator renamed", "group"), ("chairs renamed", "group"),
    ("group deleted, its sessions by cascade", "facilitator"),
]


@pytest.mark.parametrize(("change", "owner"), BULK_CASES, ids=[f"{c} / {o} feed" for c, o in BULK_CASES])
def test_a_remembered_feed_etag_changes_with_bulk_statements_and_cascades(
    client, admin, planned, session_factory, monkeypatch, change, owner
):
    ids = {"group": uuid.UUID(planned["id"]), "session": uuid.UUID(_sessions(planned)[2]["id"]),
           "member": uuid.UUID(planned["member_list"][0]["id"]), "facilitator": uuid.UUID(planned["facilitator"]["id"])}
    path = _feed_path(client, admin, planned, owner)
    etag = _remembered_etag(client, path, monkeypatch)
    with session_factory.begin() as session:
        if change.startswith("group deleted"):  # as the API does: the group's own feed goes first
            session.execute(delete(FeedToken).where(FeedToken.owner_id == ids["group"]))
        assert session.execute(BULK_CHANGES[change](ids)).rowcount >= 1
    after = client.get(path, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag


@pytest.mark.parametrize("owner", ["group", "facilitator", "participant"])
def test_a_change_in_another_group_leaves_a_remembered_fingerprint_alone(client, admin, worker, planned, monkeypatch, owner):
    """Each group has its own change count: a change in a group a feed does not show moves
    none of the counts its remembered fingerprint is kept under, so it is not computed again."""
    from shared.use_cases import feeds

    path = _feed_path(client, admin, planned, owner)
    etag = _remembered_etag(client, path, monkeypatch)
    other = admin.post("/v1/facilitators", json=payloads.facilitator(name="Ander", email="ander@example.org")).json
    elsewhere = admin.post("/v1/groups", json=payloads.group(name="Elders", facilitator_id=other["id"])).json
    assert admin.patch(f"/v1/groups/{elsewhere['id']}", json={"name": "Nog steeds elders"}).status_code == 200
    stranger = admin.post("/v1/participants", json=payloads.participant(9)).json
    assert admin.put(f"/v1/groups/{elsewhere['id']}/members/{stranger['id']}").status_code < 300
    assert admin.patch(f"/v1/participants/{stranger['id']}", json={"name": "Iemand Anders"}).status_code == 200
    with monkeypatch.context() as patched:
        patched.setattr(feeds, "fingerprint", lambda *args: pytest.fail("the fingerprint was computed again"))
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
