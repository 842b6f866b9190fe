"""User-facing calendar and invitation text, in Dutch (the default) and English.

Everything a participant reads in her calendar or in the invitation mail comes from here, so the
wording lives in one place and the builders in :mod:`shared.domain.ics` and
:mod:`shared.domain.mail` stay free of prose. Dates are spelled out without the C library's
locale, so output does not depend on the machine it runs on.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from shared.domain.i18n import language_of

if TYPE_CHECKING:
    from shared.domain.ics import Contact, SessionEvent

NOTICES: tuple[str, ...] = ("new", "changed", "cancelled", "removed")
"""Why a mail is sent: a new invitation, a changed session, a cancelled session, or a member
who left the group (the session goes on without her)."""

_PHASES = {
    "nl": (
        ("Opening", "korte ronde: hoe zit iedereen erbij?"),
        ("Inbreng en keuze van een casus", "wie brengt vandaag een vraag of situatie in?"),
        ("Verhelderende vragen", "open vragen om de situatie te begrijpen, nog geen advies"),
        ("Ieders perspectief", "ieder groepslid geeft een eigen kijk of advies; de inbrenger luistert"),
        ("Conclusies van de inbrenger", "wat neem je mee, wat ga je doen?"),
        ("Evaluatie", "hoe ging het, en wat nemen we mee naar de volgende keer?"),
    ),
    "en": (
        ("Opening", "a short round: how is everyone doing?"),
        ("Bringing in and choosing a case", "who brings a question or situation today?"),
        ("Clarifying questions", "open questions to understand the situation, no advice yet"),
        ("Everyone's perspective", "each member gives their own view or advice; the presenter listens"),
        ("The presenter's conclusions", "what do you take away, what will you do?"),
        ("Evaluation", "how did it go, and what do we take to the next session?"),
    ),
}

_WORDS = {
    "nl": {
        "session_guided": "bijeenkomst {number} van {total} (begeleid)",
        "session_self": "bijeenkomst {number} (zelfsturend)",
        "cancelled_prefix": "Geannuleerd: ",
        "group": "Intervisiegroep: {name}",
        "theme": "Thema: {theme}",
        "place_guided": "Dit is bijeenkomst {number} van {total} van de reeks, onder begeleiding van {facilitator}.",
        "place_self": "Dit is bijeenkomst {number} van de reeks; de groep komt zelfsturend bijeen.",
        "chair": "Voorzitter: {name}",
        "chair_unknown": "Voorzitter: spreek samen af wie deze keer voorzit.",
        "is_cancelled": "Deze bijeenkomst gaat niet door.",
        "join": "Deelnemen via de videoverbinding: {url}",
        "phases": "Verloop van de bijeenkomst:",
        "confidential": "Wat in de groep besproken wordt, blijft in de groep.",
        "conference": "Videoverbinding",
        "when": "Wanneer: {when}",
        "greeting": "Beste {name},",
        "new_member": "Je bent uitgenodigd voor {session} van intervisiegroep {group}.",
        "new_chair": "Je begeleidt {session} van intervisiegroep {group}.",
        "changed": "De gegevens van {session} van intervisiegroep {group} zijn gewijzigd. Hieronder staat wat nu geldt.",
        "cancelled": "{Session} van intervisiegroep {group} gaat niet door. Je agenda kan de afspraak nu verwijderen.",
        "removed": "Je neemt niet meer deel aan intervisiegroep {group}. Daarom verdwijnt {session} uit je agenda.",
        "respond": "Met de knoppen in je agenda kun je laten weten of je erbij bent.",
        "respond_link": "Laat weten of je erbij bent: {url}",
        "regards": "Met vriendelijke groet,",
        "subject_new": "Uitnodiging: {summary}",
        "subject_changed": "Gewijzigd: {summary}",
        "subject_cancelled": "Geannuleerd: {summary}",
        "subject_removed": "Afgemeld: {summary}",
        "subject_at_risk": "Let op: niet iedereen kan bij {session} van {group}",
        "subject_reminder": "Herinnering: {session} van {group}",
        "reminder": "Een herinnering: {session} van intervisiegroep {group}.",
        "at_risk": "Niet iedereen kan bij {session} van intervisiegroep {group} op {when}.",
        "declined": "Afgezegd: {names}.",
        "alternatives": "Tijden waarop iedereen kan en niemand dubbel geboekt is:",
        "no_alternatives": "Rond deze datum is er geen tijd waarop iedereen kan.",
        "move": "Wil je de bijeenkomst verzetten? Vraag de organisator van het programma om een van deze tijden te kiezen.",
    },
    "en": {
        "session_guided": "session {number} of {total} (guided)",
        "session_self": "session {number} (self-directed)",
        "cancelled_prefix": "Cancelled: ",
        "group": "Intervision group: {name}",
        "theme": "Theme: {theme}",
        "place_guided": "This is session {number} of {total} in the series, guided by {facilitator}.",
        "place_self": "This is session {number} in the series; the group meets self-directed.",
        "chair": "Chair: {name}",
        "chair_unknown": "Chair: agree together who chairs this time.",
        "is_cancelled": "This session has been cancelled.",
        "join": "Join the video call: {url}",
        "phases": "How the session runs:",
        "confidential": "What is discussed in the group stays in the group.",
        "conference": "Video call",
        "when": "When: {when}",
        "greeting": "Dear {name},",
        "new_member": "You are invited to {session} of the intervision group {group}.",
        "new_chair": "You are guiding {session} of the intervision group {group}.",
        "changed": "The details of {session} of the intervision group {group} have changed. This is what applies now.",
        "cancelled": "{Session} of the intervision group {group} has been cancelled. Your calendar can now remove it.",
        "removed": "You no longer take part in the intervision group {group}, so {session} is removed from your calendar.",
        "respond": "Use the buttons in your calendar to let us know whether you will attend.",
        "respond_link": "Let us know whether you will attend: {url}",
        "regards": "Kind regards,",
        "subject_new": "Invitation: {summary}",
        "subject_changed": "Updated: {summary}",
        "subject_cancelled": "Cancelled: {summary}",
        "subject_removed": "No longer attending: {summary}",
        "subject_at_risk": "Attention: not everyone can attend {session} of {group}",
        "subject_reminder": "Reminder: {session} of {group}",
        "reminder": "A reminder: {session} of the intervision group {group}.",
        "at_risk": "Not everyone can attend {session} of the intervision group {group} on {when}.",
        "declined": "Declined: {names}.",
        "alternatives": "Times at which everyone can attend and nobody is booked twice:",
        "no_alternatives": "Around this date there is no time at which everyone can attend.",
        "move": "Would you like to move the session? Ask the programme's organiser to choose one of these times.",
    },
}

_DAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


def session_label(event: SessionEvent, language: str) -> str:
    """``bijeenkomst 2 van 3 (begeleid)``, ``session 5 (self-directed)``."""
    words = _WORDS[language_of(language)]
    if event.kind == "guided":
        return words["session_guided"].format(number=event.number, total=event.guided_total)
    return words["session_self"].format(number=event.number)


def summary(event: SessionEvent, language: str) -> str:
    """The calendar title: ``Intervisie: <theme> — bijeenkomst 2 van 3 (begeleid)``.

    Without a theme the group's name stands in. A cancelled session says so up front, because
    Outlook and Google show a subscribed event with ``STATUS:CANCELLED`` like any other.
    """
    words = _WORDS[language_of(language)]
    topic = event.theme or event.group_name
    prefix = words["cancelled_prefix"] if event.status == "cancelled" else ""
    return f"{prefix}Intervisie: {topic} — {session_label(event, language)}"


def description(event: SessionEvent, language: str, *, answer_url: str | None = None) -> str:
    """The calendar notes: place in the series, link, the phases, the confidentiality rule; in
    an invitation also the recipient's own answer link."""
    language = language_of(language)
    words = _WORDS[language]
    lines = [words["group"].format(name=event.group_name)]
    if event.theme:
        lines.append(words["theme"].format(theme=event.theme))
    if event.kind == "guided":
        lines.append(
            words["place_guided"].format(
                number=event.number, total=event.guided_total, facilitator=_facilitator_name(event)
            )
        )
    else:
        lines.append(words["place_self"].format(number=event.number))
        lines.append(_chair(event, words))
    if event.status == "cancelled":
        lines.append(words["is_cancelled"])
    if event.meeting_url:
        lines += ["", words["join"].format(url=event.meeting_url)]
    if answer_url:
        lines += ["", words["respond_link"].format(url=answer_url)]
    lines += ["", words["phases"]]
    lines += [f"{i}. {name} – {hint}" for i, (name, hint) in enumerate(_PHASES[language], 1)]
    lines += ["", words["confidential"]]
    return "\n".join(lines)


