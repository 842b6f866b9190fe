"""Scheduling runs and sessions: requesting a plan, claiming and finishing runs, moving sessions.

A run is a row first and a message second. The API records it as ``queued`` and only then sends
"plan run X"; a worker *claims* it (``queued`` → ``running`` with a lease) in one short
transaction, computes the plan outside any transaction, and writes the result and the sessions
in a second transaction that first checks it still holds the lease. So a run is planned by at
most one worker at a time, a worker killed mid-run leaves nothing half-written, and a run whose
message was lost (or whose worker died) is found again by :func:`runs_to_resume`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from shared.actor import Actor
from shared.db.models import Facilitator, Group, Participant, SchedulingRun, Session
from shared.domain import availability as av
from shared.domain.bookings import CALENDAR, Booking, Capacity
from shared.domain.busy_fast import SESSION_UID_SUFFIX
from shared.domain.cohort import conflicts_of
from shared.domain.model import (
    WEEKDAYS,
    Availability,
    GroupConstraints,
    Person,
    UnavailableRange,
    WeeklyWindow,
)
from shared.domain.planning import (
    CandidateSlot,
    Infeasible,
    PastSession,
    Plan,
    PlanRequest,
    alternatives,
    attendance_at,
    find_plan,
)
from shared.domain.planning.absences import absence_at
from shared.errors import Conflict, InvalidInput, NotFound, ScheduleConflict
from shared.use_cases import attendance, bookings, explanations, leases, outbox, webhooks
from shared.use_cases.groups import get_group, show_group, shown_with_sessions, visible_groups
from shared.use_cases.leases import FAILED, IN_FLIGHT, QUEUED, RUNNING  # noqa: F401 - re-exported for callers
from shared.use_cases.paging import Page, paginate
from shared.use_cases.people import require_admin

log = logging.getLogger(__name__)

SUCCEEDED, INFEASIBLE = "succeeded", "infeasible"
NO_FACILITATOR = "the group lost its facilitator while it was being planned"
MIN_MEMBERS = 3
MAX_ATTEMPTS = 5
SESSION_EVENTS = {
    "created": "session.scheduled",
    "reinstated": "session.scheduled",
    "moved": "session.rescheduled",
    "changed": "session.rescheduled",
    "cancelled": "session.cancelled",
}
"""The webhook event of each kind of change to a session."""
"""Claims of one run before it is failed for good (a run that kills its worker every time)."""


# -- from stored documents to domain values ------------------------------------------------------


def _clock_time(hhmm: str) -> time:
    return time.max if hhmm == "24:00" else time.fromisoformat(hhmm)


def _moment(text: str) -> date | datetime:
    return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)


def availability_of(document: dict[str, Any]) -> Availability:
    return Availability(
        weekly=tuple(
            WeeklyWindow(WEEKDAYS.index(w["day"]), _clock_time(w["start"]), _clock_time(w["end"]))
            for w in document.get("weekly", ())
        ),
        unavailable=tuple(
            UnavailableRange(_moment(u["start"]), _moment(u["end"]), u.get("note"))
            for u in document.get("unavailable", ())
        ),
    )


def person_of(row: Facilitator | Participant) -> Person:
    return Person(
        id=str(row.id),
        timezone=row.timezone,
        availability=availability_of(row.availability),
        school_holiday_region=getattr(row, "school_holiday_region", None),
    )


def constraints_of(document: dict[str, Any]) -> GroupConstraints:
    return GroupConstraints(
        weekdays=frozenset(WEEKDAYS.index(day) for day in document["weekdays"]),
        earliest=_clock_time(document["earliest"]),
        latest=_clock_time(document["latest"]),
        skip_public_holidays=document["skip_public_holidays"],
        school_holiday_region=document.get("school_holiday_region"),
        self_directed_quorum=document.get("self_directed_quorum"),
    )


def group_sessions(session: DbSession, group_id: uuid.UUID) -> list[Session]:
    return list(
        session.scalars(
            select(Session).where(Session.group_id == group_id).order_by(Session.number, Session.start)
        )
    )


def plan_request_for(
    session: DbSession, group: Group, now: datetime, *, replacing: set[uuid.UUID] | None = None
) -> PlanRequest:
    """The plan search's input for a group as it is stored now (see :func:`plan_requests_for`)."""
    return plan_requests_for(session, [group], now, replacing=replacing)[0]


