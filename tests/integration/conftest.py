"""Fixtures of the integration tests: real servers and processes."""

from __future__ import annotations

import pytest

from shared.db.migrate import upgrade
from shared.db.session import make_engine, make_session_factory
from tests.databases import fresh_postgres_database


@pytest.fixture
def database():
    """A fresh, migrated PostgreSQL database: ``(url, session_factory)``."""
    with fresh_postgres_database() as url:
        upgrade(url)
        engine = make_engine(url)
        yield url, make_session_factory(engine)
        engine.dispose()
