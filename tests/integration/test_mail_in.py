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
from tests.itip_replies import (
    apple_mail,
    google_mail,
    icalendar_reply,
    mail_from,
    many_replies_mail,
    outlook_mail,
    reply_to,
    thunderbird_mail,
    thunderbird_reply,
    vobject_reply,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def send(port: int, sender: str, message: bytes) -> None:
    """Deliver as an MTA would, within the 10 s a sending MTA may wait for the answer to DATA."""
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
        (thunderbird_mail, lambda uid, email, partstat: thunderbird_reply(uid, email, partstat, comment="Tot dan, groetjes uit Zwolle — Zoë"), "ACCEPTED"),
    ]
    for (wrap, make, partstat), member in zip(shapes, members, strict=False):
        send(smtp_port, member["email"], wrap(make(first["uid"], member["email"], partstat), member["email"]))
    expected = {m["id"]: (partstat.lower(), "itip") for (_, _, partstat), m in zip(shapes, members, strict=False)}
    wait_for(lambda: all(answers(base, auth, first["id"])[pid] == want for pid, want in expected.items()), 20, "the replies")
    assert requests.get(f"{base}/v1/sessions/{first['id']}", headers=auth, timeout=10).json()["at_risk"] is True
    assert _metric(base, "recorded") == 4  # Google's inline and attached copy counted once


