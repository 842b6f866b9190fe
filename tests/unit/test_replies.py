"""The pure rules of calendar answers: what SEQUENCE a person is sent, which of two REPLYs wins,
when a session alarms, who hears it, whether a mail may speak for an attendee, and the bounds on
what a REPLY or a mail may hold."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from shared.domain.attendance import alarm_due, alarm_recipient, reply_is_older, sequence_to_send
from shared.domain.itip import (
    MAX_CALENDAR_PARTS,
    Reply,
    ReplyError,
    answers_occurrence,
    calendar_parts,
    parse_reply,
    read_mail,
)
from shared.domain.reply_senders import ENVELOPE, FROM, UNAUTHENTICATED, Sender, aligned, refusal
from tests.itip_replies import icalendar_reply

T = datetime(2027, 1, 4, 9, 30, tzinfo=UTC)


def test_a_person_is_sent_the_sessions_sequence_but_always_more_than_before():
    assert sequence_to_send(0, None) == 0  # the first invitation
    assert sequence_to_send(1, 0) == 1  # the session moved: everyone gets its new count
    assert sequence_to_send(0, 0) == 1  # her own change (she left): above what she holds
    assert sequence_to_send(1, 3) == 4  # she left and came back before the session moved


def test_of_two_replies_the_higher_sequence_then_the_later_dtstamp_wins():
    assert reply_is_older(0, T, 1, T + timedelta(days=1)) is True
    assert reply_is_older(2, T, 1, T + timedelta(days=1)) is False
    assert reply_is_older(1, T, 1, T + timedelta(minutes=1)) is True
    assert reply_is_older(1, T + timedelta(minutes=1), 1, T) is False
    assert reply_is_older(1, T, 1, T) is True  # the same REPLY again
    assert reply_is_older(1, T, 1, T, same_response=False) is False  # a changed answer, DTSTAMP not moved
    # Against an answer by link or API (no SEQUENCE), only the moments count.
    assert reply_is_older(5, T, None, T + timedelta(seconds=1)) is True
    assert reply_is_older(0, T + timedelta(seconds=1), None, T) is False
    assert reply_is_older(0, T, None, None) is False  # nothing recorded yet


def test_a_session_alarms_at_most_once_a_day():
    assert alarm_due(None, T)
    assert not alarm_due(T, T + timedelta(hours=23, minutes=59))
    assert alarm_due(T, T + timedelta(hours=24))


def test_the_next_member_in_turn_hears_when_the_chair_declined():
    members = ["a", "b", "c", "d"]
    assert alarm_recipient("b", members, ["a"]) == "b"
    assert alarm_recipient("b", members, ["b"]) == "c"
    assert alarm_recipient("d", members, ["d", "a"]) == "b"  # round the group
    assert alarm_recipient("b", members, members) is None
    assert alarm_recipient(None, members, ["a"]) is None


def test_a_reply_names_the_sessions_own_occurrence_or_none():
    start = datetime(2027, 1, 12, 18, 0, tzinfo=UTC)  # 19:00 in Amsterdam

    def reply(recurrence_id) -> Reply:
        return Reply("u", 0, "a@b.nl", "accepted", recurrence_id=recurrence_id)

    assert answers_occurrence(reply(None), start, "Europe/Amsterdam")
    assert answers_occurrence(reply(start), start, "Europe/Amsterdam")
    assert answers_occurrence(reply(datetime(2027, 1, 12, 19, 0)), start, "Europe/Amsterdam")  # floating
    assert answers_occurrence(reply(date(2027, 1, 12)), start, "Europe/Amsterdam")
    assert not answers_occurrence(reply(start + timedelta(days=7)), start, "Europe/Amsterdam")
    assert not answers_occurrence(reply(datetime(2027, 1, 12, 18, 0)), start, "Europe/Amsterdam")


def test_a_reply_keeps_its_dtstamp_and_recurrence_id_and_drops_an_empty_comment():
    parsed = parse_reply(icalendar_reply("u@x", "A@B.nl", "DECLINED", dtstamp=T, recurrence_id=T, comment=" \n "))
    assert (parsed.email, parsed.response, parsed.dtstamp, parsed.recurrence_id, parsed.comment) == (
        "a@b.nl", "declined", T, T, None,
    )


@pytest.mark.parametrize("text, reason", [
    ("BEGIN:VCALENDAR\r\n" + "BEGIN:X\r\n" * 10 + "END:X\r\n" * 10 + "END:VCALENDAR\r\n", "nests components more than 4 deep"),
    ("BEGIN:VCALENDAR\r\n" + "BEGIN:VEVENT\r\nEND:VEVENT\r\n" * 40 + "END:VCALENDAR\r\n", "has more than 32 components"),
    ("BEGIN:VCALENDAR\r\nX:" + "x" * 70_000 + "\r\nEND:VCALENDAR\r\n", "is over 64 KiB; a REPLY is a few"),
])
def test_a_calendar_too_deep_too_many_or_too_large_is_refused_before_parsing(text, reason):
    with pytest.raises(ReplyError) as refused:
        parse_reply(text)
    assert (refused.value.field, refused.value.reason) == ("calendar", reason)


def _mail(parts: list[bytes], charset: str = "utf-8") -> bytes:
    message = EmailMessage()
    message["From"] = "a@b.nl"
    message.set_content("antwoord")
    for part in parts:
        message.add_attachment(part.decode("utf-8").encode(charset), maintype="text", subtype="calendar",
                               params={"method": "REPLY", "charset": charset})
    return message.as_bytes(policy=SMTP)


def test_a_mail_yields_at_most_ten_calendars_and_says_how_many_it_left():
    reply = icalendar_reply("u@x", "a@b.nl", "ACCEPTED")
    found = calendar_parts(read_mail(_mail([reply] * 25)))
    assert (len(found.texts), found.ignored) == (MAX_CALENDAR_PARTS, 25 - MAX_CALENDAR_PARTS)


def test_a_calendar_part_is_read_in_the_charset_it_declares():
    reply = icalendar_reply("u@x", "a@b.nl", "DECLINED", comment="Cursus in Zürich; excuses à tous")
    (text,) = calendar_parts(read_mail(_mail([reply], "iso-8859-1"))).texts
    assert parse_reply(text).comment == "Cursus in Zürich; excuses à tous"


ATTENDEE = "Anna@School.nl"


def sender(from_=("anna@school.nl",), envelope="ANNA@school.nl", results=()) -> Sender:
    return Sender(envelope=envelope, from_addresses=from_, authentication_results=results)


@pytest.mark.parametrize("mail, code", [
    (sender(), None),
    (sender(from_=("attacker@evil.example",), envelope="attacker@evil.example"), FROM),
    (sender(from_=("collega@school.nl",), envelope="collega@school.nl"), FROM),  # a colleague with the UID
    (sender(from_=("anna@school.nl", "collega@school.nl")), FROM),
    (sender(from_=()), FROM),
    (sender(envelope="bounces@evil.example"), ENVELOPE),
    (sender(envelope=""), ENVELOPE),
])
def test_a_reply_by_mail_counts_only_from_the_attendee_it_answers_for(mail, code):
    found = refusal(mail, ATTENDEE, authserv_id=None)
    assert (found.code if found else None) == code


MX = "mx.intervisie.example"


@pytest.mark.parametrize("results, allowed", [
    ([f"{MX}; dmarc=pass header.from=school.nl"], True),
    ([f"{MX}; dkim=pass header.d=school.nl; dmarc=none"], True),
    ([f"{MX}; dkim=pass header.d=mail.school.nl"], True),  # relaxed alignment
    ([f"{MX}; dkim=pass header.d=evil.example; spf=pass smtp.mailfrom=school.nl"], False),  # unaligned, SPF alone
    ([f"{MX}; dkim=fail header.d=school.nl; dmarc=fail"], False),
    ([f"{MX}; none"], False),
    (["forger.example; dmarc=pass header.from=school.nl"], False),  # somebody else's header is ignored
    ([f"{MX}; dmarc=fail", "forger.example; dmarc=pass"], False),
    (["this is ; not = a header ;;"], False),
    ([], False),
])
def test_behind_a_receiving_mta_its_dmarc_or_aligned_dkim_pass_is_required(results, allowed):
    found = refusal(sender(results=results), ATTENDEE, authserv_id=MX)
    assert (found is None) is allowed, found
    if not allowed:
        assert found.code == UNAUTHENTICATED


def test_alignment_is_the_same_domain_or_a_subdomain_either_way():
    assert aligned("school.nl", "school.nl") and aligned("school.nl", "mail.school.nl") and aligned("mail.school.nl", "school.nl")
    assert not aligned("evilschool.nl", "school.nl") and not aligned("", "school.nl")


def test_a_mail_of_thousands_of_nested_multiparts_is_refused_before_it_is_parsed():
    nested = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (n, n) for n in range(40_000))
    with pytest.raises(ReplyError) as refused:
        read_mail(b"From: a@b.nl\r\nMIME-Version: 1.0\r\n" + nested + b"Content-Type: text/plain\r\n\r\nhoi\r\n")
    assert refused.value.field == "mail" and "40000 multipart containers" in refused.value.reason
    # A reply's own two or three containers, with many parts in them, are read.
    assert len(calendar_parts(read_mail(_mail([icalendar_reply("u@x", "a@b.nl", "ACCEPTED")] * 40))).texts) == MAX_CALENDAR_PARTS


def test_an_attendee_written_percent_encoded_is_read_as_the_address_it_stands_for():
    reply = icalendar_reply("u@x", "a@b.nl", "ACCEPTED").replace(b"MAILTO:a@b.nl", b"mailto:%22a%20b%22@school.nl")
    assert parse_reply(reply).email == '"a b"@school.nl'


def test_a_folded_begin_line_counts_as_the_component_it_is():
    folded = "BEGIN:VCALENDAR\r\n" + "BEG\r\n IN:X\r\n" * 10 + "END:X\r\n" * 10 + "END:VCALENDAR\r\n"
    with pytest.raises(ReplyError) as refused:
        parse_reply(folded)
    assert refused.value.reason == "nests components more than 4 deep"


@pytest.mark.parametrize("from_, results", [
    # The MTA's DMARC checked the address in angle brackets; Python's parser reads the first.
    (("anna@school.nl",), ["mx.intervisie.example; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example"]),
    (("anna@school.nl",), ["mx.intervisie.example; dmarc=pass"]),  # DMARC for which domain?
])
def test_dmarc_counts_only_for_the_attendees_own_domain(from_, results):
    found = refusal(sender(from_=from_, results=results), ATTENDEE, authserv_id="mx.intervisie.example")
    assert found is not None and found.code == UNAUTHENTICATED


def test_a_from_header_whose_address_is_in_doubt_counts_for_nobody():
    headers = read_mail(b"From: anna@school.nl <attacker@evil.example>\r\n\r\nhoi").get_all("From")
    doubtful = any(d for header in headers for d in header.defects)
    assert doubtful
    found = refusal(Sender("anna@school.nl", ["anna@school.nl"], from_doubtful=True), ATTENDEE, authserv_id=None)
    assert found is not None and found.code == FROM
