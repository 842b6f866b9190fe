"""How the worker issues the invitations of changed sessions: one outbox message for all the
sessions a plan changed, the messages older versions recorded per session, answer links only
for those a session requires."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from services.scheduler import jobs
from shared.db.models import Invitation, OutboxMessage, Session
from shared.use_cases import outbox
from tests.api.scenarios import run_to_completion


def _invitations(caller, session_id: str) -> list[dict]:
    response = caller.get(f"/v1/sessions/{session_id}/invitations?page_size=50")
    assert response.status_code == 200, response.json
    return response.json


def _nowhere(ids) -> None:
    raise AssertionError(f"nothing is sent for a message dispatched before, yet {ids} was")


def test_a_plan_issues_every_invitation_from_one_outbox_message(admin, worker, group, session_factory):
    run = run_to_completion(admin, worker, group["id"])
    sessions = run["plan"]["sessions"]
    with session_factory() as session:
        (message,) = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == outbox.SESSIONS_CHANGED))
        invitations = session.scalars(select(Invitation)).all()
    assert message.payload == {"changes": [{"session_id": s["id"], "change": "created"} for s in sessions]}
    assert message.dispatched_at is not None
    guided = sum(s["kind"] == "guided" for s in sessions)
    assert len(invitations) == guided * 5 + (len(sessions) - guided) * 4  # facilitator in guided ones
    assert len({i.issued_at for i in invitations}) == 1  # in one transaction
    # Delivered again (a redelivery, a sweep), it issues nothing more.
    assert jobs.dispatch(worker.runtime, message.id, _nowhere, _nowhere, _nowhere) == "skipped: already dispatched"
    with session_factory() as session:
        assert len(session.scalars(select(Invitation)).all()) == len(invitations)


def test_a_message_recorded_per_session_by_an_older_version_still_issues_its_invitations(
    admin, worker, group, session_factory, clock
):
    run = run_to_completion(admin, worker, group["id"])
    session_id = run["plan"]["sessions"][1]["id"]
    with session_factory.begin() as session:
        outbox.record(session, outbox.SESSION_CHANGED, {"session_id": session_id, "change": "changed"}, clock())
        recorded = outbox.recorded(session)
    worker.dispatch(recorded)
    worker.drain()
    changed = [i for i in _invitations(admin, session_id) if i["notice"] == "changed"]
    assert len(changed) == 5 and {i["method"] for i in changed} == {"REQUEST"}
    with session_factory() as session:
        assert session.get(OutboxMessage, recorded[0]).dispatched_at is not None


def test_a_member_planned_absent_gets_the_request_without_an_answer_link(admin, worker, group, session_factory, clock):
    run = run_to_completion(admin, worker, group["id"])
    # A self-directed session does without someone planned absent (a guided one requires everyone).
    session_id = next(s["id"] for s in run["plan"]["sessions"] if s["kind"] == "self_directed")
    absent = group["member_list"][0]["id"]
    with session_factory.begin() as session:
        row = session.get(Session, uuid.UUID(session_id))
        row.absent_ids, row.sequence = [absent], row.sequence + 1
        outbox.record_session_changes(session, [(row.id, "changed")], clock())
        recorded = outbox.recorded(session)
    worker.dispatch(recorded)
    worker.drain()
    changed = [i for i in _invitations(admin, session_id) if i["notice"] == "changed"]
    assert len(changed) == 4  # the members
    for invitation in changed:
        body = admin.get(invitation["ics_url"]).get_data(as_text=True).replace("\r\n ", "")
        has_link = "/answer/" in body
        assert has_link == (invitation["recipient"]["id"] != absent), invitation["recipient"]
