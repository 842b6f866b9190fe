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