def plan_requests_for(
    session: DbSession, groups: list[Group], now: datetime, *, replacing: set[uuid.UUID] | None = None,
    excluding: set[uuid.UUID] = frozenset(),
) -> list[PlanRequest]:
    """The plan search's input for each group as it is stored now, in three queries however
    many groups: past sessions become history, the people's other sessions bookings.
    ``replacing``: the groups whose upcoming sessions the plans replace (default: these);
    ``excluding``: sessions that are no bookings (one being moved)."""
    for group in groups:
        if group.facilitator_id is None:
            raise InvalidInput.field("facilitator_id", f"group {group.id} has no facilitator")
    ids = [group.id for group in groups]
    facilitators = {
        row.id: row
        for row in session.scalars(select(Facilitator).where(Facilitator.id.in_({g.facilitator_id for g in groups})))
    }
    history: dict[uuid.UUID, list[PastSession]] = {group_id: [] for group_id in ids}
    for row in session.scalars(
        select(Session)
        .where(Session.group_id.in_(ids), Session.status == "scheduled", Session.start < now)
        .order_by(Session.number, Session.start)
    ):
        history[row.group_id].append(PastSession(number=row.number, kind=row.kind, start=row.start))
    booked: dict[str, list[Booking]] = {}
    for booking in bookings.bookings_for(
        session, facilitator_ids=list(facilitators), participant_ids={pid for g in groups for pid in g.member_ids},
        now=now, replacing=replacing if replacing is not None else set(ids), excluding=excluding,
    ):
        booked.setdefault(booking.person_id, []).append(booking)
    requests = []
    for group in groups:
        facilitator = facilitators[group.facilitator_id]
        people = [str(facilitator.id), *(str(pid) for pid in group.member_ids)]
        requests.append(PlanRequest(
            timezone=group.timezone,
            starts_on=group.starts_on,
            session_minutes=group.session_minutes,
            guided_sessions=group.guided_sessions,
            follow_up_sessions=group.follow_up_sessions,
            facilitator=person_of(facilitator),
            members=tuple(person_of(m.participant) for m in group.memberships),
            constraints=constraints_of(group.constraints),
            not_before=now,
            history=tuple(history[group.id]),
            language=group.language,
            bookings=tuple(booking for person in people for booking in booked.get(person, ())),
            capacity=bookings.capacity_of(facilitator.capacity),
        ))
    return requests


# -- requesting and reading runs -----------------------------------------------------------------


def schedulability(session: DbSession, group: Group) -> tuple[str, str] | None:
    """Why a group cannot be scheduled now, as ``(field, reason)``; None when it can. A run in
    flight is a :class:`Conflict`."""
    if group.facilitator_id is None:
        return "facilitator_id", "the group needs a facilitator before it can be scheduled"
    if len(group.memberships) < MIN_MEMBERS:
        return "members", f"the group has {len(group.memberships)} member(s); scheduling needs at least {MIN_MEMBERS}"
    in_flight = session.scalar(
        select(SchedulingRun).where(SchedulingRun.group_id == group.id, SchedulingRun.status.in_(IN_FLIGHT))
    )
    if in_flight is not None:
        raise Conflict(f"scheduling run {in_flight.id} for group {group.id} is still {in_flight.status}")
    return None


def request_run(session: DbSession, actor: Actor, group_id: uuid.UUID, now: datetime) -> SchedulingRun:
    """Record a scheduling run for a group; the caller sends its message after the commit."""
    require_admin(actor, "scheduling runs")
    group = get_group(session, actor, group_id, lock=True)
    refusal = schedulability(session, group)
    if refusal is not None:
        field, reason = refusal
        raise InvalidInput.field(field, reason) if field == "facilitator_id" else InvalidInput(reason)
    run = SchedulingRun(group_id=group.id, status=QUEUED, created_at=now)
    session.add(run)
    session.flush()
    return run


