"""A meeting link as a video service hands it out is taken by the API, kept as given, and
written as a working link into every feed, page and invitation; what is no link is a 422.

The Teams link below is the literal form Teams puts in its invitations, JSON in the query. The
API used to take it while the calendar writer refused it, so every feed and page showing the
group answered 500 and the worker never issued its invitations.
"""

from __future__ import annotations

import icalendar
import pytest
import vobject
from markupsafe import escape

from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING, run_to_completion
from tests.unit.test_meeting_links import TEAMS, TEAMS_URI

HOST = "http://intervisie.test"


@pytest.fixture
def teams_group(admin, worker):
    """A planned group meeting on Teams: its facilitator and four members, invitations issued."""
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator(availability=TUESDAY_EVENING)).json
    created = admin.post("/v1/groups", json=payloads.group(facilitator_id=facilitator["id"], meeting_url=TEAMS))
    assert created.status_code == 201, created.json
    group = created.json
    members = []
    for n in range(4):
        person = admin.post("/v1/participants", json=payloads.participant(n, availability=TUESDAY_EVENING)).json
        assert admin.put(f"/v1/groups/{group['id']}/members/{person['id']}").status_code < 300
        members.append(person)
    assert run_to_completion(admin, worker, group["id"])["status"] == "succeeded"
    worker.drain()
    group["facilitator"], group["member_list"] = facilitator, members
    return group


def _feed_path(admin, owner_path: str, *, page: bool = False) -> str:
    links = admin.get(f"{owner_path}/feed").json
    return links["page_url" if page else "url"].removeprefix(HOST)


def _owner_paths(group) -> dict[str, str]:
    return {
        "group": f"/v1/groups/{group['id']}",
        "facilitator": f"/v1/facilitators/{group['facilitator']['id']}",
        "participant": f"/v1/participants/{group['member_list'][0]['id']}",
    }


def test_a_teams_link_is_accepted_and_answered_exactly_as_given(admin):
    created = admin.post("/v1/groups", json=payloads.group(meeting_url=TEAMS))
    assert created.status_code == 201, created.json
    assert created.json["meeting_url"] == TEAMS
    assert admin.get(f"/v1/groups/{created.json['id']}").json["meeting_url"] == TEAMS
    jitsi = 'https://meet.jit.si/Intervisie groep A#config.startWithAudioMuted=true&config.subject="A"'
    patched = admin.patch(f"/v1/groups/{created.json['id']}", json={"meeting_url": jitsi})
    assert patched.status_code == 200, patched.json
    assert patched.json["meeting_url"] == jitsi


@pytest.mark.parametrize("owner", ["group", "facilitator", "participant"])
def test_every_feed_of_a_group_on_teams_holds_the_link_as_a_uri(client, admin, teams_group, owner):
    response = client.get(_feed_path(admin, _owner_paths(teams_group)[owner]))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_data(as_text=True)
    vobject.readOne(body, validate=True)
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert len(events) == 9
    for event in events:
        assert str(event["URL"]) == TEAMS_URI
        assert str(event["CONFERENCE"]) == TEAMS_URI
        assert TEAMS_URI in str(event["DESCRIPTION"])


@pytest.mark.parametrize("owner", ["group", "facilitator", "participant"])
def test_every_subscribe_page_of_a_group_on_teams_answers(client, admin, teams_group, owner):
    page = client.get(_feed_path(admin, _owner_paths(teams_group)[owner], page=True))
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    assert teams_group["name"] in html
    if owner != "facilitator":  # her page shows answers, not the link
        assert f'href="{escape(TEAMS_URI)}"' in html
        assert TEAMS not in html and str(escape(TEAMS)) not in html  # only the written link is shown


def test_the_worker_issues_every_invitation_of_a_group_on_teams_with_the_link(admin, teams_group):
    sessions = admin.get(f"/v1/groups/{teams_group['id']}/sessions?page_size=50").json
    assert len(sessions) == 9
    for shown in sessions:
        invitations = admin.get(f"/v1/sessions/{shown['id']}/invitations?page_size=50").json
        assert len(invitations) == (5 if shown["kind"] == "guided" else 4)
    body = admin.get(invitations[0]["ics_url"]).get_data(as_text=True)
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(event["URL"]) == TEAMS_URI and str(event["LOCATION"]) == TEAMS_URI


def test_a_teams_link_set_on_a_planned_group_reaches_its_feed(client, admin, worker, group):
    assert run_to_completion(admin, worker, group["id"])["status"] == "succeeded"
    path = _feed_path(admin, f"/v1/groups/{group['id']}")
    before = client.get(path)
    assert admin.patch(f"/v1/groups/{group['id']}", json={"meeting_url": TEAMS}).status_code == 200
    after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200, after.get_data(as_text=True)
    assert {str(e["URL"]) for e in icalendar.Calendar.from_ical(after.data).walk("VEVENT")} == {TEAMS_URI}


NOT_LINKS = [
    ("javascript:alert(1)", "http or https"),
    ("ftp://meet.example.org/r", "http or https"),
    ("meet.example.org/ib-utrecht-1", "http or https"),
    ("   ", "empty"),
    ("", "empty"),
    ("https://meet.example.org/r\u0085", "control characters"),  # C1: the body's own check takes C0
    ("https://meet.example.org/r\nATTENDEE:mailto:x@example.org", "control characters"),
    ("https://meet_example/r", "host name"),
    ("https://meet.example.org:port/r", "host name or port"),
    ("https://meet.example.org/" + "r" * 2000, "Longer than maximum length 2000"),
]


@pytest.mark.parametrize(("meeting_url", "reason"), NOT_LINKS, ids=[r for _, r in NOT_LINKS])
def test_what_is_no_meeting_link_is_422_naming_the_field_on_create_and_on_patch(admin, meeting_url, reason):
    created = admin.post("/v1/groups", json=payloads.group(meeting_url=meeting_url))
    kept = admin.post("/v1/groups", json=payloads.group(name="Bestaande groep")).json
    patched = admin.patch(f"/v1/groups/{kept['id']}", json={"meeting_url": meeting_url})
    for response in (created, patched):
        assert response.status_code == 422 and response.content_type == "application/problem+json"
        problem = response.json
        assert problem["type"] == "/problems/validation-error"
        assert [(e["field"], e["location"]) for e in problem["errors"]] == [("meeting_url", "body")]
        assert reason in problem["errors"][0]["reason"]
    assert [g["name"] for g in admin.get("/v1/groups").json] == ["Bestaande groep"]
    assert admin.get(f"/v1/groups/{kept['id']}").json["meeting_url"] == payloads.group()["meeting_url"]


def test_the_answer_page_of_a_group_on_teams_links_to_the_written_link(client, admin, teams_group):
    import re

    session = admin.get(f"/v1/groups/{teams_group['id']}/sessions?page_size=1").json[0]
    invitation = admin.get(f"/v1/sessions/{session['id']}/invitations?page_size=50").json[-1]
    body = admin.get(invitation["ics_url"]).get_data(as_text=True).replace("\r\n ", "")
    link = re.search(r"https?://\S+/answer/[\w-]+", body).group(0)
    page = client.get(link.removeprefix(HOST))
    assert page.status_code == 200
    assert f'href="{escape(TEAMS_URI)}"' in page.get_data(as_text=True)
