"""User-facing calendar and invitation text, in Dutch (the default) and English.

Everything a participant reads in her calendar or in the invitation mail is built here, so the
builders in :mod:`shared.domain.ics` and :mod:`shared.domain.mail` stay free of prose. The
sentences are gettext messages (English msgids, see :mod:`shared.domain.i18n`), the dates come
from Babel, and groups and themes are named in words: the group's name, the theme's label.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from shared.domain import i18n
from shared.domain.i18n import N_, language_of
from shared.domain.themes import theme_label

if TYPE_CHECKING:
    from shared.domain.ics.events import Contact, SessionEvent

__all__ = [
    "NOTICES", "at_risk_subject", "at_risk_text", "conference_label", "description", "language_of", "mail_subject",
    "mail_text", "phases", "reminder_subject", "reminder_text", "session_label", "summary", "when",
]

NOTICES: tuple[str, ...] = ("new", "changed", "cancelled", "removed")
"""Why a mail is sent: a new invitation, a changed session, a cancelled session, or a member
who left the group (the session goes on without her)."""

_PHASES = (
    (N_("Opening"), N_("a short round: how is everyone doing?")),
    (N_("Bringing in and choosing a case"), N_("who brings a question or situation today?")),
    (N_("Clarifying questions"), N_("open questions to understand the situation, no advice yet")),
    (N_("Everyone's perspective"), N_("each member gives their own view or advice; the presenter listens")),
    (N_("The presenter's conclusions"), N_("what do you take away, what will you do?")),
    (N_("Evaluation"), N_("how did it go, and what do we take to the next session?")),
)

_SUBJECTS = {
    "new": N_("Invitation: {summary}"),
    "changed": N_("Updated: {summary}"),
    "cancelled": N_("Cancelled: {summary}"),
    "removed": N_("No longer attending: {summary}"),
}
_OPENINGS = {
    "new": N_("You are invited to {session} of the intervision group {group}."),
    "new_chair": N_("You are guiding {session} of the intervision group {group}."),
    "changed": N_("The details of {session} of the intervision group {group} have changed. This is what applies now."),
    "cancelled": N_("{Session} of the intervision group {group} has been cancelled. Your calendar can now remove it."),
    "removed": N_("You no longer take part in the intervision group {group}, so {session} is removed from your calendar."),
}
# A group called "Intervisie …" is not called "Intervisie Intervisie …" in a calendar.
_NAMED_INTERVISION = re.compile(r"(?i)\s*interv(isie|ision)")


def session_label(event: SessionEvent, language: str) -> str:
    """``bijeenkomst 2 van 3 (begeleid)``, ``session 5 (self-directed)``."""
    _ = i18n.translator(language)
    if event.kind == "guided":
        return _("session {number} of {total} (guided)", number=event.number, total=event.guided_total)
    return _("session {number} (self-directed)", number=event.number)


def summary(event: SessionEvent, language: str) -> str:
    """The calendar title: ``Intervisie Gedrag A — bijeenkomst 2 van 3 (begeleid)``, from the
    group's name. A cancelled session says so up front, because Outlook and Google show a
    subscribed event with ``STATUS:CANCELLED`` like any other."""
    title = _title(event, language)
    if event.status == "cancelled":
        _ = i18n.translator(language)
        return _("Cancelled: {summary}", summary=title)
    return title


def description(event: SessionEvent, language: str, *, answer_url: str | None = None) -> str:
    """The calendar notes: place in the series, link, the phases, the confidentiality rule; in
    an invitation also the recipient's own answer link."""
    _ = i18n.translator(language)
    lines = [_("Intervision group: {name}", name=event.group_name)]
    if event.theme:
        lines.append(_("Theme: {theme}", theme=theme_label(event.theme, language)))
    if event.kind == "guided":
        lines.append(_(
            "This is session {number} of {total} in the series, guided by {facilitator}.",
            number=event.number, total=event.guided_total, facilitator=_facilitator_name(event),
        ))
    else:
        lines.append(_("This is session {number} in the series; the group meets self-directed.", number=event.number))
        lines.append(_chair(event, language))
    if event.status == "cancelled":
        lines.append(_("This session has been cancelled."))
    if event.meeting_link:
        lines += ["", _("Join the video call: {url}", url=event.meeting_link)]
    if answer_url:
        lines += ["", _("Let us know whether you will attend: {url}", url=answer_url)]
    lines += ["", _("How the session runs:")]
    lines += [f"{i}. {_(name)} – {_(hint)}" for i, (name, hint) in enumerate(_PHASES, 1)]
    lines += ["", _("What is discussed in the group stays in the group.")]
    return "\n".join(lines)