def _in_visible_group(session: DbSession, actor: Actor, model: type, object_id: uuid.UUID, label: str):
    """A run or session of a group the actor may see; otherwise 404, never its data."""
    found = session.scalar(
        select(model).where(model.id == object_id, model.group_id.in_(visible_groups(actor).with_only_columns(Group.id)))
    )
    if found is None:
        raise NotFound(f"no {label} {object_id}")
    return found


def get_run(session: DbSession, actor: Actor, run_id: uuid.UUID) -> SchedulingRun:
    return _in_visible_group(session, actor, SchedulingRun, run_id, "scheduling run")


def show_run(session: DbSession, actor: Actor, run_id: uuid.UUID) -> SchedulingRun:
    """A run as ``actor`` is shown it: a platform sees, of who cannot attend or blocks a plan,
    its own participants and the facilitator (:func:`shared.use_cases.attendance.visible_to`).
    The run so shown is detached: it is never written back."""
    run = get_run(session, actor, run_id)
    group = session.get(Group, run.group_id)
    visible = attendance.visible_to(actor, group)
    if visible is None and run.diagnostics is None:
        return run
    diagnostics = explanations.worded(session, actor, group, run.diagnostics, visible)
    session.expunge(run)
    if visible is not None:
        run.plan = shown_plan(run.plan, visible)
        diagnostics = shown_diagnostics(diagnostics, visible)
    run.diagnostics = diagnostics
    return run


# -- the worker's side ---------------------------------------------------------------------------


def claim_run(session: DbSession, run_id: uuid.UUID, owner: str, now: datetime, lease: timedelta) -> bool:
    """Take the run if it is queued, or running under a lease that ran out (see leases); never
    a run of a batch (the batch takes those)."""
    return leases.claim(session, SchedulingRun, run_id, owner, now, lease, where=SchedulingRun.batch_id.is_(None))


def run_state(session: DbSession, run_id: uuid.UUID, owner: str, now: datetime) -> leases.JobState:
    return leases.state(session, SchedulingRun, run_id, owner, now)


def load_run_input(session: DbSession, run_id: uuid.UUID, now: datetime) -> PlanRequest:
    run = session.get(SchedulingRun, run_id)
    group = session.get(Group, run.group_id)
    return plan_request_for(session, group, now)


def fail_run(session: DbSession, run_id: uuid.UUID, owner: str | None, error: str, now: datetime) -> bool:
    return leases.fail(session, SchedulingRun, run_id, owner, error, now)


def record_result(
    session: DbSession, run_id: uuid.UUID, owner: str, result: Plan | Infeasible, now: datetime
) -> list[tuple[Session, str]] | None:
    """Store the outcome and, for a plan, the sessions — only if ``owner`` still holds the run.

    The people of the group are locked first and the plan checked against their bookings as
    they are now: when another run booked one of them meanwhile, the group is planned again
    here, under the lock (a lost race re-plans; it does not fail).

    Returns the sessions that changed with what happened to each (``created``, ``moved``,
    ``cancelled``), or None when the run was no longer ours (nothing is written then).
    """
    run = leases.lock_owned(session, SchedulingRun, run_id, owner)
    if run is None:
        return None
    group = session.scalar(select(Group).where(Group.id == run.group_id).with_for_update())
    if group.facilitator_id is None:
        leases.finish(run, FAILED, now)
        run.error = NO_FACILITATOR
        return []
    bookings.lock_people(session, people_of(group))
    result, _ = current_result(session, group, result, now)
    return write_outcome(session, run, group, result, now)


def people_of(group: Group) -> list[uuid.UUID]:
    return [person for person in (group.facilitator_id, *group.member_ids) if person is not None]


def current_result(
    session: DbSession, group: Group, result: Plan | Infeasible, now: datetime, *, replacing: set[uuid.UUID] | None = None
) -> tuple[Plan | Infeasible, bool]:
    """``result`` if it still fits the bookings read now (under lock), else a new plan made
    from them; and whether it had to be made again."""
    if not isinstance(result, Plan):
        return result, False
    request = plan_request_for(session, group, now, replacing=replacing)
    if not conflicts_of([(request, result)]):
        return result, False
    log.info("group %s: someone was booked meanwhile; planning it again", group.id)
    return find_plan(request), True


