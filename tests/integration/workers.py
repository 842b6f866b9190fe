"""Worker subprocesses, brokers with a private namespace, and seeded groups for worker tests."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pika
import redis
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.api.app import create_app
from services.scheduler.scheduler import Scheduler
from shared.actor import Actor
from shared.db.models import SchedulingRun
from shared.db.models import Session as GroupSession
from shared.use_cases import groups, people
from shared.use_cases.api_keys import create_client
from tests.integration.servers import INTERVISIE

REDIS_URL = os.environ.get("INTERVISIE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RABBITMQ_URL = os.environ.get("INTERVISIE_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")

TUESDAY_EVENING = {"weekly": [{"day": "tue", "start": "19:00", "end": "21:30"}], "unavailable": []}


def unique_namespace() -> str:
    return f"intervisie-test-{uuid.uuid4().hex[:10]}"


@contextmanager
def redis_namespace() -> Iterator[str]:
    """A key prefix of our own on the machine's Redis; its keys are deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    client.ping()
    namespace = unique_namespace()
    try:
        yield namespace
    finally:
        keys = list(client.scan_iter(f"*{namespace}*"))
        if keys:
            client.delete(*keys)
        client.close()


@contextmanager
def rabbitmq_namespace() -> Iterator[str]:
    """Queue names of our own on the machine's RabbitMQ; the queues are deleted afterwards."""
    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    namespace = unique_namespace()
    try:
        yield namespace
    finally:
        channel = connection.channel()
        for suffix in ("", ".DQ", ".XQ"):
            channel.queue_delete(f"{namespace}.scheduling{suffix}")
        connection.close()


class WorkerProcess:
    """``intervisie worker`` as a subprocess."""

    def __init__(self, env: dict[str, str], log_path) -> None:
        self.log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(INTERVISIE), "worker"], env={**os.environ, **env},
            stdout=self.log, stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@contextmanager
def workers(env: dict[str, str], tmp_path, count: int = 1) -> Iterator[list[WorkerProcess]]:
    started = [WorkerProcess(env, tmp_path / f"worker-{n}.log") for n in range(count)]
    try:
        yield started
    finally:
        for worker in started:
            worker.stop()


def first_of_month_after_next(today: date | None = None) -> date:
    """A start date that stays ahead of the real clock these tests run with."""
    today = today or date.today()
    month = today.month + 2
    return date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def seed_group(
    session_factory: sessionmaker[Session], admin: Actor, *, members: int = 4, starts_on: date | None = None
) -> str:
    """A facilitator and members who all meet on Tuesday evenings; returns the group id."""
    with session_factory.begin() as session:
        facilitator = people.create_facilitator(
            session, admin,
            {"name": "Fien", "email": "fien@example.org", "timezone": "Europe/Amsterdam", "language": "nl", "availability": TUESDAY_EVENING},
        )
        group = groups.create_group(
            session, admin,
            {
                "name": "Groep", "theme": "ouderbetrokkenheid", "facilitator_id": facilitator.id,
                "timezone": "Europe/Amsterdam", "language": "nl", "meeting_url": None,
                "session_minutes": 90, "guided_sessions": 3, "follow_up_sessions": 6,
                "starts_on": starts_on or first_of_month_after_next(),
                "constraints": {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "earliest": "08:00", "latest": "22:00", "skip_public_holidays": True, "school_holiday_region": None, "self_directed_quorum": None},
            },
        )
        for n in range(members):
            person = people.create_participant(
                session, admin,
                {"name": f"Lid {n}", "email": f"lid{n}@example.org", "timezone": "Europe/Amsterdam", "language": "nl", "organization": f"School {n}", "role": "leerkracht", "themes": [], "school_holiday_region": None, "external_ref": None, "availability": TUESDAY_EVENING},
            )
            groups.add_member(session, admin, group.id, person.id, datetime.now(UTC))
        return str(group.id)


def wait_for(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"waited {timeout} s for {what}")


def plan_over_http(base: str, key: str, group_id: str, timeout: float = 60) -> dict:
    """Ask a served API for a plan and poll the run until it is finished; return the run."""
    auth = {"Authorization": f"Bearer {key}"}
    response = requests.post(f"{base}/v1/groups/{group_id}/scheduling-runs", headers=auth, timeout=10)
    assert response.status_code == 202, response.text
    location = base + response.headers["Location"]

    def finished():
        run = requests.get(location, headers=auth, timeout=10).json()
        return run if run["status"] not in ("queued", "running") else None

    return wait_for(finished, timeout, "the worker to finish the run")


def weekly(windows) -> dict:
    """An availability of weekly windows: ``[("tue", "19:00", "21:30"), …]``."""
    return {"weekly": [{"day": d, "start": s, "end": e} for d, s, e in windows]}


def planned_group_over_http(base: str, key: str, evenings: dict, facilitator: dict) -> tuple[dict, list[dict], dict, dict]:
    """Through a served API: ``facilitator`` (a facilitator's body), the group "IB-groep
    Utrecht" she guides, its members ``evenings`` (name: weekly windows), and a plan; returns
    ``(group, members, facilitator, run)``."""
    auth = {"Authorization": f"Bearer {key}"}

    def post(path, body):
        response = requests.post(base + path, json=body, headers=auth, timeout=10)
        assert response.status_code in (201, 202), response.text
        return response.json()

    facilitator = post("/v1/facilitators", facilitator)
    group = post("/v1/groups", {
        "name": "IB-groep Utrecht", "theme": "passend_onderwijs", "facilitator_id": facilitator["id"],
        "starts_on": first_of_month_after_next().isoformat(), "meeting_url": "https://meet.example.org/ib-utrecht",
    })
    members = []
    for n, (name, windows) in enumerate(evenings.items()):
        member = post("/v1/participants", {
            "name": name, "email": f"lid{n}@example.org", "organization": f"School {n}", "role": "intern_begeleider",
            "availability": weekly(windows),
        })
        assert requests.put(f"{base}/v1/groups/{group['id']}/members/{member['id']}", headers=auth, timeout=10).ok
        members.append(member)
    run = plan_over_http(base, key, group["id"])
    assert run["status"] == "succeeded", run
    return group, members, facilitator, run


def run_status(session_factory, run_id) -> str:
    with session_factory() as session:
        return session.get(SchedulingRun, uuid.UUID(str(run_id))).status


class Stack:
    def __init__(self, settings, env, session_factory, tmp_path):
        self.settings, self.env, self.session_factory, self.tmp_path = settings, env, session_factory, tmp_path
        # Only sends: the workers under test are separate processes (or the test itself).
        self.app = create_app(settings, session_factory=session_factory, scheduler=Scheduler(settings, session_factory, autostart=False))
        with session_factory.begin() as session:
            issued = create_client(session, role="admin", name="Organiser")
        self.key = issued.key
        self.admin = Actor(issued.client_id, "admin", "Organiser")

    def post_run(self, group_id: str) -> str:
        client = self.app.test_client()
        response = client.post(
            f"/v1/groups/{group_id}/scheduling-runs", headers={"Authorization": f"Bearer {self.key}"}
        )
        assert response.status_code == 202, response.json
        return response.json["id"]

    def sessions_of(self, group_id: str) -> int:
        with self.session_factory() as session:
            return session.scalar(select(func.count()).where(GroupSession.group_id == uuid.UUID(group_id)))
