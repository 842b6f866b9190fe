"""Languages, translated messages and dates in words: gettext catalogues and Babel.

Every sentence a person reads is an English msgid in ``shared/locale/messages.pot``, translated
into Dutch in ``shared/locale/nl/LC_MESSAGES/messages.po``. The English catalogue leaves its
msgstr empty: gettext then answers with the msgid itself. The ``.mo`` files are compiled when
the package is built or installed (see ``setup.py``); a missing one is an error, never a
silent fall back to English.

Code marks messages so that ``pybabel extract`` finds them::

    _ = i18n.translator(language)
    _("Chair: {name}", name=chair)                      # a sentence with a placeholder
    _.ngettext("{count} session", "{count} sessions", n, count=n)
    _.pgettext("ordinal", "first")                      # a word that needs its context
    PHASES = (N_("Opening"), ...)                       # marked here, translated where used

Placeholders are ``str.format`` names, filled after translation. Dates, times, weekday and
month names come from Babel (CLDR) and never from a hand-written table.
"""

from __future__ import annotations

import gettext as _gettext
from datetime import date, datetime, time, tzinfo
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as _dates
from babel.core import get_global

LANGUAGES: tuple[str, ...] = ("nl", "en")
"""The languages people read; the first is the default."""
DEFAULT_LANGUAGE = LANGUAGES[0]
SOURCE_LANGUAGE = "en"
"""The language of the msgids: its catalogue is empty on purpose."""
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
_LOCALES = {"nl": "nl_NL", "en": "en_GB"}


class CatalogueMissing(RuntimeError):
    """A compiled catalogue (``.mo``) is not where the package should have put it."""


def language_of(tag: str | None) -> str:
    """``"en"`` for any English tag (``en``, ``en-GB``), otherwise Dutch, the default."""
    return "en" if tag and tag.strip().lower().replace("_", "-").split("-")[0] == "en" else DEFAULT_LANGUAGE


def locale_of(language: str | None) -> Locale:
    """The Babel locale that formats dates for ``language``: ``nl_NL`` or ``en_GB``."""
    return Locale.parse(_LOCALES[language_of(language)])


@cache
def translations(language: str | None) -> _gettext.GNUTranslations:
    """The compiled catalogue of ``language`` (Dutch for anything not English), read once."""
    language = language_of(language)
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with path.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    except FileNotFoundError:
        raise CatalogueMissing(
            f"{path} is missing: the catalogues are compiled when the package is installed "
            "(run `pip install -e .` or `make`), see docs/translations.md"
        ) from None


class MessageMissing(LookupError):
    """A message that the catalogue of a translated language does not hold: it was not marked
    for ``pybabel extract`` (``_("…")``, ``N_("…")``), or its translation is missing."""


