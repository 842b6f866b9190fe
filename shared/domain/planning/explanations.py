"""Diagnostics in words: who cannot come, in which role, and why — a sentence an organiser can
act on ("Harriët de Vries (begeleider) is op 9 maart 2027 om 19:30 al ingepland bij Groep
Utrecht 2"), in the group's language (Dutch by default, or English), from the catalogue.

The caller looks up what the words need (names, the other group's name, the other session's
date on its group's clock) and decides what the reader may see: a person the reader may not see
is named by role alone ("De begeleider", "Een deelnemer"), a group the reader may not see is
"een andere groep".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from .. import i18n
from . import absences as ab

FACILITATOR, MEMBER = "facilitator", "member"
ROLES: tuple[str, ...] = (FACILITATOR, MEMBER)
BLOCKS_PLAN = "blocks-plan"
"""The reason of a blocker for whom no best start says more: without them a plan exists."""


@dataclass(frozen=True, slots=True)
class Explanation:
    """What one sentence says. ``day`` and ``at`` are the other session's date and start on its
    group's clock for reasons that name a session, otherwise the candidate's on the person's own
    clock; ``limit`` is the facilitator's break in minutes or her sessions per day or week."""

    role: str
    reason: str
    day: date | None = None
    at: time | None = None
    name: str | None = None
    group_name: str | None = None
    limit: int | None = None


def who(role: str, name: str | None, language: str, *, start: bool = True) -> str:
    """``Harriët de Vries (begeleider)``; without a name ``De begeleider`` / ``Een deelnemer``
    (lower case inside a sentence)."""
    _ = i18n.translator(language)
    if name:
        label = _.pgettext("role", "facilitator") if role == FACILITATOR else _.pgettext("role", "member")
        return _("{name} ({role})", name=name, role=label)
    text = _("The facilitator") if role == FACILITATOR else _("A member")
    return text if start else text[:1].lower() + text[1:]


def sentence(explanation: Explanation, language: str) -> str:
    """The explanation as one sentence in ``language``."""
    _ = i18n.translator(language)
    e = explanation
    subject = who(e.role, e.name, language)
    day = i18n.format_date(e.day, language, weekday=False) if e.day else ""
    at = i18n.format_time(e.at, language) if e.at else ""
    weekday = i18n.weekday_name(e.day.weekday(), language) if e.day else ""
    group = _("with {group}", group=e.group_name) if e.group_name else _("with another group")
    reason = e.reason
    if reason == ab.BOOKED:
        return _("{who} is already booked on {date} at {time} {group}.", who=subject, date=day, time=at, group=group)
    if reason == ab.BREAK:
        return _.ngettext(
            "{who} has a session on {date} at {time} {group} and needs {count} minute between sessions.",
            "{who} has a session on {date} at {time} {group} and needs {count} minutes between sessions.",
            e.limit or 0, who=subject, date=day, time=at, group=group,
        )
    if reason == ab.DAY_FULL:
        return _.ngettext(
            "{who} already has {count} session on {date} (the maximum).",
            "{who} already has {count} sessions on {date} (the maximum).",
            e.limit or 0, who=subject, date=day,
        )
    if reason == ab.WEEK_FULL:
        return _.ngettext(
            "{who} already has {count} session in the week of {date} (the maximum).",
            "{who} already has {count} sessions in the week of {date} (the maximum).",
            e.limit or 0, who=subject, date=day,
        )
    if reason == ab.CALENDAR_BUSY:
        return _("{who} has something else in their own calendar on {date} at {time}.", who=subject, date=day, time=at)
    if reason == ab.UNAVAILABLE:
        return _("{who} is away on {date}.", who=subject, date=day)
    if reason == ab.SCHOOL_HOLIDAY:
        return _("{who} has a school holiday on {date}.", who=subject, date=day)
    if reason == ab.WEEKDAY:
        return _("{who} is not available on {weekday}s.", who=subject, weekday=weekday)
    if reason == ab.HOURS:
        return _("{who} is not available on {weekday} at {time}.", who=subject, weekday=weekday, time=at)
    if reason == BLOCKS_PLAN:
        return _("Without {who} a plan would be possible.", who=who(e.role, e.name, language, start=False))
    return _("{who} cannot attend on {date} at {time}.", who=subject, date=day, time=at)
