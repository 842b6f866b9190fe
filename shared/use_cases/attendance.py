"""Attendance: who answered what for each session, and the alarm when a session is at risk.

The answers live in the ``attendance`` table, one row per person who answered; the list a
session shows is derived from its required people (see :mod:`shared.domain.attendance`).
Recording an answer locks the session row, so that two answers at once cannot both see the
session become at risk. ``session.at_risk`` is emitted when a session becomes at risk, with the
outbox message that mails the facilitator (guided) or the chair (self-directed) — at most once a
day per session (``session_alarms``), however often its answers go back and forth; a session
that moves may alarm again at once.

A session's calendar conflicts (its required people busy in their own published calendars, see
:mod:`shared.domain.conflicts`) are read with its answers, from the stored busy times, whenever
it is shown; a refresh of a calendar that puts a session at risk raises the same alarm
(:mod:`shared.use_cases.calendar_conflicts`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import delete, literal, null, or_, select, union_all
from sqlalchemy.orm import Session as DbSession

from shared.actor import Actor
from shared.db.models import AnswerLink, Attendance, BusyInterval, Group, Notice, Participant, SessionAlarm
from shared.db.models import Session as GroupSession
from shared.domain import attendance as rules
from shared.domain import calendar_sources as calendar_rules
from shared.domain import conflicts as conflict_rules
from shared.errors import NotFound
from shared.use_cases import outbox, webhooks

log = logging.getLogger(__name__)


OWNER_KIND = {rules.FACILITATOR: calendar_rules.FACILITATOR, rules.MEMBER: calendar_rules.PARTICIPANT}
"""Whose busy times a required person's are (``busy_intervals.owner_kind``), by their role."""


def attach(
    session: DbSession, rows: Iterable[GroupSession], *, now: datetime,
    groups: Iterable[Group] | None = None, viewer: Actor | None = None,
) -> None:
    """Give each session its ``attendance``, its calendar ``conflicts`` (as of ``now``: none for
    a past or cancelled one) and ``at_risk``, and what ``viewer`` is ``shown`` of them (None:
    everything; see :func:`shared.domain.attendance.shown`). Two queries for any number of
    sessions; one when the caller passes the sessions' ``groups`` with their memberships (for a
    platform, with whose each member is: groups.WITH_OWNERS)."""
    rows = list(rows)
    if not rows:
        return
    if groups is None:
        groups = session.scalars(select(Group).where(Group.id.in_({row.group_id for row in rows})))
    groups = {g.id: g for g in groups}
    people = {row.id: required_people(groups[row.group_id], row) for row in rows}
    checked = [row for row in rows if conflict_rules.can_conflict(row.status, row.start, now)]
    recorded, busy = _answers_and_busy(session, [row.id for row in rows], checked, people)
    for row in rows:
        group = groups[row.group_id]
        row.attendance = rules.answers(people[row.id], recorded[row.id])
        row.conflicts = [
            conflict_rules.Conflict(person) for person, role in people[row.id] if (person, OWNER_KIND[role]) in busy[row.id]
        ]
        quorum = group.constraints.get("self_directed_quorum")
        row.at_risk = row.status == "scheduled" and rules.at_risk(row.kind, row.attendance, quorum, row.conflicts)
        row.shown = rules.shown(row.attendance, row.absent_ids or (), visible_to(viewer, group), row.conflicts)


def _answers_and_busy(
    session: DbSession, ids: list[uuid.UUID], checked: list[GroupSession], people: dict[uuid.UUID, list[tuple[str, str]]],
) -> tuple[dict[uuid.UUID, dict[str, rules.Answer]], dict[uuid.UUID, set[tuple[str, str]]]]:
    """The recorded answers to the sessions ``ids``, and for the ``checked`` ones which of their
    required people (``(person_id, owner kind)``) have busy time during them: one statement, the
    answers with the overlaps the database finds (``[start, end)`` against the session's own; a
    person busy in several intervals is found several times, which a set forgets)."""
    query = select(
        Attendance.session_id, Attendance.person_id, Attendance.role, Attendance.response, Attendance.responded_at,
        Attendance.source,
    ).where(Attendance.session_id.in_(ids))
    wanted: dict[str, set[uuid.UUID]] = {}
    for row in checked:
        for person, role in people[row.id]:
            wanted.setdefault(OWNER_KIND[role], set()).add(uuid.UUID(person))
    if wanted:
        # A busy row takes the answer's shape: the owner's kind in ``role``, the marker in ``response``.
        overlapping = (
            select(GroupSession.id, BusyInterval.owner_id, BusyInterval.owner_kind, literal(conflict_rules.CALENDAR), null(), null())
            .join(BusyInterval, (BusyInterval.start < GroupSession.end) & (BusyInterval.end > GroupSession.start))
            .where(GroupSession.id.in_([row.id for row in checked]), or_(*(
                (BusyInterval.owner_kind == kind) & BusyInterval.owner_id.in_(sorted(owners)) for kind, owners in wanted.items()
            )))
        )
        query = union_all(query, overlapping)
    recorded: dict[uuid.UUID, dict[str, rules.Answer]] = {row_id: {} for row_id in ids}
    busy: dict[uuid.UUID, set[tuple[str, str]]] = {row_id: set() for row_id in ids}
    for session_id, person_id, role, response, responded_at, source in session.execute(query):
        if response == conflict_rules.CALENDAR:
            busy[session_id].add((str(person_id), role))
        else:
            recorded[session_id][str(person_id)] = rules.Answer(str(person_id), role, response, responded_at, source)
    return recorded, busy


