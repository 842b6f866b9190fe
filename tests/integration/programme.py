"""A programme of many groups in a real database, and an independent check of what was planned.

:func:`seed_programme` writes a programme of :mod:`bench.programmes` (its facilitators, members
and groups, each person once) through the use cases, as the API would. :func:`violations` reads
every scheduled session back from the tables and judges it with ``zoneinfo`` and datetimes alone,
written apart from the engine and the solver: nobody is in two sessions at once (a facilitator
keeps her break between them), a facilitator's sessions per day and week of her own clock stay
within her capacity, and every session lies within each required person's weekly hours on their
own clock, outside their absences.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from shared.db.models import Group, Membership
from shared.db.models import Session as GroupSession
from shared.domain.cohort import CohortGroup
from shared.domain.model import WEEKDAYS, GroupConstraints, Person
from shared.use_cases import groups as group_cases
from shared.use_cases import people as people_cases


def _availability(person: Person) -> dict:
    return {
        "weekly": [
            {"day": WEEKDAYS[w.day], "start": w.start.strftime("%H:%M"), "end": w.end.strftime("%H:%M")}
            for w in person.availability.weekly
        ],
        "unavailable": [
            {"start": u.start.isoformat(), "end": u.end.isoformat(), "note": u.note} for u in person.availability.unavailable
        ],
    }


def constraints_document(constraints: GroupConstraints) -> dict:
    return {
        "weekdays": [WEEKDAYS[day] for day in sorted(constraints.weekdays)],
        "earliest": constraints.earliest.strftime("%H:%M"), "latest": constraints.latest.strftime("%H:%M"),
        "skip_public_holidays": constraints.skip_public_holidays,
        "school_holiday_region": constraints.school_holiday_region,
        "self_directed_quorum": constraints.self_directed_quorum,
    }


def seed_programme(session_factory, admin, programme: list[CohortGroup]) -> tuple[list[str], dict[str, Person]]:
    """Write the programme; returns the group ids in order and each person by database id."""
    ids: dict[str, str] = {}
    people: dict[str, Person] = {}
    group_ids = []
    with session_factory.begin() as session:
        for number, group in enumerate(programme):
            request = group.request
            if request.facilitator.id not in ids:
                capacity = request.capacity
                created = people_cases.create_facilitator(session, admin, {
                    "name": f"Begeleider {request.facilitator.id}", "email": f"{request.facilitator.id}@example.org",
                    "timezone": request.facilitator.timezone, "language": "nl",
                    "availability": _availability(request.facilitator),
                    "capacity": {
                        "max_sessions_per_day": capacity.max_sessions_per_day,
                        "max_sessions_per_week": capacity.max_sessions_per_week,
                        "break_minutes": capacity.break_minutes,
                    },
                })
                ids[request.facilitator.id] = str(created.id)
                people[str(created.id)] = request.facilitator
            for member in request.members:
                if member.id not in ids:
                    created = people_cases.create_participant(session, admin, {
                        "name": f"Lid {member.id}", "email": f"{member.id}@example.org", "timezone": member.timezone,
                        "language": "nl", "organization": "School", "role": "leerkracht", "themes": [],
                        "school_holiday_region": None, "external_ref": None, "availability": _availability(member),
                    })
                    ids[member.id] = str(created.id)
                    people[str(created.id)] = member
            created_group = group_cases.create_group(session, admin, {
                "name": f"Groep {number}", "theme": "gedrag", "facilitator_id": uuid.UUID(ids[request.facilitator.id]),
                "timezone": request.timezone, "language": "nl", "meeting_url": None,
                "session_minutes": request.session_minutes, "guided_sessions": request.guided_sessions,
                "follow_up_sessions": request.follow_up_sessions, "starts_on": request.starts_on,
                "constraints": constraints_document(request.constraints),
            })
            for member in request.members:
                group_cases.add_member(session, admin, created_group.id, uuid.UUID(ids[member.id]), datetime.now(UTC))
            group_ids.append(str(created_group.id))
    return group_ids, people


def violations(session_factory, people: dict[str, Person], capacities: dict[str, object]) -> list[str]:
    """Every broken rule among the scheduled sessions, in words (empty: none)."""
    with session_factory() as session:
        members: dict[str, list[str]] = defaultdict(list)
        for group_id, participant_id in session.execute(select(Membership.group_id, Membership.participant_id)):
            members[str(group_id)].append(str(participant_id))
        rows = session.execute(
            select(GroupSession.id, GroupSession.kind, GroupSession.start, GroupSession.end, GroupSession.absent_ids,
                   GroupSession.group_id, Group.facilitator_id)
            .join(Group, Group.id == GroupSession.group_id)
            .where(GroupSession.status == "scheduled")
        ).all()
    attending: dict[str, set[str]] = {}
    times: dict[str, tuple[datetime, datetime]] = {}
    for session_id, kind, start, end, absent_ids, group_id, facilitator_id in rows:
        times[str(session_id)] = (_aware(start), _aware(end))
        required = [*members[str(group_id)], *([str(facilitator_id)] if kind == "guided" else [])]
        attending[str(session_id)] = set(required) - {str(a) for a in absent_ids or ()}
    found = []
    of_person: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for session_id, person_ids in attending.items():
        start, end = times[session_id]
        for person_id in person_ids:
            of_person[person_id].append((start, end, session_id))
            person = people[person_id]
            if not _within_hours(person, start, end):
                found.append(f"{person.id} cannot attend session {session_id} at {start.isoformat()}")
    for person_id, sessions in of_person.items():
        person, capacity = people[person_id], capacities.get(person_id)
        pad = timedelta(minutes=(capacity.break_minutes or 0) if capacity else 0)
        sessions.sort()
        for (_, end, first), (start, _, second) in zip(sessions, sessions[1:]):
            if start < end + pad:
                found.append(f"{person.id} is in sessions {first} and {second} too close together")
        if capacity:
            zone = ZoneInfo(person.timezone)
            days = defaultdict(int)
            weeks = defaultdict(int)
            for start, _, _ in sessions:
                local = start.astimezone(zone).date()
                days[local] += 1
                weeks[local.isocalendar()[:2]] += 1
            if capacity.max_sessions_per_day and max(days.values()) > capacity.max_sessions_per_day:
                found.append(f"{person.id} has more than {capacity.max_sessions_per_day} sessions on a day")
            if capacity.max_sessions_per_week and max(weeks.values()) > capacity.max_sessions_per_week:
                found.append(f"{person.id} has more than {capacity.max_sessions_per_week} sessions in a week")
    return found


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _within_hours(person: Person, start: datetime, end: datetime) -> bool:
    zone = ZoneInfo(person.timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.date() != (local_end - timedelta(microseconds=1)).date():
        return False
    for away in person.availability.unavailable:
        if away.start <= local_start.date() <= away.end:
            return False
    return any(
        window.day == local_start.weekday() and window.start <= local_start.time() and local_end.time() <= window.end
        for window in person.availability.weekly
    )
