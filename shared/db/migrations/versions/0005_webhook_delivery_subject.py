"""webhook delivery subject

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 19:55:28.474318
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_subject_id'), ['subject_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_subject_id'))
        batch_op.drop_column('subject_id')


