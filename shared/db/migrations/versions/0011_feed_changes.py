"""feed changes: one counter that every write to what a calendar feed shows bumps

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 18:00:00

The counter lets a feed's 304 read one short row instead of aggregating every session it
shows. Triggers, not application code, bump it, so that no write can forget to: ORM flushes,
bulk ``update()``/``delete()`` statements and the database's own cascades alike.

On PostgreSQL the triggers are deferred constraint triggers: they run at commit, once per
transaction (a transaction-local setting marks the first), so the counter row is the last lock a
writer takes and two writers cannot deadlock over it; it serialises only their commits. SQLite
has one writer at a time anyway and runs its row triggers at once. (SQLite drops a table's
triggers with the table: a later batch migration that rebuilds one of these tables on SQLite
must create its triggers again; tests/api/test_calendar.py notices if it does not.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# table -> the events that change what some feed shows
WATCHED = {
    "sessions": ("INSERT", "UPDATE", "DELETE"),
    "groups": ("INSERT", "UPDATE", "DELETE"),
    "memberships": ("INSERT", "UPDATE", "DELETE"),
    "facilitators": ("UPDATE OF name, email", "DELETE"),  # organiser of guided sessions
    "participants": ("UPDATE OF name", "DELETE"),  # a chair's name
}

BUMP = "INSERT INTO feed_changes (id, counter) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET counter = feed_changes.counter + 1"

POSTGRES_FUNCTION = f"""
CREATE FUNCTION feed_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('intervisie.feed_changed_in', true) IS DISTINCT FROM txid_current()::text THEN
        {BUMP};
        PERFORM set_config('intervisie.feed_changed_in', txid_current()::text, true);
    END IF;
    RETURN NULL;
END
$$
"""


def _trigger_name(table: str, event: str) -> str:
    return f"{table}_feed_changed_{event.split()[0].lower()}"


def upgrade() -> None:
    op.create_table('feed_changes',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('counter', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_changes'))
    )
    op.execute("INSERT INTO feed_changes (id, counter) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for table, events in WATCHED.items():
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_feed_changed AFTER {' OR '.join(events)} ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION feed_changed()"
            )
        return
    for table, events in WATCHED.items():
        for event in events:
            op.execute(f"CREATE TRIGGER {_trigger_name(table, event)} AFTER {event} ON {table} BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER {table}_feed_changed ON {table}")
        op.execute("DROP FUNCTION feed_changed()")
    else:
        for table, events in WATCHED.items():
            for event in events:
                op.execute(f"DROP TRIGGER {_trigger_name(table, event)}")
    op.drop_table('feed_changes')
