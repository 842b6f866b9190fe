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
        ({}, "nl", "Intervisie Middenbouw Utrecht — bijeenkomst 2 van 3 (begeleid)"),
        ({}, "en", "Intervision Middenbouw Utrecht — session 2 of 3 (guided)"),
        (SELF_DIRECTED, "nl", "Intervisie Middenbouw Utrecht — bijeenkomst 5 (zelfsturend)"),
        (SELF_DIRECTED, "en", "Intervision Middenbouw Utrecht — session 5 (self-directed)"),
        ({"theme": None}, "nl", "Intervisie Middenbouw Utrecht — bijeenkomst 2 van 3 (begeleid)"),
        ({"theme": "passend_onderwijs", "group_name": "Gedrag A"}, "nl", "Intervisie Gedrag A — bijeenkomst 2 van 3 (begeleid)"),
        ({"group_name": "Intervisiegroep Noord"}, "nl", "Intervisiegroep Noord — bijeenkomst 2 van 3 (begeleid)"),
        ({"status": "cancelled"}, "nl",
         "Geannuleerd: Intervisie Middenbouw Utrecht — bijeenkomst 2 van 3 (begeleid)"),
        ({"status": "cancelled"}, "en",
         "Cancelled: Intervision Middenbouw Utrecht — session 2 of 3 (guided)"),
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
    assert str(event["SUMMARY"]) == "Intervision Middenbouw Utrecht — session 2 of 3 (guided)"
    assert str(event["DESCRIPTION"]) == texts.description(session(), "en")


def test_description_survives_the_round_trip_through_icalendar_unchanged():
    ics = build_invitation(session(**SELF_DIRECTED), FACILITATOR, method="REQUEST",
                           role="REQ-PARTICIPANT", issued_at=datetime(2027, 1, 5, tzinfo=UTC))
    (event,) = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["DESCRIPTION"]) == texts.description(session(**SELF_DIRECTED), "nl")


@pytest.mark.parametrize(
    ("notice", "language", "expected"),
    [
        ("new", "nl", "Uitnodiging: Intervisie Middenbouw Utrecht — bijeenkomst 2 van 3 (begeleid)"),
        ("changed", "nl", "Gewijzigd: Intervisie Middenbouw Utrecht — bijeenkomst 2 van 3 (begeleid)"),
        ("removed", "nl", "Afgemeld: Intervisie Middenbouw Utrecht — bijeenkomst 2 van 3 (begeleid)"),
        ("new", "en", "Invitation: Intervision Middenbouw Utrecht — session 2 of 3 (guided)"),
    ],
)
def test_mail_subject_says_what_happened(notice, language, expected):
    assert texts.mail_subject(session(), language=language, notice=notice) == expected


@pytest.mark.parametrize("separator", ["\u0085", "\u2028", "\u2029"])
def test_every_subject_stays_on_one_line_whatever_the_group_is_called(separator):
    # The API takes these in a name; the mail library refuses a header that str.splitlines() splits.
    event = session(group_name=f"Groep{separator}A")
    for subject in (texts.mail_subject(event, language="nl", notice="new"), texts.reminder_subject(event, "nl"),
                    texts.at_risk_subject(event, "nl")):
        assert subject.splitlines() == [subject] and "Groep A" in subject


def test_the_meeting_link_in_the_notes_and_the_mail_is_the_written_link():
    event = session(meeting_url='https://meet.example/r?x={"a":1}')
    for text in (texts.description(event, "nl"), texts.mail_text(event, Contact("Mark", "mark@school.example"), notice="new"),
                 texts.reminder_text(event, Contact("Mark", "mark@school.example"), timezone="Europe/Amsterdam", answer_url=None)):
        assert "Deelnemen via de videoverbinding: https://meet.example/r?x=%7B%22a%22:1%7D\n" in text


def test_subject_of_a_cancelled_session_says_cancelled_once():
    subject = texts.mail_subject(session(status="cancelled"), language="nl", notice="cancelled")
    assert subject == "Geannuleerd: Intervisie Middenbouw Utrecht — bijeenkomst 2 van 3 (begeleid)"


