"""The busy time of a plain single event, read from its lines without icalendar's parser.

Most events of a timetable or an agenda are single: no RRULE, RDATE, EXDATE or RECURRENCE-ID,
nothing nested, and no other VEVENT of their UID (:func:`.feed_text.split` marks them). For
these, icalendar parsing every line and recurring-ical-events building a dateutil rule set for
one occurrence are most of the cost of a feed. :func:`single_occurrence` reads their DTSTART,
DTEND, DURATION, TRANSP, STATUS and Outlook's BUSYSTATUS straight from the kept lines and works
out the occurrence as the library path does, step for step: values through icalendar's own value
parsers, the TZID through the caller's per-feed resolution, UTC and floating times through
x-wr-timezone's walker, the end as recurring-ical-events reckons it (DTEND, else DTSTART plus
DURATION, else a day for a date; the occurrence ends at its start plus the length, in the
start's zone), and dates as whole days of the floating zone.

It reads only the shapes it knows: a parameter other than TZID or VALUE on a date, any parameter
on another property, a property twice, an escape, a caret or surrounding spaces in a TZID, a TZID
on a UTC time or a date, a date with a DURATION, a date beside a date-time, an end not after the
start, a date at the ends of time. Anything else is :class:`NotPlain`, and the event goes to
icalendar and recurring-ical-events like any other, which also give a broken event its reason.
The tests check, on generated events, that both paths give the same busy times.

What does go to icalendar (the series, their overrides and the calendar's head) is handed to its
parser as lines already split and unfolded, each a :class:`PlainLine`: for a line in the plain
shape publishers write (a name, parameters without quotes, commas, escapes, carets, percent signs
or surrounding spaces, and a value without a backslash) the name, parameters and value are cut
apart by one regular expression instead of icalendar's character-by-character scan, with the same
result; any other line is split by icalendar itself. The tests compare both on generated lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as clock

import x_wr_timezone
from icalendar import Calendar
from icalendar.parser import Contentline, Parameters
from icalendar.prop import vDDDTypes, vDuration
from recurring_ical_events.util import normalize_pytz

SESSION_UID_SUFFIX = "@intervisie"
"""How the calendar UIDs of this service's sessions end (shared.use_cases.scheduling)."""

_LINE = re.compile(r'([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=(?:"[^"^]*"|[^";:,^]*))*):(.*)', re.DOTALL)
_PARAMETER = re.compile(r';([A-Za-z0-9-]+)=("[^"^]*"|[^";:,^]*)')
_MOMENT = re.compile(r"\d{8}(?:T\d{6}Z?)?")
_DURATION = re.compile(r"P(?:\d+W|\d+D(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+S)?)?|T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+S)?)")
_SEQUENCE = re.compile(r"\d{1,9}")
_READ = frozenset({"UID", "DTSTART", "DTEND", "DURATION", "SEQUENCE", "STATUS", "TRANSP", "X-MICROSOFT-CDO-BUSYSTATUS"})
_FREE = {"TRANSP": "TRANSPARENT", "STATUS": "CANCELLED", "X-MICROSOFT-CDO-BUSYSTATUS": "FREE"}
_VCAL_UID = b"vCal-Uid\x01\x00\x00\x00"
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")


_PLAIN_LINE = re.compile(r"([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=[^\x00-\x20\x7f\";:,\\^%](?:[^\x00-\x1f\x7f\";:,\\^%]*[^\x00-\x20\x7f\";:,\\^%])?)*):([^\\]*)")
"""A content line whose parts icalendar's scan would give unchanged: no quoting, list, escape
(backslash, RFC 6868 caret, the percent sign icalendar uses inside), control character or space
next to a delimiter in the parameters, and no backslash in the value."""
_PLAIN_PARAMETER = re.compile(r";([A-Za-z0-9-]+)=([^;]*)")


class PlainLine(Contentline):
    """A content line (unfolded) that splits the plain shape by a regular expression."""

    __slots__ = ()

    def parts(self) -> tuple[str, Parameters, str]:
        match = _PLAIN_LINE.fullmatch(self)
        if match is None:
            return super().parts()
        name, parameters, value = match.groups()
        return name, Parameters(_PLAIN_PARAMETER.findall(parameters)), value


def calendar_of(lines: Sequence[str]) -> Calendar:
    """icalendar's calendar of ``lines`` (unfolded, without line ends): what ``Calendar.from_ical``
    makes of them joined, split by :class:`PlainLine`."""
    return Calendar.from_ical([PlainLine(line) for line in lines])


class NotPlain(Exception):
    """An event in a shape this module does not read: icalendar and recurring-ical-events do."""