def phases(language: str) -> tuple[str, ...]:
    """The names of the six phases of an intervision session, in order."""
    return tuple(name for name, _ in _PHASES[language_of(language)])


def conference_label(language: str) -> str:
    """The LABEL of the CONFERENCE property: ``Videoverbinding`` / ``Video call``."""
    return _WORDS[language_of(language)]["conference"]


def mail_subject(event: SessionEvent, *, language: str, notice: str) -> str:
    """``Uitnodiging: Intervisie: … — bijeenkomst 2 van 3 (begeleid)`` and its variants."""
    _check_notice(notice)
    words = _WORDS[language_of(language)]
    title = summary(event, language)
    if title.startswith(words["cancelled_prefix"]):
        title = title[len(words["cancelled_prefix"]):]
    return words[f"subject_{notice}"].format(summary=title)


def mail_text(
    event: SessionEvent, recipient: Contact, *, notice: str, role: str = "REQ-PARTICIPANT", answer_url: str | None = None,
) -> str:
    """The plain-text part of the invitation mail, in the recipient's language (with their own
    answer link, when given)."""
    _check_notice(notice)
    language = language_of(recipient.language)
    words = _WORDS[language]
    session = session_label(event, language)
    if notice == "new":
        key = "new_chair" if role == "CHAIR" else "new_member"
    else:
        key = notice
    opening = words[key].format(
        session=session, Session=session[:1].upper() + session[1:], group=event.group_name
    )
    lines = [words["greeting"].format(name=recipient.name), "", opening, ""]
    lines.append(words["when"].format(when=when(event, language)))
    if event.theme:
        lines.append(words["theme"].format(theme=event.theme))
    if event.kind != "guided":
        lines.append(_chair(event, words))
    if event.meeting_url and notice in ("new", "changed"):
        lines.append(words["join"].format(url=event.meeting_url))
    if notice in ("new", "changed"):
        lines += ["", words["respond"]]
        if answer_url:
            lines.append(words["respond_link"].format(url=answer_url))
    lines += ["", words["confidential"], "", words["regards"], event.organizer.name, ""]
    return "\n".join(lines)


