"""Reminders under real conditions: PostgreSQL, Redis, a real SMTP server, and ``intervisie
worker`` processes sweeping at once — one of them killed with SIGKILL in between. Every required
person gets one reminder: one issued, and any copy sent again after the kill carries its
Message-ID, so the receiver sees one."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shared.config import Settings
from shared.db.models import Notice
from tests.integration.smtp_server import smtp_server
from tests.integration.workers import REDIS_URL, Stack, WorkerProcess, redis_namespace, run_status, seed_group, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
SENDING_TIMEOUT_SECONDS = 5


def test_everyone_is_reminded_once_through_a_worker_killed_in_between(database, tmp_path):
    url, session_factory = database
    with redis_namespace() as namespace, smtp_server() as (smtp_url, mailbox):
        env = {
            "INTERVISIE_DATABASE_URL": url, "INTERVISIE_BROKER_URL": REDIS_URL, "INTERVISIE_BROKER_NAMESPACE": namespace,
            "INTERVISIE_SWEEP_SECONDS": "1", "INTERVISIE_SMTP_URL": smtp_url, "INTERVISIE_SECRET_KEY": "reminders",
            "INTERVISIE_SENDING_TIMEOUT_SECONDS": str(SENDING_TIMEOUT_SECONDS),
        }
        settings = Settings(database_url=url, broker_url=REDIS_URL, broker_namespace=namespace)
        stack = Stack(settings, env, session_factory, tmp_path)
        group_id = seed_group(session_factory, stack.admin)
        client = stack.app.test_client()
        auth = {"Authorization": f"Bearer {stack.key}"}
        first = WorkerProcess(env, tmp_path / "worker-a.log")
        second = WorkerProcess(env, tmp_path / "worker-b.log")
        third = None
        try:
            run_id = stack.post_run(group_id)
            wait_for(lambda: run_status(session_factory, run_id) == "succeeded", 60, "the plan")
            sessions = client.get(f"/v1/groups/{group_id}/sessions", headers=auth).json
            soon = (datetime.now(UTC) + timedelta(hours=30)).replace(microsecond=0)
            # 30 hours from now is outside everyone's hours: the facilitator may be absent for this test.
            moved = client.patch(
                f"/v1/sessions/{sessions[0]['id']}", json={"start": soon.isoformat(), "allow_absent": True}, headers=auth,
            )
            assert moved.status_code == 200, moved.json

            def issued() -> int:
                with session_factory() as session:
                    return session.scalar(select(func.count()).select_from(Notice).where(Notice.kind == "reminder"))

            wait_for(lambda: issued() > 0, 60, "the first reminders")
            first.kill()  # in the middle of it: some issued, perhaps some sent
            third = WorkerProcess(env, tmp_path / "worker-c.log")

            def reminded() -> Counter:
                """Reminders per person as a receiver counts them: a copy with a Message-ID seen before is the same mail."""
                seen = {
                    (m["To"].addresses[0].addr_spec, m["Message-ID"]) for m in mailbox.messages
                    if m["Subject"].startswith("Herinnering")
                }
                return Counter(address for address, _ in seen)

            # Usually seconds. A reminder the killed worker had claimed mid-send is taken over once
            # its claim is older than the sending timeout: late then, perhaps twice, but never lost.
            wait_for(lambda: len(reminded()) == 5, SENDING_TIMEOUT_SECONDS + 90, "a reminder to each of the five")
            time.sleep(4)  # several more sweeps by both workers: nothing more may come
        finally:
            for worker in (first, second, third):
                if worker is not None:
                    worker.stop()
    assert issued() == 5
    assert reminded() == Counter({"fien@example.org": 1, **{f"lid{n}@example.org": 1 for n in range(4)}})
    reminder = next(m for m in mailbox.messages if m["Subject"].startswith("Herinnering"))
    assert reminder.get_content_type() == "text/plain"  # no calendar part
    assert "/answer/" in reminder.get_content()
    with session_factory() as session:
        states = Counter(session.scalars(select(Notice.delivery_state).where(Notice.kind == "reminder")))
    assert states == {"sent": 5}
