"""``/availability/{token}``: a participant's own page to fill in their week.

No key: the token is the secret (see :mod:`shared.use_cases.availability_links`). The page is a
plain form that works without JavaScript: checkboxes ``name="slot"`` with values ``DAY HH:MM``
for the half hours from 07:00 to 23:00 in the participant's own zone, their unavailable date
ranges to remove (``name="remove"``, the range's position) or add (``unavailable_start``,
``unavailable_end`` as Dutch dates ``dd-mm-jjjj``, ``unavailable_note``), and a CSRF field
derived from the token. What is posted is checked field by field in words, then by the same
schema as ``PUT /v1/participants/{id}/availability``, and stored the same way (version, ETag,
webhook); a refusal is 400 with the page showing everything as sent and the reason next to its
field.

The week opens on the days and hours of the participant's groups on her own clock
(:func:`shared.domain.week_form.opening_cells`; the programme's usual hours for a person in no
group); the rest of the week is in a closed ``<details>`` of the same form. The page's one
script makes each table a single tab stop that the keyboard moves through and lets a pointer
drag a rectangle; the form does not depend on it.

The page also lists the participant's own published calendars (their status in words, the
address masked), takes a new one (``POST …/calendars``, field ``url``) and removes one (``POST
…/calendars/{id}/remove``), each with the same CSRF field, under the API's rules (at most five,
the SSRF rules, the same calendar once) through :mod:`shared.use_cases.calendar_sources`; a
stored change is answered 303 to the page (post/redirect/get), a refusal 400 with the page
saying why next to the field, what was typed kept. The busy time read from those calendars is
marked in the grid for the seven days from today.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import Response, redirect, request, url_for
from flask.views import MethodView
from sqlalchemy.orm import Session

from services.api.context import state, transaction
from services.api.resources.answers import forged, link_gone, page
from services.api.schemas.common import AvailabilityInputSchema
from services.api.spec import Blueprint, documented
from services.outbound_http import resolve
from shared.actor import PLATFORM, Actor
from shared.db.models import Participant
from shared.domain import calendar_source_texts as calendar_texts
from shared.domain import calendar_sources as calendar_rules
from shared.domain import i18n
from shared.domain import week_form as grid
from shared.domain.i18n import N_
from shared.domain.model import WEEKDAYS
from shared.domain.webhooks import NOT_ALLOWED
from shared.errors import Conflict, InvalidInput, NotFound
from shared.use_cases import availability_links, busy_time
from shared.use_cases import calendar_sources as sources
from shared.use_cases.scheduling import constraints_of

availability_pages = Blueprint(
    "availability-pages", __name__, url_prefix="/availability", idempotent_posts=False,
    description="Each participant's page to fill in their week. No key: the link is the secret.",
)

NOTE_LENGTH = 200
MAX_WINDOWS = 50
MAX_PERIODS = 366
"""The limits of :class:`AvailabilityInputSchema`, said in words before it would refuse."""
FORM_SCHEMA = {
    "type": "object", "required": ["slot", "csrf"], "additionalProperties": {"type": "string"},
    "properties": {
        "slot": {
            "type": "array", "minItems": 1, "maxItems": 7 * 32, "uniqueItems": True,
            "items": {"type": "string", "pattern": "^(mon|tue|wed|thu|fri|sat|sun) (0[7-9]|1[0-9]|2[0-2]):(00|30)$"},
            "description": "The ticked half hours, `DAY HH:MM` from `mon 07:00` to `sun 22:30`",
        },
        "remove": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{1,3}$"}, "description": "Positions of listed periods to remove"},
        # Dutch dates whatever the browser's language; a field left empty is sent as an empty value.
        "unavailable_start": {"type": "string", "maxLength": 40, "example": "08-03-2027",
                              "description": "The first day of a period the participant cannot meet, `dd-mm-jjjj` (or empty)"},
        "unavailable_end": {"type": "string", "maxLength": 40, "example": "12-03-2027",
                            "description": "Its last day, `dd-mm-jjjj`; empty: the first day"},
        "unavailable_note": {"type": "string", "maxLength": NOTE_LENGTH},
        "csrf": {"type": "string"},
    },
}


CALENDAR = "calendar"
"""The query flag of the page a calendar post is redirected to: ``added`` or ``removed``."""
CALENDAR_FORM_SCHEMA = {
    "type": "object", "required": ["url", "csrf"], "additionalProperties": {"type": "string"},
    "properties": {
        "url": {"type": "string", "maxLength": calendar_rules.MAX_URL_LENGTH,
                "description": "The calendar's secret published address (https, or webcal read as https)",
                "example": "webcal://outlook.office365.com/owa/calendar/0f1e…/calendar.ics"},
        "csrf": {"type": "string"},
    },
}
REMOVAL_FORM_SCHEMA = {
    "type": "object", "required": ["csrf"], "additionalProperties": {"type": "string"},
    "properties": {"csrf": {"type": "string"}},
}


class Refused(Exception):
    """What the page says when a post cannot be stored: ``field`` (one of :data:`FIELDS`) is
    where the page shows ``reason``."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


