"""The plan's readable texts: Dutch (the default) and English."""

from __future__ import annotations

from datetime import date

TEXTS: dict[str, dict[str, object]] = {
    "nl": {
        "weekdays": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
        "ordinals": ("eerste", "tweede", "derde", "vierde", "vijfde"),
        "months": (
            "januari", "februari", "maart", "april", "mei", "juni",
            "juli", "augustus", "september", "oktober", "november", "december",
        ),
        "slot_week": "{ordinal} {weekday} van de maand, {start}–{end}",
        "slot": "{weekday}, {start}–{end}",
        "no_slot_guided": (
            "Geen vaste dag en tijd mogelijk voor alle begeleide bijeenkomsten; "
            "het eerste mogelijke tijdstip is gekozen."
        ),
        "no_slot": "De groep heeft geen vaste dag en tijd; het eerste mogelijke tijdstip is gekozen.",
        "other_week": (
            "Zelfde dag en tijd, maar de {ordinal} {weekday} van de maand: "
            "de {slot_ordinal} kon deze maand niet."
        ),
        "slot_missed": "Het vaste tijdstip ({slot}) kon deze maand niet; het eerste mogelijke tijdstip is gekozen.",
        "quorum": "Niet iedereen kan: {present} van de {total} leden zijn er (quorum {quorum}).",
        "skip_all": (
            "Geen tijdstip in {month} {year} waarop alle leden kunnen "
            "(binnen de groepstijden en minstens 21 dagen na de vorige bijeenkomst)."
        ),
        "skip_quorum": (
            "Geen tijdstip in {month} {year} waarop minstens {quorum} van de {total} leden kunnen "
            "(binnen de groepstijden en minstens 21 dagen na de vorige bijeenkomst)."
        ),
        "infeasible": (
            "Geen plan mogelijk: er is geen reeks van {count} begeleide bijeenkomsten in opeenvolgende "
            "maanden, minstens 21 dagen uit elkaar, waarop de begeleider en alle leden kunnen, met de "
            "eerste tussen {first} en {last}."
        ),
        "blockers": "Zonder één van deze personen kan het wel: {ids}.",
        "no_blockers": "Het ligt niet aan één persoon: ook zonder wie dan ook lukt het niet.",
        "date": "{day} {month} {year}",
    },
    "en": {
        "weekdays": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "ordinals": ("first", "second", "third", "fourth", "fifth"),
        "months": (
            "January", "February", "March", "April", "May", "June",
            "July", "August", "September", "October", "November", "December",
        ),
        "slot_week": "{ordinal} {weekday} of the month, {start}–{end}",
        "slot": "{weekday}, {start}–{end}",
        "no_slot_guided": (
            "No fixed day and time fits all guided sessions; the earliest possible time was chosen."
        ),
        "no_slot": "The group has no fixed day and time; the earliest possible time was chosen.",
        "other_week": (
            "Same day and time, but the {ordinal} {weekday} of the month: "
            "the {slot_ordinal} was not possible this month."
        ),
        "slot_missed": "The fixed slot ({slot}) was not possible this month; the earliest possible time was chosen.",
        "quorum": "Not everyone can attend: {present} of {total} members present (quorum {quorum}).",
        "skip_all": (
            "No time in {month} {year} at which all members can attend "
            "(within the group's hours and at least 21 days after the previous session)."
        ),
        "skip_quorum": (
            "No time in {month} {year} at which at least {quorum} of the {total} members can attend "
            "(within the group's hours and at least 21 days after the previous session)."
        ),
        "infeasible": (
            "No plan possible: there is no series of {count} guided sessions in consecutive months, at "
            "least 21 days apart, that the facilitator and all members can attend, with the first "
            "between {first} and {last}."
        ),
        "blockers": "Without any one of these people it would work: {ids}.",
        "no_blockers": "No single person is the cause: removing any one person does not help.",
        "date": "{day} {month} {year}",
    },
}


def texts_for(language: str) -> dict:
    """The texts of ``language`` (``nl`` or ``en``); Dutch for any other."""
    return TEXTS.get(language, TEXTS["nl"])


def format_date(day: date, language: str) -> str:
    texts = texts_for(language)
    return texts["date"].format(day=day.day, month=texts["months"][day.month - 1], year=day.year)
