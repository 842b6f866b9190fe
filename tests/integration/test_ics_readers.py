"""Our iCalendar output read by software we did not write.

* vobject parses and validates every kind of output;
* libical (C, behind Evolution and many servers) runs its RFC 5546 restriction check on the
  REQUEST, CANCEL and PUBLISH objects; it comes from Debian's ``gir1.2-ical-3.0`` and runs in
  the system python3 (``make system-deps`` installs it), and a missing package fails the test;
* Radicale, a real CalDAV server, stores each session and hands it back intact;
* with the TZID renamed so that no reader can fall back on its own copy of the tz database,
  vobject, icalendar and libical turn 19:30 into the right UTC instant on both sides of the
  March and October changes, reading only the file's own VTIMEZONE.
"""

from __future__ import annotations

import dataclasses
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import icalendar
import pytest
import requests
import vobject

from shared.domain.ics import (
    Contact,
    SessionEvent,
    build_calendar_object,
    build_feed,
    build_invitation,
)
from tests.radicale_server import make_calendar, put_event, radicale
from tests.unit.test_meeting_links import TEAMS, TEAMS_URI

pytestmark = pytest.mark.integration

SYSTEM_PYTHON = "/usr/bin/python3"
LIBICAL_CHECK = Path(__file__).with_name("libical_check.py")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NEW_YORK = ZoneInfo("America/New_York")
FACILITATOR = Contact("Fenna Jansen", "fenna@school.example")
PROGRAMME = Contact("Programma Intervisie", "programma@intervisie.example")
MEMBER = Contact("Mark de Vriés", "mark@school.example")
ENGLISH_MEMBER = Contact("Jane Doe", "jane@school.example", language="en")
ISSUED = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)


def session(number: int, start: datetime, **changes) -> SessionEvent:
    values = dict(
        uid=f"{uuid.UUID(int=number)}@intervisie",
        sequence=number % 3,
        number=number,
        kind="guided" if number <= 3 else "self_directed",
        guided_total=3,
        start=start,
        end=start + timedelta(hours=2),
        timezone=start.tzinfo.key,
        status="scheduled",
        group_name="Middenbouw Utrecht; team B, locatie Noord",
        theme="Omgaan met ouders — “lastige” gesprekken",
        meeting_url="https://meet.example/intervisie-abc?pwd=x,y",
        chair_name=None if number <= 3 else "Anna Bakker",
        last_modified=datetime(2027, 1, 4, 15, 12, 7, tzinfo=UTC),
        organizer=FACILITATOR if number <= 3 else PROGRAMME,
    )
    values.update(changes)
    return SessionEvent(**values)


# 19:30 local on both sides of the 2027 changes (Europe: 28 March, 31 October;
# New York: 14 March, 7 November), with the UTC instant each must read as.
AMSTERDAM_TIMES = {
    datetime(2027, 3, 23, 19, 30): datetime(2027, 3, 23, 18, 30, tzinfo=UTC),
    datetime(2027, 3, 30, 19, 30): datetime(2027, 3, 30, 17, 30, tzinfo=UTC),
    datetime(2027, 10, 26, 19, 30): datetime(2027, 10, 26, 17, 30, tzinfo=UTC),
    datetime(2027, 11, 2, 19, 30): datetime(2027, 11, 2, 18, 30, tzinfo=UTC),
}
NEW_YORK_TIMES = {
    datetime(2027, 3, 9, 19, 30): datetime(2027, 3, 10, 0, 30, tzinfo=UTC),
    datetime(2027, 3, 16, 19, 30): datetime(2027, 3, 16, 23, 30, tzinfo=UTC),
    datetime(2027, 11, 2, 19, 30): datetime(2027, 11, 2, 23, 30, tzinfo=UTC),
    datetime(2027, 11, 9, 19, 30): datetime(2027, 11, 10, 0, 30, tzinfo=UTC),
}


def sessions() -> list[SessionEvent]:
    events = [session(n, local.replace(tzinfo=AMSTERDAM))
              for n, local in enumerate(AMSTERDAM_TIMES, start=1)]
    events += [session(n, local.replace(tzinfo=NEW_YORK))
                for n, local in enumerate(NEW_YORK_TIMES, start=11)]
    events.append(session(20, datetime(2027, 6, 1, 12, 0, tzinfo=ZoneInfo("UTC"))))
    events.append(session(21, datetime(2027, 6, 8, 19, 30, tzinfo=AMSTERDAM), status="cancelled"))
    return events


