"""Who comes to a session: the answers of its required people, and when a session is at risk.

A session's *required people* are, for a guided session, its facilitator and every member; for a
self-directed session, the members the plan expects (those not listed absent). Each has one
answer — ``needs_action`` until they say otherwise — recorded from a link in their invitation,
from their calendar's iTIP REPLY, or by their platform through the API.

A session is *at risk* when its required people can no longer all come: a guided session as soon
as one of them declines; a self-directed one when fewer of its members than its quorum (all of
them without one) have not declined. A required person with a calendar conflict (busy in their
own published calendar during the session, see :mod:`shared.domain.conflicts`) counts as not
coming, like a decline, whatever they answered: only intervals are kept of their calendar, so an
answer cannot be told to be newer than the appointment, and the conflict lasts only as long as
the calendar says they are busy (the session's own event in their calendar is no conflict).

A group may hold the participants of several platforms. Each platform is *shown* the answers
and absences (and calendar conflicts) of its own participants and of the facilitator (the
organiser's, who leads the session for everyone); of the others it is shown only how many
answered what (:func:`shown`). The organiser is shown everyone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .conflicts import Conflict

NEEDS_ACTION, ACCEPTED, TENTATIVE, DECLINED = "needs_action", "accepted", "tentative", "declined"
RESPONSES: tuple[str, ...] = (NEEDS_ACTION, ACCEPTED, TENTATIVE, DECLINED)
ANSWERS: tuple[str, ...] = (ACCEPTED, TENTATIVE, DECLINED)
"""What a person can answer (``needs_action`` is the absence of an answer)."""
FACILITATOR, MEMBER = "facilitator", "member"
ROLES: tuple[str, ...] = (FACILITATOR, MEMBER)
LINK, ITIP, API = "link", "itip", "api"
SOURCES: tuple[str, ...] = (LINK, ITIP, API)

PARTSTAT = {ACCEPTED: "ACCEPTED", TENTATIVE: "TENTATIVE", DECLINED: "DECLINED", NEEDS_ACTION: "NEEDS-ACTION"}
"""The iCalendar PARTSTAT (RFC 5545 3.2.12) of each response."""
RESPONSE_OF_PARTSTAT = {value: key for key, value in PARTSTAT.items()}

ALARM_INTERVAL = timedelta(hours=24)
"""A session at risk raises its alarm (webhook and mail) at most once in this time, however
often its answers go back and forth."""


@dataclass(frozen=True, slots=True)
class Answer:
    """What one person said about one session (``needs_action``: nothing yet)."""

    person_id: str
    role: str
    response: str = NEEDS_ACTION
    responded_at: datetime | None = None
    source: str | None = None


def required(kind: str, facilitator_id: str | None, member_ids: Iterable[str], absent_ids: Iterable[str]) -> list[tuple[str, str]]:
    """``(person_id, role)`` of a session's required people, facilitator first."""
    if kind == "guided":
        people = [(facilitator_id, FACILITATOR)] if facilitator_id else []
        return people + [(member, MEMBER) for member in member_ids]
    absent = set(absent_ids)
    return [(member, MEMBER) for member in member_ids if member not in absent]


def answers(people: list[tuple[str, str]], recorded: Mapping[str, Answer]) -> list[Answer]:
    """Every required person's answer, ``needs_action`` for those who gave none."""
    return [recorded.get(person_id) or Answer(person_id, role) for person_id, role in people]


def declined_ids(entries: Iterable[Answer]) -> list[str]:
    return [entry.person_id for entry in entries if entry.response == DECLINED]


@dataclass(frozen=True, slots=True)
class Others:
    """The required people a caller is not shown, counted by answer, and how many people of the
    session's absentees and of its conflicts it is not shown."""

    accepted: int = 0
    tentative: int = 0
    declined: int = 0
    needs_action: int = 0
    absent: int = 0
    conflicts: int = 0


@dataclass(frozen=True, slots=True)
class Shown:
    """What a caller is shown of a session's answers, absentees and calendar conflicts."""

    attendance: list[Answer]
    absent_ids: list[str]
    others: Others
    conflicts: list[Conflict] = field(default_factory=list)