WEEK, REMOVE, START, END, NOTE = "week", "remove", "unavailable_start", "unavailable_end", "unavailable_note"
FIELDS = (WEEK, REMOVE, START, END, NOTE)
"""Where a refused post's reason stands: the week's grid, the periods to remove, the new period's fields."""


class _Gone(Exception):
    """The page's link is dead: answered with the expired-link page (:func:`_answer_gone`)."""

    def __init__(self, token: str) -> None:
        super().__init__("the link is dead")
        self.token = token


def _participant(session: Session, token: str, now: datetime) -> Participant:
    """The participant a page link is for; raises :class:`_Gone` for a dead link."""
    participant = availability_links.resolve(session, token, now)
    if participant is None:
        raise _Gone(token)
    return participant


@availability_pages.errorhandler(_Gone)
def _answer_gone(gone: _Gone) -> Response:
    """404 in the language of the person the link was for, when it is known."""
    with transaction() as session:
        language = availability_links.language_of_expired(session, gone.token)
    return link_gone(
        N_("The link has expired or has been replaced. Ask the organiser of your intervision programme for a new one."),
        language,
    )


def _csrf(token: str) -> str:
    return availability_links.csrf(state().settings.secret(), token)


@dataclass(frozen=True)
class Posted:
    """What a refused post sent, shown again as it was: the ticked cells, the periods ticked for
    removal and the typed period."""

    cells: frozenset[grid.Cell]
    removed: frozenset[str]
    start: str
    end: str
    note: str


