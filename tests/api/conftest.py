"""API tests through Flask's test client, once on SQLite and once on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from services.api.app import create_app
from services.api.context import EXTENSION
from services.scheduler.scheduler import Scheduler
from shared.config import Settings
from shared.db.session import make_session_factory
from shared.use_cases.api_keys import create_client
from tests.api import payloads
from tests.api.scenarios import TUESDAY_EVENING
from tests.databases import empty_all_tables, engine_for, migrated_database


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> Iterator[str]:
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url):
    engine = engine_for(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine):
    yield make_session_factory(engine)
    empty_all_tables(engine)


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(database_url=database_url, public_url="http://intervisie.test")


class Clock:
    """A clock the test moves by hand; the API and the worker both read it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))


@pytest.fixture
def scheduler(settings, session_factory, clock):
    """The embedded scheduler on Dramatiq's stub broker; its worker runs only in tests that ask."""
    scheduler = Scheduler(settings, session_factory, autostart=False, clock=clock, worker_timeout_ms=50)
    yield scheduler
    scheduler.stop()


@pytest.fixture
def worker(scheduler):
    """A stub-broker worker in this process; ``worker.drain()`` waits for queued messages."""
    scheduler.start_consuming()
    return scheduler


@pytest.fixture
def app(settings, session_factory, scheduler, clock):
    app = create_app(settings, session_factory=session_factory, scheduler=scheduler, clock=clock)
    app.testing = True
    return app


@dataclass
class Caller:
    """A test client that sends one API key."""

    client: FlaskClient
    key: str
    client_id: str

    def _headers(self, headers):
        return {"Authorization": f"Bearer {self.key}", **(headers or {})}

    def get(self, url, headers=None, **kwargs):
        return self.client.get(url, headers=self._headers(headers), **kwargs)

    def post(self, url, json=None, headers=None, **kwargs):
        return self.client.post(url, json=json, headers=self._headers(headers), **kwargs)

    def patch(self, url, json=None, headers=None, **kwargs):
        return self.client.patch(url, json=json, headers=self._headers(headers), **kwargs)

    def put(self, url, json=None, headers=None, **kwargs):
        return self.client.put(url, json=json, headers=self._headers(headers), **kwargs)

    def delete(self, url, headers=None, **kwargs):
        return self.client.delete(url, headers=self._headers(headers), **kwargs)


def _caller(app, session_factory, role: str, name: str) -> Caller:
    with session_factory.begin() as session:
        issued = create_client(session, role=role, name=name)
    return Caller(app.test_client(), issued.key, str(issued.client_id))


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def admin(app, session_factory) -> Caller:
    return _caller(app, session_factory, "admin", "Programme organiser")


@pytest.fixture
def platform(app, session_factory) -> Caller:
    return _caller(app, session_factory, "platform", "Schoolplatform A")


@pytest.fixture
def other_platform(app, session_factory) -> Caller:
    return _caller(app, session_factory, "platform", "Schoolplatform B")


@pytest.fixture
def person(platform):
    """One participant of the platform, in no group."""
    return platform.post("/v1/participants", json=payloads.participant(1)).json


PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture
def public_dns(monkeypatch):
    """Every host of a calendar address resolves to a public address where the API checks it (the
    calendar-sources resource and the availability page's form), unless a test says otherwise."""
    for where in ("calendar_sources", "availability_page"):
        monkeypatch.setattr(f"services.api.resources.{where}.resolve", lambda host, port: [PUBLIC_ADDRESS])


@pytest.fixture
def allow_private(app, scheduler):
    """INTERVISIE_CALENDAR_ALLOW_PRIVATE=1 for the API and the worker: feeds on 127.0.0.1."""
    allowed = replace(app.extensions[EXTENSION].settings, calendar_allow_private=True)
    app.extensions[EXTENSION].settings = allowed
    scheduler.runtime.settings = allowed
    return allowed


@pytest.fixture
def group(admin):
    """A facilitator and four members who can all meet on Tuesday evenings."""
    facilitator = admin.post("/v1/facilitators", json=payloads.facilitator(availability=TUESDAY_EVENING)).json
    group = admin.post("/v1/groups", json=payloads.group(facilitator_id=facilitator["id"])).json
    members = []
    for n in range(4):
        person = admin.post(
            "/v1/participants", json=payloads.participant(n, availability=TUESDAY_EVENING)
        ).json
        admin.put(f"/v1/groups/{group['id']}/members/{person['id']}")
        members.append(person)
    group["facilitator"] = facilitator
    group["member_list"] = members
    return group