def write_outcome(
    session: DbSession, run: SchedulingRun, group: Group, result: Plan | Infeasible, now: datetime,
    *, planned_ids: dict[str, str] | None = None,
) -> list[tuple[Session, str]]:
    """Finish the run with its outcome: the plan and its sessions, or the diagnostics
    (``planned_ids`` names sessions planned in the same batch, see :mod:`shared.domain.cohort`)."""
    if isinstance(result, Infeasible):
        leases.finish(run, INFEASIBLE, now)
        others = explanations.other_sessions(session, explanations.absences_of(result), planned_ids)
        facilitator = session.get(Facilitator, group.facilitator_id) if group.facilitator_id else None
        capacity = bookings.capacity_of(facilitator.capacity) if facilitator is not None else None
        run.diagnostics = diagnostics_document(result, group, planned_ids or {}, others=others, capacity=capacity)
        webhooks.emit(session, "group.infeasible", {"group_id": str(group.id), "run_id": str(run.id)}, now)
        return []
    rows, changes = apply_plan(session, group, run, result, now)
    leases.finish(run, SUCCEEDED, now)
    run.plan = plan_document(result, group, rows, changes)
    outbox.record_session_changes(session, [(row.id, change) for row, change in changes], now)
    for row, change in changes:
        webhooks.emit(session, SESSION_EVENTS[change], {"session_id": str(row.id), "group_id": str(group.id)}, now)
    webhooks.emit(session, "group.scheduled", {"group_id": str(group.id), "run_id": str(run.id)}, now)
    return changes


def apply_plan(
    session: DbSession, group: Group, run: SchedulingRun, plan: Plan, now: datetime
) -> tuple[list[Session], list[tuple[Session, str]]]:
    """Write the planned sessions: future ones are updated in place, past ones never touched.

    Returns the rows in plan order and the changes (row, ``created``/``moved``/``changed``/
    ``cancelled``).
    """
    zone = ZoneInfo(group.timezone)
    upcoming = [s for s in group_sessions(session, group.id) if s.status == "scheduled" and s.start >= now]
    changes: list[tuple[Session, str]] = []
    rows: list[Session] = []
    for planned, existing in zip(plan.sessions, upcoming + [None] * len(plan.sessions), strict=False):
        values = {
            "number": planned.number,
            "kind": planned.kind,
            "start": planned.start.astimezone(UTC),
            "end": planned.end.astimezone(UTC),
            "timezone": str(zone.key),
            "chair_id": uuid.UUID(planned.chair_id) if planned.chair_id else None,
            "absent_ids": list(planned.absent_ids),
            "keeps_slot": planned.keeps_slot,
            "note": planned.note,
        }
        if existing is None:
            created = Session(
                group_id=group.id, uid=f"{uuid.uuid4()}{SESSION_UID_SUFFIX}", sequence=0, run_id=run.id,
                created_at=now, updated_at=now, **values,
            )
            session.add(created)
            rows.append(created)
            changes.append((created, "created"))
            continue
        rows.append(existing)
        if any(getattr(existing, name) != value for name, value in values.items()):
            moved = existing.start != values["start"]
            if moved:
                attendance.reset(session, [existing.id])
            for name, value in values.items():
                setattr(existing, name, value)
            existing.sequence += 1
            existing.run_id = run.id
            existing.updated_at = now
            changes.append((existing, "moved" if moved else "changed"))
    for surplus in upcoming[len(plan.sessions):]:
        surplus.status = "cancelled"
        surplus.sequence += 1
        surplus.run_id = run.id
        surplus.updated_at = now
        changes.append((surplus, "cancelled"))
    session.flush()
    return rows, changes


def runs_to_resume(session: DbSession, now: datetime, *, queued_for: timedelta) -> list[uuid.UUID]:
    """Single runs whose message may be lost (a batch's runs are resumed with their batch)."""
    return leases.to_resume(session, SchedulingRun, now, queued_for=queued_for, where=SchedulingRun.batch_id.is_(None))