def request(event=None, recipient=MEMBER, role="REQ-PARTICIPANT", sent_by=None) -> bytes:
    event = event or sessions()[1]
    return build_invitation(event, recipient, method="REQUEST", role=role, issued_at=ISSUED,
                            sent_by=sent_by)


def cancel_for_cancelled_session() -> bytes:
    return build_invitation(sessions()[-1], MEMBER, method="CANCEL", role="REQ-PARTICIPANT",
                            issued_at=ISSUED)


def cancel_for_member_who_left() -> bytes:
    return build_invitation(sessions()[4], ENGLISH_MEMBER, method="CANCEL",
                            role="REQ-PARTICIPANT", issued_at=ISSUED)


def feed(events=None, language="nl") -> bytes:
    return build_feed(sessions() if events is None else events, calendar_name="Intervisie – Fenna",
                      timezone="Europe/Amsterdam", language=language)


OUTPUTS = {
    "request": request,
    "request-chair": lambda: request(sessions()[0], FACILITATOR, "CHAIR",
                                     sent_by="agenda@intervisie.example"),
    "request-self-directed-english": lambda: request(sessions()[5], ENGLISH_MEMBER),
    "cancel-cancelled-session": cancel_for_cancelled_session,
    "cancel-member-who-left": cancel_for_member_who_left,
    "publish": feed,
    "publish-english": lambda: feed(language="en"),
    "publish-empty": lambda: feed([]),
    "calendar-object": lambda: build_calendar_object(sessions()[2], language="nl"),
    # Teams puts JSON in its link; an address may have a quoted local part, a name a backslash.
    "request-teams-link": lambda: request(dataclasses.replace(sessions()[1], meeting_url=TEAMS),
                                          Contact("Anna\\", '"anna bakker"@school.example')),
    "publish-teams-link": lambda: feed([dataclasses.replace(e, meeting_url=TEAMS) for e in sessions()]),
}


# --- a) vobject --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OUTPUTS)
def test_vobject_parses_and_validates_every_output(name):
    calendar = vobject.readOne(OUTPUTS[name]().decode("utf-8"), validate=True)
    assert calendar.name == "VCALENDAR"
    for event in calendar.contents.get("vevent", []):
        assert event.dtstart.value.tzinfo is not None
        assert event.uid.value.endswith("@intervisie")


def test_vobject_reads_back_the_texts_unescaped():
    event = vobject.readOne(request().decode("utf-8"), validate=True).vevent
    assert event.summary.value == "Intervisie Middenbouw Utrecht; team B, locatie Noord — bijeenkomst 2 van 3 (begeleid)"
    assert "Thema: Omgaan met ouders — “lastige” gesprekken\n" in event.description.value
    assert "Intervisiegroep: Middenbouw Utrecht; team B, locatie Noord" in event.description.value
    assert event.location.value == "https://meet.example/intervisie-abc?pwd=x,y"
    assert event.attendee.params["CN"] == ["Mark de Vriés"]


def test_vobject_follows_a_teams_link_to_the_same_meeting():
    event = vobject.readOne(OUTPUTS["request-teams-link"]().decode("utf-8"), validate=True).vevent
    # CONFERENCE (RFC 7986) is not among vobject's properties: it splits the value at the comma
    # the link keeps (RFC 3986 allows it), so only the properties it knows are compared here.
    assert event.url.value == event.location.value == TEAMS_URI
    assert unquote(event.url.value) == unquote(TEAMS)
    assert event.attendee.value == "mailto:%22anna%20bakker%22@school.example"
    assert event.attendee.params["CN"] == ["Anna\\"] and event.attendee.params["RSVP"] == ["TRUE"]


# --- b) libical's RFC 5546 restriction check --------------------------------------------------


def libical(ics: bytes, *arguments: str) -> subprocess.CompletedProcess:
    result = subprocess.run([SYSTEM_PYTHON, str(LIBICAL_CHECK), *arguments], input=ics,
                            capture_output=True, timeout=60)
    if result.returncode == 2:
        pytest.fail("libical is not installed for the system python3; run `make system-deps` "
                    f"(gir1.2-ical-3.0, python3-gi): {result.stderr.decode()}")
    return result