def test_mail_that_is_no_usable_reply_is_dropped_and_the_receiver_goes_on(served):
    base, auth, smtp_port, sessions, members, log = served
    first = requests.get(f"{base}/v1/sessions/{sessions[0]['id']}", headers=auth, timeout=10).json()
    member = members[0]
    send(smtp_port, member["email"], b"Subject: hallo\r\n\r\nGewoon een mailtje.\r\n")
    send(smtp_port, "stranger@example.org", outlook_mail(icalendar_reply(first["uid"], "stranger@example.org", "ACCEPTED"), "stranger@example.org"))
    send(smtp_port, member["email"], outlook_mail(b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBROKEN", member["email"]))
    # Fifteen thousand nested multiparts (870 KB): refused before the email parser descends.
    nested = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (n, n) for n in range(15_000))
    send(smtp_port, member["email"], b"From: " + member["email"].encode() + b"\r\nMIME-Version: 1.0\r\n" + nested + b"\r\n")
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
    assert "dropped: mail: has 15000 multipart containers" in text
    others = answers(base, auth, first["id"])
    assert sum(1 for response, _ in others.values() if response != "needs_action") == 1


def test_intervisie_mail_in_records_replies_on_postgresql(database, tmp_path):


    url, factory = database
    group_id = _planned_group(factory)
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


def _held(base: str, auth: dict, session_id: str, person_id: str) -> str:
    """The calendar text of the last invitation ``person_id`` was sent about a session."""
    listed = requests.get(f"{base}/v1/sessions/{session_id}/invitations?page_size=100", headers=auth, timeout=10).json()
    mine = [i for i in listed if i["recipient"]["id"] == person_id]
    assert mine, f"no invitation to {person_id} yet"
    return requests.get(base + mine[-1]["ics_url"], headers=auth, timeout=10).text


def _metric(base: str, outcome: str) -> float:
    text = requests.get(f"{base}/metrics", timeout=10).text
    line = next((line for line in text.splitlines() if line.startswith(f'intervisie_mail_replies_total{{outcome="{outcome}"}}')), None)
    return float(line.rsplit(" ", 1)[1]) if line else 0.0


def test_after_a_member_leaves_every_other_member_answers_by_mail_with_the_invitation_they_hold(served):
    base, auth, smtp_port, sessions, members, _ = served
    first = requests.get(f"{base}/v1/sessions/{sessions[0]['id']}", headers=auth, timeout=10).json()
    group = requests.get(f"{base}/v1/groups/{first['group_id']}", headers=auth, timeout=10).json()
    facilitator = requests.get(f"{base}/v1/facilitators/{group['facilitator_id']}", headers=auth, timeout=10).json()
    leaver, *stay = members
    wait_for(lambda: _held(base, auth, first["id"], leaver["id"]), 20, "the invitations")
    held = {person["id"]: _held(base, auth, first["id"], person["id"]) for person in [facilitator, *stay]}
    assert requests.delete(f"{base}/v1/groups/{group['id']}/members/{leaver['id']}", headers=auth, timeout=10).status_code == 204
    wait_for(lambda: "METHOD:CANCEL" in _held(base, auth, first["id"], leaver["id"]), 20, "the leaver's CANCEL")
    for person in [facilitator, *stay]:
        send(smtp_port, person["email"], outlook_mail(reply_to(held[person["id"]], person["email"], "ACCEPTED"), person["email"]))
    expected = {person["id"]: ("accepted", "itip") for person in [facilitator, *stay]}
    wait_for(lambda: answers(base, auth, first["id"]) == expected, 20, "every other member's answer")


def test_a_reply_by_mail_counts_only_from_the_attendee_it_speaks_for(served):
    base, auth, smtp_port, sessions, members, log = served
    first = requests.get(f"{base}/v1/sessions/{sessions[0]['id']}", headers=auth, timeout=10).json()
    member, colleague = members[0], members[1]
    declined = icalendar_reply(first["uid"], member["email"], "DECLINED")
    send(smtp_port, "attacker@evil.example", mail_from(declined, "attacker@evil.example"))
    send(smtp_port, colleague["email"], mail_from(declined, colleague["email"]))  # a colleague who knows the UID
    send(smtp_port, "attacker@evil.example", mail_from(declined, member["email"]))  # her address in From alone
    # Her address where Python's parser looks, the attacker's where an MTA's DMARC check looks.
    send(smtp_port, member["email"], mail_from(declined, f"{member['email']} <attacker@evil.example>"))
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail(member["email"], ["someone-else@example.org"], mail_from(declined, member["email"]))
    assert refused.value.recipients["someone-else@example.org"][0] == 550
    wait_for(lambda: _metric(base, "refused_envelope") == 1, 20, "the refusals to be counted")
    assert _metric(base, "refused_from") == 3
    after = requests.get(f"{base}/v1/sessions/{first['id']}", headers=auth, timeout=10).json()
    assert after["at_risk"] is False and {a["response"] for a in after["attendance"]} == {"needs_action"}
    text = log.read_text()
    assert "refused: the From address is not the attendee the REPLY answers for" in text
    assert "refused: the envelope sender is not the attendee the REPLY answers for" in text
    # Her own mail counts.
    send(smtp_port, member["email"], mail_from(declined, member["email"].upper()))
    wait_for(lambda: answers(base, auth, first["id"])[member["id"]] == ("declined", "itip"), 20, "her own reply")


def test_one_mail_of_many_replies_is_read_for_ten_and_raises_one_alarm(served, sqlite):
    from sqlalchemy import func, select

    from shared.db.models import Attendance, Notice, OutboxMessage

    base, auth, smtp_port, sessions, members, log = served
    _, factory, _, _ = sqlite
    first = requests.get(f"{base}/v1/sessions/{sessions[0]['id']}", headers=auth, timeout=10).json()
    member = members[0]
    from datetime import UTC, datetime, timedelta

    stamp = datetime.now(UTC) - timedelta(hours=2)
    # The smallest REPLY a calendar could send, 1,500 times: about 375 KiB, well under the limit.
    replies = [
        (
            f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:{first['uid']}\r\nSEQUENCE:0\r\n"
            f"DTSTAMP:{(stamp + timedelta(seconds=n)):%Y%m%dT%H%M%SZ}\r\n"
            f"ATTENDEE;PARTSTAT={'DECLINED' if n % 2 == 1 else 'ACCEPTED'}:mailto:{member['email']}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        ).encode()
        for n in range(1_500)
    ]
    mail = many_replies_mail(replies, member["email"])
    assert len(mail) < 1024 * 1024, len(mail)
    send(smtp_port, member["email"], mail)
    wait_for(lambda: _metric(base, "ignored") == 1_490, 20, "the parts past ten to be counted")
    assert _metric(base, "recorded") == 10
    assert "1490 calendar parts past the first 10 ignored" in log.read_text()
    # Ten answers flapped the session in and out of risk five times: one alarm.
    assert answers(base, auth, first["id"])[member["id"]] == ("declined", "itip")  # the tenth, the newest
    wait_for(lambda: _count(factory, select(func.count()).select_from(Notice).where(Notice.kind == "at_risk")) == 1, 20, "the alarm")
    # Every mail the five turns into risk asked for has been handled: still the one alarm.
    pending = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == "session.at_risk", OutboxMessage.dispatched_at.is_(None))
    wait_for(lambda: _count(factory, pending) == 0, 20, "the alarm mails asked for")
    assert _count(factory, select(func.count()).select_from(Notice).where(Notice.kind == "at_risk")) == 1
    assert _count(factory, select(func.count()).select_from(Attendance)) == 1


def test_a_comment_is_read_in_the_charset_its_mail_declares(served, sqlite):
    from sqlalchemy import select

    from shared.db.models import Attendance

    base, auth, smtp_port, sessions, members, _ = served
    _, factory, _, _ = sqlite
    first = requests.get(f"{base}/v1/sessions/{sessions[0]['id']}", headers=auth, timeout=10).json()
    member = members[0]
    reply = icalendar_reply(first["uid"], member["email"], "DECLINED", comment="Studiedag in Zürich, excuses")
    send(smtp_port, member["email"], mail_from(reply, member["email"], charset="iso-8859-1"))
    wait_for(lambda: answers(base, auth, first["id"])[member["id"]] == ("declined", "itip"), 20, "the reply")
    assert _count(factory, select(Attendance.comment)) == "Studiedag in Zürich, excuses"


def _count(factory, query):
    with factory() as session:
        return session.scalar(query)


@pytest.fixture
def behind_mta(sqlite, tmp_path):
    """``intervisie serve`` receiving mail behind an MTA whose authserv-id is mx.intervisie.test."""
    url, factory, key, admin = sqlite
    group_id = seed_group(factory, admin)
    auth = {"Authorization": f"Bearer {key}"}
    port, smtp_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "INTERVISIE_DATABASE_URL": url, "INTERVISIE_PUBLIC_URL": base, "INTERVISIE_INBOUND_SMTP": f"127.0.0.1:{smtp_port}",
        "INTERVISIE_INBOUND_AUTHSERV_ID": "mx.intervisie.test",
    }
    with serving(env, port=port, log_path=tmp_path / "serve.log"):
        run = plan_over_http(base, key, group_id, timeout=30)
        members = requests.get(f"{base}/v1/participants?group_id={group_id}&page_size=10", headers=auth, timeout=10).json()
        yield base, auth, smtp_port, run["plan"]["sessions"], members