def own_session(uid: str) -> bool:
    """Whether a UID is one of this service's sessions, also inside the GlobalObjectId under
    which Exchange publishes an invitation from outside (hex, with the organiser's UID after the
    "vCal-Uid" marker)."""
    uid = uid.strip()
    if _HEX.fullmatch(uid) and _VCAL_UID in (raw := bytes.fromhex(uid)):
        uid = raw.split(_VCAL_UID, 1)[1].split(b"\x00", 1)[0].decode("utf-8", "replace")
    return uid.lower().endswith(SESSION_UID_SUFFIX)


class FloatingIn(x_wr_timezone.CalendarWalker):
    """x-wr-timezone's walk over the events, giving floating times a zone and leaving UTC as it is
    (a feed without X-WR-TIMEZONE means UTC by UTC)."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone

    def walk_value_datetime(self, dt: datetime) -> datetime:
        return dt.replace(tzinfo=self.zone) if dt.tzinfo is None else dt


def instant(value: date, floating: tzinfo) -> datetime:
    """A moment in UTC: a date is the start of that day in the floating zone."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, clock())
    if value.tzinfo is None:
        value = value.replace(tzinfo=floating)
    return value.astimezone(UTC)


def single_occurrence(
    lines: Sequence[str], resolve: Callable[[str], tzinfo | None], walker: x_wr_timezone.CalendarWalker,
    floating: tzinfo,
) -> tuple[datetime, datetime, bool] | None:
    """The one occurrence of a plain single event (its lines from ``BEGIN:VEVENT`` to
    ``END:VEVENT``, unfolded) in UTC and whether it makes its person busy; None for an event of
    this service's own sessions. ``resolve`` gives a TZID the zone the feed means by it, ``walker``
    is how the feed's UTC and floating times get their zone. Raises :class:`NotPlain`."""
    found: dict[str, tuple[dict[str, str], str]] = {}
    for line in lines[1:-1]:
        match = _LINE.fullmatch(line)
        name = match.group(1).upper() if match else ""
        if name not in _READ or name in found or "\\" in match.group(3):
            raise NotPlain
        parameters: dict[str, str] = {}
        for key, value in _PARAMETER.findall(match.group(2)):
            if key.upper() in parameters:
                raise NotPlain
            parameters[key.upper()] = value
        if parameters and name not in ("DTSTART", "DTEND"):
            raise NotPlain
        found[name] = (parameters, match.group(3))
    if "UID" in found and own_session(found["UID"][1]):
        return None
    if "SEQUENCE" in found and not _SEQUENCE.fullmatch(found["SEQUENCE"][1]):
        raise NotPlain
    if "DTSTART" not in found or ("DTEND" in found and "DURATION" in found):
        raise NotPlain
    try:
        start = _moment(*found["DTSTART"], resolve, walker)
        if "DTEND" in found:
            end = _moment(*found["DTEND"], resolve, walker)
        elif "DURATION" in found:
            if not isinstance(start, datetime):
                raise NotPlain
            end = normalize_pytz(start + _duration(found["DURATION"][1]))
        else:
            end = start if isinstance(start, datetime) else start + timedelta(days=1)
        if isinstance(start, datetime) != isinstance(end, datetime) or not end > start:
            raise NotPlain
        if isinstance(start, datetime):
            # recurring-ical-events: the occurrence ends at its start plus the event's length.
            end = normalize_pytz(start + (end - start))
        first, last = instant(start, floating), instant(end, floating)
    except (OverflowError, ValueError, TypeError):
        raise NotPlain from None
    busy = not any(found[name][1].strip().upper() == word for name, word in _FREE.items() if name in found)
    return first, last, busy


def _moment(
    parameters: dict[str, str], text: str, resolve: Callable[[str], tzinfo | None], walker: x_wr_timezone.CalendarWalker,
) -> date:
    if set(parameters) - {"TZID", "VALUE"} or not _MOMENT.fullmatch(text):
        raise NotPlain
    timed = len(text) > 8
    if parameters.get("VALUE", "DATE-TIME" if timed else "DATE").upper() != ("DATE-TIME" if timed else "DATE"):
        raise NotPlain
    tzid = parameters.get("TZID")
    if tzid is not None:
        tzid = tzid[1:-1] if tzid.startswith('"') else tzid
        if not timed or text.endswith("Z") or not tzid or tzid != tzid.strip():
            raise NotPlain
    value = vDDDTypes.from_ical(text)
    if not isinstance(value, date):
        raise NotPlain
    if isinstance(value, datetime):
        if tzid is not None:
            value = value.replace(tzinfo=resolve(tzid))
        value = walker.walk_value_datetime(value)
    return value


def _duration(text: str) -> timedelta:
    if not _DURATION.fullmatch(text):
        raise NotPlain
    value = vDuration.from_ical(text)
    if not isinstance(value, timedelta):
        raise NotPlain
    return value
