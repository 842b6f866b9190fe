"""Many groups, one calendar, under real concurrency: the real PostgreSQL, Redis and two
``intervisie worker`` processes (four threads each) planning groups that share a facilitator."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from shared.config import Settings
from shared.db.models import Group, SchedulingRun
from shared.db.models import Session as GroupSession
from shared.use_cases import groups, people
from tests.integration.workers import (
    REDIS_URL,
    Stack,
    first_of_month_after_next,
    redis_namespace,
    run_status,
    wait_for,
    workers,
)

pytestmark = pytest.mark.integration

EVENINGS = {
    "weekly": [{"day": "tue", "start": "19:00", "end": "21:30"}, {"day": "thu", "start": "19:00", "end": "21:30"}],
    "unavailable": [],
}
CONSTRAINTS = {
    "weekdays": ["mon", "tue", "wed", "thu", "fri"], "earliest": "08:00", "latest": "22:00",
    "skip_public_holidays": True, "school_holiday_region": None, "self_directed_quorum": None,
}


@pytest.fixture
def stack(database, tmp_path):
    url, session_factory = database
    with redis_namespace() as namespace:
        settings = Settings(database_url=url, broker_url=REDIS_URL, broker_namespace=namespace, sweep_seconds=2)
        env = {
            "INTERVISIE_DATABASE_URL": url, "INTERVISIE_BROKER_URL": REDIS_URL,
            "INTERVISIE_BROKER_NAMESPACE": namespace, "INTERVISIE_SWEEP_SECONDS": "2",
        }
        yield Stack(settings, env, session_factory, tmp_path)


def seed_cohort(stack: Stack, count: int) -> tuple[str, list[str]]:
    """One facilitator, free on Tuesday and Thursday evenings and for one session a day, and
    ``count`` groups of three who are all free then too. Returns her id and the group ids."""
    starts_on = first_of_month_after_next()
    with stack.session_factory.begin() as session:
        facilitator = people.create_facilitator(session, stack.admin, {
            "name": "Fien", "email": "fien@example.org", "timezone": "Europe/Amsterdam", "language": "nl",
            "availability": EVENINGS, "capacity": {"max_sessions_per_day": 1, "max_sessions_per_week": None, "break_minutes": None},
        })
        group_ids = []
        for g in range(count):
            group = groups.create_group(session, stack.admin, {
                "name": f"Groep {g}", "theme": "gedrag", "facilitator_id": facilitator.id,
                "timezone": "Europe/Amsterdam", "language": "nl", "meeting_url": None, "session_minutes": 90,
                "guided_sessions": 3, "follow_up_sessions": 2, "starts_on": starts_on, "constraints": CONSTRAINTS,
            })
            for m in range(3):
                person = people.create_participant(session, stack.admin, {
                    "name": f"Lid {g}.{m}", "email": f"lid{g}.{m}@example.org", "timezone": "Europe/Amsterdam",
                    "language": "nl", "organization": f"School {g}.{m}", "role": "leerkracht", "themes": [],
                    "school_holiday_region": None, "external_ref": None, "availability": EVENINGS,
                })
                groups.add_member(session, stack.admin, group.id, person.id, datetime.now(UTC))
            group_ids.append(str(group.id))
    return str(facilitator.id), group_ids


def guided_sessions_of(stack: Stack, facilitator_id: str) -> list[tuple[datetime, datetime, uuid.UUID]]:
    with stack.session_factory() as session:
        return [
            (row.start, row.end, row.group_id)
            for row in session.scalars(
                select(GroupSession)
                .join(Group, Group.id == GroupSession.group_id)
                .where(Group.facilitator_id == uuid.UUID(facilitator_id), GroupSession.kind == "guided",
                       GroupSession.status == "scheduled")
                .order_by(GroupSession.start)
            )
        ]


def assert_never_twice_a_day(sessions) -> None:
    for (_, end, first), (start, _, second) in zip(sessions, sessions[1:]):
        assert start >= end, f"groups {first} and {second} overlap at {start}"
    days = Counter(start.astimezone(ZoneInfo("Europe/Amsterdam")).date() for start, _, _ in sessions)
    assert max(days.values()) == 1, days.most_common(3)


def test_ten_runs_of_one_facilitator_fired_at_once_book_her_once_per_evening(stack):
    facilitator_id, group_ids = seed_cohort(stack, 10)
    with workers(stack.env, stack.tmp_path, count=2):
        run_ids = [stack.post_run(group_id) for group_id in group_ids]
        wait_for(
            lambda: all(run_status(stack.session_factory, r) not in ("queued", "running") for r in run_ids),
            120, "all runs to finish",
        )
    assert [run_status(stack.session_factory, r) for r in run_ids] == ["succeeded"] * 10
    sessions = guided_sessions_of(stack, facilitator_id)
    assert len(sessions) == 30
    assert_never_twice_a_day(sessions)
    with stack.session_factory() as session:
        attempts = [session.get(SchedulingRun, uuid.UUID(r)).attempts for r in run_ids]
    assert attempts == [1] * 10  # a lost race is planned again in place, not retried or failed


def test_a_batch_of_ten_groups_is_planned_by_one_of_two_workers(stack):
    facilitator_id, group_ids = seed_cohort(stack, 10)
    client = stack.app.test_client()
    auth = {"Authorization": f"Bearer {stack.key}"}
    with workers(stack.env, stack.tmp_path, count=2):
        response = client.post("/v1/scheduling-batches", json={"group_ids": group_ids}, headers=auth)
        assert response.status_code == 202, response.json

        def finished():
            batch = client.get(response.headers["Location"], headers=auth).json
            return batch if batch["status"] == "finished" else None

        batch = wait_for(finished, 120, "the batch to finish")
    assert [run["status"] for run in batch["runs"]] == ["succeeded"] * 10
    sessions = guided_sessions_of(stack, facilitator_id)
    assert len(sessions) == 30
    assert_never_twice_a_day(sessions)
