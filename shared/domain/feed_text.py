"""The text of a calendar feed, bounded and cut down before icalendar reads it.

A feed is hostile input and most of it is none of our business. :func:`read` refuses one over
:data:`MAX_FEED_BYTES` or that is no calendar at all; :func:`select`, in one pass over the lines,
refuses one with more than :data:`MAX_COMPONENTS` components, nested deeper than
:data:`MAX_DEPTH`, with more than :data:`MAX_TIMEZONES` VTIMEZONEs or listing more than
:data:`MAX_LISTED` dates, and passes on only what says when and whether someone is busy: no
title, description, place or person is ever parsed. It also leaves out every VEVENT that
provably lies outside the window: those whose first start, last UNTIL and length, read off the
text with a margin of two days, miss it, together with every other VEVENT of their UID (an
override elsewhere can move an occurrence in or out). Anything the text alone does not bound
(COUNT, no UNTIL, RDATE, DURATION, RANGE, an unreadable date) is kept for the expansion to
decide. Most of a five-year timetable is left out this way. :func:`split` hands over the same
selection as blocks of lines, each VEVENT marked when it is a plain single event (no RRULE,
RDATE, EXDATE or RECURRENCE-ID, nothing nested, and no other VEVENT of its UID), which
:mod:`.busy_fast` can read without icalendar.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

MAX_FEED_BYTES = 16 * 1024 * 1024
"""A five-year Outlook timetable of 5,000 events is about 5.5 MB."""
MAX_COMPONENTS = 50_000
"""BEGIN lines: an Outlook event with its reminder is two."""
MAX_DEPTH = 4
"""VCALENDAR › VEVENT › VALARM and VCALENDAR › VTIMEZONE › STANDARD are three."""
MAX_TIMEZONES = 32
MAX_LISTED = 50_000
"""Dates and periods of all RDATE, EXDATE and FREEBUSY lines together."""

_KEPT_PROPERTIES = frozenset({
    "UID", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "SEQUENCE",
    "STATUS", "TRANSP", "X-MICROSOFT-CDO-BUSYSTATUS", "FREEBUSY", "TZID", "TZOFFSETFROM", "TZOFFSETTO",
    "X-WR-TIMEZONE", "CALSCALE",
})
"""What says when and whether someone is busy; titles, places and people are never parsed."""
_MARKERS = {
    "TRANSP": re.compile(r":\s*TRANSPARENT\s*$", re.IGNORECASE),
    "STATUS": re.compile(r":\s*CANCELLED\s*$", re.IGNORECASE),
    "X-MICROSOFT-CDO-BUSYSTATUS": re.compile(r":\s*FREE\s*$", re.IGNORECASE),
}
"""The values of these properties that make an event free; any other is the default, busy."""
_LISTS = frozenset({"RDATE", "EXDATE", "FREEBUSY"})
_KEPT_COMPONENTS = frozenset({"VCALENDAR", "VEVENT", "VFREEBUSY", "VTIMEZONE", "STANDARD", "DAYLIGHT"})
_MARGIN = timedelta(days=2)
"""Around the window when reading dates off the text: any zone's offset, and a floating day."""
_UNFOLD = re.compile(r"\r?\n[ \t]")
_BEGIN = re.compile(r"^BEGIN:", re.IGNORECASE | re.MULTILINE)
_WANTED_LINE = re.compile(
    r"\n((BEGIN|END|" + "|".join(sorted(map(re.escape, _KEPT_PROPERTIES), key=len, reverse=True))
    + r")[;:][^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)",
    re.IGNORECASE,
)
"""The lines of the components and of the kept properties, with their folded continuations:
nothing else is looked at (or unfolded). Each is found after its line feed (the text is given
one in front): a pattern that starts with a literal is searched for far faster than one that
starts at ``^`` of every line."""
_VALUE = re.compile(r'(?:[^":]|"[^"]*")*:')
_DAY = re.compile(r"(\d{4})(\d{2})(\d{2})")
_UNTIL = re.compile(r"UNTIL=(\d{8})", re.IGNORECASE)
_COUNT = re.compile(r"COUNT=", re.IGNORECASE)
_BLOCK_PROPERTIES = frozenset({"UID", "TZID", "DTSTART", "DTEND", "RECURRENCE-ID", "RDATE", "DURATION", "EXDATE", "RRULE"})
"""What :func:`_read_block_line` reads."""


