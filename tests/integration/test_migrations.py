"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.db.models import Base
from tests.databases import engine_for, migrated_database


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_match_the_models(backend, tmp_path):
    with migrated_database(backend, tmp_path) as url:
        engine = engine_for(url)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_existing_members_keep_their_joining_order_when_positions_arrive(backend, tmp_path):
    import uuid
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from shared.db.migrate import upgrade
    from tests.databases import fresh_postgres_database

    def migrate_with_members(url):
        upgrade(url, "0002")
        engine = engine_for(url)
        group, joined = uuid.uuid4(), datetime(2027, 1, 1, tzinfo=UTC)
        people = [uuid.uuid4() for _ in range(3)]
        tables = Base.metadata.tables
        with engine.begin() as conn:
            conn.execute(tables["api_clients"].insert().values(id=people[0], name="a", role="admin", created_at=joined))
            conn.execute(tables["groups"].insert().values(
                id=group, name="g", timezone="Europe/Amsterdam", language="nl", session_minutes=90,
                guided_sessions=3, follow_up_sessions=6, starts_on=joined.date(), constraints={},
                version=1, created_at=joined, updated_at=joined))
            for n, person in enumerate(people):
                conn.execute(tables["participants"].insert().values(
                    id=person, client_id=people[0], name="p", email="p@example.org", timezone="Europe/Amsterdam",
                    language="nl", organization="o", role="r", availability={}, version=1,
                    created_at=joined, updated_at=joined))
                # joined in reverse order of creation
                conn.execute(tables["memberships"].insert().values(
                    group_id=group, participant_id=person, joined_at=joined - timedelta(days=n)))
        upgrade(url)
        with engine.connect() as conn:
            table = tables["memberships"]
            rows = conn.execute(select(table.c.participant_id, table.c.position).order_by(table.c.position)).all()
        engine.dispose()
        return [r[0] for r in rows], [r[1] for r in rows], people

    if backend == "sqlite":
        order, positions, people = migrate_with_members(f"sqlite:///{tmp_path}/m.db")
    else:
        with fresh_postgres_database() as url:
            order, positions, people = migrate_with_members(url)
    assert positions == [1, 2, 3]
    assert order == list(reversed(people))
