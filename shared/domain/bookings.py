"""Many groups, one calendar: a person's other sessions as busy time, and a facilitator's capacity.

A person is never booked into two sessions at once. For the plan search a person's other
scheduled sessions are *bookings*: the facilitator's guided sessions in all her groups, and for a
participant every session of every group they are in (unless listed absent there). The caller
decides which sessions those are; this module only does the arithmetic:

* :func:`blocks` turns one person's bookings (and, for a facilitator, her :class:`Capacity`) into
  the stretches of time in which a new session may not lie, each naming the session that causes
  it and why — so that a plan can avoid them and diagnostics can say who is *booked*.
* :func:`violations` checks a set of sessions of one person, some of them new, against the same
  rules; it is what a manual move and the write of a plan check, under lock, before committing.

The rules, for two sessions ``[a, b)`` and ``[c, d)`` of one person:

* ``overlap``: they share a moment.
* ``break``: (facilitators with ``break_minutes``) they are less than ``break_minutes`` apart.
* ``day``: more than ``max_sessions_per_day`` start on one local day of the person's zone.
* ``week``: more than ``max_sessions_per_week`` start in one ISO week (Monday to Sunday) of the
  person's zone.

A booking's ``source`` is :data:`SESSION` (another session of ours) or :data:`CALENDAR` (busy time
read from the person's own published calendar, see :mod:`shared.domain.busy_times`). Busy time
from a calendar keeps a session from overlapping it, like another session; it is not one of the
facilitator's sessions, so it neither counts towards her day or week nor asks for her break.

Times are integer UTC minutes as in :mod:`shared.domain.availability`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from . import availability as av
from .model import Person, UnavailableRange

OVERLAP, BREAK, DAY, WEEK = "overlap", "break", "day", "week"
REASONS: tuple[str, ...] = (OVERLAP, BREAK, DAY, WEEK)
SESSION, CALENDAR = "session", "calendar"
SOURCES: tuple[str, ...] = (SESSION, CALENDAR)


@dataclass(frozen=True, slots=True)
class Capacity:
    """How much a facilitator takes on; ``None`` means no limit."""

    max_sessions_per_day: int | None = None
    max_sessions_per_week: int | None = None
    break_minutes: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_sessions_per_day", "max_sessions_per_week", "break_minutes"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be a positive integer or None")

    @property
    def pad(self) -> int:
        return self.break_minutes or 0


@dataclass(frozen=True, slots=True)
class Booking:
    """A session that ``person_id`` is already booked into (aware datetimes), or with
    ``source`` :data:`CALENDAR` a stretch of busy time from their calendar (``session_id`` then
    only tells it apart from the person's other bookings)."""

    person_id: str
    session_id: str
    start: datetime
    end: datetime
    source: str = SESSION


@dataclass(frozen=True, slots=True)
class Block:
    """UTC minutes ``[start, end)`` in which a new session of the person may not lie, because
    of ``session_id`` (``reason`` one of :data:`REASONS`)."""

    start: int
    end: int
    session_id: str
    reason: str
    source: str = SESSION


@dataclass(frozen=True, slots=True)
class Conflict:
    """A person who cannot have a session because of another one (``source`` :data:`SESSION`),
    or because their own calendar says they are busy then (:data:`CALENDAR`)."""

    person_id: str
    session_id: str  # the other session (for a calendar, the busy stretch's own name)
    reason: str
    source: str = SESSION


@dataclass(frozen=True, slots=True)
class Timed:
    """One session of a person as :func:`violations` sees it."""

    session_id: str
    start: int  # UTC minutes
    end: int
    new: bool
    source: str = SESSION


def _minutes(booking: Booking) -> tuple[int, int]:
    return av.utc_minutes(booking.start), av.utc_minutes(booking.end, ceil=True)


def local_day(clock: av.ZoneClock, u: int) -> int:
    return clock.local(u) // av.MINUTES_PER_DAY


def local_monday(clock: av.ZoneClock, u: int) -> int:
    day = local_day(clock, u)
    return day - av.weekday_of(day)


def blocks(bookings: list[Booking] | tuple[Booking, ...], timezone: str, capacity: Capacity | None = None) -> list[Block]:
    """Where a new session of this person may not lie, sorted by start.

    ``bookings`` are one person's; ``timezone`` is theirs (days and weeks are counted on its
    clock). The ``break`` and ``day``/``week`` blocks come only with a ``capacity``.
    """
    if not bookings:
        return []
    found = [Block(*_minutes(b), b.session_id, OVERLAP, CALENDAR) for b in bookings if b.source == CALENDAR]
    timed = sorted((*_minutes(booking), booking.session_id) for booking in bookings if booking.source != CALENDAR)
    pad = capacity.pad if capacity else 0
    found += [Block(start, end, session_id, OVERLAP) for start, end, session_id in timed]
    if pad:
        for start, end, session_id in timed:
            found.append(Block(start - pad, start, session_id, BREAK))
            found.append(Block(end, end + pad, session_id, BREAK))
    if timed and capacity and (capacity.max_sessions_per_day or capacity.max_sessions_per_week):
        clock = av.clock_for(timezone, timed[0][0], timed[-1][1])
        for limit, length, first_day in (
            (capacity.max_sessions_per_day, 1, local_day),
            (capacity.max_sessions_per_week, 7, local_monday),
        ):
            if not limit:
                continue
            counted: dict[int, list[str]] = defaultdict(list)
            for start, _end, session_id in timed:
                counted[first_day(clock, start)].append(session_id)
            for day, ids in counted.items():
                if len(ids) >= limit:
                    found.append(Block(
                        clock.utc(day * av.MINUTES_PER_DAY),
                        clock.utc((day + length) * av.MINUTES_PER_DAY),
                        ids[0],
                        DAY if length == 1 else WEEK,
                    ))
    found.sort(key=lambda block: (block.start, block.end, REASONS.index(block.reason)))
    return found


def first_block(found: list[Block], start: int, end: int) -> Block | None:
    """The block that a session ``[start, end)`` runs into, the most telling first
    (an overlap before a break before a full day or week); None when it fits."""
    hits = [block for block in found if block.start < end and start < block.end]
    return min(hits, key=lambda block: REASONS.index(block.reason)) if hits else None


def violations(sessions: list[Timed], timezone: str, capacity: Capacity | None = None) -> list[tuple[str, str, str]]:
    """``(new_session_id, other_session_id, reason)`` for every rule that a new session breaks
    among one person's sessions (old ones among themselves are not judged). Busy time from a
    calendar (``source`` :data:`CALENDAR`, never new) is only kept from overlapping."""
    ordered = sorted(sessions, key=lambda timed: (timed.start, timed.end, timed.session_id))
    pad = capacity.pad if capacity else 0
    found: list[tuple[str, str, str]] = []
    for index, first in enumerate(ordered):
        for second in ordered[index + 1:]:
            if second.start >= first.end + pad:
                break
            if not (first.new or second.new):
                continue
            reason = OVERLAP if second.start < first.end else BREAK
            if reason == BREAK and CALENDAR in (first.source, second.source):
                continue
            new, other = (first, second) if first.new else (second, first)
            found.append((new.session_id, other.session_id, reason))
    ordered = [timed for timed in ordered if timed.source != CALENDAR]
    if capacity and ordered and (capacity.max_sessions_per_day or capacity.max_sessions_per_week):
        clock = av.clock_for(timezone, ordered[0].start, ordered[-1].end)
        for limit, first_day, reason in (
            (capacity.max_sessions_per_day, local_day, DAY),
            (capacity.max_sessions_per_week, local_monday, WEEK),
        ):
            if not limit:
                continue
            counted: dict[int, list[Timed]] = defaultdict(list)
            for timed in ordered:
                counted[first_day(clock, timed.start)].append(timed)
            for group in counted.values():
                if len(group) <= limit:
                    continue
                # The first ``limit`` keep their place (old ones first); the rest break the rule.
                keep = sorted(group, key=lambda timed: (timed.new, timed.start, timed.session_id))
                for extra in keep[limit:]:
                    if extra.new:
                        found.append((extra.session_id, keep[0].session_id, reason))
    return found


@dataclass(frozen=True, slots=True)
class Proposal:
    """A session being placed (planned, moved, reinstated, or given a new person) and the
    people it books."""

    session_id: str
    start: datetime
    end: datetime
    person_ids: tuple[str, ...]


def conflicts(
    proposals: list[Proposal] | tuple[Proposal, ...],
    bookings: list[Booking] | tuple[Booking, ...],
    timezones: dict[str, str],
    capacities: dict[str, Capacity],
) -> list[tuple[str, Conflict]]:
    """``(proposed session id, conflict)`` for every rule a proposal breaks against the people's
    bookings or another proposal. ``timezones`` and ``capacities`` are per person id (a person
    without a capacity is only kept from overlaps)."""
    timed: dict[str, list[Timed]] = defaultdict(list)
    sources = {booking.session_id: booking.source for booking in bookings if booking.source != SESSION}
    for booking in bookings:
        timed[booking.person_id].append(Timed(booking.session_id, *_minutes(booking), new=False, source=booking.source))
    for proposal in proposals:
        start, end = av.utc_minutes(proposal.start), av.utc_minutes(proposal.end, ceil=True)
        for person_id in proposal.person_ids:
            timed[person_id].append(Timed(proposal.session_id, start, end, new=True))
    found: dict[tuple[str, str, str], str] = {}
    for person_id in sorted(timed):
        sessions = timed[person_id]
        if not any(session.new for session in sessions):
            continue
        for new_id, other_id, reason in violations(sessions, timezones.get(person_id, "UTC"), capacities.get(person_id)):
            key = (new_id, person_id, other_id)
            if key not in found or REASONS.index(reason) < REASONS.index(found[key]):
                found[key] = reason  # one reason per pair: the most telling (an overlap is also a full day)
    return [
        (new_id, Conflict(person_id, other_id, reason, sources.get(other_id, SESSION)))
        for (new_id, person_id, other_id), reason in found.items()
    ]


def as_unavailable(person: Person, found: list[Block]) -> Person:
    """``person`` with the time their bookings take (``found``, from :func:`blocks`) added to
    their unavailable ranges: for code that reads availability only, such as group composition."""
    if not found:
        return person
    extra = tuple(
        UnavailableRange(av.to_datetime(start, UTC), av.to_datetime(end, UTC), None)
        for start, end in av.merge([(block.start, block.end) for block in found])
    )
    availability = replace(person.availability, unavailable=(*person.availability.unavailable, *extra))
    return replace(person, availability=availability)
