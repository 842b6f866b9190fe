"""A mail on the wire when its worker stops, with PostgreSQL, a real SMTP server that keeps the
message but holds back its answer, and the worker as it runs: ``intervisie worker`` on Redis, or
embedded in ``intervisie serve`` and in gunicorn.

Killed (SIGKILL), a worker cannot know whether the server has the message: another worker takes
the claim over once it is older than INTERVISIE_SENDING_TIMEOUT_SECONDS and sends it again, with
the same Message-ID, so the receiver sees a duplicate it can recognise. Stopped (SIGTERM), a
worker finishes the send under way and records it, so it is not sent again; a send still stuck
after the grace period is left to be taken over, as after a kill."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from services.scheduler import jobs
from services.scheduler.runtime import Runtime
from services.scheduler.scheduler import SHUTDOWN_GRACE_SECONDS
from shared.config import Settings
from shared.db.models import Facilitator, Notice, OutboxMessage, Participant
from shared.db.models import Session as GroupSession
from shared.use_cases import notices, reminders
from tests.integration.servers import INTERVISIE, free_port, wait_until_serving
from tests.integration.smtp_server import smtp_server
from tests.integration.workers import REDIS_URL, Stack, WorkerProcess, redis_namespace, seed_group, wait_for, workers

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

SENDING_TIMEOUT_SECONDS = 3
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _pending_reminders(url, session_factory, tmp_path, people: int = 1) -> list[uuid.UUID]:
    """A planned group whose invitations are only stored, and reminders of its first session
    waiting to be mailed to ``people`` of it: the only mail there is to send."""
    settings = Settings(database_url=url)  # no SMTP here: the plan's invitations are stored, not mailed
    stack = Stack(settings, {}, session_factory, tmp_path)
    runtime = Runtime(settings, session_factory)
    run_id = stack.post_run(seed_group(session_factory, stack.admin, members=3))
    assert jobs.plan_run(runtime, uuid.UUID(run_id)) == "plan"
    with session_factory() as session:
        message_ids = list(session.scalars(select(OutboxMessage.id)))
    for message_id in message_ids:
        jobs.dispatch(runtime, message_id, lambda ids: None, lambda ids: None, lambda ids: None)
    with session_factory.begin() as session:
        row = session.scalars(select(GroupSession).order_by(GroupSession.start)).first()
        persons = [session.scalars(select(Facilitator)).one(), *session.scalars(select(Participant).order_by(Participant.email))]
        issued = [
            notices.issue(
                session, key=reminders.key_of(row, person.id), kind=notices.REMINDER, row=row, recipient=person,
                subject="Herinnering: intervisie", body="Tot dinsdag.", now=datetime.now(UTC), mail=True,
            )
            for person in persons[:people]
        ]
        return [notice.id for notice in issued]


def _delivery(session_factory, notice_id) -> tuple[str, int]:
    with session_factory() as session:
        notice = session.get(Notice, notice_id)
        return notice.delivery_state, notice.attempts


def _env(url, smtp_url) -> dict[str, str]:
    return {
        "INTERVISIE_DATABASE_URL": url, "INTERVISIE_SMTP_URL": smtp_url, "INTERVISIE_SECRET_KEY": "mail-workers",
        "INTERVISIE_SWEEP_SECONDS": "1", "INTERVISIE_SENDING_TIMEOUT_SECONDS": str(SENDING_TIMEOUT_SECONDS),
    }


def _redis_env(url, smtp_url, namespace) -> dict[str, str]:
    return {**_env(url, smtp_url), "INTERVISIE_BROKER_URL": REDIS_URL, "INTERVISIE_BROKER_NAMESPACE": namespace}


def _sent_again_by_another_worker(env, tmp_path, session_factory, notice_id) -> None:
    """Another worker takes over the claim left behind once it is older than the (short) sending
    timeout, and sends the reminder again; in a few more sweeps nothing more may come."""
    with workers(env, tmp_path):
        wait_for(lambda: _delivery(session_factory, notice_id)[0] == "sent", 60, "the reminder to be sent again")
        time.sleep(3)


def test_a_reminder_whose_worker_is_killed_mid_send_is_sent_again_with_the_same_message_id(database, tmp_path):
    url, session_factory = database
    with redis_namespace() as namespace, smtp_server() as (smtp_url, mailbox):
        [notice_id] = _pending_reminders(url, session_factory, tmp_path)
        mailbox.holds = [60]
        env = _redis_env(url, smtp_url, namespace)
        killed = WorkerProcess(env, tmp_path / "worker-killed.log")
        try:
            wait_for(lambda: mailbox.held, 60, "the reminder to reach the server")
            killed.kill()  # the server has the message; the worker never heard so
        finally:
            killed.stop()
        assert _delivery(session_factory, notice_id) == ("sending", 1)
        _sent_again_by_another_worker(env, tmp_path, session_factory, notice_id)
    assert _delivery(session_factory, notice_id) == ("sent", 2)
    assert [m["To"].addresses[0].addr_spec for m in mailbox.messages] == ["fien@example.org"] * 2
    first, again = mailbox.messages
    assert first["Message-ID"] == again["Message-ID"]  # the receiver can drop the copy
    assert first["Message-ID"].endswith("@example.org>")  # the programme's mail domain


def test_sigterm_lets_the_send_under_way_finish_and_leaves_a_stuck_one_to_be_taken_over(database, tmp_path):
    url, session_factory = database
    with redis_namespace() as namespace, smtp_server() as (smtp_url, mailbox):
        notice_ids = _pending_reminders(url, session_factory, tmp_path, people=2)
        # The server answers one send after 3 s, the other only after the grace period has passed.
        mailbox.holds = [3, 60]
        env = _redis_env(url, smtp_url, namespace)
        stopped = WorkerProcess(env, tmp_path / "worker-stopped.log")
        try:
            wait_for(lambda: mailbox.held == 2, 60, "both reminders to reach the server")
            asked = time.monotonic()
            stopped.process.terminate()
            assert stopped.process.wait(timeout=60) == 0
            waited = time.monotonic() - asked
        finally:
            stopped.stop()
        assert 3 <= waited < SHUTDOWN_GRACE_SECONDS + 5  # for the quick send, not for the stuck one
        by_state = sorted((_delivery(session_factory, n), n) for n in notice_ids)
        assert [state for state, _ in by_state] == [("sending", 1), ("sent", 1)]
        stuck, finished = (n for _, n in by_state)
        _sent_again_by_another_worker(env, tmp_path, session_factory, stuck)
    assert _delivery(session_factory, finished) == ("sent", 1)  # finished under SIGTERM: not sent again
    assert _delivery(session_factory, stuck) == ("sent", 2)
    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == 3 and len(set(ids)) == 2  # the stuck one twice, with one Message-ID


def _serve(port: int) -> list[str]:
    return [str(INTERVISIE), "serve", "--host", "127.0.0.1", "--port", str(port)]


def _gunicorn(port: int) -> list[str]:
    return [str(GUNICORN), f"--bind=127.0.0.1:{port}", "--workers=1", "--threads=2", "services.api.wsgi:app"]


@pytest.mark.parametrize("command", [_serve, _gunicorn], ids=["serve", "gunicorn"])
def test_sigterm_to_the_api_lets_its_embedded_worker_finish_the_send_under_way(database, tmp_path, command):
    url, session_factory = database
    with smtp_server() as (smtp_url, mailbox):
        [notice_id] = _pending_reminders(url, session_factory, tmp_path)
        mailbox.holds = [3]
        port = free_port()
        with open(tmp_path / "api.log", "ab") as log:
            process = subprocess.Popen(
                command(port), env={**os.environ, **_env(url, smtp_url)}, stdout=log, stderr=subprocess.STDOUT,
            )
            try:
                # The first request starts gunicorn's embedded worker; serve starts its own at once.
                wait_until_serving(f"http://127.0.0.1:{port}/healthz", process)
                wait_for(lambda: mailbox.held, 60, "the reminder to reach the server")
                process.terminate()
                assert process.wait(timeout=30) == 0
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
    assert _delivery(session_factory, notice_id) == ("sent", 1)
    assert len(mailbox.messages) == 1
