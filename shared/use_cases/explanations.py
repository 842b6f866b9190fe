"""Diagnostics in words (see :mod:`shared.domain.planning.explanations`): the facts stored with
an infeasible run, and the sentences made from them when the run is read.

A run's diagnostics keep, per best start, one *fact* per person who misses it: their id and
role, the reason code, and for a reason that names another session that session's id, its
group's id and its date and time on that group's clock (as they were when the run was planned)
and the facilitator's limit. Names are not stored: they are looked up when the run is read, so
a renamed person reads under the new name, an erased one by role alone, and a platform is never
shown the name of a person it may not see (:func:`shared.use_cases.attendance.visible_to`), nor
of a group it may not see.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from shared.actor import Actor
from shared.db.models import Facilitator, Group, Participant, Session
from shared.domain import bookings as bk
from shared.domain.planning import absences as ab
from shared.domain.planning import explanations as words
from shared.domain.planning.values import CandidateSlot, Infeasible
from shared.use_cases.groups import visible_groups

MAX_PER_BLOCKER = 3
"""How many different reasons a blocker's explanation gives at most."""


def _uuid(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


def absences_of(result: Infeasible) -> list[ab.Absence]:
    return [absence for month in result.months for slot in month.best_slots for absence in slot.absences]


def other_sessions(
    session: DbSession, absences: Iterable[ab.Absence], planned_ids: dict[str, str] | None = None,
) -> dict[str, tuple[str, datetime]]:
    """Per id of a session that ``absences`` name (batch keys resolved by ``planned_ids``): its
    group's id and its start on that group's clock."""
    planned_ids = planned_ids or {}
    ids = {
        _uuid(planned_ids.get(absence.session_id, absence.session_id))
        for absence in absences if absence.reason in ab.WITH_SESSION
    }
    ids.discard(None)
    if not ids:
        return {}
    rows = session.execute(
        select(Session.id, Session.group_id, Session.start, Group.timezone)
        .join(Group, Group.id == Session.group_id).where(Session.id.in_(ids))
    )
    return {str(sid): (str(gid), start.astimezone(ZoneInfo(zone))) for sid, gid, start, zone in rows}


def slot_facts(
    slot: CandidateSlot, facilitator_id: str, capacity: bk.Capacity | None, planned_ids: dict[str, str],
    others: dict[str, tuple[str, datetime]],
) -> list[dict[str, Any]]:
    """The stored facts of one best start: one per person who misses it."""
    return facts_of(slot.absences, facilitator_id, capacity, planned_ids, others)


def facts_of(
    absences: Iterable[ab.Absence], facilitator_id: str, capacity: bk.Capacity | None, planned_ids: dict[str, str],
    others: dict[str, tuple[str, datetime]],
) -> list[dict[str, Any]]:
    """One fact per absence: who (id and role), why, and the other session where there is one."""
    facts = []
    for absence in absences:
        role = words.FACILITATOR if absence.person_id == facilitator_id else words.MEMBER
        fact: dict[str, Any] = {
            "person_id": absence.person_id, "role": role, "reason_code": absence.reason, "session_id": None,
            "group_id": None, "date": absence.local.date().isoformat(), "time": absence.local.strftime("%H:%M"),
            "limit": None,
        }
        if absence.reason in ab.WITH_SESSION:
            session_id = planned_ids.get(absence.session_id, absence.session_id)
            other = others.get(session_id)
            if other is not None:  # a batch-mate planned again under lock has no session to name
                fact.update(session_id=session_id, group_id=other[0], date=other[1].date().isoformat(),
                            time=other[1].strftime("%H:%M"))
            if capacity is not None:
                fact["limit"] = {
                    ab.BREAK: capacity.break_minutes, ab.DAY_FULL: capacity.max_sessions_per_day,
                    ab.WEEK_FULL: capacity.max_sessions_per_week,
                }.get(absence.reason)
        facts.append(fact)
    return facts


def blocker_facts(blockers: Iterable[str], slots: Iterable[list[dict[str, Any]]], facilitator_id: str) -> list[dict[str, Any]]:
    """Per blocker, the first facts of different reasons among the best starts (at most
    :data:`MAX_PER_BLOCKER`), or that without them a plan would exist."""
    slots = list(slots)
    found: list[dict[str, Any]] = []
    for person_id in blockers:
        own: list[dict[str, Any]] = []
        for fact in (fact for facts in slots for fact in facts if fact["person_id"] == person_id):
            if len(own) < MAX_PER_BLOCKER and all(
                (seen["reason_code"], seen["session_id"]) != (fact["reason_code"], fact["session_id"]) for seen in own
            ):
                own.append(fact)
        if not own:
            role = words.FACILITATOR if person_id == facilitator_id else words.MEMBER
            own.append({"person_id": person_id, "role": role, "reason_code": words.BLOCKS_PLAN, "session_id": None,
                        "group_id": None, "date": None, "time": None, "limit": None})
        found.extend(own)
    return found


# -- when the run is read ------------------------------------------------------------------------


def _facts(diagnostics: dict[str, Any]) -> Iterable[dict[str, Any]]:
    yield from diagnostics.get("explanations", ())
    for month in diagnostics.get("months", ()):
        for slot in month.get("best_slots", ()):
            yield from slot.get("explanations", ())


def worded(
    session: DbSession, actor: Actor, group: Group, diagnostics: dict[str, Any] | None,
    visible: Callable[[str], bool] | None,
) -> dict[str, Any] | None:
    """``diagnostics`` with every fact worded in the group's language, named as ``actor`` may
    see it (``visible``: whom a platform may see; None: everyone)."""
    if diagnostics is None:
        return None
    facts = list(_facts(diagnostics))
    person_ids = {pid for fact in facts if (pid := _uuid(fact["person_id"])) and (visible is None or visible(str(pid)))}
    group_ids = {gid for fact in facts if (gid := _uuid(fact.get("group_id")))}
    names: dict[str, str] = {}
    if person_ids:
        for model in (Facilitator, Participant):
            names.update((str(pid), name) for pid, name in session.execute(select(model.id, model.name).where(model.id.in_(person_ids))))
    group_names: dict[str, str] = {}
    if group_ids:
        shown = visible_groups(actor).with_only_columns(Group.id, Group.name).where(Group.id.in_(group_ids))
        group_names = {str(gid): name for gid, name in session.execute(shown)}

    def word(fact: dict[str, Any]) -> dict[str, Any]:
        seen = visible is None or visible(fact["person_id"])
        # Of a person it may not see, a reader learns neither the other session nor its group.
        group_id = fact.get("group_id") if seen and fact.get("group_id") in group_names else None
        explanation = words.Explanation(
            role=fact["role"], reason=fact["reason_code"],
            day=date.fromisoformat(fact["date"]) if fact.get("date") else None,
            at=time.fromisoformat(fact["time"]) if fact.get("time") else None,
            name=names.get(fact["person_id"]) if seen else None,
            group_name=group_names.get(group_id) if group_id else None, limit=fact.get("limit"),
        )
        return {
            **fact, "person_id": fact["person_id"] if seen else None, "name": explanation.name,
            "session_id": fact.get("session_id") if seen else None, "group_id": group_id, "text": words.sentence(explanation, group.language),
        }

    return {
        **diagnostics,
        "explanations": [word(fact) for fact in diagnostics.get("explanations", ())],
        "months": [
            {**month, "best_slots": [
                {**slot, "explanations": [word(fact) for fact in slot.get("explanations", ())]}
                for slot in month["best_slots"]
            ]}
            for month in diagnostics["months"]
        ],
    }