def visible_to(viewer: Actor | None, group: Group) -> Callable[[str], bool] | None:
    """Whose answers and absences ``viewer`` sees in ``group``'s sessions: a platform its own
    participants and the facilitator, the organiser (and the service itself: None) everyone's."""
    if viewer is None or viewer.is_admin:
        return None
    people = {str(m.participant_id) for m in group.memberships if m.participant.client_id == viewer.client_id}
    if group.facilitator_id is not None:
        people.add(str(group.facilitator_id))
    return people.__contains__


def required_people(group: Group, row: GroupSession) -> list[tuple[str, str]]:
    facilitator = str(group.facilitator_id) if group.facilitator_id else None
    return rules.required(row.kind, facilitator, [str(pid) for pid in group.member_ids], row.absent_ids or ())


def answer_of(row: GroupSession, person_id: uuid.UUID) -> rules.Answer | None:
    """The person's entry in an attached session's attendance; None when they are not required."""
    return next((entry for entry in row.attendance if entry.person_id == str(person_id)), None)


def record(
    session: DbSession, row: GroupSession, person_id: uuid.UUID, response: str, *, source: str, now: datetime,
    comment: str | None = None, sequence: int | None = None, dtstamp: datetime | None = None,
) -> rules.Answer:
    """Record one person's answer (``needs_action`` clears it); ``sequence`` and ``dtstamp`` are
    those of the calendar REPLY that gave it. The caller has locked ``row`` (``FOR UPDATE``) and
    attached its attendance; raises NotFound for someone not invited."""
    before = answer_of(row, person_id)
    if before is None:
        raise NotFound(f"person {person_id} is not invited to session {row.id}")
    was_at_risk = row.at_risk
    stored = session.get(Attendance, (row.id, person_id))
    if response == rules.NEEDS_ACTION:
        if stored is not None:
            session.delete(stored)
    elif stored is None:
        session.add(Attendance(
            session_id=row.id, person_id=person_id, role=before.role, response=response,
            responded_at=now, source=source, comment=comment, sequence=sequence, dtstamp=dtstamp,
        ))
    else:
        stored.response, stored.responded_at, stored.source, stored.comment = response, now, source, comment
        stored.sequence, stored.dtstamp = sequence, dtstamp
    session.flush()
    attach(session, [row], now=now)
    if before.response != response:
        key = "facilitator_id" if before.role == rules.FACILITATOR else "participant_id"
        webhooks.emit(session, "attendance.changed", {"session_id": str(row.id), "group_id": str(row.group_id), key: str(person_id)}, now)
    if row.at_risk and not was_at_risk:
        alarm(session, row, now)
    return answer_of(row, person_id)


def alarm(session: DbSession, row: GroupSession, now: datetime) -> None:
    """Raise the alarm of a session that has just become at risk (locked, attached): the
    ``session.at_risk`` event, naming who declined and who has a calendar conflict, unless the
    session alarmed within a day; and the mail, unless this alarm's went out already."""
    if _alarm_due(session, row, now):
        gone = set(rules.not_coming(row.attendance, row.conflicts))
        webhooks.emit(session, "session.at_risk", {
            "session_id": str(row.id), "group_id": str(row.group_id),
            "declined_ids": rules.declined_ids(row.attendance),
            "conflict_ids": [conflict.person_id for conflict in row.conflicts],
            "owners": _owners(session, [entry for entry in row.attendance if entry.person_id in gone]),
        }, now)
    # The mail is asked for at every turn into risk until one has gone out for this alarm:
    # the job drops it when the session was answered back out of risk meanwhile, and a later
    # turn must not then stay silent for the rest of the day (see notices.issue_at_risk).
    if not alarm_mailed(session, row.id):
        outbox.record(session, outbox.AT_RISK, {"session_id": str(row.id)}, now)