# -- documents shown by the API ------------------------------------------------------------------


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat()


def plan_document(
    plan: Plan, group: Group, rows: list[Session], changes: list[tuple[Session, str]]
) -> dict[str, Any]:
    zone = ZoneInfo(group.timezone)
    slot = None
    if plan.slot is not None:
        slot = {
            "weekday": WEEKDAYS[plan.slot.weekday],
            "start": plan.slot.start.strftime("%H:%M"),
            "week_of_month": plan.slot.week_of_month,
            "description": plan.slot.describe(group.language, group.session_minutes),
        }
    return {
        "slot": slot,
        "sessions": [
            {
                "id": str(row.id),
                "number": s.number,
                "kind": s.kind,
                "start": _local(s.start, zone),
                "end": _local(s.end, zone),
                "chair_id": s.chair_id,
                "absent_ids": list(s.absent_ids),
                "keeps_slot": s.keeps_slot,
                "note": s.note,
            }
            for s, row in zip(plan.sessions, rows, strict=True)
        ],
        "skipped_months": [
            {"month": f"{m.year:04d}-{m.month:02d}", "reason": m.reason} for m in plan.skipped_months
        ],
        "changes": {kind: sum(1 for _, k in changes if k == kind) for kind in ("created", "moved", "changed", "cancelled")},
    }


def diagnostics_document(
    result: Infeasible, group: Group, planned_ids: dict[str, str] | None = None, *,
    others: dict[str, tuple[str, datetime]] | None = None, capacity: Capacity | None = None,
) -> dict[str, Any]:
    """The stored diagnostics; ``explanations`` (per best start and per blocker) are facts that
    :func:`shared.use_cases.explanations.worded` words when the run is read. ``others``: the
    group and local start of each other session they name (see
    :func:`shared.use_cases.explanations.other_sessions`), ``capacity`` the facilitator's."""
    zone = ZoneInfo(group.timezone)
    minutes = timedelta(minutes=group.session_minutes)
    required = len(group.memberships) + 1
    planned_ids = planned_ids or {}
    facilitator_id = str(group.facilitator_id)
    facts = {
        id(c): explanations.slot_facts(c, facilitator_id, capacity, planned_ids, others or {})
        for m in result.months for c in m.best_slots
    }
    return {
        "reason": result.reason,
        "blockers": list(result.blockers),
        "explanations": explanations.blocker_facts(result.blockers, facts.values(), facilitator_id),
        "months": [
            {
                "month": f"{m.year:04d}-{m.month:02d}",
                "best_slots": [
                    {
                        "start": _local(c.start, zone),
                        "end": _local(c.start + minutes, zone),
                        "attendees": c.attendees,
                        "required": required,
                        "absent_ids": list(c.absent_ids),
                        "booked": [
                            {"person_id": b.person_id, "session_id": None, "reason": b.reason, "source": b.source}
                            if b.source == CALENDAR else
                            {"person_id": b.person_id, "session_id": session_id, "reason": b.reason, "source": b.source}
                            for b in c.booked
                            # A batch-mate's session that was planned again under lock has no id here.
                            if b.source == CALENDAR or "#" not in (session_id := planned_ids.get(b.session_id, b.session_id))
                        ],
                        "explanations": facts[id(c)],
                    }
                    for c in m.best_slots
                ],
            }
            for m in result.months
        ],
    }


def shown_plan(plan: dict[str, Any] | None, visible: Callable[[str], bool]) -> dict[str, Any] | None:
    """A plan document with only the absentees ``visible`` admits."""
    if plan is None:
        return None
    sessions = [{**s, "absent_ids": [p for p in s["absent_ids"] if visible(p)]} for s in plan["sessions"]]
    return {**plan, "sessions": sessions}


