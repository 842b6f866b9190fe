"""scheduling batches: progress while running, and planned and upper_bound when finished

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 08:20:00

``scheduling_batches`` gains ``progress_planned`` and ``progress_total`` (the worker writes them
while it plans), and ``planned`` and ``upper_bound`` (written with the outcome: the groups
planned, and a proven bound on the groups any choice of series could plan). Columns added:
nothing is rebuilt on SQLite; a batch finished before this revision has them null.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_COLUMNS = ('progress_planned', 'progress_total', 'planned', 'upper_bound')


def upgrade() -> None:
    for name in _COLUMNS:
        op.add_column('scheduling_batches', sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scheduling_batches', schema=None) as batch_op:
        for name in reversed(_COLUMNS):
            batch_op.drop_column(name)