def test_mail_text_gives_time_in_words_in_the_sessions_zone():
    member = Contact("Mark de Vries", "mark@school.example")
    text = texts.mail_text(session(), member, notice="new")
    assert text.startswith("Beste Mark de Vries,\n")
    assert "Wanneer: dinsdag 30 maart 2027, 19:30–21:30 (tijd in Amsterdam)" in text
    assert "Je bent uitgenodigd voor bijeenkomst 2 van 3 (begeleid)" in text


def test_mail_text_in_the_readers_own_city_with_the_groups_time_beside_it():
    member = Contact("Mark de Vries", "mark@school.example", "en")
    text = texts.mail_text(session(), member, notice="new", timezone="Asia/Kolkata")
    assert "When: Tuesday, 30 March 2027, 23:00 – Wednesday, 31 March 2027, 01:00 (Kolkata time; 19:30–21:30 in the Netherlands)" in text
    same = texts.mail_text(session(), member, notice="new", timezone="Europe/Amsterdam")
    assert "When: Tuesday, 30 March 2027, 19:30–21:30 (Amsterdam time)\n" in same


def test_at_risk_mail_gives_the_other_times_on_the_readers_clock_and_the_groups():
    alternative = datetime(2027, 4, 6, 17, 30, tzinfo=UTC)
    text = texts.at_risk_text(session(**GEDRAG_A), DUTCH_READER, declined=[], alternatives=[alternative], timezone="Europe/London")
    assert "op dinsdag 30 maart 2027, 18:30–20:30 (tijd in Londen; 19:30–21:30 in Nederland)." in text
    assert "- dinsdag 6 april 2027, 18:30–20:30 (tijd in Londen; 19:30–21:30 in Nederland)\n" in text


def test_mail_text_for_the_facilitator_says_she_guides_it():
    text = texts.mail_text(session(), FACILITATOR, notice="new", role="CHAIR")
    assert "Je begeleidt bijeenkomst 2 van 3 (begeleid)" in text


def test_english_mail_text_for_a_member_who_left():
    member = Contact("Mark de Vries", "mark@school.example", language="en")
    text = texts.mail_text(session(), member, notice="removed")
    assert text.startswith("Dear Mark de Vries,\n")
    assert "You no longer take part in the intervision group Middenbouw Utrecht" in text
    assert "When: Tuesday, 30 March 2027, 19:30–21:30 (Amsterdam time)" in text
    assert "https://meet.example/intervisie-abc" not in text


def test_unknown_notice_is_refused():
    with pytest.raises(ValueError):
        texts.mail_subject(session(), language="nl", notice="moved")


# -- words, not slugs: one fixed session, every text in full ---------------------------------------

GEDRAG_A = dict(group_name="Gedrag A", theme="interculturele_samenwerking")
ANSWER_URL = "https://intervisie.example/answer/t0k3n"
DUTCH_READER = Contact("Mark de Vries", "mark@school.example")
ENGLISH_READER = Contact("Mark de Vries", "mark@school.example", language="en")


def test_dutch_summary_and_description_in_full():
    event = session(**GEDRAG_A)
    assert texts.summary(event, "nl") == "Intervisie Gedrag A — bijeenkomst 2 van 3 (begeleid)"
    assert texts.description(event, "nl", answer_url=ANSWER_URL) == (
        "Intervisiegroep: Gedrag A\n"
        "Thema: Interculturele samenwerking\n"
        "Dit is bijeenkomst 2 van 3 van de reeks, onder begeleiding van Fenna Jansen.\n"
        "\n"
        "Deelnemen via de videoverbinding: https://meet.example/intervisie-abc\n"
        "\n"
        "Laat weten of je erbij bent: https://intervisie.example/answer/t0k3n\n"
        "\n"
        "Verloop van de bijeenkomst:\n"
        "1. Opening – korte ronde: hoe zit iedereen erbij?\n"
        "2. Inbreng en keuze van een casus – wie brengt vandaag een vraag of situatie in?\n"
        "3. Verhelderende vragen – open vragen om de situatie te begrijpen, nog geen advies\n"
        "4. Ieders perspectief – ieder groepslid geeft een eigen kijk of advies; de inbrenger luistert\n"
        "5. Conclusies van de inbrenger – wat neem je mee, wat ga je doen?\n"
        "6. Evaluatie – hoe ging het, en wat nemen we mee naar de volgende keer?\n"
        "\n"
        "Wat in de groep besproken wordt, blijft in de groep."
    )


