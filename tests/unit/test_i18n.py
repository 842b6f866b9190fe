"""The catalogues and the date words: every message has its Dutch, the compiled catalogues are
those of the .po files, and dates read the same on every machine."""

from __future__ import annotations

import io
import string
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from gettext import GNUTranslations
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from shared.domain import i18n

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "shared" / "locale"


def catalogue(path: Path):
    with path.open("rb") as handle:
        return read_po(handle, abort_invalid=True)


def messages(path: Path) -> dict:
    return {message.id if message.context is None else (message.context, message.id): message
            for message in catalogue(path) if message.id}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_every_message_of_the_template_is_translated_into_dutch():
    template = messages(LOCALE / "messages.pot")
    dutch = messages(LOCALE / "nl" / "LC_MESSAGES" / "messages.po")
    assert template, "the template holds no messages"
    assert sorted(map(str, set(template) - set(dutch))) == []
    untranslated = [key for key, message in dutch.items() if not (all(message.string) if message.pluralizable else message.string)]
    assert untranslated == []
    assert [key for key, message in dutch.items() if message.fuzzy] == []
    assert sorted(map(str, set(dutch) - set(template))) == [], "obsolete Dutch entries: run pybabel update"


def test_english_catalogue_has_the_template_messages_and_lets_the_msgid_speak():
    template = messages(LOCALE / "messages.pot")
    english = messages(LOCALE / "en" / "LC_MESSAGES" / "messages.po")
    assert set(english) == set(template)
    assert [key for key, message in english.items() if any(message.string) if message.pluralizable] == []
    assert [key for key, message in english.items() if not message.pluralizable and message.string] == []


@pytest.mark.parametrize("language", ["nl", "en"])
def test_translations_keep_the_placeholders_of_their_msgid(language):
    wrong = []
    for key, message in messages(LOCALE / language / "LC_MESSAGES" / "messages.po").items():
        ids = message.id if message.pluralizable else (message.id,)
        strings = message.string if message.pluralizable else (message.string,)
        expected = set().union(*(placeholders(text) for text in ids)) - {"count"}
        for text in strings:
            if text and placeholders(text) - {"count"} != expected:
                wrong.append((key, text))
    assert wrong == []


@pytest.mark.parametrize("language", ["nl", "en"])
def test_po_files_compile_and_the_installed_catalogue_is_up_to_date(language):
    po = LOCALE / language / "LC_MESSAGES" / "messages.po"
    compiled = io.BytesIO()
    write_mo(compiled, catalogue(po))
    compiled.seek(0)
    fresh = GNUTranslations(compiled)
    installed = i18n.translations(language)
    assert installed._catalog == fresh._catalog, "the .mo is older than its .po: run `pip install -e .` (or make)"


def test_template_lists_every_message_in_the_code(tmp_path):
    """A `_()` added to the code without `pybabel extract` would read in English to everyone."""
    extracted = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_", "--no-location",
         "-o", str(extracted), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    assert set(messages(extracted)) == set(messages(LOCALE / "messages.pot"))


def test_a_missing_catalogue_is_an_error_not_english(tmp_path, monkeypatch):
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        with pytest.raises(i18n.CatalogueMissing, match="messages.mo is missing"):
            i18n.translations("nl")
    finally:
        monkeypatch.undo()
        i18n.translations.cache_clear()


@pytest.mark.parametrize(("tag", "language"), [("en", "en"), ("en-GB", "en"), ("EN_us", "en"), ("nl", "nl"), ("de", "nl"), (None, "nl"), ("", "nl")])
def test_language_of_a_tag(tag, language):
    assert i18n.language_of(tag) == language


