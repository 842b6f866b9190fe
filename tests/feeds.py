"""Calendar feeds in the shapes their publishers write, generated here (never copied from anyone's
calendar): Outlook/Exchange, Google, iCloud, Zermelo and Magister, and the hostile shapes a feed
URL can serve instead.

An :class:`Event` says what happens; each publisher function writes it the way that publisher
does: Outlook with Windows zone names, its own VTIMEZONEs and X-MICROSOFT properties; Google with
X-WR-TIMEZONE, UTC single events and zone-bound series; iCloud with floating times; Zermelo as UTC
single lessons, cancelled ones kept with STATUS:CANCELLED; Magister with Amsterdam times and
all-day transparent markers. Lines are folded at 75 octets as publishers do. Every event carries a
title, a description, a location and attendees, so that a test can check that none comes out.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar.parser import Contentline

from shared.domain.vtimezone import build_vtimezone

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NEW_YORK = ZoneInfo("America/New_York")

SECRET_WORDS = ("Vertrouwelijk", "Jeugdzorg", "Kamer 2.14", "ouder@example.org", "Leerling De Vries")
"""Words every generated event carries somewhere; none may come out of the busy times."""

# Outlook's VTIMEZONEs: Windows names, the current rule only, starting in 1601.
WINDOWS_NAMES = {"Europe/Amsterdam": "W. Europe Standard Time", "America/New_York": "Eastern Standard Time"}
_OUTLOOK_RULES = {
    "W. Europe Standard Time": (("STANDARD", "030000", "+0200", "+0100", "-1SU", 10),
                                ("DAYLIGHT", "020000", "+0100", "+0200", "-1SU", 3)),
    "Eastern Standard Time": (("STANDARD", "020000", "-0400", "-0500", "1SU", 11),
                              ("DAYLIGHT", "020000", "-0500", "-0400", "2SU", 3)),
}


@dataclass
class Event:
    """What happens, in publisher-neutral terms. ``start``/``end`` are aware datetimes (timed) or
    dates (all-day, ``end`` exclusive)."""

    start: datetime | date
    end: datetime | date
    summary: str = "Overleg " + SECRET_WORDS[0]
    rrule: str | None = None
    exdates: Sequence[datetime | date] = ()
    rdates: Sequence[datetime] = ()
    recurrence_id: datetime | date | None = None
    transparent: bool = False
    status: str | None = None
    uid: str | None = None
    sequence: int = 0
    extra: list[str] = field(default_factory=list)

    def key(self) -> str:
        return self.uid or hashlib.sha1(f"{self.start}{self.summary}".encode()).hexdigest()


def fold(lines: Iterable[str]) -> bytes:
    """Content lines folded at 75 octets, as icalendar writes them."""
    return b"".join(Contentline(line).to_ical() + b"\r\n" for line in lines)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%S")


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


def _private(event: Event) -> list[str]:
    return [
        f"DESCRIPTION:Gesprek over {SECRET_WORDS[1]} met {SECRET_WORDS[4]}\\nZie dossier.",
        f"LOCATION:{SECRET_WORDS[2]}",
        "ORGANIZER;CN=Mentor:mailto:mentor@school.example",
        f"ATTENDEE;CN={SECRET_WORDS[4]};PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:{SECRET_WORDS[3]}",
    ]


def _times(event: Event, write) -> list[str]:
    """DTSTART, DTEND, RRULE, EXDATE, RDATE and RECURRENCE-ID through ``write(name, value)``."""
    lines = [write("DTSTART", event.start), write("DTEND", event.end)]
    if event.rrule:
        lines.append(f"RRULE:{event.rrule}")
    lines += [write("EXDATE", moment) for moment in event.exdates]
    lines += [write("RDATE", moment) for moment in event.rdates]
    if event.recurrence_id is not None:
        lines.append(write("RECURRENCE-ID", event.recurrence_id))
    return lines


def _zone_name(event: Event) -> str:
    moment = event.start if isinstance(event.start, datetime) else None
    return moment.tzinfo.key if moment is not None else "Europe/Amsterdam"


# -- Outlook / Exchange ("Publish calendar", ICS link) ---------------------------------------------


def outlook_vtimezone(windows_name: str, tzid: str | None = None) -> list[str]:
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tzid or windows_name}"]
    for kind, at, offset_from, offset_to, byday, month in _OUTLOOK_RULES[windows_name]:
        lines += [f"BEGIN:{kind}", f"DTSTART:16010101T{at}", f"TZOFFSETFROM:{offset_from}",
                  f"TZOFFSETTO:{offset_to}", f"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY={byday};BYMONTH={month}",
                  f"END:{kind}"]
    return [*lines, "END:VTIMEZONE"]


def outlook(events: Sequence[Event], *, quote_tzid: bool = False) -> bytes:
    zones = sorted({WINDOWS_NAMES[_zone_name(e)] for e in events} or {"W. Europe Standard Time"})
    lines = ["BEGIN:VCALENDAR", "METHOD:PUBLISH", "PRODID:Microsoft Exchange Server 2010", "VERSION:2.0",
             "X-WR-CALNAME:Agenda"]
    for name in zones:
        lines += outlook_vtimezone(name)
    for event in events:
        zone = ZoneInfo(_zone_name(event))
        windows = WINDOWS_NAMES[zone.key]
        tzid = f'"{windows}"' if quote_tzid else windows

        def write(name: str, value, tzid=tzid, zone=zone) -> str:
            if isinstance(value, datetime):
                return f"{name};TZID={tzid}:{_local(value.astimezone(zone))}"
            return f"{name};VALUE=DATE:{_day(value)}"

        all_day = not isinstance(event.start, datetime)
        busy = "FREE" if event.transparent else "BUSY"
        lines += [
            "BEGIN:VEVENT", "CLASS:PUBLIC", "CREATED:20250901T080000Z", *_private(event),
            f"SUMMARY;LANGUAGE=nl-NL:{event.summary}", *_times(event, write),
            "DTSTAMP:20250901T080000Z", "LAST-MODIFIED:20250901T080000Z", "PRIORITY:5",
            f"SEQUENCE:{event.sequence}", f"TRANSP:{'TRANSPARENT' if event.transparent else 'OPAQUE'}",
            f"UID:040000008200E00074C5B7101A82E00800000000{event.key()[:24]}",
            "X-MICROSOFT-CDO-APPT-SEQUENCE:0", f"X-MICROSOFT-CDO-BUSYSTATUS:{busy}",
            f"X-MICROSOFT-CDO-INTENDEDSTATUS:{busy}",
            f"X-MICROSOFT-CDO-ALLDAYEVENT:{'TRUE' if all_day else 'FALSE'}",
            "X-MICROSOFT-CDO-IMPORTANCE:1", "X-MICROSOFT-CDO-INSTTYPE:0",
            "X-MICROSOFT-DONOTFORWARDMEETING:FALSE", "X-MICROSOFT-DISALLOW-COUNTER:FALSE",
            "X-MS-OLK-CONFTYPE:0", *event.extra,
        ]
        if event.status:
            lines.append(f"STATUS:{event.status}")
        lines += ["BEGIN:VALARM", "DESCRIPTION:REMINDER", "TRIGGER;RELATED=START:-PT15M", "ACTION:DISPLAY",
                  "END:VALARM", "END:VEVENT"]
    return fold([*lines, "END:VCALENDAR"])


# -- Google Calendar ("secret address in iCal format") ----------------------------------------------


def google(events: Sequence[Event], *, timezone: str = "Europe/Amsterdam") -> bytes:
    lines = ["BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "VERSION:2.0",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Werk", f"X-WR-TIMEZONE:{timezone}"]
    zones = sorted({_zone_name(e) for e in events if e.rrule or e.recurrence_id} | {timezone})
    for zone in zones:
        block = build_vtimezone(zone, 2025, 2028)
        lines += [block[0], block[1], f"X-LIC-LOCATION:{zone}", *block[2:]]
    for event in events:
        zone_bound = bool(event.rrule or event.recurrence_id or event.exdates)

        def write(name: str, value, zone_bound=zone_bound) -> str:
            if not isinstance(value, datetime):
                return f"{name};VALUE=DATE:{_day(value)}"
            if zone_bound:  # a series keeps its zone, so that it follows the clock changes
                return f"{name};TZID={value.tzinfo.key}:{_local(value)}"
            return f"{name}:{_utc(value)}"

        lines += ["BEGIN:VEVENT", *_times(event, write), "DTSTAMP:20260101T120000Z",
                  f"UID:{event.key()[:26]}@google.com", "CREATED:20250901T080000Z", *_private(event),
                  "LAST-MODIFIED:20250901T080000Z", f"SEQUENCE:{event.sequence}",
                  f"STATUS:{event.status or 'CONFIRMED'}", f"SUMMARY:{event.summary}",
                  f"TRANSP:{'TRANSPARENT' if event.transparent else 'OPAQUE'}", *event.extra, "END:VEVENT"]
    return fold([*lines, "END:VCALENDAR"])


# -- iCloud (public calendar) ---------------------------------------------------------------------


def icloud(events: Sequence[Event], *, timezone: str | None = "Europe/Amsterdam") -> bytes:
    """Floating times (wall clock, no zone) and all-day dates; X-WR-TIMEZONE when given."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Apple Inc.//macOS 14.4//EN", "CALSCALE:GREGORIAN",
             "X-WR-CALNAME:Thuis", "X-APPLE-CALENDAR-COLOR:#34AADC"]
    if timezone:
        lines.append(f"X-WR-TIMEZONE:{timezone}")
    for event in events:
        def write(name: str, value) -> str:
            if isinstance(value, datetime):
                return f"{name}:{_local(value)}"
            return f"{name};VALUE=DATE:{_day(value)}"

        lines += ["BEGIN:VEVENT", "CREATED:20250901T080000Z", f"UID:{event.key()[:32].upper()}",
                  *_times(event, write), "DTSTAMP:20260101T120000Z", *_private(event),
                  f"SUMMARY:{event.summary}", "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC",
                  f"SEQUENCE:{event.sequence}"]
        if event.transparent:
            lines.append("TRANSP:TRANSPARENT")
        if event.status:
            lines.append(f"STATUS:{event.status}")
        lines += [*event.extra, "END:VEVENT"]
    return fold([*lines, "END:VCALENDAR"])