class FeedError(ValueError):
    """Why a feed cannot be read into busy times, in words a person can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read(feed: bytes | str) -> str:
    """The feed as text (UTF-8, RFC 5545 3.1.4), if it is small enough and a calendar at all."""
    size = len(feed.encode() if isinstance(feed, str) else feed)
    if size > MAX_FEED_BYTES:
        raise FeedError(f"the feed is {size / 2**20:.1f} MiB; at most {MAX_FEED_BYTES // 2**20} MiB is read")
    # What does not decode can only be in a text that is not read.
    text = feed.decode("utf-8", errors="replace") if isinstance(feed, bytes) else feed
    text = text.lstrip("\ufeff \t\r\n")
    if not text[:15].upper().startswith("BEGIN:VCALENDAR"):
        raise FeedError("this is not an iCalendar feed: it does not start with BEGIN:VCALENDAR "
                        "(a web page or a login screen, perhaps)")
    return text


@dataclass(slots=True)
class _Block:
    """One VEVENT's (or VTIMEZONE's) kept lines, and what its text says about when it can happen."""

    kind: str
    lines: list[str]
    uid: str | None = None
    """The UID of a VEVENT, the TZID of a VTIMEZONE."""
    start: date | None = None
    end: date | None = None
    repeats: bool = False
    last_start: date | None = None
    """The latest day an occurrence of its rule can start (the latest UNTIL)."""
    unknown: bool = False
    """Something the text alone does not bound: RDATE, DURATION, RANGE, COUNT, no UNTIL, an
    unreadable date."""
    plain: bool = True
    """No RRULE, RDATE, EXDATE, RECURRENCE-ID or nested component: at most one occurrence."""
    single: bool = False
    """Plain, and the only VEVENT of its UID (set by :func:`split`)."""

    def may_touch(self, low: date, high: date) -> bool:
        if self.unknown or self.start is None:
            return True
        length = max((self.end or self.start) - self.start, timedelta(days=1))
        # Every occurrence of a series lies in its first one to its last (a moved one's original
        # too), and every override of the UID is a block of its own.
        try:
            return self.start <= high and (self.last_start if self.repeats else self.start) + length >= low
        except OverflowError:  # the end of time: the expansion says what it makes of it
            return True


@dataclass
class Selection:
    """What :func:`split` keeps of a feed: the calendar's own lines with its VTIMEZONEs and
    VFREEBUSYs (``head``, unfolded, up to its closing ``END:VCALENDAR``) and the VEVENTs that can
    matter."""

    head: list[str]
    closing: list[str]
    events: list[_Block] = field(default_factory=list)

    def text(self, events: list[_Block] | None = None) -> str:
        """The calendar for icalendar: the head with ``events`` (all of them by default)."""
        chosen = self.events if events is None else events
        return "\r\n".join([*self.head, *(line for event in chosen for line in event.lines), *self.closing]) + "\r\n"


def select(text: str, window: tuple[datetime, datetime]) -> str:
    """The feed with its shape checked, only :data:`_KEPT_PROPERTIES` of the components that
    matter, no VTIMEZONE that an IANA or Windows name makes unnecessary, and no VEVENT whose every
    occurrence (with every other VEVENT of its UID) provably lies outside ``window``."""
    return split(text, window).text()


def split(text: str, window: tuple[datetime, datetime]) -> Selection:
    """What :func:`select` keeps, as the head and the VEVENT blocks (see :class:`Selection`)."""
    # Counted before anything else is looked at; every "BEGIN:" anywhere is an upper bound.
    components = text.upper().count("BEGIN:")
    if components > MAX_COMPONENTS:
        components = len(_BEGIN.findall(text))
    if components > MAX_COMPONENTS:
        raise FeedError(f"the feed has {components:,} components; at most {MAX_COMPONENTS:,} are read")
    kept: list[str] = []
    events: list[_Block] = []
    stack: list[str] = []
    skipping = timezones = listed = 0
    block: _Block | None = None
    for match in _WANTED_LINE.finditer("\n" + text):
        line, name = match.group(1, 2)
        name = name.upper()
        if "\n" in line:
            line = _UNFOLD.sub("", line)
        if name == "BEGIN":
            component = line[6:].strip().upper()
            stack.append(component)
            if len(stack) > MAX_DEPTH:
                raise FeedError(f"the feed nests components more than {MAX_DEPTH} deep")
            if component == "VTIMEZONE":
                timezones += 1
                if timezones > MAX_TIMEZONES:
                    raise FeedError(f"the feed has more than {MAX_TIMEZONES} time zones (VTIMEZONE)")
            if skipping or component not in _KEPT_COMPONENTS or (component == "VCALENDAR") != (len(stack) == 1):
                skipping += 1
            elif len(stack) == 2 and component in ("VEVENT", "VTIMEZONE"):
                block = _Block(component, [line])
            else:
                if block is not None:
                    block.plain = False  # a component inside the event
                (block.lines if block is not None else kept).append(line)
        elif name == "END":
            ended = line[4:].strip().upper()
            if not stack or stack[-1] != ended:
                opened = f"BEGIN:{stack[-1]}" if stack else "no BEGIN"
                raise FeedError(f"the feed's END:{ended[:40]} does not close {opened}")
            stack.pop()
            if skipping:
                skipping -= 1
            elif block is not None:
                block.lines.append(line)
                if len(stack) == 1:
                    if block.kind == "VEVENT":
                        events.append(block)
                    elif known_zone(block.uid) is None:
                        kept += block.lines
                    block = None
            else:
                kept.append(line)
        elif not skipping and stack:
            if name in _MARKERS and not _MARKERS[name].search(line):
                continue  # the default (busy), as if absent: fewer lines for icalendar to read
            if name in _LISTS:
                listed += line.count(",") + 1
                if listed > MAX_LISTED:
                    raise FeedError(f"the feed lists more than {MAX_LISTED:,} dates or periods "
                                    "(RDATE, EXDATE, FREEBUSY)")
            if block is None:
                kept.append(line)
                continue
            block.lines.append(line)
            if len(stack) == 2:
                _read_block_line(block, name, line)
    if stack:
        raise FeedError("the feed stops in the middle of a component (is it complete?)")
    low, high = (window[0] - _MARGIN).date(), (window[1] + _MARGIN).date()
    wanted = {_series_key(event) for event in events if event.may_touch(low, high)}
    closing = [kept.pop()] if kept and kept[-1].upper().startswith("END:VCALENDAR") else []
    # Grouped more widely than recurring-ical-events does (escapes, case and spaces aside), so
    # that an event called single surely stands alone there.
    uids = Counter(_uid_key(event) for event in events)
    for event in events:
        event.single = event.plain and (event.uid is None or uids[_uid_key(event)] == 1)
    return Selection(kept, closing, [event for event in events if _series_key(event) in wanted])


def _series_key(block: _Block) -> object:
    """recurring-ical-events groups the VEVENTs of one UID; one without a UID stands alone."""
    return block.uid if block.uid is not None else id(block)


def _uid_key(block: _Block) -> object:
    return block.uid.replace("\\", "").strip().lower() if block.uid is not None else id(block)


def _read_block_line(block: _Block, name: str, line: str) -> None:
    if name not in _BLOCK_PROPERTIES:
        return
    if '"' in line:  # a colon inside a quoted parameter is not the value's
        value_at = _VALUE.match(line)
        cut = value_at.end() if value_at else 0
    else:
        cut = line.find(":") + 1
    value = line[cut:] if cut else ""
    if name in ("UID", "TZID"):
        block.uid = value
    elif name in ("DTSTART", "DTEND"):
        day = _day_of(value)
        block.unknown |= day is None
        setattr(block, "start" if name == "DTSTART" else "end", day)
    elif name == "RECURRENCE-ID":
        block.plain = False
        block.unknown |= "RANGE=" in line[:cut].upper()
    elif name in ("RDATE", "DURATION"):
        block.plain &= name == "DURATION"
        block.unknown = True
    elif name == "EXDATE":
        block.plain = False
    elif name == "RRULE":
        block.plain = False
        block.repeats = True
        until = _UNTIL.search(value)
        bound = _day_of(until.group(1)) if until and not _COUNT.search(value) else None
        if bound is None:
            block.unknown = True
        elif block.last_start is None or bound > block.last_start:
            block.last_start = bound


def _day_of(value: str) -> date | None:
    match = _DAY.match(value)
    if match is None:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None


def known_zone(tzid: str | None) -> ZoneInfo | None:
    """The IANA zone a TZID names, directly or as a Windows name (Outlook's), else None."""
    if not tzid:
        return None
    name = tzid.strip().strip('"').strip("/")
    return zoneinfo_or_none(name) or zoneinfo_or_none(WINDOWS_TO_OLSON.get(name))


def zoneinfo_or_none(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
