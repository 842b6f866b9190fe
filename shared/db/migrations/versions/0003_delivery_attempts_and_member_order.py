"""delivery attempts and member order

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 19:12:09.019879
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempted_at', shared.db.types.UTCDateTime(), nullable=True))

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=True))
    # Existing members keep the order in which they joined.
    op.execute(
        "UPDATE memberships SET position = (SELECT COUNT(*) FROM memberships AS earlier"
        " WHERE earlier.group_id = memberships.group_id AND (earlier.joined_at < memberships.joined_at"
        " OR (earlier.joined_at = memberships.joined_at AND earlier.participant_id <= memberships.participant_id)))"
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.alter_column('position', existing_type=sa.Integer(), nullable=False)




def downgrade() -> None:

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('position')

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('attempted_at')