# -- Zermelo (school timetable, personal ICS link) -------------------------------------------------


def zermelo(events: Sequence[Event]) -> bytes:
    """Every lesson its own event in UTC; a cancelled lesson stays in with STATUS:CANCELLED."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Zermelo Software//Zermelo Portal//NL",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Rooster", "X-PUBLISHED-TTL:PT1H"]
    for number, event in enumerate(events):
        lines += ["BEGIN:VEVENT", f"UID:zermelo-appointment-{number}-{event.key()[:8]}",
                  f"DTSTAMP:{_utc(datetime(2026, 1, 1, tzinfo=UTC))}",
                  f"DTSTART:{_utc(event.start)}", f"DTEND:{_utc(event.end)}",
                  f"SUMMARY:{event.summary}", f"LOCATION:{SECRET_WORDS[2]}",
                  f"DESCRIPTION:Docent: KLS\\nGroep: h3a\\n{SECRET_WORDS[4]}",
                  f"STATUS:{event.status or 'CONFIRMED'}", *event.extra, "END:VEVENT"]
    return fold([*lines, "END:VCALENDAR"])


# -- Magister (agenda export) ----------------------------------------------------------------------


def magister(events: Sequence[Event]) -> bytes:
    """Lessons in Europe/Amsterdam with its VTIMEZONE; tests, homework and holidays as all-day
    events that the export marks TRANSPARENT."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Iddink Group//Magister 6//NL", "METHOD:PUBLISH",
             *build_vtimezone("Europe/Amsterdam", 2025, 2028)]
    for event in events:
        def write(name: str, value) -> str:
            if isinstance(value, datetime):
                return f"{name};TZID=Europe/Amsterdam:{_local(value.astimezone(AMSTERDAM))}"
            return f"{name};VALUE=DATE:{_day(value)}"

        lines += ["BEGIN:VEVENT", f"UID:magister-{event.key()[:16]}", "DTSTAMP:20260101T120000Z",
                  *_times(event, write), f"SUMMARY:{event.summary}", f"LOCATION:{SECRET_WORDS[2]}",
                  f"DESCRIPTION:Huiswerk: {SECRET_WORDS[1]}",
                  f"TRANSP:{'TRANSPARENT' if event.transparent else 'OPAQUE'}"]
        if event.status:
            lines.append(f"STATUS:{event.status}")
        lines += [*event.extra, "END:VEVENT"]
    return fold([*lines, "END:VCALENDAR"])


