"""calendar sources: people's published calendars and the busy intervals read from them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 09:00:00

``calendar_sources`` holds a person's published calendar addresses, sealed (never in the clear),
with how the last fetch went; ``busy_intervals`` the busy time read from each, start and end in
UTC only. Two new tables: nothing existing is rebuilt, so no trigger of 0013 is lost on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_sources',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_kind', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('url_sealed', sa.Text(), nullable=False),
    sa.Column('url_shown', sa.String(length=300), nullable=False),
    sa.Column('url_digest', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('last_fetched_at', shared.db.types.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('busy_count', sa.Integer(), nullable=False),
    sa.Column('feed_etag', sa.String(length=500), nullable=True),
    sa.Column('feed_last_modified', sa.String(length=500), nullable=True),
    sa.Column('next_fetch_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('fetch_requested_at', shared.db.types.UTCDateTime(), nullable=True),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_until', shared.db.types.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_sources')),
    sa.UniqueConstraint('owner_kind', 'owner_id', 'url_digest', name=op.f('uq_calendar_sources_owner_kind'))
    )
    with op.batch_alter_table('calendar_sources', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_sources_due', ['next_fetch_at'], unique=False)

    op.create_table('busy_intervals',
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('start', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('end', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('owner_kind', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['calendar_sources.id'], name=op.f('fk_busy_intervals_source_id_calendar_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('source_id', 'start', name=op.f('pk_busy_intervals'))
    )
    with op.batch_alter_table('busy_intervals', schema=None) as batch_op:
        batch_op.create_index('ix_busy_intervals_owner', ['owner_kind', 'owner_id', 'start'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('busy_intervals', schema=None) as batch_op:
        batch_op.drop_index('ix_busy_intervals_owner')
    op.drop_table('busy_intervals')
    with op.batch_alter_table('calendar_sources', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_sources_due')
    op.drop_table('calendar_sources')
