"""What participants read: calendar titles, notes and mail text, in Dutch and in English."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest

from shared.domain import texts
from shared.domain.ics import Contact, build_invitation
from tests.unit.test_ics import FACILITATOR, session

SELF_DIRECTED = dict(number=5, kind="self_directed", chair_name="Anna Bakker")


@pytest.mark.parametrize(
    ("changes", "language", "expected"),
    [
        ({}, "nl", "Intervisie: Omgaan met ouders — bijeenkomst 2 van 3 (begeleid)"),
        ({}, "en", "Intervisie: Omgaan met ouders — session 2 of 3 (guided)"),
        (SELF_DIRECTED, "nl", "Intervisie: Omgaan met ouders — bijeenkomst 5 (zelfsturend)"),
        (SELF_DIRECTED, "en", "Intervisie: Omgaan met ouders — session 5 (self-directed)"),
        ({"theme": None}, "nl", "Intervisie: Middenbouw Utrecht — bijeenkomst 2 van 3 (begeleid)"),
        ({"status": "cancelled"}, "nl",
         "Geannuleerd: Intervisie: Omgaan met ouders — bijeenkomst 2 van 3 (begeleid)"),
        ({"status": "cancelled"}, "en",
         "Cancelled: Intervisie: Omgaan met ouders — session 2 of 3 (guided)"),
    ],
)
def test_summary_says_which_session_it_is(changes, language, expected):
    assert texts.summary(session(**changes), language) == expected


def test_unknown_language_falls_back_to_dutch_and_english_variants_are_english():
    assert texts.summary(session(), "de") == texts.summary(session(), "nl")
    assert texts.summary(session(), "en-GB") == texts.summary(session(), "en")


def test_dutch_description_has_place_link_phases_and_confidentiality():
    text = texts.description(session(), "nl")
    assert "Dit is bijeenkomst 2 van 3 van de reeks, onder begeleiding van Fenna Jansen." in text
    assert "Deelnemen via de videoverbinding: https://meet.example/intervisie-abc" in text
    positions = [text.index(phase) for phase in (
        "1. Opening", "2. Inbreng en keuze van een casus", "3. Verhelderende vragen",
        "4. Ieders perspectief", "5. Conclusies van de inbrenger", "6. Evaluatie")]
    assert positions == sorted(positions)
    assert text.endswith("Wat in de groep besproken wordt, blijft in de groep.")
    assert "Voorzitter" not in text


def test_english_description_has_the_same_parts():
    text = texts.description(session(), "en")
    assert "This is session 2 of 3 in the series, guided by Fenna Jansen." in text
    assert "Join the video call: https://meet.example/intervisie-abc" in text
    assert "3. Clarifying questions" in text
    assert "5. The presenter's conclusions" in text
    assert text.endswith("What is discussed in the group stays in the group.")


def test_self_directed_description_says_who_chairs():
    assert "Voorzitter: Anna Bakker" in texts.description(session(**SELF_DIRECTED), "nl")
    assert "Chair: Anna Bakker" in texts.description(session(**SELF_DIRECTED), "en")


def test_self_directed_session_without_a_chair_asks_the_group_to_agree():
    text = texts.description(session(number=4, kind="self_directed"), "nl")
    assert "Voorzitter: spreek samen af wie deze keer voorzit." in text


def test_cancelled_description_says_the_session_is_off():
    assert "Deze bijeenkomst gaat niet door." in texts.description(session(status="cancelled"), "nl")


def test_phases_are_the_six_steps_of_an_intervision_session():
    assert texts.phases("nl") == (
        "Opening", "Inbreng en keuze van een casus", "Verhelderende vragen",
        "Ieders perspectief", "Conclusies van de inbrenger", "Evaluatie")
    assert len(texts.phases("en")) == 6


def test_invitation_uses_the_recipients_language():
    english = Contact("Mark de Vries", "mark@school.example", language="en")
    ics = build_invitation(session(), english, method="REQUEST", role="REQ-PARTICIPANT",
                           issued_at=datetime(2027, 1, 5, tzinfo=UTC))
    (event,) = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Intervisie: Omgaan met ouders — session 2 of 3 (guided)"
    assert str(event["DESCRIPTION"]) == texts.description(session(), "en")


def test_description_survives_the_round_trip_through_icalendar_unchanged():
    ics = build_invitation(session(**SELF_DIRECTED), FACILITATOR, method="REQUEST",
                           role="REQ-PARTICIPANT", issued_at=datetime(2027, 1, 5, tzinfo=UTC))
    (event,) = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["DESCRIPTION"]) == texts.description(session(**SELF_DIRECTED), "nl")


@pytest.mark.parametrize(
    ("notice", "language", "expected"),
    [
        ("new", "nl", "Uitnodiging: Intervisie: Omgaan met ouders — bijeenkomst 2 van 3 (begeleid)"),
        ("changed", "nl", "Gewijzigd: Intervisie: Omgaan met ouders — bijeenkomst 2 van 3 (begeleid)"),
        ("removed", "nl", "Afgemeld: Intervisie: Omgaan met ouders — bijeenkomst 2 van 3 (begeleid)"),
        ("new", "en", "Invitation: Intervisie: Omgaan met ouders — session 2 of 3 (guided)"),
    ],
)
def test_mail_subject_says_what_happened(notice, language, expected):
    assert texts.mail_subject(session(), language=language, notice=notice) == expected


def test_subject_of_a_cancelled_session_says_cancelled_once():
    subject = texts.mail_subject(session(status="cancelled"), language="nl", notice="cancelled")
    assert subject == "Geannuleerd: Intervisie: Omgaan met ouders — bijeenkomst 2 van 3 (begeleid)"


def test_mail_text_gives_time_in_words_in_the_sessions_zone():
    member = Contact("Mark de Vries", "mark@school.example")
    text = texts.mail_text(session(), member, notice="new")
    assert text.startswith("Beste Mark de Vries,\n")
    assert "Wanneer: dinsdag 30 maart 2027, 19:30–21:30 (Europe/Amsterdam)" in text
    assert "Je bent uitgenodigd voor bijeenkomst 2 van 3 (begeleid)" in text


def test_mail_text_for_the_facilitator_says_she_guides_it():
    text = texts.mail_text(session(), FACILITATOR, notice="new", role="CHAIR")
    assert "Je begeleidt bijeenkomst 2 van 3 (begeleid)" in text


def test_english_mail_text_for_a_member_who_left():
    member = Contact("Mark de Vries", "mark@school.example", language="en")
    text = texts.mail_text(session(), member, notice="removed")
    assert text.startswith("Dear Mark de Vries,\n")
    assert "You no longer take part in the intervision group Middenbouw Utrecht" in text
    assert "When: Tuesday 30 March 2027, 19:30–21:30 (Europe/Amsterdam)" in text
    assert "https://meet.example/intervisie-abc" not in text


def test_unknown_notice_is_refused():
    with pytest.raises(ValueError):
        texts.mail_subject(session(), language="nl", notice="moved")