# -- a free/busy publication -----------------------------------------------------------------------


def freebusy(periods: Sequence[tuple[str | None, datetime, datetime | timedelta]]) -> bytes:
    """One VFREEBUSY with a FREEBUSY line per ``(fbtype, start, end or duration)``."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example Corp.//CalDAV Server//EN", "METHOD:PUBLISH",
             "BEGIN:VFREEBUSY", "UID:fb-1", "DTSTAMP:20260101T120000Z", "DTSTART:20260101T000000Z",
             "DTEND:20270401T000000Z", f"ORGANIZER;CN={SECRET_WORDS[4]}:mailto:{SECRET_WORDS[3]}"]
    for fbtype, start, end in periods:
        until = f"PT{int(end.total_seconds() // 60)}M" if isinstance(end, timedelta) else _utc(end)
        parameter = f";FBTYPE={fbtype}" if fbtype else ""
        lines.append(f"FREEBUSY{parameter}:{_utc(start)}/{until}")
    return fold([*lines, "END:VFREEBUSY", "END:VCALENDAR"])


# -- a five-year school timetable (the benchmark's feed) ---------------------------------------------


def school_timetable(first_year: int = 2023, years: int = 5, *, seed: int = 20260101) -> tuple[bytes, int]:
    """A teacher's timetable over ``years`` school years from August ``first_year``, published from
    Outlook: each year five periods of eight weeks, each with its A-week and B-week lessons as
    fortnightly series (``FREQ=WEEKLY;INTERVAL=2;BYDAY=..;UNTIL=..``) in distinct slots, the
    holiday week as an EXDATE, some lessons moved (RECURRENCE-ID, an hour later) or cancelled
    (RECURRENCE-ID with STATUS:CANCELLED), and single events: meetings, exams, parents' evenings.
    About 5,000 VEVENTs; returns the feed and their number."""
    rng = random.Random(seed)
    days = ("MO", "TU", "WE", "TH", "FR")
    hours = [(8, 30), (9, 20), (10, 30), (11, 20), (12, 40), (13, 30), (14, 20), (15, 10)]
    slots = [(day, hour) for day in range(5) for hour in range(len(hours))]
    events: list[Event] = []
    for year in range(first_year, first_year + years):
        first_monday = date(year, 8, 28) - timedelta(days=date(year, 8, 28).weekday())
        for period in range(5):
            begin = first_monday + timedelta(weeks=8 * period)
            end = begin + timedelta(weeks=8)
            until = datetime(end.year, end.month, end.day, tzinfo=AMSTERDAM).astimezone(UTC)
            holiday = rng.randrange(2, 7)
            for week in (0, 1):
                for lesson, (day, slot) in enumerate(rng.sample(slots, 30)):
                    hour, minute = hours[slot]
                    first = datetime(begin.year, begin.month, begin.day, hour, minute, tzinfo=AMSTERDAM)
                    first += timedelta(days=day, weeks=week)
                    uid = f"les-{year}-{period}-{week}-{lesson}"
                    events.append(Event(
                        first, first + timedelta(minutes=50), summary=f"wis h{rng.randrange(1, 6)}a {SECRET_WORDS[4]}",
                        rrule=f"FREQ=WEEKLY;INTERVAL=2;UNTIL={_utc(until)};BYDAY={days[day]};WKST=MO", uid=uid,
                        exdates=[first + timedelta(weeks=holiday)] if (holiday - week) % 2 == 0 else [],
                    ))
                    occurrence = first + timedelta(weeks=2 * rng.randrange(1, 4))
                    if rng.random() < 0.5:  # moved an hour later
                        events.append(Event(occurrence + timedelta(hours=1), occurrence + timedelta(hours=1, minutes=50),
                                            uid=uid, recurrence_id=occurrence, sequence=1))
                    elif rng.random() < 0.6:  # cancelled
                        events.append(Event(occurrence, occurrence + timedelta(minutes=50), uid=uid,
                                            recurrence_id=occurrence, status="CANCELLED", sequence=1))
            for single in range(90):
                day = begin + timedelta(days=rng.randrange(56))
                start = datetime(day.year, day.month, day.day, rng.randrange(7, 21), rng.choice((0, 30)), tzinfo=AMSTERDAM)
                events.append(Event(start, start + timedelta(minutes=rng.choice((30, 60, 90, 120))),
                                    uid=f"single-{year}-{period}-{single}"))
    return outlook(events), len(events)