def at_risk_subject(event: SessionEvent, language: str) -> str:
    """``Let op: niet iedereen kan bij bijeenkomst 2 van 3 (begeleid) van <groep>``."""
    words = _WORDS[language_of(language)]
    return words["subject_at_risk"].format(session=session_label(event, language), group=event.group_name)


def at_risk_text(event: SessionEvent, recipient: Contact, *, declined: list[str], alternatives: list[datetime]) -> str:
    """The mail to the facilitator (or the chair) of a session that not everyone can attend:
    who declined, and the best other times (each a session long, in the session's zone)."""
    language = language_of(recipient.language)
    words = _WORDS[language]
    lines = [words["greeting"].format(name=recipient.name), ""]
    lines.append(words["at_risk"].format(session=session_label(event, language), group=event.group_name, when=when(event, language)))
    if declined:
        lines.append(words["declined"].format(names=", ".join(declined)))
    lines.append("")
    if alternatives:
        length = event.end - event.start
        lines.append(words["alternatives"])
        lines += [f"- {when(replace(event, start=start, end=start + length), language)}" for start in alternatives]
        lines += ["", words["move"]]
    else:
        lines.append(words["no_alternatives"])
    lines += ["", words["regards"], event.organizer.name, ""]
    return "\n".join(lines)


def reminder_subject(event: SessionEvent, language: str) -> str:
    """``Herinnering: bijeenkomst 2 van 3 (begeleid) van <groep>``."""
    words = _WORDS[language_of(language)]
    return words["subject_reminder"].format(session=session_label(event, language), group=event.group_name)


def reminder_text(event: SessionEvent, recipient: Contact, *, timezone: str, answer_url: str | None) -> str:
    """The reminder before a session: when (in the reader's own zone), the link to join, and
    the link to answer."""
    language = language_of(recipient.language)
    words = _WORDS[language]
    lines = [words["greeting"].format(name=recipient.name), ""]
    lines.append(words["reminder"].format(session=session_label(event, language), group=event.group_name))
    lines += ["", words["when"].format(when=when(event, language, timezone))]
    if event.meeting_url:
        lines.append(words["join"].format(url=event.meeting_url))
    if answer_url:
        lines += ["", words["respond_link"].format(url=answer_url)]
    lines += ["", words["confidential"], "", words["regards"], event.organizer.name, ""]
    return "\n".join(lines)


def when(event: SessionEvent, language: str, timezone: str | None = None) -> str:
    """``dinsdag 23 maart 2027, 19:30–21:30 (Europe/Amsterdam)``, in the session's own zone
    or in ``timezone`` (a reader's own)."""
    language = language_of(language)
    timezone = timezone or event.timezone
    zone = ZoneInfo(timezone)
    start, end = event.start.astimezone(zone), event.end.astimezone(zone)
    text = f"{_date(start, language)}, {start:%H:%M}–"
    text += f"{end:%H:%M}" if end.date() == start.date() else f"{_date(end, language)}, {end:%H:%M}"
    return f"{text} ({timezone})"


def _facilitator_name(event: SessionEvent) -> str:
    return event.facilitator.name if event.facilitator else event.organizer.name


def _date(moment: datetime, language: str) -> str:
    day = _DAYS[language][moment.weekday()]
    return f"{day} {moment.day} {_MONTHS[language][moment.month - 1]} {moment.year}"


def _chair(event: SessionEvent, words: dict[str, str]) -> str:
    if event.chair_name:
        return words["chair"].format(name=event.chair_name)
    return words["chair_unknown"]


def _check_notice(notice: str) -> None:
    if notice not in NOTICES:
        raise ValueError(f"notice must be one of {NOTICES}, not {notice!r}")
