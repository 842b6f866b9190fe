"""group feed changes: a change count per group instead of one for every feed

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 20:40:00

0011 kept one counter that every change to what any feed shows bumped, so the first request to
each feed after any change anywhere computed its fingerprint again. Now each group has its own
count, and a feed's remembered fingerprint is keyed by the counts of its own groups: a change
in one group leaves the feeds of the others alone.

What a row's change reaches: a session's, membership's or group's own group (old and new); a
facilitator's groups when her name or address changes; a participant's groups (as a member,
and those whose sessions she chairs) when her name changes. Removals reach the same groups
through the cascades (memberships deleted, chairs set to null), which fire these triggers too.

On PostgreSQL the triggers are deferred constraint triggers, run at commit: the first takes a
transaction-level advisory lock, so commits that change feeds are serialised as 0011's single
row serialised them and no two can deadlock over the counts; a transaction-local setting lists
the groups bumped already, so each is bumped once per transaction. SQLite (one writer at a time)
runs row triggers at once; a removal of a participant or facilitator is counted BEFORE DELETE,
while her memberships and chaired sessions are still there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

OLD_WATCHED = {
    "sessions": ("INSERT", "UPDATE", "DELETE"),
    "groups": ("INSERT", "UPDATE", "DELETE"),
    "memberships": ("INSERT", "UPDATE", "DELETE"),
    "facilitators": ("UPDATE OF name, email", "DELETE"),
    "participants": ("UPDATE OF name", "DELETE"),
}
OLD_BUMP = "INSERT INTO feed_changes (id, counter) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET counter = feed_changes.counter + 1"
OLD_POSTGRES_FUNCTION = f"""
CREATE FUNCTION feed_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('intervisie.feed_changed_in', true) IS DISTINCT FROM txid_current()::text THEN
        {OLD_BUMP};
        PERFORM set_config('intervisie.feed_changed_in', txid_current()::text, true);
    END IF;
    RETURN NULL;
