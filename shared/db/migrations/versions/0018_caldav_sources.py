"""calendar sources: CalDAV collections beside published ICS addresses

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 10:40:00

``calendar_sources.kind`` says how a source is read: ``ics`` (a published address, every source
before this revision) or ``caldav`` (a collection asked for its free and busy time).
``credentials_sealed`` holds a CalDAV source's user name and app password, sealed like the address
and bound to the source's id; null for an ICS source. Columns added: nothing is rebuilt on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('calendar_sources', sa.Column('kind', sa.String(length=10), nullable=False, server_default='ics'))
    op.add_column('calendar_sources', sa.Column('credentials_sealed', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('calendar_sources', schema=None) as batch_op:
        batch_op.drop_column('credentials_sealed')
        batch_op.drop_column('kind')