def phases(language: str) -> tuple[str, ...]:
    """The names of the six phases of an intervision session, in order."""
    _ = i18n.translator(language)
    return tuple(_(name) for name, _hint in _PHASES)


def conference_label(language: str) -> str:
    """The LABEL of the CONFERENCE property: ``Videoverbinding`` / ``Video call``."""
    _ = i18n.translator(language)
    return _("Video call")


def mail_subject(event: SessionEvent, *, language: str, notice: str) -> str:
    """``Uitnodiging: Intervisie Gedrag A — bijeenkomst 2 van 3 (begeleid)`` and its variants."""
    _check_notice(notice)
    _ = i18n.translator(language)
    return _one_line(_(_SUBJECTS[notice], summary=_title(event, language)))


def mail_text(
    event: SessionEvent, recipient: Contact, *, notice: str, role: str = "REQ-PARTICIPANT", answer_url: str | None = None,
    timezone: str | None = None,
) -> str:
    """The plain-text part of the invitation mail, in the recipient's language (with their own
    answer link, when given); times on the recipient's clock (``timezone``) with the group's
    beside them where it differs, else on the group's."""
    _check_notice(notice)
    language = language_of(recipient.language)
    _ = i18n.translator(language)
    session = session_label(event, language)
    opening = _OPENINGS["new_chair" if notice == "new" and role == "CHAIR" else notice]
    lines = [_("Dear {name},", name=recipient.name), ""]
    lines += [_(opening, session=session, Session=session[:1].upper() + session[1:], group=event.group_name), ""]
    lines.append(_("When: {when}", when=when(event, language, timezone)))
    if event.theme:
        lines.append(_("Theme: {theme}", theme=theme_label(event.theme, language)))
    if event.kind != "guided":
        lines.append(_chair(event, language))
    if event.meeting_link and notice in ("new", "changed"):
        lines.append(_("Join the video call: {url}", url=event.meeting_link))
    if notice in ("new", "changed"):
        lines += ["", _("Use the buttons in your calendar to let us know whether you will attend.")]
        if answer_url:
            lines.append(_("Let us know whether you will attend: {url}", url=answer_url))
    lines += _closing(event, language)
    return "\n".join(lines)


def at_risk_subject(event: SessionEvent, language: str) -> str:
    """``Let op: niet iedereen kan bij bijeenkomst 2 van 3 (begeleid) van <groep>``."""
    _ = i18n.translator(language)
    return _one_line(_(
        "Attention: not everyone can attend {session} of {group}", session=session_label(event, language), group=event.group_name,
    ))


def at_risk_text(
    event: SessionEvent, recipient: Contact, *, declined: list[tuple[str, str | None]], alternatives: list[datetime],
    busy: Sequence[str] = (), timezone: str | None = None,
) -> str:
    """The mail to the facilitator (or the chair) of a session that not everyone can attend:
    who declined (``(name, comment)``, their comments quoted), whose own calendar is busy during
    it (``busy``: names; a calendar conflict), and the best other times (each a session long), on
    the recipient's clock (``timezone``) with the group's beside them, else on the group's."""
    language = language_of(recipient.language)
    _ = i18n.translator(language)
    lines = [_("Dear {name},", name=recipient.name), ""]
    lines.append(_(
        "Not everyone can attend {session} of the intervision group {group} on {when}.",
        session=session_label(event, language), group=event.group_name, when=when(event, language, timezone),
    ))
    if declined:
        lines.append(_("Declined: {names}.", names=", ".join(name for name, _comment in declined)))
        lines += [_("{name} wrote: {comment}", name=name, comment=_quoted(comment, language)) for name, comment in declined if comment]
    if busy:
        lines.append(_("Busy at that time according to their own calendar: {names}.", names=", ".join(busy)))
    lines.append("")
    if alternatives:
        length = event.end - event.start
        lines.append(_("Times at which everyone can attend and nobody is booked twice:"))
        lines += [f"- {when(replace(event, start=start, end=start + length), language, timezone)}" for start in alternatives]
        lines += ["", _("Would you like to move the session? Ask the programme's organiser to choose one of these times.")]
    else:
        lines.append(_("Around this date there is no time at which everyone can attend."))
    lines += ["", _("Kind regards,"), event.organizer.name, ""]
    return "\n".join(lines)