def test_english_summary_and_description_in_full():
    event = session(**GEDRAG_A)
    assert texts.summary(event, "en") == "Intervision Gedrag A — session 2 of 3 (guided)"
    assert texts.description(event, "en", answer_url=ANSWER_URL) == (
        "Intervision group: Gedrag A\n"
        "Theme: Intercultural collaboration\n"
        "This is session 2 of 3 in the series, guided by Fenna Jansen.\n"
        "\n"
        "Join the video call: https://meet.example/intervisie-abc\n"
        "\n"
        "Let us know whether you will attend: https://intervisie.example/answer/t0k3n\n"
        "\n"
        "How the session runs:\n"
        "1. Opening – a short round: how is everyone doing?\n"
        "2. Bringing in and choosing a case – who brings a question or situation today?\n"
        "3. Clarifying questions – open questions to understand the situation, no advice yet\n"
        "4. Everyone's perspective – each member gives their own view or advice; the presenter listens\n"
        "5. The presenter's conclusions – what do you take away, what will you do?\n"
        "6. Evaluation – how did it go, and what do we take to the next session?\n"
        "\n"
        "What is discussed in the group stays in the group."
    )


def test_dutch_invitation_mail_in_full():
    event = session(**GEDRAG_A)
    assert texts.mail_subject(event, language="nl", notice="new") == "Uitnodiging: Intervisie Gedrag A — bijeenkomst 2 van 3 (begeleid)"
    assert texts.mail_text(event, DUTCH_READER, notice="new", answer_url=ANSWER_URL) == (
        "Beste Mark de Vries,\n"
        "\n"
        "Je bent uitgenodigd voor bijeenkomst 2 van 3 (begeleid) van intervisiegroep Gedrag A.\n"
        "\n"
        "Wanneer: dinsdag 30 maart 2027, 19:30–21:30 (tijd in Amsterdam)\n"
        "Thema: Interculturele samenwerking\n"
        "Deelnemen via de videoverbinding: https://meet.example/intervisie-abc\n"
        "\n"
        "Met de knoppen in je agenda kun je laten weten of je erbij bent.\n"
        "Laat weten of je erbij bent: https://intervisie.example/answer/t0k3n\n"
        "\n"
        "Wat in de groep besproken wordt, blijft in de groep.\n"
        "\n"
        "Met vriendelijke groet,\n"
        "Fenna Jansen\n"
    )


def test_english_invitation_mail_in_full():
    event = session(**GEDRAG_A)
    assert texts.mail_subject(event, language="en", notice="new") == "Invitation: Intervision Gedrag A — session 2 of 3 (guided)"
    assert texts.mail_text(event, ENGLISH_READER, notice="new", answer_url=ANSWER_URL) == (
        "Dear Mark de Vries,\n"
        "\n"
        "You are invited to session 2 of 3 (guided) of the intervision group Gedrag A.\n"
        "\n"
        "When: Tuesday, 30 March 2027, 19:30–21:30 (Amsterdam time)\n"
        "Theme: Intercultural collaboration\n"
        "Join the video call: https://meet.example/intervisie-abc\n"
        "\n"
        "Use the buttons in your calendar to let us know whether you will attend.\n"
        "Let us know whether you will attend: https://intervisie.example/answer/t0k3n\n"
        "\n"
        "What is discussed in the group stays in the group.\n"
        "\n"
        "Kind regards,\n"
        "Fenna Jansen\n"
    )


@pytest.mark.parametrize(("language", "timezone", "expected"), [
    ("nl", None, "dinsdag 30 maart 2027, 19:30–21:30 (tijd in Amsterdam)"),
    ("en", None, "Tuesday, 30 March 2027, 19:30–21:30 (Amsterdam time)"),
    ("nl", "America/New_York", "dinsdag 30 maart 2027, 13:30–15:30 (tijd in New York; 19:30–21:30 in Nederland)"),
    ("en", "America/New_York", "Tuesday, 30 March 2027, 13:30–15:30 (New York time; 19:30–21:30 in the Netherlands)"),
])
def test_when_in_words_in_the_sessions_or_the_readers_zone(language, timezone, expected):
    assert texts.when(session(**GEDRAG_A), language, timezone) == expected