def _with_results(mail: bytes, *results: str) -> bytes:
    """The mail as the MTA passes it on: its Authentication-Results on top."""
    return b"".join(f"Authentication-Results: {result}\r\n".encode() for result in results) + mail


def test_behind_an_mta_a_reply_counts_only_with_its_dmarc_pass_for_the_attendees_domain(behind_mta):
    base, auth, smtp_port, sessions, members = behind_mta
    first = requests.get(f"{base}/v1/sessions/{sessions[0]['id']}", headers=auth, timeout=10).json()
    member = members[0]
    declined = mail_from(icalendar_reply(first["uid"], member["email"], "DECLINED"), member["email"])
    send(smtp_port, member["email"], declined)  # no verdict of the MTA
    send(smtp_port, member["email"], _with_results(declined, "forger.example; dmarc=pass header.from=example.org"))
    send(smtp_port, member["email"], _with_results(declined, "mx.intervisie.test; dmarc=pass header.from=evil.example"))
    wait_for(lambda: _metric(base, "unauthenticated") == 3, 20, "the three refusals")
    assert answers(base, auth, first["id"])[member["id"]] == ("needs_action", None)
    send(smtp_port, member["email"], _with_results(declined, "mx.intervisie.test; dkim=pass header.d=example.org; dmarc=pass header.from=example.org"))
    wait_for(lambda: answers(base, auth, first["id"])[member["id"]] == ("declined", "itip"), 20, "the authenticated reply")


