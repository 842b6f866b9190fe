"""rendered events

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 21:40:30.733142
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('rendered_events',
    sa.Column('uid', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['uid'], ['sessions.uid'], name=op.f('fk_rendered_events_uid_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('uid', 'language', name=op.f('pk_rendered_events'))
    )



def downgrade() -> None:

    op.drop_table('rendered_events')