END
$$
"""

FEED_LOCK = 72154080  # pg_advisory_xact_lock key: commits that change feeds, one at a time
UPSERT = "ON CONFLICT (group_id) DO UPDATE SET counter = group_feed_changes.counter + 1"

POSTGRES_BUMP = f"""
CREATE FUNCTION bump_group_feed(gid uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF gid IS NULL THEN
        RETURN;
    END IF;
    IF current_setting('intervisie.feed_changed_in', true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM pg_advisory_xact_lock({FEED_LOCK});
        PERFORM set_config('intervisie.feed_changed_in', txid_current()::text, true);
        PERFORM set_config('intervisie.feed_groups', ',', true);
    END IF;
    IF strpos(current_setting('intervisie.feed_groups'), ',' || gid::text || ',') = 0 THEN
        INSERT INTO group_feed_changes (group_id, counter) VALUES (gid, 1) {UPSERT};
        PERFORM set_config('intervisie.feed_groups', current_setting('intervisie.feed_groups') || gid::text || ',', true);
    END IF;
END
$$
"""
POSTGRES_TRIGGER = """
CREATE FUNCTION group_feed_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gid uuid;
BEGIN
    IF TG_TABLE_NAME IN ('sessions', 'memberships') THEN
        IF TG_OP <> 'INSERT' THEN PERFORM bump_group_feed(OLD.group_id); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM bump_group_feed(NEW.group_id); END IF;
    ELSIF TG_TABLE_NAME = 'groups' THEN
        IF TG_OP <> 'INSERT' THEN PERFORM bump_group_feed(OLD.id); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM bump_group_feed(NEW.id); END IF;
    ELSIF TG_TABLE_NAME = 'facilitators' THEN
        FOR gid IN SELECT id FROM groups WHERE facilitator_id = NEW.id ORDER BY id LOOP
            PERFORM bump_group_feed(gid);
        END LOOP;
    ELSIF TG_TABLE_NAME = 'participants' THEN
        FOR gid IN
            SELECT group_id FROM memberships WHERE participant_id = NEW.id
            UNION SELECT group_id FROM sessions WHERE chair_id = NEW.id
            ORDER BY 1
        LOOP
            PERFORM bump_group_feed(gid);
        END LOOP;
    END IF;
    RETURN NULL;
END
$$
"""
# Removals of facilitators and participants reach their groups through the cascades on
# PostgreSQL (a facilitator with groups cannot be removed at all).
POSTGRES_WATCHED = {
    "sessions": ("INSERT", "UPDATE", "DELETE"),
    "groups": ("INSERT", "UPDATE", "DELETE"),
    "memberships": ("INSERT", "UPDATE", "DELETE"),
    "facilitators": ("UPDATE OF name, email",),
    "participants": ("UPDATE OF name",),
}


def _sqlite_triggers() -> dict[str, str]:
    """name -> CREATE TRIGGER statement."""
    own = {"sessions": "group_id", "memberships": "group_id", "groups": "id"}
    triggers = {}
    for table, column in own.items():
        for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
            bumps = " ".join(
                f"INSERT INTO group_feed_changes (group_id, counter) VALUES ({row}.{column}, 1) {UPSERT};" for row in rows
            )
            triggers[f"{table}_feed_changed_{event.lower()}"] = f"AFTER {event} ON {table} BEGIN {bumps} END"
    facilitator_groups = "SELECT id, 1 FROM groups WHERE facilitator_id = {row}.id"
    participant_groups = (
        "SELECT g, 1 FROM (SELECT group_id AS g FROM memberships WHERE participant_id = {row}.id "
        "UNION SELECT group_id FROM sessions WHERE chair_id = {row}.id) WHERE g IS NOT NULL"
    )
    for table, event, timing, row, groups in (
        ("facilitators", "UPDATE OF name, email", "AFTER", "NEW", facilitator_groups),
        ("facilitators", "DELETE", "BEFORE", "OLD", facilitator_groups),
        ("participants", "UPDATE OF name", "AFTER", "NEW", participant_groups),
        ("participants", "DELETE", "BEFORE", "OLD", participant_groups),
    ):
        insert = f"INSERT INTO group_feed_changes (group_id, counter) {groups.format(row=row)} {UPSERT};"
        triggers[f"{table}_feed_changed_{event.split()[0].lower()}"] = f"{timing} {event} ON {table} BEGIN {insert} END"
    return triggers


def _old_trigger_name(table: str, event: str) -> str:
    return f"{table}_feed_changed_{event.split()[0].lower()}"


def upgrade() -> None:
    op.create_table('group_feed_changes',
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.Column('counter', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('group_id', name=op.f('pk_group_feed_changes'))
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in OLD_WATCHED:
            op.execute(f"DROP TRIGGER {table}_feed_changed ON {table}")
        op.execute("DROP FUNCTION feed_changed()")
        op.execute(POSTGRES_BUMP)
        op.execute(POSTGRES_TRIGGER)
        for table, events in POSTGRES_WATCHED.items():
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_group_feed_changed AFTER {' OR '.join(events)} ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION group_feed_changed()"
            )
    else:
        for table, events in OLD_WATCHED.items():
            for event in events:
                op.execute(f"DROP TRIGGER {_old_trigger_name(table, event)}")
        for name, body in _sqlite_triggers().items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    op.drop_table('feed_changes')


def downgrade() -> None:
    op.create_table('feed_changes',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('counter', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_changes'))
    )
    op.execute("INSERT INTO feed_changes (id, counter) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        for table in POSTGRES_WATCHED:
            op.execute(f"DROP TRIGGER {table}_group_feed_changed ON {table}")
        op.execute("DROP FUNCTION group_feed_changed()")
        op.execute("DROP FUNCTION bump_group_feed(uuid)")
        op.execute(OLD_POSTGRES_FUNCTION)
        for table, events in OLD_WATCHED.items():
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_feed_changed AFTER {' OR '.join(events)} ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION feed_changed()"
            )
    else:
        for name in _sqlite_triggers():
            op.execute(f"DROP TRIGGER {name}")
        for table, events in OLD_WATCHED.items():
            for event in events:
                op.execute(f"CREATE TRIGGER {_old_trigger_name(table, event)} AFTER {event} ON {table} BEGIN {OLD_BUMP}; END")
    op.drop_table('group_feed_changes')