def test_a_reply_that_cannot_be_stored_now_is_deferred_with_451_not_bounced(sqlite):
    """The database failing (down, or locked) must not bounce the attendee's answer: a 4xx makes
    her mail server try again, while a 5xx would tell her it was undeliverable."""
    import asyncio
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from sqlalchemy.exc import OperationalError

    from services.mailin import ReplyHandler

    class Down:
        def begin(self):
            raise OperationalError("BEGIN", {}, Exception("the database is down"))

    handler = ReplyHandler(Down(), lambda: datetime.now(UTC), reply_address="intervisie@example.org")
    mail = mail_from(icalendar_reply("u@intervisie", "lid0@example.org", "DECLINED"), "lid0@example.org")
    envelope = SimpleNamespace(mail_from="lid0@example.org", content=mail)
    assert asyncio.run(handler.handle_DATA(None, None, envelope)).startswith("451 ")
    # A broker that is down after the answer was stored is no reason to defer: the sweep sends it.
    _, factory, _, _ = sqlite
    failing = ReplyHandler(factory, lambda: datetime.now(UTC), reply_address="intervisie@example.org",
                           dispatch=lambda work: (_ for _ in ()).throw(ConnectionError("broker down")))
    failing._dispatch([uuid.uuid4()])  # logged, not raised


def test_issuing_about_a_session_waits_while_another_worker_issues_about_it(database):
    """Two workers issuing about one session at once would both read what a person was last sent
    and send two messages with one SEQUENCE: the second waits for the first's commit."""
    import threading
    from datetime import UTC, datetime

    from sqlalchemy import text

    from shared.domain.ics import Contact
    from shared.use_cases import invitations

    url, factory = database
    now = datetime.now(UTC)
    group_id = _planned_group(factory)
    with factory() as session:
        session_id = session.query(GroupSession).filter_by(group_id=uuid.UUID(group_id), number=1).one().id

    def issue():
        with factory.begin() as session:
            invitations.issue_for_session_changes(
                session, [(session_id, "changed")], now=now, programme=Contact("Intervisie", "intervisie@example.org"), mail=False,
            )

    with factory() as other:  # another worker, in the middle of issuing about the same session
        other.execute(text("SELECT pg_advisory_xact_lock(:kind, :key)"),
                      {"kind": invitations.ISSUING_LOCKS, "key": invitations.issuing_lock_key(session_id)})
        waiting = threading.Thread(target=issue)
        waiting.start()
        waiting.join(1.5)
        assert waiting.is_alive()
        other.rollback()
    waiting.join(20)
    assert not waiting.is_alive()


def _planned_group(factory) -> str:
    """A seeded group, planned in process by the engine as the worker runs it; returns its id."""
    from datetime import UTC, datetime

    from services.scheduler.jobs import find_plan
    from shared.actor import Actor
    from shared.use_cases import scheduling
    from shared.use_cases.api_keys import create_client

    with factory.begin() as session:
        issued = create_client(session, role="admin", name="Organiser")
    admin = Actor(issued.client_id, "admin", "Organiser")
    group_id = seed_group(factory, admin)
    now = datetime.now(UTC)
    with factory.begin() as session:
        run = scheduling.request_run(session, admin, uuid.UUID(group_id), now)
        run.status, run.lease_owner = "running", "test"
    with factory() as session:
        result = find_plan(scheduling.load_run_input(session, run.id, now))
    with factory.begin() as session:
        scheduling.record_result(session, run.id, "test", result, now)
    return group_id
