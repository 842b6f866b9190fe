"""Fixtures of the integration tests: real servers and processes."""

from __future__ import annotations

import pytest

from shared.actor import Actor
from shared.db.migrate import upgrade
from shared.db.session import make_engine, make_session_factory
from shared.use_cases.api_keys import create_client
from tests.databases import fresh_postgres_database


@pytest.fixture
def database():
    """A fresh, migrated PostgreSQL database: ``(url, session_factory)``."""
    with fresh_postgres_database() as url:
        upgrade(url)
        engine = make_engine(url)
        yield url, make_session_factory(engine)
        engine.dispose()


@pytest.fixture
def sqlite(tmp_path):
    """A migrated SQLite file with an admin key: ``(url, session_factory, key, admin actor)``."""
    url = f"sqlite:///{tmp_path}/intervisie.db"
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        issued = create_client(session, role="admin", name="Organiser")
    yield url, factory, issued.key, Actor(issued.client_id, "admin", "Organiser")
    engine.dispose()