def _quoted(comment: str, language: str) -> str:
    """A person's comment on one line between quotation marks, so that what they typed cannot
    pass for the mail's own text."""
    opening, closing = ("\u201e", "\u201d") if language == "nl" else ("\u201c", "\u201d")
    return f"{opening}{' '.join(comment.split())}{closing}"


def reminder_subject(event: SessionEvent, language: str) -> str:
    """``Herinnering: bijeenkomst 2 van 3 (begeleid) van <groep>``."""
    _ = i18n.translator(language)
    return _one_line(_(
        "Reminder: {session} of {group}", session=session_label(event, language), group=event.group_name,
    ))


def reminder_text(event: SessionEvent, recipient: Contact, *, timezone: str, answer_url: str | None) -> str:
    """The reminder before a session: when (in the reader's own zone), the link to join, and
    the link to answer."""
    language = language_of(recipient.language)
    _ = i18n.translator(language)
    lines = [_("Dear {name},", name=recipient.name), ""]
    lines.append(_("A reminder: {session} of the intervision group {group}.", session=session_label(event, language), group=event.group_name))
    lines += ["", _("When: {when}", when=when(event, language, timezone))]
    if event.meeting_link:
        lines.append(_("Join the video call: {url}", url=event.meeting_link))
    if answer_url:
        lines += ["", _("Let us know whether you will attend: {url}", url=answer_url)]
    lines += _closing(event, language)
    return "\n".join(lines)


def when(event: SessionEvent, language: str, timezone: str | None = None) -> str:
    """``dinsdag 23 maart 2027, 19:30–21:30 (tijd in Amsterdam)``, in the session's own zone, or
    in ``timezone`` (a reader's own) with the group's time beside it where its clock differs:
    ``13:30–15:30 (tijd in New York; 19:30–21:30 in Nederland)``."""
    return i18n.when(event.start, event.end, language, timezone or event.timezone, group_timezone=event.timezone)


def _title(event: SessionEvent, language: str) -> str:
    _ = i18n.translator(language)
    session = session_label(event, language)
    if _NAMED_INTERVISION.match(event.group_name):
        return _("{group} — {session}", group=event.group_name.strip(), session=session)
    return _("Intervision {group} — {session}", group=event.group_name.strip(), session=session)


def _closing(event: SessionEvent, language: str) -> list[str]:
    _ = i18n.translator(language)
    return ["", _("What is discussed in the group stays in the group."), "", _("Kind regards,"), event.organizer.name, ""]


def _one_line(subject: str) -> str:
    """A mail subject on one line. The API refuses line breaks in names, but takes what
    ``str.splitlines`` also breaks on (U+0085, U+2028, U+2029), and the mail library refuses a
    header with those: one group's name would stop every mail about its sessions."""
    return " ".join(subject.splitlines())


def _facilitator_name(event: SessionEvent) -> str:
    return event.facilitator.name if event.facilitator else event.organizer.name


def _chair(event: SessionEvent, language: str) -> str:
    _ = i18n.translator(language)
    if event.chair_name:
        return _("Chair: {name}", name=event.chair_name)
    return _("Chair: agree together who chairs this time.")


def _check_notice(notice: str) -> None:
    if notice not in NOTICES:
        raise ValueError(f"notice must be one of {NOTICES}, not {notice!r}")