def _show(
    session: Session, participant: Participant, token: str, *, status: int = 200, saved: bool = False,
    problem: str | None = None, errors: dict[str, str] | None = None, posted: Posted | None = None,
    calendar_done: str | None = None, calendar_problem: str | None = None, typed_url: str = "",
    calendar_alert: str | None = None,
) -> Response:
    """The page. ``problem`` why the week was not saved, ``errors`` the reasons by field
    (:data:`FIELDS`) and ``posted`` what was sent, which the page shows instead of what is stored;
    ``calendar_done``: ``added`` or ``removed`` after the redirect of a calendar post;
    ``calendar_problem`` why a typed address was not added, shown next to the field that keeps
    ``typed_url``; ``calendar_alert`` why a removal was refused."""
    translator = i18n.translator(participant.language)
    _ = translator
    language = translator.language
    now = state().clock()
    document = participant.availability
    ticked = posted.cells if posted else grid.ticked(grid.windows_from(document.get("weekly", [])))
    calendars = _calendars(session, participant, now, language)
    busy = _busy_cells(session, participant, now) if calendars else {}
    abbreviated = translator.locale.days["format"]["abbreviated"]
    days = [
        {"slug": slug, "name": i18n.weekday_name(number, language), "short": abbreviated[number]}
        for number, slug in enumerate(WEEKDAYS)
    ]
    busy_days = sorted(set(busy.values()))

    def cell(day: int, minute: int) -> dict:
        value = grid.slot_value((day, minute))
        return {"value": value, "checked": (day, minute) in ticked, "label": f"{days[day]['name']} {value[4:]}",
                "busy": f"busy-{WEEKDAYS[day]}" if (day, minute) in busy else None}

    def rows(shown_days: list[int], minutes, skipped=frozenset()) -> list[dict]:
        return [
            {"time": grid.slot_value((0, minute))[4:],
             "cells": [None if (day, minute) in skipped else cell(day, minute) for day in shown_days]}
            for minute in minutes
        ]

    first_days, first_minutes = grid.first_part(grid.opening_cells(_hours_of(participant), participant.timezone, _next_monday(participant, now)))
    in_first = frozenset((day, minute) for day in first_days for minute in first_minutes)
    whole = len(in_first) == 7 * len(grid.grid_minutes())
    others_ticked = sum(1 for item in ticked if item not in in_first)
    for calendar in calendars:
        calendar["remove_action"] = url_for(
            "availability-pages.AvailabilityCalendarRemoval", token=token, source_id=calendar["id"], _anchor="calendars",
        )
    stored_periods = document.get("unavailable", [])
    return page(
        "availability.html", status, scripted=True,
        **translator.template_context(),
        name=participant.name,
        zone=i18n.zone_words(participant.timezone, language),
        grouped=bool(participant.memberships),
        group_clock=_group_clock(participant, _next_monday(participant, now), language),
        unrestricted=not document.get("weekly"),
        days=days,
        first={"days": [days[day] for day in first_days], "rows": rows(first_days, first_minutes)},
        others=None if whole else {
            "days": days, "rows": rows(list(range(7)), grid.grid_minutes(), in_first), "ticked": others_ticked,
        },
        busy_days=[
            {"id": f"busy-{WEEKDAYS[day.weekday()]}", "text": _("busy in your calendar on {date}", date=i18n.format_date(day, language))}
            for day in busy_days
        ],
        busy_from=i18n.format_date(_today(participant, now), language, weekday=False),
        busy_to=i18n.format_date(_today(participant, now) + timedelta(days=6), language, weekday=False),
        unavailable=[
            {"text": _range_text(item, participant.timezone, language), "removed": posted is not None and str(number) in posted.removed}
            for number, item in enumerate(stored_periods)
        ],
        typed=posted or Posted(frozenset(), frozenset(), "", "", ""),
        date_example=grid.day_text(_today(participant, now) + timedelta(days=30)),
        saved=saved, problem=problem, errors=errors or {}, csrf=_csrf(token),
        calendars=calendars, calendar_done=calendar_done, calendar_problem=calendar_problem, typed_url=typed_url,
        calendar_alert=calendar_alert,
        max_calendars=calendar_rules.MAX_SOURCES, max_url_length=calendar_rules.MAX_URL_LENGTH,
        calendar_action=url_for("availability-pages.AvailabilityCalendars", token=token),
        page_action=url_for("availability-pages.AvailabilityPage", token=token),
    )


def _next_monday(participant: Participant, now: datetime) -> date:
    """The week whose clocks the page's first part follows: the coming one (as the heat map's)."""
    today = _today(participant, now)
    return today + timedelta(days=7 - today.weekday())


def _group_clock(participant: Participant, monday: date, language: str) -> str | None:
    """The first group's hours on its own clock where that clock differs from the participant's
    (``19:00–22:00 in Nederland``), else None."""
    for hours in _hours_of(participant)[:1] if participant.memberships else ():
        day = monday + timedelta(days=min(hours.weekdays))
        zone = ZoneInfo(hours.timezone)
        start = datetime.combine(day, hours.earliest, zone)
        end = datetime.combine(day, hours.latest, zone) if hours.latest != time(0) else datetime.combine(day + timedelta(days=1), time(0), zone)
        mine = start.astimezone(ZoneInfo(participant.timezone))
        if (mine.date(), mine.time()) != (start.date(), start.time()):
            return i18n.elsewhere(start, end, language, hours.timezone)
    return None


def _hours_of(participant: Participant) -> list[grid.Hours]:
    """The days and hours of the participant's groups; the programme's usual hours when she is in none."""
    hours = []
    for membership in participant.memberships:
        rules = constraints_of(membership.group.constraints)
        hours.append(grid.Hours(rules.weekdays, rules.earliest, rules.latest, membership.group.timezone))
    return hours or [grid.USUAL_HOURS]


def _owner(participant: Participant) -> Actor:
    """The participant's own platform, as whom the page manages her calendars (the link is the key)."""
    return Actor(participant.client_id, PLATFORM, "availability page")


def _today(participant: Participant, now: datetime) -> date:
    return now.astimezone(ZoneInfo(participant.timezone)).date()


