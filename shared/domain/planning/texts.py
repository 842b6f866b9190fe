"""The plan's readable texts, in the request's language (Dutch by default, or English).

Sentences are gettext messages (English msgids, see :mod:`shared.domain.i18n`); weekdays, months
and dates come from Babel.
"""

from __future__ import annotations

from datetime import date, time

from .. import i18n


def ordinal(number: int, language: str) -> str:
    """``tweede`` / ``second`` for 2: the week of the month (1 to 5)."""
    _ = i18n.translator(language)
    words = (
        _.pgettext("week of the month", "first"),
        _.pgettext("week of the month", "second"),
        _.pgettext("week of the month", "third"),
        _.pgettext("week of the month", "fourth"),
        _.pgettext("week of the month", "fifth"),
    )
    return words[number - 1]


def slot(weekday: int, start: time, end: time, week_of_month: int | None, language: str) -> str:
    """``tweede dinsdag van de maand, 19:30–21:00``, or ``dinsdag, 19:30–21:00`` every week."""
    _ = i18n.translator(language)
    values = {
        "weekday": i18n.weekday_name(weekday, language),
        "start": i18n.format_time(start, language),
        "end": i18n.format_time(end, language),
    }
    if week_of_month is None:
        return _("{weekday}, {start}–{end}", **values)
    return _("{ordinal} {weekday} of the month, {start}–{end}", ordinal=ordinal(week_of_month, language), **values)


def no_slot_guided(language: str) -> str:
    _ = i18n.translator(language)
    return _("No fixed day and time fits all guided sessions; the earliest possible time was chosen.")


def no_slot(language: str) -> str:
    _ = i18n.translator(language)
    return _("The group has no fixed day and time; the earliest possible time was chosen.")


def other_week(week: int, weekday: int, slot_week: int, language: str) -> str:
    _ = i18n.translator(language)
    return _(
        "Same day and time, but the {ordinal} {weekday} of the month: the {slot_ordinal} was not possible this month.",
        ordinal=ordinal(week, language), weekday=i18n.weekday_name(weekday, language),
        slot_ordinal=ordinal(slot_week, language),
    )


def slot_missed(slot_text: str, language: str) -> str:
    _ = i18n.translator(language)
    return _(
        "The fixed slot ({slot}) was not possible this month; the earliest possible time was chosen.", slot=slot_text,
    )


def below_quorum(present: int, total: int, quorum: int | None, language: str) -> str:
    _ = i18n.translator(language)
    return _(
        "Not everyone can attend: {present} of {total} members present (quorum {quorum}).",
        present=present, total=total, quorum=quorum,
    )


def skipped_month(month: int, year: int, quorum: int | None, total: int, language: str) -> str:
    """Why no self-directed session was planned in a month."""
    _ = i18n.translator(language)
    when = i18n.month_and_year(month, year, language)
    if quorum is None or quorum == total:
        return _(
            "No time in {month} at which all members can attend "
            "(within the group's hours and at least 21 days after the previous session).", month=when,
        )
    return _(
        "No time in {month} at which at least {quorum} of the {total} members can attend "
        "(within the group's hours and at least 21 days after the previous session).",
        month=when, quorum=quorum, total=total,
    )


def infeasible(count: int, first: date, last: date, blockers: list[str], language: str) -> str:
    """Why no guided series fits, and whether one person is the cause."""
    _ = i18n.translator(language)
    reason = _(
        "No plan possible: there is no series of {count} guided sessions in consecutive months, at least 21 days "
        "apart, that the facilitator and all members can attend, with the first between {first} and {last}.",
        count=count, first=i18n.format_date(first, language, weekday=False),
        last=i18n.format_date(last, language, weekday=False),
    )
    if blockers:
        return reason + " " + _("Without any one of these people it would work: {ids}.", ids=", ".join(blockers))
    return reason + " " + _("No single person is the cause: removing any one person does not help.")
