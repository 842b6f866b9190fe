"""Invitations mailed as RFC 6047 messages to a real SMTP server, with retries when it fails."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from services.scheduler import jobs
from services.scheduler.runtime import Runtime
from shared.config import Settings
from shared.db.models import Invitation
from shared.use_cases import deliveries
from tests.integration.smtp_server import smtp_server
from tests.integration.workers import (
    REDIS_URL,
    Stack,
    redis_namespace,
    run_status,
    seed_group,
    wait_for,
    workers,
)

pytestmark = pytest.mark.integration


def _states(session_factory) -> dict[str, int]:
    with session_factory() as session:
        states: dict[str, int] = {}
        for state in session.scalars(select(Invitation.delivery_state)):
            states[state] = states.get(state, 0) + 1
        return states


def test_a_plan_is_mailed_one_message_per_recipient_as_rfc_6047(database, tmp_path):
    url, session_factory = database
    with smtp_server() as (smtp_url, mailbox), redis_namespace() as namespace:
        settings = Settings(database_url=url, broker_url=REDIS_URL, broker_namespace=namespace, smtp_url=smtp_url)
        env = {
            "INTERVISIE_DATABASE_URL": url, "INTERVISIE_BROKER_URL": REDIS_URL,
            "INTERVISIE_BROKER_NAMESPACE": namespace, "INTERVISIE_SMTP_URL": smtp_url,
        }
        stack = Stack(settings, env, session_factory, tmp_path)
        group_id = seed_group(session_factory, stack.admin)
        with workers(env, tmp_path):
            run_id = stack.post_run(group_id)
            wait_for(lambda: run_status(session_factory, run_id) == "succeeded", 60, "the plan")
            expected = 3 * 5 + 6 * 4  # guided: facilitator + 4 members; self-directed: members
            wait_for(lambda: _states(session_factory) == {"sent": expected}, 60, "every invitation to be sent")
        assert len(mailbox.messages) == expected

    message = next(m for m in mailbox.messages if m["To"].addresses[0].addr_spec == "fien@example.org")
    assert message["X-Envelope-To"] == "fien@example.org"
    assert message.get_content_type() == "multipart/alternative"
    text, calendar = message.get_payload()
    assert text.get_content_type() == "text/plain"
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("charset").upper() == "UTF-8"
    assert calendar.get_param("method") == "REQUEST"
    body = calendar.get_content()
    body = body.decode() if isinstance(body, bytes) else body
    assert "METHOD:REQUEST" in body
    unfolded = body.replace("\r\n ", "")
    # The programme organises (replies go to it); the facilitator attends as its chair.
    assert [line for line in unfolded.splitlines() if line.startswith("ORGANIZER")] == [
        'ORGANIZER;CN=Intervisie:mailto:intervisie@example.org',
    ]
    assert [line for line in unfolded.splitlines() if line.startswith("ATTENDEE")] == [
        'ATTENDEE;CN=Fien;PARTSTAT=NEEDS-ACTION;ROLE=CHAIR;RSVP=TRUE:mailto:fien@example.org',
    ]
    assert "BEGIN:VALARM" in body and "TRIGGER:-P1D" in body
    assert "Intervisie" in message["Subject"]
    # No message carries another member's address.
    for sent in mailbox.messages:
        recipient = sent["To"].addresses[0].addr_spec
        others = {f"lid{n}@example.org" for n in range(4)} - {recipient}
        assert not any(other in sent.as_string() for other in others)


@pytest.fixture
def one_invitation(database, tmp_path):
    """A planned group with invitations pending, and a runtime that mails to a real SMTP server."""
    url, session_factory = database
    with smtp_server() as (smtp_url, mailbox):
        settings = Settings(database_url=url, smtp_url=smtp_url)
        stack = Stack(Settings(database_url=url), {}, session_factory, tmp_path)
        group_id = seed_group(session_factory, stack.admin)
        runtime = Runtime(settings, session_factory)
        run_id = stack.post_run(group_id)
        assert jobs.plan_run(runtime, uuid.UUID(run_id)) == "plan"
        with session_factory() as session:
            from shared.db.models import OutboxMessage

            message_ids = list(session.scalars(select(OutboxMessage.id)))
        pending: list[uuid.UUID] = []
        for message_id in message_ids:
            jobs.dispatch(runtime, message_id, pending.extend, lambda ids: None, lambda ids: None)
        yield runtime, mailbox, pending[0], session_factory


def _invitation(session_factory, invitation_id) -> Invitation:
    with session_factory() as session:
        return session.get(Invitation, invitation_id)


def test_a_refused_delivery_is_retried_and_its_attempts_recorded(one_invitation):
    runtime, mailbox, invitation_id, session_factory = one_invitation
    mailbox.refuse_next = 2
    for _ in range(2):
        with pytest.raises(jobs.DeliveryDeferred):
            jobs.deliver_mail(runtime, Invitation, invitation_id)
        failed = _invitation(session_factory, invitation_id)
        assert failed.delivery_state == "pending" and failed.last_error.startswith("451")
    assert jobs.deliver_mail(runtime, Invitation, invitation_id) == "sent"
    sent = _invitation(session_factory, invitation_id)
    assert (sent.delivery_state, sent.attempts, sent.last_error) == ("sent", 3, None)
    assert sent.sent_at is not None
    assert len(mailbox.messages) == 1
    assert jobs.deliver_mail(runtime, Invitation, invitation_id) == "skipped: delivery is sent"
    assert len(mailbox.messages) == 1


def test_a_permanent_refusal_fails_the_delivery_at_once(one_invitation):
    runtime, mailbox, invitation_id, session_factory = one_invitation
    mailbox.refuse_next, mailbox.refusal = 1, "550 5.1.1 No such user"
    assert jobs.deliver_mail(runtime, Invitation, invitation_id) == "failed"
    failed = _invitation(session_factory, invitation_id)
    assert (failed.delivery_state, failed.attempts) == ("failed", 1)
    assert failed.last_error.startswith("550")


def test_an_unreachable_server_is_retried_until_attempts_run_out(one_invitation):
    runtime, _, invitation_id, session_factory = one_invitation
    runtime.settings = Settings(database_url=runtime.settings.database_url, smtp_url="smtp://127.0.0.1:9")
    for _ in range(deliveries.MAX_ATTEMPTS - 1):
        with pytest.raises(jobs.DeliveryDeferred):
            jobs.deliver_mail(runtime, Invitation, invitation_id)
    assert jobs.deliver_mail(runtime, Invitation, invitation_id) == "failed"
    failed = _invitation(session_factory, invitation_id)
    assert failed.attempts == deliveries.MAX_ATTEMPTS
    assert "ConnectionRefusedError" in failed.last_error


def test_mail_actors_retry_with_growing_backoff():
    from services.scheduler.actors import declare_actors
    from services.scheduler.broker import make_broker

    settings = Settings(database_url="sqlite://")
    actors = declare_actors(make_broker(settings), Runtime(settings, None), namespace="t")
    options = actors.deliver_invitation.options
    assert options["max_retries"] >= 5
    assert 1_000 <= options["min_backoff"] < options["max_backoff"]


def test_an_erased_member_is_mailed_cancels_and_then_forgotten(one_invitation):
    runtime, mailbox, _, session_factory = one_invitation
    with session_factory() as session:
        pending = list(session.scalars(select(Invitation.id).where(Invitation.delivery_state == "pending")))
    for invitation_id in pending:  # the plan's invitations go out first
        jobs.deliver_mail(runtime, Invitation, invitation_id)
    with session_factory() as session:
        member = session.scalar(select(Invitation).where(Invitation.recipient_email == "lid0@example.org"))
        member_id, admin_actor = member.recipient_id, _admin(session)
    with session_factory.begin() as session:
        from shared.use_cases import privacy

        privacy.erase(session, admin_actor, member_id, runtime.clock())
    from shared.db.models import OutboxMessage

    with session_factory() as session:
        left = [m.id for m in session.scalars(select(OutboxMessage).where(OutboxMessage.dispatched_at.is_(None)))]
    cancels: list[uuid.UUID] = []
    for message_id in left:
        jobs.dispatch(runtime, message_id, cancels.extend, lambda ids: None, lambda ids: None)
    assert len(cancels) == 9  # one CANCEL for every upcoming session
    for invitation_id in cancels:
        assert jobs.deliver_mail(runtime, Invitation, invitation_id) == "sent"
    to_them = [m for m in mailbox.messages if m["To"].addresses[0].addr_spec == "lid0@example.org"]
    cancel_mails = [m for m in to_them if m.get_payload()[1].get_param("method") == "CANCEL"]
    assert len(cancel_mails) == 9
    with session_factory() as session:
        assert session.scalars(select(Invitation).where(Invitation.recipient_id == member_id)).all() == []


def _admin(session):
    from shared.actor import Actor
    from shared.db.models import ApiClient

    client = session.scalar(select(ApiClient).where(ApiClient.role == "admin"))
    return Actor(client.id, "admin", client.name)