def _calendars(session: Session, participant: Participant, now: datetime, language: str) -> list[dict]:
    listed = sources.list_sources(session, _owner(participant), calendar_rules.PARTICIPANT, participant.id)
    shown = []
    for number, source in enumerate(listed, start=1):
        words = calendar_texts.shown(
            source.status, source.last_fetched_at, source.last_error_code, source.last_error,
            now=now, timezone=participant.timezone, language=language,
        )
        shown.append({"id": str(source.id), "number": number, "address": source.url_shown, "status": source.status,
                      "summary": words.summary, "problem": words.problem})
    return shown


def _busy_cells(session: Session, participant: Participant, now: datetime) -> dict[grid.Cell, date]:
    """The half hours of the grid that the participant's calendars hold busy in the seven days from today."""
    first = _today(participant, now)
    zone = ZoneInfo(participant.timezone)
    start = datetime.combine(first, time(0), zone).astimezone(UTC)
    end = datetime.combine(first + timedelta(days=7), time(0), zone).astimezone(UTC)
    busy = busy_time.busy_between(session, calendar_rules.PARTICIPANT, [participant.id], start, end)
    return grid.busy_cells(busy.get(participant.id, []), first, participant.timezone)


def _range_text(item: dict, timezone: str, language: str) -> str:
    """``8 maart 2027 t/m 12 maart 2027 (studiereis)``; a date-time range as a meeting is shown."""
    start, end = item["start"], item["end"]
    if "T" in start:
        text = i18n.when(datetime.fromisoformat(start), datetime.fromisoformat(end), language, timezone)
    elif start == end:
        text = i18n.format_date(date.fromisoformat(start), language)
    else:
        first, last = (i18n.format_date(date.fromisoformat(day), language) for day in (start, end))
        _ = i18n.translator(language)  # bound first, so that pybabel extract finds the message
        text = _("{first} to {last}", first=first, last=last)
    return f"{text} ({item['note']})" if item.get("note") else text


def _posted() -> Posted:
    """What the form sent, as far as the page can show it again (a value that is no half hour of
    the page is dropped: the reason says so)."""
    form = request.form
    cells = set()
    for value in form.getlist("slot"):
        try:
            cells |= grid.parse_slots([value])
        except ValueError:
            pass
    return Posted(
        frozenset(cells), frozenset(form.getlist("remove")),
        form.get(START, "")[:40], form.get(END, "")[:40], form.get(NOTE, "")[: NOTE_LENGTH * 2],
    )


def _posted_availability(participant: Participant) -> dict:
    """The availability the form asks for; Refused says why it cannot be stored, and where."""
    _ = i18n.translator(participant.language)
    form = request.form
    slots = form.getlist("slot")
    try:
        cells = grid.parse_slots(slots)
    except ValueError:
        raise Refused(WEEK, _("A ticked time is not a half hour of the week on this page.")) from None
    if len(cells) != len(slots):  # as the form's schema says (uniqueItems); the page sends each once
        raise Refused(WEEK, _("A half hour was sent twice."))
    kept = grid.windows_from(participant.availability.get("weekly", []))
    windows = grid.windows_of(cells, kept)
    if not windows:
        raise Refused(WEEK, _("Tick at least one half hour at which you can meet."))
    if len(windows) > MAX_WINDOWS:
        raise Refused(WEEK, _("Your week has more than {count} separate stretches: join some of them.", count=MAX_WINDOWS))
    unavailable = list(participant.availability.get("unavailable", []))
    removed = set(form.getlist("remove"))
    if not removed <= {str(i) for i in range(len(unavailable))}:
        raise Refused(REMOVE, _("A period to remove is no longer on this page. Reload the page to see the current list."))
    unavailable = [item for i, item in enumerate(unavailable) if str(i) not in removed]
    start, end = form.get(START, "").strip(), form.get(END, "").strip()
    note = " ".join(form.get(NOTE, "").split())
    if start or end or note:
        first = _day(start, START, _, _("Give the first day you cannot meet, as {format}.", format=_date_format(_)))
        last = _day(end, END, _) if end else first
        if last < first:
            raise Refused(END, _("The last day cannot be before the first day ({date}).", date=grid.day_text(first)))
        if len(note) > NOTE_LENGTH:
            raise Refused(NOTE, _("The note can be at most {count} characters long.", count=NOTE_LENGTH))
        if len(unavailable) >= MAX_PERIODS:
            raise Refused(START, _("You have {count} periods already: remove one before you add another.", count=MAX_PERIODS))
        item = {"start": first.isoformat(), "end": last.isoformat()}
        if note:
            item["note"] = note
        unavailable.append(item)
    document = {"weekly": grid.weekly_of(windows), "unavailable": unavailable}
    try:
        return AvailabilityInputSchema().load(document)
    except ma.ValidationError:  # checked above, field by field, in words; the schema is the last word
        raise Refused(WEEK, _("Your week could not be stored like this.")) from None


