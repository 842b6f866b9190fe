"""Who comes to a session: the answers of its required people, and when a session is at risk.

A session's *required people* are, for a guided session, its facilitator and every member; for a
self-directed session, the members the plan expects (those not listed absent). Each has one
answer — ``needs_action`` until they say otherwise — recorded from a link in their invitation,
from their calendar's iTIP REPLY, or by their platform through the API.

A session is *at risk* when its required people can no longer all come: a guided session as soon
as one of them declines; a self-directed one when fewer of its members than its quorum (all of
them without one) have not declined.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

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


def at_risk(kind: str, entries: list[Answer], quorum: int | None) -> bool:
    """Whether the required people can no longer all come (see the module docstring)."""
    if kind == "guided":
        return any(entry.response == DECLINED for entry in entries)
    members = [entry for entry in entries if entry.role == MEMBER]
    needed = len(members) if quorum is None else min(quorum, len(members))
    return sum(entry.response != DECLINED for entry in members) < needed
