"""Published calendars end to end: the API, the real PostgreSQL and Redis, real ``intervisie
worker`` processes, and a real HTTP server publishing the feeds on loopback
(INTERVISIE_CALENDAR_ALLOW_PRIVATE=1)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from shared.config import Settings
from shared.db.models import BusyInterval, CalendarSource
from tests.api import payloads
from tests.calendar_server import Feed, calendar_server, ics
from tests.integration.workers import REDIS_URL, Stack, redis_namespace, wait_for, workers

pytestmark = pytest.mark.integration

SECRET_KEY = "calendar-workers-test-secret"


@pytest.fixture
def stack(database, tmp_path):
    url, session_factory = database
    with redis_namespace() as namespace:
        settings = Settings(
            database_url=url, broker_url=REDIS_URL, broker_namespace=namespace, sweep_seconds=2,
            calendar_allow_private=True, secret_key=SECRET_KEY,
        )
        env = {
            "INTERVISIE_DATABASE_URL": url,
            "INTERVISIE_BROKER_URL": REDIS_URL,
            "INTERVISIE_BROKER_NAMESPACE": namespace,
            "INTERVISIE_SWEEP_SECONDS": "2",
            "INTERVISIE_CALENDAR_ALLOW_PRIVATE": "1",
            "INTERVISIE_SECRET_KEY": SECRET_KEY,
        }
        yield Stack(settings, env, session_factory, tmp_path)


def lessons(days: int = 3) -> list[tuple[datetime, datetime]]:
    """Lessons of an hour on the next days (the worker's clock is the real one)."""
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    return [(start + timedelta(days=d), start + timedelta(days=d, hours=1)) for d in range(days)]


class Api:
    def __init__(self, stack: Stack) -> None:
        self.client = stack.app.test_client()
        self.auth = {"Authorization": f"Bearer {stack.key}"}

    def post(self, path, body=None):
        return self.client.post(path, json=body, headers=self.auth)

    def get(self, path):
        return self.client.get(path, headers=self.auth).json


def add_source(api: Api, url: str) -> str:
    person = api.post("/v1/participants", payloads.participant(1)).json
    created = api.post(f"/v1/participants/{person['id']}/calendar-sources", {"url": url})
    assert created.status_code == 201, created.json
    return created.headers["Location"]


def intervals(stack: Stack, source_id: str) -> list[tuple[datetime, datetime]]:
    with stack.session_factory() as session:
        rows = session.scalars(select(BusyInterval).where(BusyInterval.source_id == uuid.UUID(source_id)).order_by(BusyInterval.start))
        return [(row.start, row.end) for row in rows]


def fetched_after(api: Api, location: str, moment: str | None, status: str = "ok"):
    def check():
        source = api.get(location)
        if source["status"] == status and source["last_fetched_at"] != moment:
            return source
        return None
    return check


def test_an_added_calendar_is_fetched_by_a_worker_and_refreshed_with_a_conditional_get(stack):
    api, busy = Api(stack), lessons()
    with calendar_server() as server, workers(stack.env, stack.tmp_path):
        url = server.publish("/rooster.ics?token=abc", Feed(ics(*busy), etag='"r1"'))
        location = add_source(api, url)
        source = wait_for(fetched_after(api, location, None), 60, "the first fetch")
        assert source["busy_count"] == 3 and intervals(stack, source["id"]) == busy

        refreshed = api.post(location + "/refresh")
        assert refreshed.status_code == 202
        again = wait_for(fetched_after(api, location, source["last_fetched_at"]), 60, "the refresh")
        asked = server.asked("/rooster.ics?token=abc")
        assert len(asked) == 2 and asked[1].headers["if-none-match"] == '"r1"'  # answered 304
        assert again["status"] == "ok" and again["busy_count"] == 3 and intervals(stack, source["id"]) == busy


def test_the_sweep_refreshes_a_calendar_once_its_interval_has_passed(stack):
    api, busy = Api(stack), lessons()
    env = {**stack.env, "INTERVISIE_CALENDAR_REFRESH_MINUTES": "1"}
    with calendar_server() as server, workers(env, stack.tmp_path):
        url = server.publish("/rooster.ics", Feed(ics(*busy), last_modified="Mon, 07 Dec 2026 10:00:00 GMT"))
        location = add_source(api, url)
        first = wait_for(fetched_after(api, location, None), 60, "the first fetch")
        server.feeds["/rooster.ics"] = Feed(ics(*busy[:2]), last_modified="Mon, 07 Dec 2026 11:00:00 GMT")
        again = wait_for(fetched_after(api, location, first["last_fetched_at"]), 100, "the sweep's refresh", interval=1)
    elapsed = datetime.fromisoformat(again["last_fetched_at"]) - datetime.fromisoformat(first["last_fetched_at"])
    assert timedelta(minutes=1) <= elapsed < timedelta(minutes=1, seconds=30)
    assert server.asked("/rooster.ics")[1].headers["if-modified-since"] == "Mon, 07 Dec 2026 10:00:00 GMT"
    assert again["busy_count"] == 2 and intervals(stack, again["id"]) == busy[:2]


def test_an_oversized_feed_fails_with_its_reason_and_keeps_the_last_good_busy_times(stack):
    api, busy = Api(stack), lessons()
    with calendar_server() as server, workers(stack.env, stack.tmp_path):
        url = server.publish("/rooster.ics", Feed(ics(*busy)))
        location = add_source(api, url)
        source = wait_for(fetched_after(api, location, None), 60, "the first fetch")
        server.feeds["/rooster.ics"] = Feed(endless=True)
        api.post(location + "/refresh")
        failed = wait_for(lambda: (s := api.get(location))["status"] == "failed" and s, 60, "the failed fetch")
    assert failed["last_error"] == "the calendar is larger than 10 MiB"
    assert failed["last_fetched_at"] == source["last_fetched_at"]
    assert failed["busy_count"] == 3 and intervals(stack, source["id"]) == busy


def test_two_workers_fetch_each_due_calendar_once(stack):
    api, busy = Api(stack), lessons(1)
    with calendar_server() as server, workers(stack.env, stack.tmp_path, count=2):
        paths = [f"/{n}.ics" for n in range(12)]
        locations = [add_source(api, server.publish(path, Feed(ics(*busy)))) for path in paths]
        firsts = [wait_for(fetched_after(api, location, None), 60, "the first fetches") for location in locations]
        assert all(len(server.asked(path)) == 1 for path in paths)
        with stack.session_factory.begin() as session:  # the refresh interval has passed for all of them
            session.execute(update(CalendarSource).values(next_fetch_at=datetime.now(UTC) - timedelta(seconds=1)))
        for location, first in zip(locations, firsts, strict=True):
            wait_for(fetched_after(api, location, first["last_fetched_at"]), 60, "the sweep's refreshes")
        time.sleep(5)  # both workers sweep twice more: nothing is fetched again
    assert [len(server.asked(path)) for path in paths] == [2] * len(paths)
