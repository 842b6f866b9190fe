"""The invitation mail (iMIP, RFC 6047) as a mail client parses it."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.domain import texts
from shared.domain.ics import Contact, build_invitation
from shared.domain.mail import build_invitation_email, build_notice_email, invitation_identity, notice_identity
from tests.unit.test_ics import session

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SERVICE = Contact("Intervisie namens Fenna Jansen", "agenda@intervisie.example")
MEMBER = Contact("Mark de Vriés", "mark@school.example")
SENT = datetime(2027, 1, 5, 10, 0, tzinfo=AMSTERDAM)

EVENT = session(sequence=0)
SESSION_ID = "0b5d6a43-6f57-4bd4-9d0b-6e1f4a0c2f11"
MARK = "participant:5f2c1d3e-8a7b-4c6d-9e0f-1a2b3c4d5e6f"


def identity(method="REQUEST", session_id=SESSION_ID, sequence=0, person=MARK):
    return invitation_identity(method=method, session_id=session_id, sequence=sequence, person=person)


def message(method: str = "REQUEST", notice: str = "new", **overrides):
    ics = build_invitation(EVENT, MEMBER, method=method, role="REQ-PARTICIPANT",
                           issued_at=SENT, sent_by=SERVICE.email)
    arguments = dict(
        ics=ics, method=method, sender=SERVICE, recipient=MEMBER,
        subject=texts.mail_subject(EVENT, language=MEMBER.language, notice=notice),
        text=texts.mail_text(EVENT, MEMBER, notice=notice),
        identity=identity(method), message_id_domain="intervisie.example", date=SENT,
    )
    arguments.update(overrides)
    return build_invitation_email(**arguments)


def parsed(msg) -> email.message.EmailMessage:
    """The message as the receiving side sees it after transport."""
    return email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)


def test_invitation_is_multipart_alternative_with_text_and_calendar():
    received = parsed(message())
    assert received.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in received.iter_parts()] == ["text/plain", "text/calendar"]


def test_calendar_part_is_utf8_with_the_method_of_its_body():
    msg = message()
    calendar = list(parsed(msg).iter_parts())[1]
    assert calendar.get_param("charset") == "UTF-8"
    assert calendar.get_param("method") == "REQUEST"
    assert b"\nContent-Type: text/calendar; charset=UTF-8; method=REQUEST\n" in msg.as_bytes()
    assert b"METHOD:REQUEST\r\n" in calendar.get_payload(decode=True)


def test_calendar_part_arrives_byte_for_byte():
    msg = message()
    ics = build_invitation(EVENT, MEMBER, method="REQUEST", role="REQ-PARTICIPANT",
                           issued_at=SENT, sent_by=SERVICE.email)
    assert list(parsed(msg).iter_parts())[1].get_payload(decode=True) == ics


def test_cancel_mail_says_method_cancel():
    cancelled_text = texts.mail_text(EVENT, MEMBER, notice="removed")
    received = parsed(message("CANCEL", notice="removed", text=cancelled_text))
    assert list(received.iter_parts())[1].get_param("method") == "CANCEL"
    assert received["Subject"].startswith("Afgemeld: ")


def test_method_parameter_must_match_the_body():
    ics = build_invitation(EVENT, MEMBER, method="REQUEST", role="REQ-PARTICIPANT", issued_at=SENT)
    with pytest.raises(ValueError, match="METHOD:REQUEST"):
        message("CANCEL", ics=ics)


def test_text_part_is_utf8_and_in_the_recipients_language():
    plain = next(parsed(message()).iter_parts())
    assert plain.get_param("charset") == "utf-8"
    assert plain["Content-Language"] == "nl"
    assert plain.get_content().startswith("Beste Mark de Vriés,\n")


def test_headers_name_sender_recipient_subject_date_and_message_id():
    received = parsed(message())
    assert received["From"].addresses[0].addr_spec == "agenda@intervisie.example"
    assert received["From"].addresses[0].display_name == "Intervisie namens Fenna Jansen"
    assert received["To"].addresses[0].addr_spec == "mark@school.example"
    assert received["To"].addresses[0].display_name == "Mark de Vriés"
    assert received["Subject"] == "Uitnodiging: Intervisie Middenbouw Utrecht — bijeenkomst 2 van 3 (begeleid)"
    assert received["Date"].datetime == SENT
    assert received["Message-ID"].startswith("<") and received["Message-ID"].endswith("@intervisie.example>")
    assert received["MIME-Version"] == "1.0"


def test_same_input_gives_the_same_bytes():
    assert message().as_bytes() == message().as_bytes()


def test_an_invitation_sent_again_later_keeps_its_message_id():
    """A copy sent after its sender died mid-send: another moment, perhaps another text (a fresh
    answer link), and the same Message-ID, so the receiver can tell it is the same message."""
    first = message()
    later = SENT + timedelta(minutes=7)
    again = message(date=later, text=texts.mail_text(EVENT, MEMBER, notice="new", answer_url="https://x.example/a/2"))
    assert again["Date"] != first["Date"]
    assert again["Message-ID"] == first["Message-ID"]


def test_message_ids_differ_by_kind_person_session_and_sequence():
    identities = [
        identity(),
        identity(method="CANCEL"),
        identity(person="participant:9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"),
        identity(person="facilitator:5f2c1d3e-8a7b-4c6d-9e0f-1a2b3c4d5e6f"),
        identity(session_id="7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"),
        identity(sequence=1),
        notice_identity(f"reminder:{SESSION_ID}:5f2c1d3e-8a7b-4c6d-9e0f-1a2b3c4d5e6f:2027-01-12T18:00:00+00:00"),
        notice_identity("at_risk:1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a"),
    ]
    ids = {message(identity=i)["Message-ID"] for i in identities}
    assert len(ids) == len(identities)


def test_identity_parts_cannot_run_into_each_other():
    assert message(identity=("ab", "c"))["Message-ID"] != message(identity=("a", "bc"))["Message-ID"]


def test_a_notice_keeps_its_message_id_on_every_attempt_and_the_programmes_domain():
    def notice(date):
        return build_notice_email(
            sender=SERVICE, recipient=MEMBER, subject="Herinnering", text="Tot dinsdag.",
            identity=notice_identity("reminder:a:b:c"), message_id_domain="intervisie.example", date=date,
        )

    first, again = notice(SENT), notice(SENT + timedelta(days=1))
    assert again["Message-ID"] == first["Message-ID"]
    assert first["Message-ID"].endswith("@intervisie.example>")
    assert notice(SENT)["Message-ID"] != message()["Message-ID"]


def test_naive_date_is_refused():
    with pytest.raises(ValueError, match="aware"):
        message(date=datetime(2027, 1, 5, 10, 0))
