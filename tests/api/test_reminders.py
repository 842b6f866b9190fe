"""Reminders, as the worker's sweep issues them: 48 hours before, once per person and start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.scheduler import jobs
from shared.config import Settings
from shared.db.models import Notice
from shared.use_cases import notices
from tests.api.scenarios import run_to_completion

FIRST_START = datetime(2027, 1, 12, 18, 0, tzinfo=UTC)  # 19:00 in Amsterdam


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(database_url=database_url, public_url="http://intervisie.test", secret_key="test-secret")


@pytest.fixture
def planned(admin, worker, group):
    run = run_to_completion(admin, worker, group["id"])
    assert run["plan"]["sessions"][0]["start"] == "2027-01-12T19:00:00+01:00"
    group["sessions"] = run["plan"]["sessions"]
    return group


def reminders(session_factory) -> list[Notice]:
    with session_factory() as session:
        return list(session.scalars(select(Notice).where(Notice.kind == "reminder").order_by(Notice.recipient_email)))


def sweep(scheduler, clock, at: datetime) -> int:
    clock.now = at
    sent: list = []
    issued = jobs.send_reminders(scheduler.runtime, sent.extend)
    assert sent == []  # no SMTP here: stored, not mailed
    return issued


def test_each_required_person_is_reminded_once_48_hours_before(planned, scheduler, clock, session_factory, admin):
    assert sweep(scheduler, clock, FIRST_START - timedelta(hours=48, minutes=1)) == 0
    declined = planned["member_list"][3]
    admin.put(f"/v1/sessions/{planned['sessions'][0]['id']}/attendance/{declined['id']}", json={"response": "declined"})
    assert sweep(scheduler, clock, FIRST_START - timedelta(hours=48)) == 4  # the facilitator and 3 of 4 members
    assert sweep(scheduler, clock, FIRST_START - timedelta(hours=47)) == 0  # once
    sent = reminders(session_factory)
    assert declined["email"] not in {n.recipient_email for n in sent}
    assert {n.recipient_email for n in sent} == {planned["facilitator"]["email"], *(m["email"] for m in planned["member_list"][:3])}
    member = next(n for n in sent if n.recipient_email == planned["member_list"][0]["email"])
    assert member.subject == "Herinnering: bijeenkomst 1 van 3 (begeleid) van IB-groep Utrecht 1"
    assert "Wanneer: dinsdag 12 januari 2027, 19:00–20:30 (tijd in Amsterdam)\n" in member.body
    assert "https://meet.example.org/ib-utrecht-1" in member.body
    assert "Laat weten of je erbij bent: http://intervisie.test/answer/" in member.body
    assert member.delivery_state == "stored"
    with session_factory() as session:
        mail = notices.email_for(session, member.id, scheduler.runtime.programme, clock.now)
    assert mail.get_content_type() == "text/plain" and not mail.is_multipart()  # no calendar part
    assert mail["Subject"] == member.subject


def test_a_moved_session_reminds_again(planned, scheduler, clock, session_factory, admin):
    assert sweep(scheduler, clock, FIRST_START - timedelta(hours=40)) == 5
    clock.now = FIRST_START - timedelta(hours=39)
    # A Wednesday, when the facilitator cannot: the organiser moves it without her.
    moved = admin.patch(f"/v1/sessions/{planned['sessions'][0]['id']}", json={"start": "2027-01-13T19:00:00+01:00", "allow_absent": True})
    assert moved.status_code == 200
    new_start = FIRST_START + timedelta(days=1)
    assert sweep(scheduler, clock, new_start - timedelta(hours=49)) == 0
    assert sweep(scheduler, clock, new_start - timedelta(hours=47)) == 5  # its new start: reminded again
    assert sweep(scheduler, clock, new_start - timedelta(hours=30)) == 0
    assert len(reminders(session_factory)) == 10


def test_an_english_speaker_is_reminded_in_english_in_her_own_zone(planned, scheduler, clock, session_factory, admin):
    member = planned["member_list"][0]
    admin.patch(f"/v1/participants/{member['id']}", json={"language": "en", "timezone": "America/New_York"})
    sweep(scheduler, clock, FIRST_START - timedelta(hours=1))
    notice = next(n for n in reminders(session_factory) if n.recipient_email == member["email"])
    assert notice.subject == "Reminder: session 1 of 3 (guided) of IB-groep Utrecht 1"
    assert "When: Tuesday, 12 January 2027, 13:00–14:30 (New York time; 19:00–20:30 in the Netherlands)\n" in notice.body
    assert "America/" not in notice.body
    assert [word for word in notice.body.split() if "_" in word and "://" not in word] == []