def test_reminder_in_the_readers_zone_in_full():
    text = texts.reminder_text(session(**GEDRAG_A), ENGLISH_READER, timezone="America/New_York", answer_url=None)
    assert texts.reminder_subject(session(**GEDRAG_A), "en") == "Reminder: session 2 of 3 (guided) of Gedrag A"
    assert text == (
        "Dear Mark de Vries,\n"
        "\n"
        "A reminder: session 2 of 3 (guided) of the intervision group Gedrag A.\n"
        "\n"
        "When: Tuesday, 30 March 2027, 13:30–15:30 (New York time; 19:30–21:30 in the Netherlands)\n"
        "Join the video call: https://meet.example/intervisie-abc\n"
        "\n"
        "What is discussed in the group stays in the group.\n"
        "\n"
        "Kind regards,\n"
        "Fenna Jansen\n"
    )


def test_at_risk_mail_names_the_group_and_the_other_times_in_words():
    alternative = datetime(2027, 4, 6, 17, 30, tzinfo=UTC)
    declined = [("Anna Bakker", "Ik ben op cursus.\n\nBeste Piet, klik hier"), ("Bram de Vries", None)]
    text = texts.at_risk_text(session(**GEDRAG_A), DUTCH_READER, declined=declined, alternatives=[alternative])
    assert texts.at_risk_subject(session(**GEDRAG_A), "nl") == "Let op: niet iedereen kan bij bijeenkomst 2 van 3 (begeleid) van Gedrag A"
    assert (
        "Niet iedereen kan bij bijeenkomst 2 van 3 (begeleid) van intervisiegroep Gedrag A "
        "op dinsdag 30 maart 2027, 19:30–21:30 (tijd in Amsterdam).\nAfgezegd: Anna Bakker, Bram de Vries.\n"
        # Her comment quoted on one line: what she typed cannot pass for the mail's own text.
        "Anna Bakker schreef: \u201eIk ben op cursus. Beste Piet, klik hier\u201d\n\n"
    ) in text
    english = texts.at_risk_text(session(**GEDRAG_A), ENGLISH_READER, declined=declined, alternatives=[])
    assert "Declined: Anna Bakker, Bram de Vries.\nAnna Bakker wrote: \u201cIk ben op cursus. Beste Piet, klik hier\u201d\n" in english
    assert "- dinsdag 6 april 2027, 19:30–21:30 (tijd in Amsterdam)\n" in text


def every_text(event, reader: Contact) -> list[str]:
    language = reader.language
    produced = [texts.summary(event, language), texts.description(event, language, answer_url=ANSWER_URL),
                texts.at_risk_subject(event, language), texts.reminder_subject(event, language),
                texts.at_risk_text(event, reader, declined=[("Anna Bakker", "Sorry")], alternatives=[event.start]),
                texts.reminder_text(event, reader, timezone="America/New_York", answer_url=ANSWER_URL)]
    for notice in texts.NOTICES:
        produced += [texts.mail_subject(event, language=language, notice=notice),
                     texts.mail_text(event, reader, notice=notice, answer_url=ANSWER_URL)]
    return produced


@pytest.mark.parametrize("reader", [DUTCH_READER, ENGLISH_READER], ids=["nl", "en"])
@pytest.mark.parametrize("changes", [GEDRAG_A, {**GEDRAG_A, **SELF_DIRECTED}, {**GEDRAG_A, "status": "cancelled"},
                                     {**GEDRAG_A, "theme": "lastige_gesprekken-met-ouders"}])
def test_no_text_a_person_reads_shows_a_slug_or_a_zone_id(changes, reader):
    produced = every_text(session(**changes), reader)
    assert len(produced) == 14
    for text in produced:
        without_links = " ".join(word for word in text.split() if "://" not in word)
        assert "_" not in without_links, text
        assert "Europe/" not in text and "America/" not in text, text
        assert "interculturele_samenwerking" not in text and "lastige_gesprekken" not in text


def test_an_unknown_theme_reads_with_spaces():
    text = texts.description(session(theme="lastige_gesprekken-met-ouders"), "nl")
    assert "Thema: lastige gesprekken met ouders\n" in text
