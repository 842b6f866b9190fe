"""request ids: the API request behind a job or an outbox message, for the sweep's re-sends

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 20:30:00

Plain ADD COLUMNs (no table is rebuilt on SQLite, so no trigger of 0011 is lost).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

TABLES = ("scheduling_runs", "scheduling_batches", "group_proposals", "outbox")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column('request_id', sa.String(length=128), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('request_id')