def shown_diagnostics(diagnostics: dict[str, Any] | None, visible: Callable[[str], bool]) -> dict[str, Any] | None:
    """Diagnostics with only the blockers, absentees and bookings of people ``visible`` admits
    (each slot keeps its counts of attendees and required people)."""
    if diagnostics is None:
        return None
    return {
        **diagnostics,
        "blockers": [p for p in diagnostics["blockers"] if visible(p)],
        "months": [
            {**month, "best_slots": [
                {**slot, "absent_ids": [p for p in slot["absent_ids"] if visible(p)],
                 "booked": [b for b in slot.get("booked", ()) if visible(b["person_id"])]}
                for slot in month["best_slots"]
            ]}
            for month in diagnostics["months"]
        ],
    }


# -- sessions ------------------------------------------------------------------------------------


def list_sessions(
    session: DbSession, actor: Actor, group_id: uuid.UUID, page: Page, now: datetime
) -> tuple[list[Session], int]:
    group = show_group(session, actor, group_id, loading=shown_with_sessions(actor))
    query = select(Session).where(Session.group_id == group_id).order_by(Session.number, Session.start)
    items, total = paginate(session, query, page)
    attendance.attach(session, items, now=now, groups=[group], viewer=actor)
    return items, total


def get_session(session: DbSession, actor: Actor, session_id: uuid.UUID) -> Session:
    return _in_visible_group(session, actor, Session, session_id, "session")


def show_session(session: DbSession, actor: Actor, session_id: uuid.UUID, now: datetime) -> Session:
    """A session the actor may see, with its attendance and conflicts (as the API shows it)."""
    row = get_session(session, actor, session_id)
    attendance.attach(session, [row], now=now, viewer=actor)
    return row


def read_session(session: DbSession, actor: Actor, session_id: uuid.UUID, now: datetime) -> Session:
    """:func:`show_session` for a request that only reads, in two statements: the session with
    its group and the group's memberships, then the answers with the calendar conflicts."""
    found = session.execute(
        visible_groups(actor).add_columns(Session).join(Session, Session.group_id == Group.id)
        .where(Session.id == session_id).options(shown_with_sessions(actor))
    ).unique().first()
    if found is None:
        raise NotFound(f"no session {session_id}")
    group, row = found
    attendance.attach(session, [row], now=now, groups=[group], viewer=actor)
    return row


def change_session(
    session: DbSession, actor: Actor, row: Session, data: dict[str, Any], now: datetime
) -> str | None:
    """Move a session by hand (``start``) or cancel/reinstate it (``status``).

    Returns what happened (``moved``, ``cancelled``, ``reinstated``) or None when nothing changed.
    A moved or reinstated session lists in ``absent_ids`` the required people who cannot attend
    at its time; a guided session is not moved or reinstated to a time its facilitator cannot
    attend (a :class:`ScheduleConflict` ``facilitator-unavailable``) unless ``allow_absent`` says
    so.
    """
    require_admin(actor, "sessions")
    if row.end <= now:
        raise Conflict("the session has already taken place; past sessions are not changed")
    outcome = None
    group = session.scalar(select(Group).where(Group.id == row.group_id).with_for_update())
    moving = "start" in data and data["start"] != row.start
    status = data.get("status", row.status)
    if moving or status != row.status:
        bookings.lock_people(session, people_of(group))
    if moving:
        start = data["start"]
        if start <= now:
            raise InvalidInput.field("start", "must be in the future")
        absent = _absent_at(session, actor, group, row, start, now, status, data)
        end = start.astimezone(UTC) + timedelta(minutes=group.session_minutes)
        if status == "scheduled":
            bookings.check(session, [placement(group, row, start.astimezone(UTC), end, absent)], now, calendars=True)
        row.start, row.end, row.absent_ids, row.keeps_slot = start.astimezone(UTC), end, absent, False
        outcome = "moved"
    if status != row.status:
        if status == "scheduled" and not moving:
            # Reinstated where it was: who can attend is judged again, as for a move.
            row.absent_ids = _absent_at(session, actor, group, row, row.start, now, status, data)
            bookings.check(session, [placement(group, row, row.start, row.end, row.absent_ids)], now)
        row.status = status
        outcome = "cancelled" if row.status == "cancelled" else "reinstated"
    if outcome == "moved":
        attendance.reset(session, [row.id])
    if outcome is not None:
        row.sequence += 1
        row.updated_at = now
        session.flush()
        attendance.attach(session, [row], now=now, viewer=actor)
        outbox.record_session_changes(session, [(row.id, outcome)], now)
        webhooks.emit(session, SESSION_EVENTS[outcome], {"session_id": str(row.id), "group_id": str(row.group_id)}, now)
    return outcome


