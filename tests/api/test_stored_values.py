"""No single stored value takes down more than itself, end to end: whatever the API accepts for
a group's name and meeting link, a facilitator's and a member's name and address, the chair's
name and a decline's comment, every feed, subscribe page, the facilitator's page, the answer page
and the invitations the worker issues still answer, read back, and escape it.

The values come from the unit property (tests/unit/test_rendering_properties.py), which keeps
only what the API's schemas load; here each example is written through the API onto one planned
group, so fewer examples run than there.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from services.api.schemas.people import FacilitatorInputSchema, ParticipantInputSchema
from services.scheduler import jobs
from shared.config import Settings
from shared.db.models import Invitation, OutboxMessage
from shared.domain import meeting_links
from shared.use_cases import outbox
from tests.api.scenarios import run_to_completion
from tests.api.test_answers import comment_field_of, csrf_of, link_in, path_of
from tests.unit.test_rendering_properties import (
    _Page,
    comments,
    emails,
    facilitator_names,
    group_names,
    meeting_urls,
    participant_names,
    text_value,
)

HOST = "http://intervisie.test"


@pytest.fixture(name="settings")
def app_settings(database_url) -> Settings:
    """The app's settings with a secret, which answer links need, and no rate limits to reach."""
    return Settings(
        database_url=database_url, public_url=HOST, secret_key="test-secret",
        rate_limit="1000000 per minute", feed_rate_limit="1000000 per minute",  # every example reads every feed
    )


@pytest.fixture
def planned(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    worker.drain()  # the invitations, with each person's answer link
    group["sessions"] = run["plan"]["sessions"]
    return group


values = st.fixed_dictionaries({
    "group_name": group_names,
    "meeting_url": st.one_of(meeting_urls, st.none()),
    "facilitator_name": facilitator_names,
    "facilitator_email": emails(FacilitatorInputSchema()),
    "member_name": participant_names,
    "member_email": emails(ParticipantInputSchema()),
    "chair_name": participant_names,
    "comment": comments,
})


def _ok(response, status: int = 200):
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def _feed(client, admin, owner_path: str) -> icalendar.Calendar:
    url = admin.get(f"{owner_path}/feed").json["url"]
    return icalendar.Calendar.from_ical(_ok(client.get(url.removeprefix(HOST))).data)


def _page(client, admin, owner_path: str) -> _Page:
    url = admin.get(f"{owner_path}/feed").json["page_url"]
    return _Page(_ok(client.get(url.removeprefix(HOST))).get_data(as_text=True))


def _latest_invitation(session_factory, session_id: str, person_id: str) -> dict:
    """The invitation last issued to the person about the session (the examples issue more
    than a page of them), as the API lists it."""
    with session_factory() as session:
        invitation_id = session.scalar(
            select(Invitation.id)
            .where(Invitation.session_id == uuid.UUID(session_id), Invitation.recipient_id == uuid.UUID(person_id))
            .order_by(Invitation.issued_at.desc(), Invitation.sequence.desc())
            .limit(1)
        )
    return {"ics_url": f"/v1/invitations/{invitation_id}.ics"}


def _issue_again(worker, session_factory, clock, session_ids: list[str]) -> None:
    """Have the worker's job issue these sessions' invitations now, in this thread, so that a
    failure shows here instead of in a retried message."""
    with session_factory.begin() as session:
        message = outbox.record_session_changes(session, [(uuid.UUID(s), "changed") for s in session_ids], clock())
        message_id = message.id

    def nowhere(ids):
        return None

    assert jobs.dispatch(worker.runtime, message_id, nowhere, nowhere, nowhere) != "skipped: already dispatched"
    with session_factory() as session:
        assert session.scalar(select(OutboxMessage.dispatched_at).where(OutboxMessage.id == message_id)) is not None


@settings(
    max_examples=20, deadline=None, derandomize=True, database=None,
    # One planned group for all examples: each example writes every value it shows anew.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(stored=values)
def test_no_stored_value_takes_down_a_feed_a_page_or_an_invitation(
    client, admin, worker, planned, session_factory, clock, stored
):
    clock.now += timedelta(minutes=1)  # so that this example's answer is the newer one
    group, facilitator = planned, planned["facilitator"]
    member, others = planned["member_list"][0], planned["member_list"][1:]
    group_path, facilitator_path = f"/v1/groups/{group['id']}", f"/v1/facilitators/{facilitator['id']}"
    member_path = f"/v1/participants/{member['id']}"
    # What the schema loads, the API takes.
    _ok(admin.patch(group_path, json={"name": stored["group_name"], "meeting_url": stored["meeting_url"]}))
    _ok(admin.patch(facilitator_path, json={"name": stored["facilitator_name"], "email": stored["facilitator_email"]}))
    _ok(admin.patch(member_path, json={"name": stored["member_name"], "email": stored["member_email"]}))
    for other in others:  # whoever chairs a self-directed session has the chair's name
        _ok(admin.patch(f"/v1/participants/{other['id']}", json={"name": stored["chair_name"]}))

    # The member declines the first session on her answer page, with the comment.
    first = group["sessions"][0]["id"]
    answer_path = path_of(link_in(admin, _latest_invitation(session_factory, first, member["id"])))
    csrf = csrf_of(_ok(client.get(answer_path)).get_data(as_text=True))
    _ok(client.post(answer_path, data={"response": "declined", "comment": stored["comment"] or "", "csrf": csrf}), 303)
    kept = [a["comment"] for a in admin.get(f"{member_path}/export").json["attendance"] if a["session_id"] == first]

    link = meeting_links.to_uri(stored["meeting_url"]) if stored["meeting_url"] else None
    for owner_path, name in ((group_path, stored["group_name"]), (facilitator_path, stored["facilitator_name"]),
                             (member_path, stored["member_name"])):
        calendar = _feed(client, admin, owner_path)
        assert text_value(calendar["X-WR-CALNAME"]) == f"Intervisie – {name}"
        events = calendar.walk("VEVENT")
        assert len(events) == 9
        assert {str(e.get("URL")) for e in events if str(e["STATUS"]) != "CANCELLED"} == {str(link)}

    for owner_path, shown in ((group_path, [stored["group_name"]]), (member_path, [stored["member_name"]]),
                              (facilitator_path, [stored["group_name"], stored["member_name"], *kept])):
        page = _page(client, admin, owner_path)
        text = "".join(page.text)
        for value in shown:
            assert value is None or value.strip() in text, (owner_path, value)
        assert page.elements.count("script") == 1  # the copy button's, and nothing a value brought
        if link and owner_path != facilitator_path:
            assert link in page.links

    answer = _ok(client.get(answer_path)).get_data(as_text=True)
    assert comment_field_of(answer) == (kept[0] or "")
    assert stored["group_name"] in "".join(_Page(answer).text)

    guided, self_directed = group["sessions"][0]["id"], group["sessions"][3]["id"]
    _issue_again(worker, session_factory, clock, [guided, self_directed])
    for session_id in (guided, self_directed):
        invitation = _latest_invitation(session_factory, session_id, member["id"])
        (event,) = icalendar.Calendar.from_ical(_ok(admin.get(invitation["ics_url"])).data).walk("VEVENT")
        assert stored["group_name"].strip() in str(event["SUMMARY"])
        assert str(event.get("URL")) == str(link)
    worker.drain()  # the alarm about the declined session, and anything else the writes caused
