"""reply order and alarms: each answer keeps the SEQUENCE and DTSTAMP it was given with, and a
session remembers when it last raised its at-risk alarm

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 04:00:00

``attendance.sequence`` and ``attendance.dtstamp`` are those of the calendar REPLY that gave
the answer (empty for answers by link or API), so that an older REPLY arriving after a newer
one changes nothing. ``session_alarms`` holds one row per session that raised an alarm, so that
a session raises at most one a day however often its answers flap. Plain ADD COLUMNs and a new
table: no table is rebuilt on SQLite, so no trigger of 0013 is lost.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('attendance', sa.Column('sequence', sa.Integer(), nullable=True))
    op.add_column('attendance', sa.Column('dtstamp', shared.db.types.UTCDateTime(), nullable=True))
    op.create_table('session_alarms',
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('alarmed_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_session_alarms_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_session_alarms'))
    )


def downgrade() -> None:
    op.drop_table('session_alarms')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_column('dtstamp')
        batch_op.drop_column('sequence')
