"""scheduling batches, facilitator capacity

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scheduling_batches',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('group_ids', shared.db.types.JSONDocument, nullable=False),
    sa.Column('optimal', sa.Boolean(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('started_at', shared.db.types.UTCDateTime(), nullable=True),
    sa.Column('finished_at', shared.db.types.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_until', shared.db.types.UTCDateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduling_batches'))
    )
    with op.batch_alter_table('scheduling_batches', schema=None) as batch_op:
        batch_op.create_index('ix_scheduling_batches_status', ['status'], unique=False)

    with op.batch_alter_table('scheduling_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_scheduling_runs_batch_id'), ['batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_scheduling_runs_batch_id_scheduling_batches'), 'scheduling_batches', ['batch_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('group_proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_group_proposals_batch_id_scheduling_batches'), 'scheduling_batches', ['batch_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('facilitators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capacity', shared.db.types.JSONDocument, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('facilitators', schema=None) as batch_op:
        batch_op.drop_column('capacity')

    with op.batch_alter_table('group_proposals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_group_proposals_batch_id_scheduling_batches'), type_='foreignkey')
        batch_op.drop_column('batch_id')

    with op.batch_alter_table('scheduling_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_scheduling_runs_batch_id_scheduling_batches'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_scheduling_runs_batch_id'))
        batch_op.drop_column('batch_id')

    with op.batch_alter_table('scheduling_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduling_batches_status')

    op.drop_table('scheduling_batches')
