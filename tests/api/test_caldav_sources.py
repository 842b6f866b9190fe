"""CalDAV calendars as busy time: a collection on a real CalDAV server (Radicale, with HTTP Basic
sign-in) is asked for its free and busy time by the worker, with the app password the platform
gave, which is stored sealed and never shown."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from shared.db.models import BusyInterval, CalendarSource, IdempotencyRecord
from shared.domain.busy_times import horizon
from shared.domain.sealing import Sealer, Unsealable
from shared.use_cases.calendar_sources import CREDENTIALS_PURPOSE
from tests.radicale_server import make_calendar, put_event, radicale

pytestmark = pytest.mark.usefixtures("public_dns")

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ANNA = ("anna", "app-wachtwoord-7f3k")
TEAM_MEETING = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Voorbeeldschool//Agenda//NL
BEGIN:VTIMEZONE
TZID:Europe/Amsterdam
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:teamoverleg@voorbeeldschool.example
DTSTAMP:20261101T120000Z
DTSTART;TZID=Europe/Amsterdam:20261201T183000
DTEND;TZID=Europe/Amsterdam:20261201T213000
RRULE:FREQ=WEEKLY;BYDAY=TU
SUMMARY:Teamoverleg over Sem
LOCATION:Lokaal 12
END:VEVENT
END:VCALENDAR
"""
"""Every Tuesday 18:30–21:30 Dutch time from 1 December 2026 (after the tests' clock), with its
VTIMEZONE as CalDAV clients store it (Radicale reads a TZID by it)."""


@pytest.fixture(scope="module")
def calendar_url() -> Iterator[str]:
    """Anna's calendar "werk" on a Radicale that signs her in with her app password."""
    with radicale({ANNA[0]: ANNA[1]}) as base:
        url = make_calendar(f"{base}/anna/werk/", ANNA)
        put_event(url, "teamoverleg", TEAM_MEETING, ANNA)
        yield url


def sources_path(person) -> str:
    return f"/v1/participants/{person['id']}/calendar-sources"


def tuesdays(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The team meetings that touch [start, end), in UTC, clipped to it."""
    found, day = [], datetime(2026, 12, 1, 18, 30, tzinfo=AMSTERDAM)
    while day < end:
        first, last = day.astimezone(UTC), (day + timedelta(hours=3)).astimezone(UTC)
        if last > start:
            found.append((max(first, start), last if last <= end else end))
        day = (day + timedelta(days=7)).replace(hour=18, minute=30)
    return found


def test_a_caldav_calendar_is_asked_for_its_busy_time_with_its_app_password(
    platform, person, worker, allow_private, session_factory, clock, calendar_url,
):
    created = platform.post(sources_path(person), json={"url": calendar_url, "caldav": {"username": ANNA[0], "password": ANNA[1]}})
    assert created.status_code == 201, created.json
    assert created.json["kind"] == "caldav" and created.json["status"] == "pending"
    assert created.json["url"] == calendar_url.split("/anna/")[0] + "/…"
    worker.drain()
    source = platform.get(created.headers["Location"]).json
    assert (source["status"], source["last_error"], source["last_fetched_at"]) == ("ok", None, clock.now.isoformat())
    assert set(source) == {"id", "kind", "url", "status", "last_fetched_at", "last_error", "last_error_code", "busy_count"}
    horizon_end = horizon(clock.now)[1]
    with session_factory() as session:
        stored = [(row.start, row.end) for row in session.scalars(
            select(BusyInterval).where(BusyInterval.source_id == uuid.UUID(source["id"])).order_by(BusyInterval.start))]
        everything = json.dumps([str(value) for table in (CalendarSource, BusyInterval, IdempotencyRecord)
                                 for row in session.execute(select(table.__table__)).all() for value in row])
    assert stored == tuesdays(clock.now, horizon_end)
    assert source["busy_count"] == len(stored) > 60
    assert stored[0] == (datetime(2026, 12, 1, 17, 30, tzinfo=UTC), datetime(2026, 12, 1, 20, 30, tzinfo=UTC))
    # Neither the app password nor anything of what the meeting was is kept in the clear.
    for secret in (ANNA[1], "Teamoverleg", "Sem", "Lokaal", "/anna/werk"):
        assert secret not in everything
    # The list and the export show the kind, never the credentials.
    listed = platform.get(sources_path(person)).json
    assert [s["kind"] for s in listed] == ["caldav"] and ANNA[1] not in json.dumps(listed)
    exported = platform.get(f"/v1/participants/{person['id']}/export").json
    assert ANNA[1] not in json.dumps(exported) and ANNA[0] not in json.dumps(exported["calendar_sources"])


def test_a_wrong_app_password_fails_as_forbidden(platform, person, worker, allow_private, calendar_url):
    created = platform.post(sources_path(person), json={"url": calendar_url, "caldav": {"username": ANNA[0], "password": "oud"}})
    worker.drain()
    source = platform.get(created.headers["Location"]).json
    assert (source["status"], source["last_error_code"], source["busy_count"]) == ("failed", "forbidden", 0)
    assert source["last_error"] == "the calendar server answered 401 Unauthorized"


def test_the_collection_added_without_credentials_is_fetched_with_a_plain_get_and_refused(platform, person, worker, allow_private, calendar_url):
    """Without the credentials the same collection is asked for with a plain GET: Radicale wants
    a sign-in, and the source says so."""
    created = platform.post(sources_path(person), json={"url": calendar_url})
    assert created.json["kind"] == "ics"
    worker.drain()
    assert platform.get(created.headers["Location"]).json["last_error_code"] == "forbidden"


def test_the_credentials_are_stored_sealed_for_their_own_row(platform, person, session_factory, settings):
    created = platform.post(sources_path(person), json={
        "url": "https://caldav.school.example/calendars/anna/werk/", "caldav": {"username": ANNA[0], "password": ANNA[1]},
    })
    assert created.status_code == 201, created.json
    with session_factory() as session:
        row = session.get(CalendarSource, uuid.UUID(created.json["id"]))
        assert row.kind == "caldav" and ANNA[1] not in row.credentials_sealed and ANNA[0] not in row.credentials_sealed
        sealer = Sealer(settings.secret(), CREDENTIALS_PURPOSE)
        assert json.loads(sealer.open(row.credentials_sealed, str(row.id))) == {"username": ANNA[0], "password": ANNA[1]}
        with pytest.raises(Unsealable):
            sealer.open(row.credentials_sealed, str(uuid.uuid4()))


@pytest.mark.parametrize(("caldav", "field"), [
    ({"username": "anna"}, "caldav.password"),
    ({"password": "x"}, "caldav.username"),
    ({"username": "", "password": "x"}, "caldav.username"),
    ({"username": "anna:school", "password": "x"}, "caldav.username"),
    ({"username": "anna", "password": "x" * 201}, "caldav.password"),
    ({"username": "anna", "password": "x", "realm": "school"}, "caldav.realm"),
    ("anna:x", "caldav"),
])
def test_incomplete_credentials_are_refused_and_add_nothing(platform, person, caldav, field):
    refused = platform.post(sources_path(person), json={"url": "https://caldav.school.example/anna/werk/", "caldav": caldav})
    assert refused.status_code == 422, refused.json
    assert [error["field"] for error in refused.json["errors"]] == [field]
    assert "x" * 201 not in json.dumps(refused.json)
    assert platform.get(sources_path(person)).json == []