def shown(
    entries: Sequence[Answer], absent_ids: Sequence[str], visible: Callable[[str], bool] | None,
    conflicts: Sequence[Conflict] = (),
) -> Shown:
    """The answers, absentees and conflicts of the people ``visible`` admits (None: everyone), in
    their order, and the rest counted."""
    if visible is None:
        return Shown(list(entries), list(absent_ids), Others(), list(conflicts))
    hidden = Counter(entry.response for entry in entries if not visible(entry.person_id))
    absent = [person for person in absent_ids if visible(person)]
    clashing = [conflict for conflict in conflicts if visible(conflict.person_id)]
    return Shown(
        [entry for entry in entries if visible(entry.person_id)],
        absent,
        Others(
            **{response: hidden[response] for response in RESPONSES}, absent=len(absent_ids) - len(absent),
            conflicts=len(conflicts) - len(clashing),
        ),
        clashing,
    )


def not_coming(entries: Iterable[Answer], conflicts: Iterable[Conflict] = ()) -> list[str]:
    """The required people who will not come, in the order of ``entries``: those who declined
    and those with a calendar conflict."""
    busy = {conflict.person_id for conflict in conflicts}
    return [entry.person_id for entry in entries if entry.response == DECLINED or entry.person_id in busy]


def at_risk(kind: str, entries: list[Answer], quorum: int | None, conflicts: Iterable[Conflict] = ()) -> bool:
    """Whether the required people can no longer all come (see the module docstring)."""
    gone = set(not_coming(entries, conflicts))
    if kind == "guided":
        return bool(gone)
    members = [entry for entry in entries if entry.role == MEMBER]
    needed = len(members) if quorum is None else min(quorum, len(members))
    return sum(entry.person_id not in gone for entry in members) < needed


def sequence_to_send(session_sequence: int, last_sent: int | None) -> int:
    """The SEQUENCE of a person's next message about a session: the session's own, but always
    above what that person was sent last. A change that concerns only some people (a member
    joins or leaves) raises only their count, so nobody else's invitation becomes stale."""
    return session_sequence if last_sent is None else max(session_sequence, last_sent + 1)


def reply_is_older(
    sequence: int, dtstamp: datetime, stored_sequence: int | None, stored_stamp: datetime | None, *,
    same_response: bool = True,
) -> bool:
    """Whether a calendar's REPLY is older than the answer already recorded, and so changes
    nothing (RFC 5546 2.1.5): a lower SEQUENCE is older; with the same SEQUENCE (or against an
    answer given by link or API, which has none) the later DTSTAMP wins. A REPLY stamped at the
    same moment with the same response is the same REPLY again; with another response, a client
    that did not move its DTSTAMP changed its answer, and it counts."""
    if stored_stamp is None:
        return False
    if stored_sequence is not None and sequence != stored_sequence:
        return sequence < stored_sequence
    return dtstamp < stored_stamp or (dtstamp == stored_stamp and same_response)


def alarm_due(last_alarm: datetime | None, now: datetime) -> bool:
    """Whether a session that has just become at risk raises its alarm (see :data:`ALARM_INTERVAL`)."""
    return last_alarm is None or now - last_alarm >= ALARM_INTERVAL


def alarm_recipient(chair_id: str | None, member_ids: Sequence[str], declined: Iterable[str]) -> str | None:
    """Who hears that a self-directed session is at risk: its chair, or — when the chair is one
    of those who will not come (``declined``: see :func:`not_coming`) — the next member in turn
    (the membership order, from the chair on, round the group) who will; None when there is no
    chair or nobody is left."""
    if chair_id is None:
        return None
    gone = set(declined)
    if chair_id not in gone:
        return chair_id
    if chair_id not in member_ids:
        return None
    start = member_ids.index(chair_id)
    turn = [*member_ids[start + 1:], *member_ids[:start]]
    return next((member for member in turn if member not in gone), None)
