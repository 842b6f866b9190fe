"""A published calendar in its owner's words: the stable code of each way a fetch fails, the
sentence each code reads as in Dutch and English, the status of a source in the reader's zone,
what the page refuses before asking the database, and the busy half hours of the week grid."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.domain import calendar_source_texts as texts
from shared.domain import calendar_sources as rules
from shared.domain import week_form

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # a Tuesday: 13:00 in Amsterdam


@pytest.mark.parametrize(("failed", "code"), [
    (rules.answered(404), "not-found"),
    (rules.answered(410), "not-found"),
    (rules.answered(401), "forbidden"),
    (rules.answered(403), "forbidden"),
    (rules.answered(500), "http-error"),
    (rules.answered(299), "http-error"),
    (rules.too_slow(), "too-slow"),
    (rules.cut_off(), "cut-off"),
    (rules.too_large(), "too-large"),
    (rules.too_many_redirects(), "too-many-redirects"),
    (rules.unreachable("Connection refused"), "unreachable"),
    (rules.not_a_calendar("no VCALENDAR"), "not-a-calendar"),
    (rules.refused("must use https"), "refused-address"),
    (rules.UNREADABLE_ADDRESS, "unreadable-address"),
    (rules.UNEXPECTED, "unexpected"),
])
def test_each_way_a_fetch_fails_has_its_stable_code_beside_its_english_words(failed, code):
    assert failed.code == code and code in rules.FAILURE_CODES
    assert failed.reason.startswith(("the ", "an unexpected"))  # the English last_error, as before


def test_the_english_reasons_are_kept_as_api_users_know_them():
    assert rules.answered(404) == rules.Failed("the calendar server answered 404 Not Found", "not-found")
    assert rules.answered(299).reason == "the calendar server answered 299 an unknown status"
    assert rules.answered_status(rules.answered(403).reason) == 403
    assert rules.answered_status(rules.too_slow().reason) is None and rules.answered_status(None) is None


def test_every_code_reads_as_its_own_sentence_in_dutch_and_in_english():
    dutch = {code: texts.failure_text(code, "the calendar server answered 404 Not Found", "nl") for code in rules.FAILURE_CODES}
    english = {code: texts.failure_text(code, "the calendar server answered 404 Not Found", "en") for code in rules.FAILURE_CODES}
    assert len(set(dutch.values())) == len(set(english.values())) == len(rules.FAILURE_CODES)
    assert all(dutch[code] != english[code] for code in rules.FAILURE_CODES)
    assert all("{" not in text and "the calendar server answered" not in text for text in dutch.values())
    assert dutch["not-found"] == (
        "De agenda-server antwoordde 'niet gevonden' (404): de link klopt niet meer. Maak een nieuwe link en plak die hier."
    )
    assert english["not-found"] == (
        "The calendar server answered 'not found' (404): the link no longer works. Make a new link and paste it here."
    )
    assert texts.failure_text("too-large", None, "nl") == (
        "De agenda is groter dan 10 MiB; zo veel lezen we niet. Publiceer een kleinere agenda, bijvoorbeeld alleen je werkagenda."
    )
    assert texts.failure_text("too-many-redirects", None, "nl").startswith("De link stuurde ons te vaak door (meer dan 5 keer).")


def test_a_status_code_reads_with_the_status_its_reason_names_or_without_one():
    assert "(403)" in texts.failure_text("forbidden", rules.answered(403).reason, "nl")
    assert "(502)" in texts.failure_text("http-error", rules.answered(502).reason, "nl")
    assert texts.failure_text("not-found", None, "nl") == (
        "De agenda-server antwoordde 'niet gevonden': de link klopt niet meer. Maak een nieuwe link en plak die hier."
    )


def test_a_code_this_version_does_not_know_reads_as_unexpected():
    assert texts.failure_text("from-the-future", "whatever", "nl") == texts.failure_text("unexpected", None, "nl")
    assert texts.failure_text(None, None, "en") == texts.failure_text("unexpected", None, "en")


@pytest.mark.parametrize(("fetched", "timezone", "language", "summary"), [
    (datetime(2026, 11, 24, 13, 5, tzinfo=UTC), "Europe/Amsterdam", "nl", "bijgewerkt om 14:05"),
    (datetime(2026, 11, 23, 23, 30, tzinfo=UTC), "Europe/Amsterdam", "nl", "bijgewerkt om 00:30"),  # today there
    (datetime(2026, 11, 23, 23, 30, tzinfo=UTC), "UTC", "nl", "bijgewerkt op 23 november 2026 om 23:30"),
    (datetime(2026, 11, 23, 22, 59, tzinfo=UTC), "Europe/Amsterdam", "nl", "bijgewerkt op 23 november 2026 om 23:59"),
    (datetime(2026, 11, 24, 4, 0, tzinfo=UTC), "America/New_York", "en", "updated on 23 November 2026 at 23:00"),
    (datetime(2026, 11, 24, 11, 0, tzinfo=UTC), "America/New_York", "en", "updated at 06:00"),
])
def test_a_fetched_calendar_says_when_it_was_updated_on_the_readers_clock(fetched, timezone, language, summary):
    shown = texts.shown(rules.OK, fetched, None, None, now=NOW, timezone=timezone, language=language)
    assert shown == texts.Shown(summary, None)


def test_a_calendar_not_fetched_yet_is_being_fetched_and_a_failed_one_says_why():
    assert texts.shown(rules.PENDING, None, None, None, now=NOW, timezone="Europe/Amsterdam", language="nl") == texts.Shown(
        "wordt opgehaald", None,
    )
    never = texts.shown(rules.FAILED, None, "too-slow", rules.too_slow().reason, now=NOW, timezone="Europe/Amsterdam", language="nl")
    assert never == texts.Shown(
        "ophalen mislukt", "De agenda-server deed er te lang over om de agenda te sturen. We proberen het later opnieuw.",
    )
    before = texts.shown(
        rules.FAILED, datetime(2026, 11, 24, 9, 0, tzinfo=UTC), "not-found", rules.answered(410).reason,
        now=NOW, timezone="Europe/Amsterdam", language="nl",
    )
    assert before.summary == "ophalen mislukt; laatst bijgewerkt om 10:00, en die bezette tijden blijven staan"
    assert before.problem.startswith("De agenda-server antwoordde 'niet gevonden' (410)")


@pytest.mark.parametrize(("typed", "allow_private", "problem"), [
    ("", False, texts.EMPTY),
    ("  \t", False, texts.EMPTY),
    ("https://calendar.example.org/a.ics", False, None),
    ("  webcal://p12-caldav.icloud.com/published/2/abc  ", False, None),
    ("WEBCALS://calendar.example.org/a.ics", False, None),
    ("HTTPS://calendar.example.org/a.ics", False, None),
    ("http://calendar.example.org/a.ics", False, texts.SCHEME),
    ("http://127.0.0.1:8080/a.ics", True, None),
    ("calendar.example.org/a.ics", False, texts.SCHEME),
    ("ftp://calendar.example.org/a.ics", True, texts.SCHEME),
    ("javascript:alert(1)", True, texts.SCHEME),
    ("https://calendar.example.org/" + "a" * 1971, False, None),
    ("https://calendar.example.org/" + "a" * 1972, False, texts.TOO_LONG),
])
def test_the_page_refuses_what_it_can_tell_without_the_database(typed, allow_private, problem):
    assert texts.entry_problem(typed, allow_private=allow_private) == problem


def test_every_refusal_of_the_page_reads_in_dutch_and_english():
    for problem in texts.ENTRY_PROBLEMS:
        dutch, english = texts.entry_text(problem, "nl"), texts.entry_text(problem, "en")
        assert dutch != english and "{" not in dutch and "{" not in english
    assert texts.entry_text(texts.LIMIT, "nl", count=5) == (
        "Je hebt al 5 agenda's, meer kan niet. Verwijder er eerst een voordat je een nieuwe toevoegt."
    )
    assert texts.entry_text(texts.SCHEME, "nl") == "De link moet beginnen met https:// of webcal://."


def test_busy_time_stripes_the_half_hours_it_overlaps_on_their_dates_in_the_coming_seven_days():
    lesson = (datetime(2026, 11, 25, 8, 0, tzinfo=UTC), datetime(2026, 11, 25, 8, 50, tzinfo=UTC))  # Wed 09:00-09:50
    late = (datetime(2026, 11, 30, 21, 45, tzinfo=UTC), datetime(2026, 12, 1, 7, 0, tzinfo=UTC))  # Mon 22:45 to Tue 08:00
    busy = week_form.busy_cells([lesson, late], date(2026, 11, 24), "Europe/Amsterdam")
    assert busy == {
        (2, 9 * 60): date(2026, 11, 25), (2, 9 * 60 + 30): date(2026, 11, 25),
        (0, 22 * 60 + 30): date(2026, 11, 30),
    }  # Tuesday 1 December's morning lies beyond the seven days (24 to 30 November)


def test_a_busy_half_hour_is_its_real_minutes_in_a_week_with_a_clock_change():
    # Sunday 29 March 2026: Amsterdam's clocks go from 02:00 to 03:00. 09:00 local is 07:00 UTC.
    busy = week_form.busy_cells(
        [(datetime(2026, 3, 29, 7, 0, tzinfo=UTC), datetime(2026, 3, 29, 7, 30, tzinfo=UTC))], date(2026, 3, 23), "Europe/Amsterdam",
    )
    assert busy == {(6, 9 * 60): date(2026, 3, 29)}
    # The Saturday before, 09:00 local is 08:00 UTC: an interval at 07:00 UTC is 08:00, before the half hour.
    saturday = week_form.busy_cells(
        [(datetime(2026, 3, 28, 7, 0, tzinfo=UTC), datetime(2026, 3, 28, 7, 30, tzinfo=UTC))], date(2026, 3, 23), "Europe/Amsterdam",
    )
    assert saturday == {(5, 8 * 60): date(2026, 3, 28)}


def test_time_that_only_touches_a_half_hour_does_not_stripe_it():
    touching = (datetime(2026, 11, 25, 7, 30, tzinfo=UTC), datetime(2026, 11, 25, 8, 0, tzinfo=UTC))  # 08:30-09:00 local
    assert week_form.busy_cells([touching], date(2026, 11, 24), "Europe/Amsterdam") == {(2, 8 * 60 + 30): date(2026, 11, 25)}