START = datetime(2027, 3, 23, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize(("language", "timezone", "expected"), [
    ("nl", "Europe/Amsterdam", "dinsdag 23 maart 2027, 19:30–21:30 (tijd in Amsterdam)"),
    ("en", "Europe/Amsterdam", "Tuesday, 23 March 2027, 19:30–21:30 (Amsterdam time)"),
    ("nl", "America/New_York", "dinsdag 23 maart 2027, 14:30–16:30 (tijd in New York)"),
    ("en", "America/New_York", "Tuesday, 23 March 2027, 14:30–16:30 (New York time)"),
    ("en", "UTC", "Tuesday, 23 March 2027, 18:30–20:30 (UTC)"),
    ("nl", "Etc/GMT+5", "dinsdag 23 maart 2027, 13:30–15:30 (GMT-05:00)"),
])
def test_when_in_words_in_the_readers_zone(language, timezone, expected):
    assert i18n.when(START, START + timedelta(hours=2), language, timezone) == expected


def test_when_over_midnight_names_both_days():
    assert i18n.when(START, START + timedelta(hours=5), "nl", "Europe/Amsterdam") == (
        "dinsdag 23 maart 2027, 19:30 – woensdag 24 maart 2027, 00:30 (tijd in Amsterdam)"
    )


def test_no_tz_id_in_any_zone_name_of_the_common_zones():
    for zone in ("Europe/Amsterdam", "Europe/Brussels", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney"):
        for language in i18n.LANGUAGES:
            name = i18n.zone_name(zone, language)
            assert "/" not in name and "_" not in name, name


def test_weekday_and_month_words():
    assert [i18n.weekday_name(day, "nl") for day in (0, 6)] == ["maandag", "zondag"]
    assert [i18n.weekday_name(day, "en") for day in (0, 6)] == ["Monday", "Sunday"]
    assert i18n.month_and_year(5, 2027, "nl") == "mei 2027"
    assert i18n.month_and_year(5, 2027, "en") == "May 2027"
    assert i18n.format_date(START, "nl", weekday=False) == "23 maart 2027"
    assert i18n.format_date(START, "en", weekday=False) == "23 March 2027"


def test_translator_fills_placeholders_after_translating():
    _ = i18n.translator("nl")
    assert _("{moment} ({zone})", moment="m", zone="z") == "m (z)"
    assert i18n.gettext("en", "{date}, {times}", date="d", times="t") == "d, t"


@pytest.mark.parametrize(("timezone", "language", "city", "place"), [
    ("America/New_York", "nl", "New York", "New York"),  # a country of several clocks: the city
    ("America/New_York", "en", "New York", "New York"),
    ("Europe/Amsterdam", "nl", "Amsterdam", "Nederland"),  # one clock for the country: its name
    ("Europe/Amsterdam", "en", "Amsterdam", "the Netherlands"),
    ("Asia/Kolkata", "nl", "Calcutta", "India"),  # Babel's Dutch exemplar city
    ("Asia/Kolkata", "en", "Kolkata", "India"),
    ("Asia/Calcutta", "en", "Kolkata", "India"),  # an old name of the same zone
    ("America/Port_of_Spain", "nl", "Port of Spain", "Trinidad en Tobago"),  # an underscore in the city
    ("America/Los_Angeles", "en", "Los Angeles", "Los Angeles"),
    ("Asia/Ho_Chi_Minh", "nl", "Ho Chi Minhstad", "Vietnam"),
    ("Europe/London", "nl", "Londen", "het Verenigd Koninkrijk"),
    ("Europe/London", "en", "London", "the United Kingdom"),
    ("UTC", "nl", None, None),
    ("Etc/GMT+5", "en", None, None),
])
def test_a_zone_is_named_by_its_city_and_its_country(timezone, language, city, place):
    assert i18n.zone_city(timezone, language) == city
    assert i18n.zone_place(timezone, language) == place


@pytest.mark.parametrize(("timezone", "language", "words"), [
    ("America/New_York", "nl", "tijd in New York"),
    ("America/New_York", "en", "New York time"),
    ("Europe/Amsterdam", "nl", "tijd in Amsterdam"),
    ("Asia/Kolkata", "en", "Kolkata time"),
    ("America/Port_of_Spain", "en", "Port of Spain time"),
    ("UTC", "nl", "UTC"),
    ("Etc/GMT+5", "nl", "GMT-05:00"),  # Etc/GMT+5 is five hours behind: never the id's sign
])
def test_zone_words_say_the_city_never_a_tz_id(timezone, language, words):
    assert i18n.zone_words(timezone, language) == words


@pytest.mark.parametrize(("language", "timezone", "group", "expected"), [
    ("nl", "America/New_York", "Europe/Amsterdam", "dinsdag 23 maart 2027, 14:30–16:30 (tijd in New York; 19:30–21:30 in Nederland)"),
    ("en", "America/New_York", "Europe/Amsterdam", "Tuesday, 23 March 2027, 14:30–16:30 (New York time; 19:30–21:30 in the Netherlands)"),
    ("nl", "Asia/Kolkata", "Europe/Amsterdam", "woensdag 24 maart 2027, 00:00–02:00 (tijd in Calcutta; dinsdag 19:30–21:30 in Nederland)"),
    ("en", "Europe/Amsterdam", "America/New_York", "Tuesday, 23 March 2027, 19:30–21:30 (Amsterdam time; 14:30–16:30 in New York)"),
    ("nl", "Europe/Amsterdam", "UTC", "dinsdag 23 maart 2027, 19:30–21:30 (tijd in Amsterdam; 18:30–20:30 UTC)"),
    ("nl", "Europe/Amsterdam", "Europe/Amsterdam", "dinsdag 23 maart 2027, 19:30–21:30 (tijd in Amsterdam)"),
    ("nl", "Europe/Brussels", "Europe/Amsterdam", "dinsdag 23 maart 2027, 19:30–21:30 (tijd in Brussel)"),  # the same clock
])
def test_when_adds_the_groups_time_where_its_clock_differs(language, timezone, group, expected):
    assert i18n.when(START, START + timedelta(hours=2), language, timezone, group_timezone=group) == expected


def test_the_same_moment_elsewhere_for_a_single_time():
    assert i18n.elsewhere(START, None, "nl", "Europe/Amsterdam") == "19:30 in Nederland"
    assert i18n.elsewhere(START, None, "en", "Europe/Amsterdam", beside="Pacific/Auckland") == "Tuesday 19:30 in the Netherlands"
