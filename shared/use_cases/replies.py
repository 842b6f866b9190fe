"""Answers that calendars send back (iTIP REPLY), by the API or by mail to the programme.

Both ways end here and are processed alike: the session is found by its UID and locked, the
REPLY's SEQUENCE must not be older than the session's (an answer to an outdated invitation says
nothing about the session as it is now), and the answering address must belong to one of the
session's required people. Anything else is refused with the property and the reason, and
nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from shared.db.models import Facilitator, Group, Participant
from shared.db.models import Session as GroupSession
from shared.domain import attendance as rules
from shared.domain.itip import Reply, ReplyError
from shared.errors import InvalidInput
from shared.use_cases import attendance


@dataclass(frozen=True)
class Recorded:
    session_id: str
    answers: list[rules.Answer]


def refused(error: ReplyError) -> InvalidInput:
    return InvalidInput.field(error.field, error.reason)


def record(session: DbSession, reply: Reply, now: datetime) -> Recorded:
    """Record a parsed REPLY; raises InvalidInput (422) when it cannot be used."""
    row = session.scalar(select(GroupSession).where(GroupSession.uid == reply.uid).with_for_update())
    if row is None:
        raise InvalidInput.field("UID", f"no session has the UID {reply.uid}")
    if row.status != "scheduled":
        raise InvalidInput.field("UID", "the session is cancelled; there is nothing to answer")
    if reply.sequence < row.sequence:
        raise InvalidInput.field(
            "SEQUENCE", f"{reply.sequence} is older than the session's {row.sequence}: the invitation answered has been replaced",
        )
    attendance.attach(session, [row])
    required = {entry.person_id for entry in row.attendance}
    group = session.get(Group, row.group_id)
    people = [
        person.id
        for model in (Facilitator, Participant)
        for person in session.scalars(select(model).where(func.lower(model.email) == reply.email))
        if str(person.id) in required and (model is Participant or person.id == group.facilitator_id)
    ]
    if not people:
        raise InvalidInput.field("ATTENDEE", f"{reply.email} is not invited to this session")
    answers = [
        attendance.record(session, row, person_id, reply.response, source=rules.ITIP, now=now, comment=reply.comment)
        for person_id in people
    ]
    return Recorded(str(row.id), answers)