class Translator:
    """The messages of one language. Call it as ``_``: ``_("When: {when}", when=...)``.

    In a translated language (Dutch), a message that the catalogue lacks raises
    :class:`MessageMissing` rather than showing the English msgid to a Dutch reader; English,
    whose msgids are the text, answers with the msgid itself.
    """

    def __init__(self, language: str):
        self.language = language_of(language)
        self.locale = locale_of(self.language)
        self._catalogue = translations(self.language)
        self._strict = self.language != SOURCE_LANGUAGE

    def __call__(self, message: str, /, **values: object) -> str:
        self._check(message, message)
        return _fill(self._catalogue.gettext(message), values)

    def gettext(self, message: str, /, **values: object) -> str:
        return self(message, **values)

    def ngettext(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """The singular or plural form for ``count`` (which is also ``{count}`` unless given)."""
        self._check((singular, 0), singular)
        return _fill(self._catalogue.ngettext(singular, plural, count), {"count": count, **values})

    def pgettext(self, context: str, message: str, /, **values: object) -> str:
        self._check(f"{context}\x04{message}", message)
        return _fill(self._catalogue.pgettext(context, message), values)

    def template_context(self) -> dict[str, object]:
        """What a Jinja template needs: ``lang`` and the functions Babel's extractor knows."""
        return {"lang": self.language, "_": self, "gettext": self, "ngettext": self.ngettext, "pgettext": self.pgettext}

    def _check(self, key: object, message: str) -> None:
        # GNUTranslations keeps its messages in _catalog: singular msgids as str, plural ones
        # as (msgid, index), a context as "context\x04msgid".
        if self._strict and key not in self._catalogue._catalog:
            raise MessageMissing(
                f"{message!r} is not in the {self.language} catalogue: mark it with _() or N_(), run "
                "pybabel extract and update, translate it (docs/translations.md)"
            )


@cache
def translator(language: str | None) -> Translator:
    """The :class:`Translator` of ``language`` (Dutch for anything not English)."""
    return Translator(language_of(language))


def gettext(language: str | None, message: str, /, **values: object) -> str:
    """``message`` in ``language``, placeholders filled: for a single message outside a module
    that already holds a translator. (Extraction does not see the msgid here: mark it with
    ``N_`` where it is written.)"""
    return translator(language)(message, **values)


def N_(message: str) -> str:
    """Marks ``message`` for extraction without translating it (a table written at import)."""
    return message


def _fill(text: str, values: dict[str, object]) -> str:
    return text.format(**values) if values else text


# -- dates and times -------------------------------------------------------------------------

def format_date(day: date | datetime, language: str | None, *, weekday: bool = True) -> str:
    """``dinsdag 23 maart 2027`` / ``Tuesday, 23 March 2027`` (``23 maart 2027`` without the
    weekday). A datetime is formatted as the date it already carries, in its own zone."""
    if isinstance(day, datetime):
        day = day.date()
    locale = locale_of(language)
    return _dates.format_date(day, "full", locale=locale) if weekday else _dates.format_skeleton("yMMMMd", day, locale=locale)


def format_time(moment: time | datetime, language: str | None) -> str:
    """``19:30`` (24-hour clock in both languages), in the zone ``moment`` carries."""
    return _dates.format_skeleton("Hm", moment, tzinfo=_zone_of(moment), locale=locale_of(language))


def format_interval(start: datetime, end: datetime, language: str | None) -> str:
    """``19:30–21:30`` on one day, otherwise both dates in full. Both in ``start``'s zone."""
    zone = _zone_of(start)
    end = end.astimezone(zone) if end.tzinfo is not None else end
    if start.date() == end.date():
        return _dates.format_interval(start, end, "Hm", tzinfo=zone, locale=locale_of(language))
    return f"{format_date(start, language)}, {format_time(start, language)} – {format_date(end, language)}, {format_time(end, language)}"


def weekday_name(weekday: int, language: str | None) -> str:
    """``dinsdag`` / ``Tuesday`` for 1 (Monday is 0, as in :meth:`date.weekday`)."""
    return locale_of(language).days["format"]["wide"][weekday]


def month_name(month: int, language: str | None) -> str:
    """``maart`` / ``March`` for 3, as it stands alone (``maart 2027``)."""
    return locale_of(language).months["stand-alone"]["wide"][month]


def month_and_year(month: int, year: int, language: str | None) -> str:
    """``maart 2027`` / ``March 2027``."""
    return _dates.format_skeleton("yMMMM", date(year, month, 1), locale=locale_of(language))


def zone_name(timezone: str | tzinfo, language: str | None) -> str:
    """How a reader knows a zone: ``Midden-Europese tijd``, ``Eastern Time``; an offset such as
    ``UTC`` or ``GMT-05:00`` for a zone without a place. Never a tz database id."""
    zone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    key = getattr(zone, "key", "")
    if key in ("UTC", "Etc/UTC", "Etc/UCT", "UCT", "Universal", "Zulu", "Etc/Universal", "Etc/Zulu"):
        return "UTC"
    if key.startswith("Etc/"):
        # A fixed offset: any moment gives the same text.
        return _dates.get_timezone_gmt(datetime(2000, 1, 1, tzinfo=zone), locale=locale_of(language))
    return _dates.get_timezone_name(zone, "long", locale=locale_of(language))


# -- time zones in words ----------------------------------------------------------------------

_NO_PLACE = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Universal", "Zulu", "Etc/Universal", "Etc/Zulu", "GMT", "Etc/GMT"})
# Country names that take an article in running text ("in the Netherlands", "in het Verenigd
# Koninkrijk"): grammar, which CLDR does not carry; the names themselves come from Babel.
_ARTICLES = {
    "en": dict.fromkeys(("AE", "BS", "CF", "DO", "GB", "GM", "KM", "MH", "MV", "NL", "PH", "SB", "SC", "US"), "the"),
    "nl": {"GB": "het", **dict.fromkeys(("AE", "BS", "CF", "DO", "KM", "MH", "MV", "PH", "SB", "SC", "US"), "de")},
}


def _canonical(timezone: str | tzinfo) -> str:
    key = timezone if isinstance(timezone, str) else getattr(timezone, "key", "")
    return get_global("zone_aliases").get(key, key)


def zone_city(timezone: str | tzinfo, language: str | None) -> str | None:
    """The city a zone is named after, in ``language``: ``New York``, ``Calcutta`` (Dutch) /
    ``Kolkata`` (English), ``Ho Chi Minhstad``; Babel's exemplar city, else the zone's last part
    (``Port_of_Spain`` read as ``Port of Spain``). None for UTC and fixed offsets."""
    key = _canonical(timezone)
    if not key or key in _NO_PLACE or key.startswith("Etc/") or "/" not in key:
        return None
    try:
        return _dates.get_timezone_location(key, locale=locale_of(language), return_city=True)
    except LookupError:
        return key.rsplit("/", 1)[-1].replace("_", " ")


def zone_place(timezone: str | tzinfo, language: str | None) -> str | None:
    """Where a zone's clock is read, as running text can say "in …": the country when the whole
    country keeps that one clock (``Nederland``, ``the Netherlands``, ``India``), otherwise its
    city (``New York``). Names from Babel's territory data. None for UTC and fixed offsets."""
    city = zone_city(timezone, language)
    if city is None:
        return None
    key = _canonical(timezone)
    territory = get_global("zone_territories").get(key)
    if territory is None or len(get_global("territory_zones").get(territory, ())) != 1:
        return city
    language = language_of(language)
    country = locale_of(language).territories.get(territory)
    if not country:
        return city
    article = _ARTICLES[language].get(territory)
    return f"{article} {country}" if article else country


def zone_words(timezone: str | tzinfo, language: str | None) -> str:
    """A zone as people say it after a time: ``tijd in New York`` / ``New York time``; ``UTC``
    or an offset such as ``GMT-05:00`` for a zone without a place. Never a tz database id."""
    city = zone_city(timezone, language)
    if city is None:
        return zone_name(timezone, language)
    _ = translator(language)
    return _("{city} time", city=city)


def elsewhere(start: datetime, end: datetime | None, language: str | None, timezone: str, *, beside: str | None = None) -> str:
    """The same moment on another zone's clock: ``19:00 in Nederland``, ``19:00–20:30 in the
    Netherlands``, ``19:00 UTC``. When ``beside`` (the zone the reader saw the moment in) has
    another date there, the weekday is named: ``woensdag 01:00 in Nederland``."""
    zone = ZoneInfo(timezone)
    there = start.astimezone(zone)
    times = format_time(there, language) if end is None else format_interval(there, end.astimezone(zone), language)
    if beside is not None and start.astimezone(ZoneInfo(beside)).date() != there.date():
        times = f"{weekday_name(there.weekday(), language)} {times}"
    place = zone_place(zone, language)
    if place is None:
        return f"{times} {zone_name(zone, language)}"
    _ = translator(language)
    return _("{times} in {place}", times=times, place=place)


def same_clock(moment: datetime, timezone: str, other: str) -> bool:
    """Whether ``timezone`` and ``other`` show ``moment`` as the same wall-clock time."""
    return moment.astimezone(ZoneInfo(timezone)).replace(tzinfo=None) == moment.astimezone(ZoneInfo(other)).replace(tzinfo=None)


def when(start: datetime, end: datetime, language: str | None, timezone: str, group_timezone: str | None = None) -> str:
    """``dinsdag 23 maart 2027, 13:30–15:30 (tijd in New York; 19:30–21:30 in Nederland)``: a
    meeting from ``start`` to ``end`` on the wall clock of ``timezone`` (the reader's), its city
    named, and the time on the group's clock (``group_timezone``) too when that shows another."""
    zone = ZoneInfo(timezone)
    start, end = start.astimezone(zone), end.astimezone(zone)
    _ = translator(language)
    if start.date() == end.date():
        moment = _("{date}, {times}", date=format_date(start, language), times=format_interval(start, end, language))
    else:
        moment = format_interval(start, end, language)
    words = zone_words(zone, language)
    if group_timezone and not (same_clock(start, timezone, group_timezone) and same_clock(end, timezone, group_timezone)):
        there = elsewhere(start, end, language, group_timezone, beside=timezone)
        return _("{moment} ({zone}; {elsewhere})", moment=moment, zone=words, elsewhere=there)
    return _("{moment} ({zone})", moment=moment, zone=words)


def _zone_of(moment: time | datetime) -> tzinfo | None:
    return moment.tzinfo if isinstance(moment, datetime) else None
