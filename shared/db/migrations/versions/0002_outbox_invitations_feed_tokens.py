"""outbox invitations feed tokens

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 19:07:23.557959
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('feed_tokens',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_kind', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_tokens')),
    sa.UniqueConstraint('owner_kind', 'owner_id', name=op.f('uq_feed_tokens_owner_kind')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_feed_tokens_token_hash'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('topic', sa.String(length=50), nullable=False),
    sa.Column('payload', shared.db.types.JSONDocument, nullable=False),
    sa.Column('created_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('dispatched_at', shared.db.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['dispatched_at', 'created_at'], unique=False)

    op.create_table('invitations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('recipient_kind', sa.String(length=20), nullable=False),
    sa.Column('recipient_id', sa.Uuid(), nullable=True),
    sa.Column('recipient_name', sa.String(length=200), nullable=False),
    sa.Column('recipient_email', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('notice', sa.String(length=20), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('issued_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('ics', sa.Text(), nullable=False),
    sa.Column('delivery_state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', shared.db.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['sessions.id'], name=op.f('fk_invitations_session_id_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index('ix_invitations_delivery', ['delivery_state'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index('ix_invitations_session', ['session_id', 'issued_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_invitations_session')
        batch_op.drop_index(batch_op.f('ix_invitations_recipient_id'))
        batch_op.drop_index('ix_invitations_delivery')

    op.drop_table('invitations')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')

    op.drop_table('outbox')
    op.drop_table('feed_tokens')