def alarm_mailed(session: DbSession, session_id: uuid.UUID) -> bool:
    """Whether the alarm now in force for a session (see ``session_alarms``) has been mailed."""
    alarm = session.get(SessionAlarm, session_id)
    if alarm is None:
        return False
    query = select(Notice.id).where(
        Notice.session_id == session_id, Notice.kind == "at_risk", Notice.issued_at >= alarm.alarmed_at,
    ).limit(1)
    return session.scalar(query) is not None


def _owners(session: DbSession, entries: list[rules.Answer]) -> dict[str, str | None]:
    """Whose each person is: their platform's client id, None for the facilitator (the
    organiser's). An event names someone only to their own platform (see
    :func:`shared.domain.webhooks.sent_data`)."""
    owners: dict[str, str | None] = {entry.person_id: None for entry in entries if entry.role == rules.FACILITATOR}
    members = [uuid.UUID(entry.person_id) for entry in entries if entry.role == rules.MEMBER]
    if members:
        found = session.execute(select(Participant.id, Participant.client_id).where(Participant.id.in_(members)))
        owners.update({str(person): str(client) for person, client in found})
    return owners


def _alarm_due(session: DbSession, row: GroupSession, now: datetime) -> bool:
    """Whether ``row``, just become at risk, raises its alarm; if so, the alarm is noted. The
    caller holds the session's row lock, so two answers cannot both raise one."""
    alarm = session.get(SessionAlarm, row.id)
    if not rules.alarm_due(alarm.alarmed_at if alarm else None, now):
        log.info("session %s is at risk again within a day of its last alarm: no new alarm", row.id)
        return False
    if alarm is None:
        session.add(SessionAlarm(session_id=row.id, alarmed_at=now))
    else:
        alarm.alarmed_at = now
    return True


def locked_session(session: DbSession, session_id: uuid.UUID, now: datetime) -> GroupSession | None:
    """The session row, locked for an answer, with its attendance; None when it is gone."""
    row = session.scalar(select(GroupSession).where(GroupSession.id == session_id).with_for_update())
    if row is not None:
        attach(session, [row], now=now)
    return row


def answer_for_client(
    session: DbSession, actor: Actor, session_id: uuid.UUID, person_id: uuid.UUID, response: str, now: datetime
) -> rules.Answer:
    """An answer a platform collected: admins for anyone invited, a platform for its own
    participants (anyone else is 404). The caller has checked that ``actor`` sees the session."""
    if not actor.is_admin:
        owner = session.scalar(select(Participant.client_id).where(Participant.id == person_id))
        if owner != actor.client_id:
            raise NotFound(f"no participant {person_id} of yours in session {session_id}")
    row = locked_session(session, session_id, now)
    if row.status != "scheduled":
        raise NotFound(f"session {session_id} is cancelled; there is nothing to answer")
    return record(session, row, person_id, response, source=rules.API, now=now, comment=kept_comment(session, row, person_id, response))


def kept_comment(session: DbSession, row: GroupSession, person_id: uuid.UUID, response: str) -> str | None:
    """The comment an answer that brings none keeps: the stored one while the response stays the
    same (a platform or calendar repeating the answer does not erase what the person wrote), none
    when the response changes (a comment belongs to the answer it came with)."""
    stored = session.get(Attendance, (row.id, person_id))
    return stored.comment if stored is not None and stored.response == response else None


def reset(session: DbSession, session_ids: Iterable[uuid.UUID]) -> None:
    """Forget the answers to sessions that moved: everyone is asked again, and a decline of the
    new time may alarm at once."""
    ids = list(session_ids)
    if ids:
        session.execute(delete(Attendance).where(Attendance.session_id.in_(ids)))
        session.execute(delete(SessionAlarm).where(SessionAlarm.session_id.in_(ids)))


def forget_person(session: DbSession, person_id: uuid.UUID, session_ids: Iterable[uuid.UUID] | None = None) -> None:
    """A person's answers and answer links (to ``session_ids``, or all): they left, or are erased."""
    answers = delete(Attendance).where(Attendance.person_id == person_id)
    links = delete(AnswerLink).where(AnswerLink.person_id == person_id)
    if session_ids is not None:
        ids = list(session_ids)
        answers = answers.where(Attendance.session_id.in_(ids))
        links = links.where(AnswerLink.session_id.in_(ids))
    session.execute(answers)
    session.execute(links)