def _date_format(_: i18n.Translator) -> str:
    """``dd-mm-jjjj`` (Dutch), ``dd-mm-yyyy`` (English)."""
    return _("dd-mm-yyyy")


def _day(text: str, field: str, _: i18n.Translator, missing: str | None = None) -> date:
    """The day typed in ``field``; Refused says why it is none."""
    if not text:
        raise Refused(field, missing or "")
    try:
        return grid.parse_day(text)
    except grid.DateProblem as problem:
        if problem.code == grid.NO_SUCH_DAY:
            raise Refused(field, _("{date} is not a day in the calendar.", date=text)) from None
        raise Refused(field, _("Write the date as {format}, for example {example}.", format=_date_format(_), example="08-03-2027")) from None


@availability_pages.route("/<token>")
class AvailabilityPage(MethodView):
    @availability_pages.doc(security=[], parameters=[{
        "name": CALENDAR, "in": "query", "required": False, "schema": {"type": "string"},
        "description": "`added` or `removed` after the redirect that follows a calendar post: the page says so. "
                       "Any other value is ignored.",
    }])
    @availability_pages.response(200, documented.text, description="The participant's week (HTML)", content_type="text/html", headers=documented.page_headers)
    @availability_pages.alt_response(404, schema=documented.text, description="The link is dead (HTML)", content_type="text/html", headers=documented.page_headers)
    def get(self, token: str):
        """A participant's page to fill in their week (HTML); showing it changes nothing"""
        with transaction() as session:
            participant = _participant(session, token, state().clock())
            done = request.args.get(CALENDAR)
            return _show(session, participant, token, calendar_done=done if done in ("added", "removed") else None)

    @availability_pages.doc(security=[], requestBody={"required": True, "content": {"application/x-www-form-urlencoded": {
        "schema": FORM_SCHEMA, "encoding": {"slot": {"style": "form", "explode": True}, "remove": {"style": "form", "explode": True}},
    }}})
    @availability_pages.response(200, documented.text, description="The page, confirming what was stored (HTML)", content_type="text/html", headers=documented.page_headers)
    @availability_pages.alt_response(400, schema=documented.text, description="Not stored: the page says why (HTML)", content_type="text/html", headers=documented.page_headers)
    @availability_pages.alt_response(404, schema=documented.text, description="The link is dead (HTML)", content_type="text/html", headers=documented.page_headers)
    def post(self, token: str):
        """Store the week filled in on the page (a form post from the page itself)"""
        now = state().clock()
        with transaction() as session:
            participant = _participant(session, token, now)
            _ = i18n.translator(participant.language)
            expired = forged(_csrf(token), _)
            try:
                if expired:
                    raise Refused("", _("Not saved: {reason}.", reason=expired))
                availability = _posted_availability(participant)
            except Refused as refused:
                errors = {refused.field: refused.reason} if refused.field else {}
                problem = _("Not saved. {reason}", reason=refused.reason) if refused.field else refused.reason
                return _show(session, participant, token, status=400, problem=problem, errors=errors, posted=_posted())
            saved = availability_links.save(session, token, availability, now)
            if saved is None:
                raise _Gone(token)
            return _show(session, saved, token, saved=True)


def _redirect(token: str, done: str | None) -> Response:
    flag = {CALENDAR: done} if done else {}
    return redirect(url_for("availability-pages.AvailabilityPage", token=token, **flag, _anchor="calendars"), 303)


