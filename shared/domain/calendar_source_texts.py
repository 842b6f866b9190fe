"""A person's published calendars as their own page words them, in their language and zone: how
each one stands (``bijgewerkt om 14:05``, ``wordt opgehaald``), why a fetch failed (from its
stable code, :data:`shared.domain.calendar_sources.FAILURE_CODES`), and why an address typed on
the page was not added.

The API keeps its English ``last_error`` for its users; a person reads these sentences instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from shared.domain import calendar_sources as rules
from shared.domain import i18n
from shared.domain.i18n import N_

_FAILURES = {
    "not-found": N_("The calendar server answered 'not found' ({status}): the link no longer works. Make a new link and paste it here."),
    "forbidden": N_("The calendar server refused access ({status}): the calendar is probably no longer published, or its link was replaced. Publish it again and paste the new link here."),
    "http-error": N_("The calendar server answered with an error ({status}). We will try again later; if it keeps failing, make a new link."),
    "too-slow": N_("The calendar server took too long to send the calendar. We will try again later."),
    "cut-off": N_("The calendar server stopped halfway through sending the calendar. We will try again later."),
    "too-large": N_("The calendar is larger than {size} MiB, more than we read. Publish a smaller calendar, for example only your work calendar."),
    "too-many-redirects": N_("The link sent us on too many times (more than {count}). Make a new link and paste it here."),
    "unreachable": N_("The calendar server could not be reached. We will try again later; if it keeps failing, check the link."),
    "not-a-calendar": N_("The link does not lead to a calendar we can read. Check that you copied the ICS link (it often ends in .ics), not the link of a web page."),
    "refused-address": N_("We may not read this link: its server is not on the public internet."),
    "unreadable-address": N_("We can no longer read the stored link (the service's key was changed). Remove this calendar and add it again."),
    "unexpected": N_("Something unexpected went wrong while reading the calendar. We will try again at the next refresh."),
}
_WITHOUT_STATUS = {
    # A status code answered with no number in its reason (never written so, but read safely).
    "not-found": N_("The calendar server answered 'not found': the link no longer works. Make a new link and paste it here."),
    "forbidden": N_("The calendar server refused access: the calendar is probably no longer published, or its link was replaced. Publish it again and paste the new link here."),
    "http-error": N_("The calendar server answered with an error. We will try again later; if it keeps failing, make a new link."),
}

EMPTY, TOO_LONG, SCHEME, INVALID, NOT_ALLOWED, LIMIT, DUPLICATE, EXPIRED = (
    "empty", "too-long", "scheme", "invalid", "not-allowed", "limit", "duplicate", "expired",
)
ENTRY_PROBLEMS = (EMPTY, TOO_LONG, SCHEME, INVALID, NOT_ALLOWED, LIMIT, DUPLICATE, EXPIRED)
"""Why an address typed on the page was not added."""
_ENTRY = {
    EMPTY: N_("Paste the link of your calendar first."),
    TOO_LONG: N_("This link is longer than {length} characters: copy only the link itself."),
    SCHEME: N_("The link must start with https:// or webcal://."),
    INVALID: N_("This is not a link we can read. Copy the whole link again from your calendar."),
    NOT_ALLOWED: N_("This link cannot be used: its server is not on the public internet, or it does not exist."),
    LIMIT: N_("You already have {count} calendars, the most there may be. Remove one before you add another."),
    DUPLICATE: N_("This calendar is already on your page."),
    EXPIRED: N_("This form has expired. Reload the page and paste the link again."),
}


def entry_problem(url: str, *, allow_private: bool) -> str | None:
    """What is wrong with a typed address that the page can tell without the database or DNS
    (one of :data:`ENTRY_PROBLEMS`), else None. ``webcal://`` counts as ``https://``; plain
    ``http`` only where private addresses are allowed, as in the API."""
    url = url.strip()
    if not url:
        return EMPTY
    if len(url) > rules.MAX_URL_LENGTH:
        return TOO_LONG
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", rules.normalised(url))
    allowed = {"https", "http"} if allow_private else {"https"}
    if scheme is None or scheme.group(1).lower() not in allowed:
        return SCHEME
    return None


def entry_text(problem: str, language: str | None, *, count: int = rules.MAX_SOURCES) -> str:
    """Why the typed address was not added, as a sentence of the page."""
    _ = i18n.translator(language)
    return _(_ENTRY[problem], length=rules.MAX_URL_LENGTH, count=count)


def failure_text(code: str | None, last_error: str | None, language: str | None) -> str:
    """Why the last fetch failed, for the person: from the code, with the HTTP status that the
    English reason names where it matters. A code this version does not know reads as
    ``unexpected``."""
    _ = i18n.translator(language)
    code = code if code in _FAILURES else "unexpected"
    status = rules.answered_status(last_error)
    if code in _WITHOUT_STATUS and status is None:
        return _(_WITHOUT_STATUS[code])
    return _(
        _FAILURES[code], status=status, size=rules.MAX_FEED_BYTES // (1024 * 1024), count=rules.MAX_REDIRECTS,
    )


@dataclass(frozen=True)
class Shown:
    """A source's status for its page: ``summary`` in a few words, ``problem`` the failure's
    sentence (None unless it failed)."""

    summary: str
    problem: str | None


def shown(
    status: str, last_fetched_at: datetime | None, last_error_code: str | None, last_error: str | None,
    *, now: datetime, timezone: str, language: str | None,
) -> Shown:
    """``bijgewerkt om 14:05`` (today in ``timezone``), ``bijgewerkt op 3 december 2026 om
    14:05`` (another day), ``wordt opgehaald`` (not fetched yet), or that the last fetch failed
    and why (and when one last succeeded, whose busy times stand)."""
    _ = i18n.translator(language)
    when = _when(last_fetched_at, now, timezone, language) if last_fetched_at else None
    if status == rules.FAILED:
        summary = _("fetching failed; last updated {when}, and those busy times are kept", when=when) if when else _("fetching failed")
        return Shown(summary, failure_text(last_error_code, last_error, language))
    if status == rules.OK and when:
        return Shown(_("updated {when}", when=when), None)
    return Shown(_("being fetched"), None)


def _when(moment: datetime, now: datetime, timezone: str, language: str | None) -> str:
    """``om 14:05`` today in ``timezone``, else ``op 3 december 2026 om 14:05``."""
    _ = i18n.translator(language)
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    time = i18n.format_time(local, language)
    if local.date() == now.astimezone(zone).date():
        return _("at {time}", time=time)
    return _("on {date} at {time}", date=i18n.format_date(local, language, weekday=False), time=time)
