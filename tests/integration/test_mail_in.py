"""Calendar replies by mail, over real SMTP: mails shaped as Outlook, Google Calendar and Apple
Calendar send them, delivered with smtplib to the receiver in ``intervisie serve``
(``INTERVISIE_INBOUND_SMTP``) and to a separate ``intervisie mail-in`` on PostgreSQL."""

from __future__ import annotations

import os
import smtplib
import subprocess
import uuid

import pytest
import requests

from shared.db.models import Session as GroupSession
from tests.integration.servers import INTERVISIE, free_port, serving
from tests.integration.workers import plan_over_http, seed_group, wait_for
from tests.itip_replies import apple_mail, google_mail, icalendar_reply, outlook_mail, vobject_reply

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def send(port: int, sender: str, message: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail(sender, ["intervisie@example.org"], message)


def answers(base: str, auth: dict, session_id: str) -> dict[str, tuple[str, str | None]]:
    session = requests.get(f"{base}/v1/sessions/{session_id}", headers=auth, timeout=10).json()
    return {a["person_id"]: (a["response"], a["source"]) for a in session["attendance"]}


@pytest.fixture
def served(sqlite, tmp_path):
    url, factory, key, admin = sqlite
    group_id = seed_group(factory, admin)
    auth = {"Authorization": f"Bearer {key}"}
    port, smtp_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"INTERVISIE_DATABASE_URL": url, "INTERVISIE_PUBLIC_URL": base, "INTERVISIE_INBOUND_SMTP": f"127.0.0.1:{smtp_port}"}
    log = tmp_path / "serve.log"
    with serving(env, port=port, log_path=log):
        run = plan_over_http(base, key, group_id, timeout=30)
        members = requests.get(f"{base}/v1/participants?group_id={group_id}&page_size=10", headers=auth, timeout=10).json()
        yield base, auth, smtp_port, run["plan"]["sessions"], members, log


def test_replies_shaped_as_each_calendar_sends_them_are_recorded(served):
    base, auth, smtp_port, sessions, members, _ = served
    first = requests.get(f"{base}/v1/sessions/{sessions[0]['id']}", headers=auth, timeout=10).json()
    shapes = [
        (outlook_mail, icalendar_reply, "ACCEPTED"),
        (google_mail, vobject_reply, "TENTATIVE"),
        (apple_mail, icalendar_reply, "DECLINED"),
    ]
    for (wrap, make, partstat), member in zip(shapes, members, strict=False):
        send(smtp_port, member["email"], wrap(make(first["uid"], member["email"], partstat), member["email"]))
    expected = {m["id"]: (partstat.lower(), "itip") for (_, _, partstat), m in zip(shapes, members, strict=False)}
    wait_for(lambda: all(answers(base, auth, first["id"])[pid] == want for pid, want in expected.items()), 20, "the replies")
    assert requests.get(f"{base}/v1/sessions/{first['id']}", headers=auth, timeout=10).json()["at_risk"] is True


def test_mail_that_is_no_usable_reply_is_dropped_and_the_receiver_goes_on(served):
    base, auth, smtp_port, sessions, members, log = served
    first = requests.get(f"{base}/v1/sessions/{sessions[0]['id']}", headers=auth, timeout=10).json()
    member = members[0]
    send(smtp_port, member["email"], b"Subject: hallo\r\n\r\nGewoon een mailtje.\r\n")
    send(smtp_port, "stranger@example.org", outlook_mail(icalendar_reply(first["uid"], "stranger@example.org", "ACCEPTED"), "stranger@example.org"))
    send(smtp_port, member["email"], outlook_mail(b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBROKEN", member["email"]))
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPException) as refused:
            smtp.sendmail(member["email"], ["intervisie@example.org"], b"Subject: big\r\n\r\n" + (b"x" * 70 + b"\r\n") * 16_000)
    assert refused.value.smtp_code == 552, refused.value
    # Still receiving: a good reply after all that is recorded.
    send(smtp_port, member["email"], apple_mail(icalendar_reply(first["uid"], member["email"], "ACCEPTED"), member["email"]))
    wait_for(lambda: answers(base, auth, first["id"])[member["id"]] == ("accepted", "itip"), 20, "the good reply")
    text = log.read_text()
    assert "dropped: it carries no calendar" in text
    assert "[e-mail] is not invited to this session" in text and "stranger@example.org" not in text  # no address in a log line
    assert "calendar in mail from" in text and "dropped: calendar:" in text
    others = answers(base, auth, first["id"])
    assert sum(1 for response, _ in others.values() if response != "needs_action") == 1


def test_intervisie_mail_in_records_replies_on_postgresql(database, tmp_path):
    from datetime import UTC, datetime

    from shared.actor import Actor
    from shared.use_cases import scheduling
    from shared.use_cases.api_keys import create_client

    url, factory = database
    with factory.begin() as session:
        issued = create_client(session, role="admin", name="Organiser")
    admin = Actor(issued.client_id, "admin", "Organiser")
    group_id = seed_group(factory, admin)
    from services.scheduler.jobs import find_plan  # the engine, as the worker runs it

    now = datetime.now(UTC)
    with factory.begin() as session:
        run = scheduling.request_run(session, admin, uuid.UUID(group_id), now)
        run.status, run.lease_owner = "running", "test"
    with factory() as session:
        result = find_plan(scheduling.load_run_input(session, run.id, now))
    with factory.begin() as session:
        scheduling.record_result(session, run.id, "test", result, now)
    with factory() as session:
        first = session.query(GroupSession).filter_by(group_id=uuid.UUID(group_id), number=1).one()
        uid, session_id = first.uid, first.id
    port = free_port()
    log = tmp_path / "mail-in.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [str(INTERVISIE), "mail-in", "--port", str(port)], env={**os.environ, "INTERVISIE_DATABASE_URL": url},
            stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: _accepts(port), 30, "mail-in to listen")
            send(port, "lid2@example.org", google_mail(vobject_reply(uid, "lid2@example.org", "DECLINED"), "lid2@example.org"))

            def recorded():
                from shared.db.models import Attendance

                with factory() as session:
                    return session.query(Attendance).filter_by(session_id=session_id, response="declined", source="itip").count()

            wait_for(recorded, 20, "the reply to be recorded")
        finally:
            process.terminate()
            process.wait(timeout=15)
    assert process.returncode == 0, log.read_text()


def _accepts(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=2) as smtp:
            return smtp.noop()[0] == 250
    except OSError:
        return False
