"""Answers that calendars send back (iTIP REPLY), by the API or by mail to the programme.

Both ways end here and are processed alike: the session is found by its UID and locked; the
answering address must belong to one of the session's required people; the occurrence a REPLY
names (RECURRENCE-ID), if any, must be the session's start; and the REPLY's SEQUENCE must not be
older than what *that person* was last sent (an answer to an invitation since replaced says
nothing about the session as it is now — while a change that concerned only others, such as a
member leaving, leaves everyone else's invitation current). Anything else is refused with the
property and the reason, and nothing changes.

Of two usable REPLYs the newer wins (see :func:`shared.domain.attendance.reply_is_older`): an
older one arriving late is taken and changes nothing (``applied`` is False).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session as DbSession

from shared.db.models import Attendance, Facilitator, Group, Participant
from shared.db.models import Session as GroupSession
from shared.domain import attendance as rules
from shared.domain.itip import Reply, ReplyError, answers_occurrence
from shared.errors import InvalidInput
from shared.use_cases import attendance
from shared.use_cases.invitations import sequences_sent


@dataclass(frozen=True)
class Recorded:
    session_id: str
    answers: list[rules.Answer]
    applied: bool = True
    """False when the REPLY was older than the answer already recorded: nothing changed."""


def refused(error: ReplyError) -> InvalidInput:
    return InvalidInput.field(error.field, error.reason)


def record(session: DbSession, reply: Reply, now: datetime) -> Recorded:
    """Record a parsed REPLY; raises InvalidInput (422) when it cannot be used."""
    row = session.scalar(select(GroupSession).where(GroupSession.uid == reply.uid).with_for_update())
    if row is None:
        raise InvalidInput.field("UID", f"no session has the UID {reply.uid}")
    if row.status != "scheduled":
        raise InvalidInput.field("UID", "the session is cancelled; there is nothing to answer")
    if not answers_occurrence(reply, row.start, row.timezone):
        raise InvalidInput.field("RECURRENCE-ID", "names no occurrence of this session: it is not the session's start")
    attendance.attach(session, [row], now=now)
    people = _invited_with_address(session, row, reply.email)
    if not people:
        raise InvalidInput.field("ATTENDEE", f"{reply.email} is not invited to this session")
    sent = sequences_sent(session, [row.id])
    for person_id in people:
        # The session's own count is what everyone is sent at the least, also while the
        # worker has yet to issue the invitations of its latest change.
        held = max(sent.get((row.id, person_id), row.sequence), row.sequence)
        if reply.sequence < held:
            raise InvalidInput.field(
                "SEQUENCE", f"{reply.sequence} is older than the {held} of the invitation last sent: it has been replaced",
            )
    stamp = min(reply.dtstamp or now, now)  # a calendar's clock ahead of ours cannot win the future
    answers, applied = [], False
    for person_id in people:
        stored = session.get(Attendance, (row.id, person_id))
        if stored is not None and rules.reply_is_older(
            reply.sequence, stamp, stored.sequence, stored.dtstamp or stored.responded_at,
            same_response=stored.response == reply.response,
        ):
            answers.append(attendance.answer_of(row, person_id))
            continue
        applied = True
        comment = reply.comment or attendance.kept_comment(session, row, person_id, reply.response)
        answers.append(attendance.record(
            session, row, person_id, reply.response, source=rules.ITIP, now=now, comment=comment,
            sequence=reply.sequence, dtstamp=stamp,
        ))
    return Recorded(str(row.id), answers, applied)


def _invited_with_address(session: DbSession, row: GroupSession, email: str) -> list:
    """The session's required people known by ``email`` (the facilitator only of this group)."""
    required = {entry.person_id for entry in row.attendance}
    group = session.get(Group, row.group_id)
    return [
        person.id
        for model in (Facilitator, Participant)
        for person in session.scalars(select(model).where(func.lower(model.email) == email))
        if str(person.id) in required and (model is Participant or person.id == group.facilitator_id)
    ]