def _added(participant: Participant, typed: str, now: datetime) -> str | None:
    """Add the typed calendar; None when it was added, else why not (a code of
    calendar_texts.ENTRY_PROBLEMS)."""
    settings = state().settings
    problem = calendar_texts.entry_problem(typed, allow_private=settings.calendar_allow_private)
    if problem:
        return problem
    try:
        with transaction() as session:
            sources.create(
                session, _owner(participant), calendar_rules.PARTICIPANT, participant.id, typed.strip(), now=now,
                secret=settings.secret(), allow_private=settings.calendar_allow_private, resolve=resolve,
            )
    except InvalidInput as refused:
        # The reasons of the webhooks' URL rules: NOT_ALLOWED for a host that is private or does
        # not resolve, else what the address itself gets wrong.
        reasons = [error.reason for error in refused.errors or ()]
        return calendar_texts.NOT_ALLOWED if NOT_ALLOWED in reasons else calendar_texts.INVALID
    except Conflict:
        # One of two: the limit (checked first) or the same calendar again.
        with transaction() as session:
            count = len(sources.list_sources(session, _owner(participant), calendar_rules.PARTICIPANT, participant.id))
        return calendar_texts.LIMIT if count >= calendar_rules.MAX_SOURCES else calendar_texts.DUPLICATE
    return None


def _calendar_post(schema: dict, done: str, stored: str, refused: str):
    """The documentation of a calendar form post: its form, 303 to the page with
    ``?calendar={done}`` when ``stored``, 400 with the page when ``refused``, 404 for a dead link."""
    decorators = (
        availability_pages.doc(security=[], requestBody={"required": True, "content": {
            "application/x-www-form-urlencoded": {"schema": schema},
        }}),
        availability_pages.response(303, description=f"{stored}: see the page (post/redirect/get)", headers={
            **documented.location(f"The page, with ?{CALENDAR}={done}"), **documented.page_headers,
        }),
        availability_pages.alt_response(400, schema=documented.text, description=f"{refused} (HTML)", content_type="text/html", headers=documented.page_headers),
        availability_pages.alt_response(404, schema=documented.text, description="The link is dead (HTML)", content_type="text/html", headers=documented.page_headers),
    )

    def decorate(func):
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return decorate


@availability_pages.route("/<token>/calendars")
class AvailabilityCalendars(MethodView):
    @_calendar_post(
        CALENDAR_FORM_SCHEMA, "added", "Added, and its first fetch asked for",
        "Not added: the page says why next to the field, which keeps what was typed",
    )
    def post(self, token: str):
        """Add a published calendar of the participant's own (a form post from the page itself)"""
        now = state().clock()
        with transaction() as session:
            participant = _participant(session, token, now)
            session.expunge(participant)
        typed = request.form.get("url", "")
        _ = i18n.translator(participant.language)
        problem = calendar_texts.EXPIRED if forged(_csrf(token), _) else _added(participant, typed, now)
        if problem is None:
            return _redirect(token, "added")
        with transaction() as session:
            participant = _participant(session, token, now)
            count = len(sources.list_sources(session, _owner(participant), calendar_rules.PARTICIPANT, participant.id))
            return _show(
                session, participant, token, status=400, typed_url=typed[: calendar_rules.MAX_URL_LENGTH],
                calendar_problem=calendar_texts.entry_text(problem, participant.language, count=count),
            )


# The id is read here rather than by a uuid converter: a page answers HTML, even for an id that is none.
@availability_pages.route("/<token>/calendars/<source_id>/remove")
class AvailabilityCalendarRemoval(MethodView):
    @_calendar_post(
        REMOVAL_FORM_SCHEMA, "removed", "Removed with the busy time read from it (a calendar already gone: without the flag)",
        "Not removed: the form had expired, and the page says so",
    )
    def post(self, token: str, source_id: str):
        """Remove one of the participant's own calendars (a form post from the page itself)"""
        now = state().clock()
        with transaction() as session:
            participant = _participant(session, token, now)
            _ = i18n.translator(participant.language)
            if forged(_csrf(token), _):
                return _show(session, participant, token, status=400, calendar_alert=_(
                    "This form has expired. Reload the page and try again."
                ))
            try:
                source = sources.get_source(session, _owner(participant), calendar_rules.PARTICIPANT, participant.id, uuid.UUID(source_id))
            except (ValueError, NotFound):
                return _redirect(token, None)  # removed already (a second click, another tab)
            sources.delete_source(session, source)
        return _redirect(token, "removed")