@pytest.mark.parametrize("name", ["request", "request-chair", "request-self-directed-english",
                                  "cancel-cancelled-session", "cancel-member-who-left",
                                  "publish", "publish-english", "publish-empty", "request-teams-link",
                                  "publish-teams-link"])
def test_libical_finds_no_itip_restriction_broken(name):
    result = libical(OUTPUTS[name]())
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert result.stdout.decode().strip() == "ok"


def test_libical_check_does_report_a_broken_restriction():
    without_organizer = b"".join(
        line for line in request().splitlines(keepends=True) if not line.startswith(b"ORGANIZER")
    )
    result = libical(without_organizer)
    assert result.returncode == 1
    assert b"ORGANIZER" in result.stdout


# --- c) a round trip through Radicale ---------------------------------------------------------


@pytest.fixture(scope="module")
def calendar_url() -> Iterator[str]:
    """An empty calendar collection on a Radicale of our own (no auth, temporary storage)."""
    with radicale() as base:
        yield make_calendar(f"{base}/intervisie/sessies/", ("intervisie", "x"))


@pytest.mark.parametrize("index", range(len(sessions())))
def test_radicale_keeps_uid_sequence_and_local_start(calendar_url, index):
    event = sessions()[index]
    resource = f"{calendar_url}{event.uid.split('@')[0]}.ics"
    put_event(calendar_url, event.uid.split('@')[0], build_calendar_object(event, language="nl"), ("intervisie", "x"))

    got = requests.get(resource, auth=("intervisie", "x"), timeout=10)
    assert got.status_code == 200
    (stored,) = icalendar.Calendar.from_ical(got.content).walk("VEVENT")
    assert str(stored["UID"]) == event.uid
    assert stored["SEQUENCE"] == event.sequence
    if event.timezone == "UTC":
        # icalendar writes a UTC time as ...Z and never TZID=UTC (RFC 5545 3.2.19).
        assert "TZID" not in stored["DTSTART"].params
        assert stored.DTSTART.utcoffset() == timedelta(0)
    else:
        assert stored["DTSTART"].params["TZID"] == event.timezone
    local = event.start.astimezone(ZoneInfo(event.timezone)).replace(tzinfo=None)
    assert stored.DTSTART.replace(tzinfo=None) == local
    assert stored.DTSTART.astimezone(UTC) == event.start.astimezone(UTC)


# --- d) only the file's own VTIMEZONE ----------------------------------------------------------

RENAMED = {"Europe/Amsterdam": "Custom/Intervisie-Amsterdam",
           "America/New_York": "Custom/Intervisie-New-York"}


def renamed_feed() -> tuple[str, dict[str, datetime]]:
    """A feed whose zones no reader can know, and the UTC start each UID must read as."""
    events = sessions()[:len(AMSTERDAM_TIMES) + len(NEW_YORK_TIMES)]
    text = feed(events).decode("utf-8")
    for real, custom in RENAMED.items():
        text = text.replace(f"TZID:{real}", f"TZID:{custom}").replace(f"TZID={real}:", f"TZID={custom}:")
        assert real not in text.replace("X-WR-TIMEZONE:Europe/Amsterdam", "")
    expected = dict(zip((e.uid for e in events), [*AMSTERDAM_TIMES.values(), *NEW_YORK_TIMES.values()]))
    return text, expected


def test_renamed_zones_read_right_in_vobject():
    text, expected = renamed_feed()
    calendar = vobject.readOne(text, validate=True)
    found = {e.uid.value: e.dtstart.value for e in calendar.vevent_list}
    assert {uid: start.tzinfo is not None for uid, start in found.items()} == dict.fromkeys(expected, True)
    assert {uid: start.astimezone(UTC) for uid, start in found.items()} == expected
    assert {uid: (start.hour, start.minute) for uid, start in found.items()} == dict.fromkeys(expected, (19, 30))


def test_renamed_zones_read_right_in_icalendar():
    text, expected = renamed_feed()
    events = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert {str(e["UID"]): e.DTSTART.astimezone(UTC) for e in events} == expected


def test_renamed_zones_read_right_in_libical():
    text, expected = renamed_feed()
    result = libical(text.encode("utf-8"), "--utc")
    assert result.returncode == 0, result.stdout.decode()
    rows = [line.split("\t") for line in result.stdout.decode().splitlines() if "\t" in line]
    assert {uid: start for uid, start, _ in rows} == {
        uid: f"{moment:%Y%m%dT%H%M%S}Z" for uid, moment in expected.items()}
