"""Real databases for tests: a SQLite file, and a fresh PostgreSQL database per test run.

PostgreSQL is the server of this machine (``INTERVISIE_TEST_POSTGRES_URL``, default
``postgresql://postgres@127.0.0.1:5432/postgres``). When it is down, the fixtures that need it
fail with the connection error: nothing skips.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from shared.db.migrate import upgrade
from shared.db.models import Base
from shared.db.session import make_engine

POSTGRES_ADMIN_URL = os.environ.get(
    "INTERVISIE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def fresh_postgres_database(prefix: str = "intervisie_test") -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_url(POSTGRES_ADMIN_URL)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def migrated_database(backend: str, tmp_dir) -> Iterator[str]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_dir}/intervisie-{uuid.uuid4().hex[:8]}.db"
        upgrade(url)
        yield url
        return
    with fresh_postgres_database() as url:
        upgrade(url)
        yield url


def empty_all_tables(engine: Engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


def engine_for(url: str) -> Engine:
    return make_engine(url)
