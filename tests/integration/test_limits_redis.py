"""With Redis configured, rate-limit counts live in Redis: every API process shares them."""

from __future__ import annotations

import pytest

from services.api.app import create_app
from services.scheduler.scheduler import Scheduler
from shared.config import Settings
from tests.integration.workers import REDIS_URL, redis_namespace

pytestmark = pytest.mark.integration


def test_two_api_processes_share_one_count_in_redis(database):
    url, session_factory = database
    from shared.use_cases.api_keys import create_client

    with session_factory.begin() as session:
        key = create_client(session, role="platform", name="P").key
    with redis_namespace() as namespace:
        settings = Settings(database_url=url, broker_url=REDIS_URL, broker_namespace=namespace, rate_limit="5 per minute")
        assert settings.rate_limit_storage == REDIS_URL
        apps = [
            create_app(settings, session_factory=session_factory, scheduler=Scheduler(settings, session_factory, autostart=False))
            for _ in range(2)
        ]
        auth = {"Authorization": f"Bearer {key}"}
        paths = ["/v1/participants", "/v1/groups"]  # one count per key, whatever the operation
        statuses = [apps[n % 2].test_client().get(paths[n % 2], headers=auth).status_code for n in range(6)]
        import redis

        stored = list(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{namespace}:ratelimit*"))
    assert statuses == [200] * 5 + [429]
    assert stored, "the counts are kept in Redis under the deployment's namespace"


def test_without_redis_counts_are_kept_in_memory():
    assert Settings().rate_limit_storage == "memory://"
    assert Settings(broker_url="amqp://guest:guest@localhost/").rate_limit_storage == "memory://"
    assert Settings(rate_limit_storage_url="redis://cache:6379/2").rate_limit_storage == "redis://cache:6379/2"


def test_a_redis_outage_leaves_every_request_answered_and_readyz_degraded(database):
    """Redis (broker and rate-limit store) unreachable: reads answer, limits are counted in
    memory, a run is recorded (202) for the sweep to send later, /readyz says "degraded"."""
    url, session_factory = database
    from shared.use_cases.api_keys import create_client

    with session_factory.begin() as session:
        key = create_client(session, role="admin", name="A").key
    down = "redis://127.0.0.1:1/0"  # nothing listens there
    settings = Settings(database_url=url, broker_url=down, broker_namespace="outage", rate_limit="9 per minute", secret_key="k")
    assert settings.rate_limit_storage == down
    app = create_app(settings, session_factory=session_factory, scheduler=Scheduler(settings, session_factory, autostart=False))
    client, auth = app.test_client(), {"Authorization": f"Bearer {key}"}
    facilitator = client.post("/v1/facilitators", json={"name": "Fien", "email": "fien@example.org"}, headers=auth)
    assert facilitator.status_code == 201, facilitator.get_data(as_text=True)
    group = client.post("/v1/groups", json={"name": "G", "starts_on": "2027-01-11", "facilitator_id": facilitator.json["id"]}, headers=auth).json
    for n in range(3):
        person = client.post("/v1/participants", json={"name": f"P{n}", "email": f"p{n}@example.org", "organization": f"S{n}", "role": "leerkracht"}, headers=auth).json
        assert client.put(f"/v1/groups/{group['id']}/members/{person['id']}", headers=auth).status_code == 200
    run = client.post(f"/v1/groups/{group['id']}/scheduling-runs", headers=auth)
    assert run.status_code == 202 and run.json["status"] == "queued"  # recorded; the sweep sends it when Redis is back
    # Nine requests so far, counted in memory: the limit still holds.
    assert client.get("/v1/participants", headers=auth).status_code == 429
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "degraded"
    assert ready.json["checks"]["database"] == "ok"
    assert ready.json["checks"]["broker"].startswith("failing")
    assert ready.json["checks"]["rate_limits"].startswith("degraded")
