"""``/availability/{token}``: a participant's own page to fill in their week.

No key: the token is the secret (see :mod:`shared.use_cases.availability_links`). The page is a
plain form that works without JavaScript: checkboxes ``name="slot"`` with values ``DAY HH:MM``
for the half hours from 07:00 to 23:00 in the participant's own zone, their unavailable date
ranges to remove (``name="remove"``, the range's position) or add (``unavailable_start``,
``unavailable_end``, ``unavailable_note``), and a CSRF field derived from the token. What is
posted is validated by the same schema as ``PUT /v1/participants/{id}/availability`` and stored
the same way (version, ETag, webhook).
"""

from __future__ import annotations

from datetime import date, datetime

import marshmallow as ma
from flask import Response, request
from flask.views import MethodView

from services.api.context import state, transaction
from services.api.resources.answers import forged, link_gone, page
from services.api.schemas.common import AvailabilityInputSchema
from services.api.spec import Blueprint, documented
from shared.db.models import Participant
from shared.domain import i18n
from shared.domain import week_form as grid
from shared.domain.i18n import N_
from shared.domain.model import WEEKDAYS
from shared.use_cases import availability_links

availability_pages = Blueprint(
    "availability-pages", __name__, url_prefix="/availability", idempotent_posts=False,
    description="Each participant's page to fill in their week. No key: the link is the secret.",
)

NOTE_LENGTH = 200
FORM_SCHEMA = {
    "type": "object", "required": ["slot", "csrf"], "additionalProperties": {"type": "string"},
    "properties": {
        "slot": {
            "type": "array", "minItems": 1, "maxItems": 7 * 32, "uniqueItems": True,
            "items": {"type": "string", "pattern": "^(mon|tue|wed|thu|fri|sat|sun) (0[7-9]|1[0-9]|2[0-2]):(00|30)$"},
            "description": "The ticked half hours, `DAY HH:MM` from `mon 07:00` to `sun 22:30`",
        },
        "remove": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{1,3}$"}, "description": "Positions of listed periods to remove"},
        # A browser sends a date field left empty as an empty value.
        "unavailable_start": {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]},
        "unavailable_end": {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]},
        "unavailable_note": {"type": "string", "maxLength": NOTE_LENGTH},
        "csrf": {"type": "string"},
    },
}


class Refused(Exception):
    """What the page says when a post cannot be stored."""


def _gone() -> Response:
    return link_gone(N_("The link has expired or has been replaced. Ask the organiser of your intervision programme for a new one."))


def _csrf(token: str) -> str:
    return availability_links.csrf(state().settings.secret(), token)


def _show(participant: Participant, token: str, *, status: int = 200, saved: bool = False, problem: str | None = None) -> Response:
    translator = i18n.translator(participant.language)
    language = translator.language
    document = participant.availability
    ticked = grid.ticked(grid.windows_from(document.get("weekly", [])))
    abbreviated = translator.locale.days["format"]["abbreviated"]
    days = [
        {"slug": slug, "name": i18n.weekday_name(number, language), "short": abbreviated[number]}
        for number, slug in enumerate(WEEKDAYS)
    ]
    rows = [
        {
            "time": f"{minute // 60:02d}:{minute % 60:02d}",
            "cells": [
                {"value": grid.slot_value((day, minute)), "checked": (day, minute) in ticked,
                 "label": f"{days[day]['name']} {grid.slot_value((day, minute))[4:]}"}
                for day in range(7)
            ],
        }
        for minute in grid.grid_minutes()
    ]
    return page(
        "availability.html", status, scripted=True,
        **translator.template_context(),
        name=participant.name,
        zone=i18n.zone_name(participant.timezone, language),
        unrestricted=not document.get("weekly"),
        days=days, rows=rows,
        unavailable=[_range_text(item, participant.timezone, language) for item in document.get("unavailable", [])],
        saved=saved, problem=problem, csrf=_csrf(token),
    )


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


def _posted_availability(participant: Participant) -> dict:
    """The availability the form asks for; Refused says why it cannot be stored."""
    _ = i18n.translator(participant.language)
    form = request.form
    slots = form.getlist("slot")
    try:
        cells = grid.parse_slots(slots)
    except ValueError:
        raise Refused(_("a ticked time is not a half hour of the week on this page")) from None
    if len(cells) != len(slots):  # as the form's schema says (uniqueItems); the page sends each once
        raise Refused(_("a half hour was sent twice"))
    current = participant.availability
    kept = [w for w in grid.windows_from(current.get("weekly", []))]
    windows = grid.windows_of(cells, kept)
    if not windows:
        raise Refused(_("tick at least one half hour at which you can meet"))
    unavailable = list(current.get("unavailable", []))
    removed = set(form.getlist("remove"))
    if not removed <= {str(i) for i in range(len(unavailable))}:
        raise Refused(_("a period to remove is no longer on this page"))
    unavailable = [item for i, item in enumerate(unavailable) if str(i) not in removed]
    start, end = form.get("unavailable_start", "").strip(), form.get("unavailable_end", "").strip()
    note = " ".join(form.get("unavailable_note", "").split())
    if start or end or note:
        if not start:
            raise Refused(_("give the first day you cannot meet"))
        item = {"start": start, "end": end or start}
        if note:
            item["note"] = note
        unavailable.append(item)
    document = {"weekly": grid.weekly_of(windows), "unavailable": unavailable}
    try:
        return AvailabilityInputSchema().load(document)
    except ma.ValidationError as error:
        raise Refused(_explain(error.normalized_messages(), _)) from None


def _explain(messages: dict, _) -> str:
    """The first reason of the schema, with where it applies in words of the page."""
    field, reasons = next(iter(_flatten(messages)))
    where = _("the period you cannot meet") if field.startswith("unavailable") else _("your week")
    return f"{where}: {reasons}"


def _flatten(messages, prefix: str = ""):
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        yield prefix, " ".join(messages)
    elif isinstance(messages, list):
        for value in messages:
            yield from _flatten(value, prefix)
    else:
        yield prefix, str(messages)


@availability_pages.route("/<token>")
class AvailabilityPage(MethodView):
    @availability_pages.doc(security=[])
    @availability_pages.response(200, documented.text, description="The participant's week (HTML)", content_type="text/html", headers=documented.page_headers)
    @availability_pages.alt_response(404, schema=documented.text, description="The link is dead (HTML)", content_type="text/html", headers=documented.page_headers)
    def get(self, token: str):
        """A participant's page to fill in their week (HTML); showing it changes nothing"""
        with transaction() as session:
            participant = availability_links.resolve(session, token, state().clock())
            return _gone() if participant is None else _show(participant, token)

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
            participant = availability_links.resolve(session, token, now)
            if participant is None:
                return _gone()
            _ = i18n.translator(participant.language)
            problem = forged(_csrf(token), _)
            if not problem:
                try:
                    availability = _posted_availability(participant)
                    problem = None
                except Refused as refused:
                    problem = str(refused)
            if problem:
                return _show(participant, token, status=400, problem=_("Not saved: {reason}.", reason=problem))
            saved = availability_links.save(session, token, availability, now)
            if saved is None:
                return _gone()
            return _show(saved, token, saved=True)
