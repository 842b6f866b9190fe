"""Group proposals: the service composes intervision groups from a pool of sign-ups.

A proposal is a job like a scheduling run (see :mod:`leases`): recorded with its pool resolved
to participant ids, computed by the worker with :func:`shared.domain.composition.compose`, and
read back. Accepting it creates the groups with their members, once.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session as DbSession

from shared.actor import Actor
from shared.db.models import Facilitator, Group, GroupProposal, Membership, Participant, ParticipantTheme
from shared.domain import bookings as bk
from shared.domain.composition import Candidate, Composition, CompositionRequest
from shared.domain.model import WEEKDAYS
from shared.errors import Conflict, InvalidInput, NotFound
from shared.use_cases import batches, bookings, groups, leases, scheduling
from shared.use_cases.people import require_admin
from shared.use_cases.scheduling import constraints_of, person_of

SUCCEEDED = "succeeded"
MAX_POOL = 5000


def request_proposal(session: DbSession, actor: Actor, data: dict[str, Any], now: datetime) -> GroupProposal:
    require_admin(actor, "group proposals")
    pool = _resolve_pool(session, data)
    if data.get("facilitator_id") is not None and session.get(Facilitator, data["facilitator_id"]) is None:
        raise InvalidInput.field("facilitator_id", f"no facilitator {data['facilitator_id']}")
    parameters = {
        "participant_ids": [str(p) for p in pool],
        "group_by": data["group_by"],
        "min_size": data["min_size"],
        "max_size": data["max_size"],
        "ideal_size": data["ideal_size"],
        "max_per_organization": data["max_per_organization"],
        "starts_on": data["starts_on"].isoformat(),
        "timezone": data["timezone"],
        "facilitator_id": str(data["facilitator_id"]) if data.get("facilitator_id") else None,
        "constraints": data["constraints"],
        "filters": data.get("filters"),
    }
    proposal = GroupProposal(client_id=actor.client_id, status=leases.QUEUED, parameters=parameters, created_at=now)
    session.add(proposal)
    session.flush()
    return proposal


def _resolve_pool(session: DbSession, data: dict[str, Any]) -> list[uuid.UUID]:
    if data.get("participant_ids"):
        wanted = list(dict.fromkeys(data["participant_ids"]))
        found = set(session.scalars(select(Participant.id).where(Participant.id.in_(wanted))))
        missing = [str(p) for p in wanted if p not in found]
        if missing:
            raise InvalidInput.field("participant_ids", f"no participants {', '.join(missing[:5])}")
        return wanted
    filters = data.get("filters") or {}
    query = select(Participant.id).order_by(Participant.created_at, Participant.id)
    if filters.get("role"):
        query = query.where(Participant.role == filters["role"])
    if filters.get("theme"):
        query = query.where(
            exists().where(ParticipantTheme.participant_id == Participant.id, ParticipantTheme.theme == filters["theme"])
        )
    if filters.get("unassigned"):
        query = query.where(~exists().where(Membership.participant_id == Participant.id))
    pool = list(session.scalars(query.limit(MAX_POOL + 1)))
    if len(pool) > MAX_POOL:
        raise InvalidInput.field("filters", f"the pool has more than {MAX_POOL} people; narrow it down")
    return pool


def get_proposal(session: DbSession, actor: Actor, proposal_id: uuid.UUID) -> GroupProposal:
    require_admin(actor, "group proposals")
    proposal = session.get(GroupProposal, proposal_id)
    if proposal is None:
        raise NotFound(f"no group proposal {proposal_id}")
    return proposal


# -- the worker's side ---------------------------------------------------------------------------


def composition_request(session: DbSession, proposal_id: uuid.UUID, now: datetime) -> CompositionRequest:
    """The pool as the composition sees it: everyone's other sessions (and the facilitator's
    capacity) count as time they are not available."""
    parameters = session.get(GroupProposal, proposal_id).parameters
    ids = [uuid.UUID(p) for p in parameters["participant_ids"]]
    rows = {p.id: p for p in session.scalars(select(Participant).where(Participant.id.in_(ids)))} if ids else {}
    facilitator_row = None
    if parameters["facilitator_id"]:
        facilitator_row = session.get(Facilitator, uuid.UUID(parameters["facilitator_id"]))
    booked: dict[str, list[bk.Booking]] = {}
    for booking in bookings.bookings_for(
        session, facilitator_ids=[facilitator_row.id] if facilitator_row else [], participant_ids=list(rows), now=now
    ):
        booked.setdefault(booking.person_id, []).append(booking)

    def busy(row: Participant | Facilitator, capacity: bk.Capacity | None = None):
        person = person_of(row)
        return bk.as_unavailable(person, bk.blocks(booked.get(person.id, []), person.timezone, capacity))

    candidates = tuple(
        Candidate(id=str(p.id), organization=p.organization, role=p.role, themes=tuple(p.themes), person=busy(p))
        for pid in ids
        if (p := rows.get(pid)) is not None  # someone erased since the proposal was asked for
    )
    facilitator = busy(facilitator_row, bookings.capacity_of(facilitator_row.capacity)) if facilitator_row else None
    return CompositionRequest(
        candidates=candidates,
        group_by=parameters["group_by"],
        starts_on=date.fromisoformat(parameters["starts_on"]),
        min_size=parameters["min_size"],
        max_size=parameters["max_size"],
        ideal_size=parameters["ideal_size"],
        max_per_organization=parameters["max_per_organization"],
        timezone=parameters["timezone"],
        facilitator=facilitator,
        constraints=constraints_of(parameters["constraints"]),
    )


def record_composition(
    session: DbSession, proposal_id: uuid.UUID, owner: str, composition: Composition, minutes: int, now: datetime
) -> bool:
    proposal = leases.lock_owned(session, GroupProposal, proposal_id, owner)
    if proposal is None:
        return False
    leases.finish(proposal, SUCCEEDED, now)
    proposal.result = {
        "groups": [
            {
                "key": group.key,
                "member_ids": list(group.member_ids),
                "slot": {
                    "weekday": WEEKDAYS[group.slot.weekday],
                    "start": group.slot.start.strftime("%H:%M"),
                    "week_of_month": group.slot.week_of_month,
                    "description": group.slot.describe("nl", minutes),
                },
                "first_session": group.first_session.isoformat(),
                "score": round(group.score, 4),
            }
            for group in composition.groups
        ],
        "unplaced": [{"participant_id": u.participant_id, "reason": u.reason, "code": u.code} for u in composition.unplaced],
        "optimal": composition.optimal,
        "upper_bound": composition.upper_bound,
    }
    return True


# -- accepting -----------------------------------------------------------------------------------


def accept(
    session: DbSession,
    actor: Actor,
    proposal_id: uuid.UUID,
    *,
    facilitator_id: uuid.UUID,
    name_prefix: str,
    schedule: bool,
    now: datetime,
) -> tuple[GroupProposal, uuid.UUID | None]:
    """Create the proposed groups with their members (and, when asked, plan them together as
    one scheduling batch).

    Accepting again changes nothing and answers the same groups. Returns the proposal and the
    id of the scheduling batch started now (None when none was).
    """
    require_admin(actor, "group proposals")
    proposal = session.scalar(select(GroupProposal).where(GroupProposal.id == proposal_id).with_for_update())
    if proposal is None:
        raise NotFound(f"no group proposal {proposal_id}")
    if proposal.accepted_at is not None:
        return proposal, None
    if proposal.status != SUCCEEDED:
        raise Conflict(f"the proposal is {proposal.status}; only a finished proposal can be accepted")
    if session.get(Facilitator, facilitator_id) is None:
        raise InvalidInput.field("facilitator_id", f"no facilitator {facilitator_id}")
    parameters = proposal.parameters
    created: list[Group] = []
    for number, proposed in enumerate(proposal.result["groups"], start=1):
        group = groups.create_group(
            session, actor,
            {
                "name": f"{name_prefix} {number}: {proposed['key']}"[:200],
                "theme": proposed["key"] if parameters["group_by"] == "theme" else None,
                "facilitator_id": facilitator_id,
                "timezone": parameters["timezone"],
                "language": "nl",
                "meeting_url": None,
                "session_minutes": 90,
                "guided_sessions": 3,
                "follow_up_sessions": 6,
                "starts_on": date.fromisoformat(parameters["starts_on"]),
                "constraints": parameters["constraints"],
            },
        )
        for member_id in proposed["member_ids"]:
            if session.get(Participant, uuid.UUID(member_id)) is not None:
                groups.add_member(session, actor, group.id, uuid.UUID(member_id), now)
        created.append(group)
    proposal.accepted_at = now
    proposal.accepted_group_ids = [str(g.id) for g in created]
    batch_id = None
    schedulable = [group.id for group in created if len(group.memberships) >= scheduling.MIN_MEMBERS]
    if schedule and schedulable:
        proposal.batch_id = batch_id = batches.request_batch(session, actor, schedulable, now).id
    session.flush()
    return proposal, batch_id


def proposals_to_resume(session: DbSession, now: datetime, *, queued_for) -> list[uuid.UUID]:
    return leases.to_resume(session, GroupProposal, now, queued_for=queued_for)
