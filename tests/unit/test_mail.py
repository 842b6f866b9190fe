"""The invitation mail (iMIP, RFC 6047) as a mail client parses it."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from shared.domain import texts
from shared.domain.ics import Contact, build_invitation
from shared.domain.mail import build_invitation_email
from tests.unit.test_ics import session

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SERVICE = Contact("Intervisie namens Fenna Jansen", "agenda@intervisie.example")
MEMBER = Contact("Mark de Vriés", "mark@school.example")
SENT = datetime(2027, 1, 5, 10, 0, tzinfo=AMSTERDAM)

EVENT = session(sequence=0)


def message(method: str = "REQUEST", notice: str = "new", **overrides):
    ics = build_invitation(EVENT, MEMBER, method=method, role="REQ-PARTICIPANT",
                           issued_at=SENT, sent_by=SERVICE.email)
    arguments = dict(
        ics=ics, method=method, sender=SERVICE, recipient=MEMBER,
        subject=texts.mail_subject(EVENT, language=MEMBER.language, notice=notice),
        text=texts.mail_text(EVENT, MEMBER, notice=notice),
        message_id_domain="intervisie.example", date=SENT,
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


def test_same_input_gives_the_same_bytes_and_other_recipients_other_ids():
    assert message().as_bytes() == message().as_bytes()
    other = message(recipient=Contact("Anna", "anna@school.example"))
    assert other["Message-ID"] != message()["Message-ID"]


def test_naive_date_is_refused():
    with pytest.raises(ValueError, match="aware"):
        message(date=datetime(2027, 1, 5, 10, 0))
