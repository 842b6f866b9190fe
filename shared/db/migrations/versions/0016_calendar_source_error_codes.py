"""calendar sources: a stable code for why the last fetch failed

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-09 09:00:00

``calendar_sources.last_error_code`` sits beside ``last_error`` (the reason in English words,
kept as it is for the API's users): one of shared.domain.calendar_sources.FAILURE_CODES, which
the availability page words in the person's language. A source that failed before this revision
gets the code its stored words were written for. A column added: nothing is rebuilt on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# The first words of each reason as 0015's worker wrote them, and their code.
_BACKFILL = (
    ("the calendar server answered 404 %", "not-found"),
    ("the calendar server answered 410 %", "not-found"),
    ("the calendar server answered 401 %", "forbidden"),
    ("the calendar server answered 403 %", "forbidden"),
    ("the calendar server answered %", "http-error"),
    ("the calendar server did not send the whole calendar %", "too-slow"),
    ("the calendar server stopped before %", "cut-off"),
    ("the calendar is larger than %", "too-large"),
    ("the calendar server redirected more than %", "too-many-redirects"),
    ("the calendar server could not be reached %", "unreachable"),
    ("the address does not serve a calendar %", "not-a-calendar"),
    ("the address was refused %", "refused-address"),
    ("the stored address can no longer be read %", "unreadable-address"),
)


def upgrade() -> None:
    op.add_column('calendar_sources', sa.Column('last_error_code', sa.String(length=40), nullable=True))
    sources = sa.table(
        'calendar_sources', sa.column('last_error', sa.String), sa.column('last_error_code', sa.String),
    )
    failed = sources.c.last_error.is_not(None) & sources.c.last_error_code.is_(None)
    for pattern, code in _BACKFILL:  # in order: the first pattern that fits a reason gives its code
        op.execute(sources.update().where(failed, sources.c.last_error.like(pattern)).values(last_error_code=code))
    op.execute(sources.update().where(failed).values(last_error_code='unexpected'))


def downgrade() -> None:
    with op.batch_alter_table('calendar_sources', schema=None) as batch_op:
        batch_op.drop_column('last_error_code')
