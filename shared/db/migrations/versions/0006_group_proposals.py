"""group proposals

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 20:10:27.364636
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('group_proposals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('parameters', shared.db.types.JSONDocument, nullable=False),
    sa.Column('created_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('started_at', shared.db.types.UTCDateTime(), nullable=True),
    sa.Column('finished_at', shared.db.types.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_until', shared.db.types.UTCDateTime(), nullable=True),
    sa.Column('result', shared.db.types.JSONDocument, nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('accepted_at', shared.db.types.UTCDateTime(), nullable=True),
    sa.Column('accepted_group_ids', shared.db.types.JSONDocument, nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_group_proposals_client_id_api_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_proposals'))
    )
    with op.batch_alter_table('group_proposals', schema=None) as batch_op:
        batch_op.create_index('ix_group_proposals_status', ['status'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('group_proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_group_proposals_status')

    op.drop_table('group_proposals')

