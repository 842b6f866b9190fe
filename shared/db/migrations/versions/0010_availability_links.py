"""availability links: a participant's own link to fill in their week

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('availability_links',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('participant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_availability_links_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_availability_links'))
    )
    with op.batch_alter_table('availability_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_availability_links_participant_id'), ['participant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('availability_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_availability_links_participant_id'))
    op.drop_table('availability_links')