def _absent_at(
    session: DbSession, actor: Actor, group: Group, row: Session, start: datetime, now: datetime, status: str,
    data: dict[str, Any],
) -> list[str]:
    """Who of those ``row`` requires cannot attend it from ``start``; a scheduled guided session
    its facilitator cannot attend is a :class:`ScheduleConflict` ``facilitator-unavailable``
    unless ``data`` says ``allow_absent``."""
    request = plan_request_for(session, group, now)
    absent = list(attendance_at(request, start, row.kind))
    if status == "scheduled" and row.kind == "guided" and str(group.facilitator_id) in absent and not data.get("allow_absent"):
        raise ScheduleConflict.facilitator_unavailable(
            str(row.id), str(group.facilitator_id), facilitator_absence(session, actor, group, request, start),
        )
    return absent


def facilitator_absence(
    session: DbSession, actor: Actor, group: Group, request: PlanRequest, start: datetime,
) -> list[dict[str, Any]]:
    """Why the facilitator of ``group`` cannot attend a session from ``start``, in words."""
    facilitator = request.facilitator
    absence = absence_at(facilitator, request.bookings, request.capacity, av.utc_minutes(start), group.session_minutes)
    others = explanations.other_sessions(session, [absence])
    facts = explanations.facts_of([absence], facilitator.id, request.capacity, {}, others)
    shown = explanations.worded(session, actor, group, {"explanations": facts, "months": []}, attendance.visible_to(actor, group))
    return shown["explanations"]


def placement(group: Group, row: Session, start: datetime, end: datetime, absent: list[str]) -> bookings.Placement:
    """Session ``row`` of ``group`` at ``start``–``end``, booking whoever it requires but ``absent``."""
    return bookings.Placement(
        session_id=row.id,
        start=start,
        end=end,
        facilitator_id=group.facilitator_id if row.kind == "guided" and str(group.facilitator_id) not in absent else None,
        participant_ids=tuple(pid for pid in group.member_ids if str(pid) not in absent),
    )


def alternatives_for(session: DbSession, actor: Actor, session_id: uuid.UUID, now: datetime, limit: int = 5) -> list[dict[str, Any]]:
    """Up to ``limit`` other starts for a session, best first (see
    :mod:`shared.domain.planning.alternatives`): the rules of a plan, nobody booked twice."""
    row = get_session(session, actor, session_id)
    if row.end <= now:
        raise Conflict("the session has already taken place; past sessions are not moved")
    group = session.get(Group, row.group_id)
    found, required = alternatives_of(session, group, row, now, limit)
    zone = ZoneInfo(group.timezone)
    minutes = timedelta(minutes=group.session_minutes)
    visible = attendance.visible_to(actor, group) or (lambda _person: True)
    return [
        {"start": _local(c.start, zone), "end": _local(c.start + minutes, zone), "attendees": c.attendees,
         "required": required, "absent_ids": [p for p in c.absent_ids if visible(p)]}
        for c in found
    ]


def alternatives_of(
    session: DbSession, group: Group, row: Session, now: datetime, limit: int
) -> tuple[tuple[CandidateSlot, ...], int]:
    """The alternatives for a session (see :func:`alternatives_for`) and how many people it requires."""
    request = plan_requests_for(session, [group], now, replacing=set(), excluding={row.id})[0]
    others = [s for s in group_sessions(session, group.id) if s.status == "scheduled" and s.id != row.id]
    zone = ZoneInfo(group.timezone)
    guided = [s.start.astimezone(zone) for s in [*others, row] if s.kind == "guided"]
    patterns = {(start.weekday(), start.hour * 60 + start.minute) for start in guided}
    slot = patterns.pop() if len(patterns) == 1 else None
    found = alternatives(request, row.kind, row.start, [s.start for s in others], slot, limit)
    return found, len(request.members) + (1 if row.kind == "guided" else 0)
