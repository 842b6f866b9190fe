"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 18:24:31.126570
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('api_clients',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('created_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_clients'))
    )
    op.create_table('facilitators',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('availability', shared.db.types.JSONDocument, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facilitators'))
    )
    op.create_table('api_keys',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('prefix', sa.String(length=32), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', shared.db.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_api_keys_client_id_api_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_keys_prefix'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_client_id'), ['client_id'], unique=False)

    op.create_table('groups',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('theme', sa.String(length=64), nullable=True),
    sa.Column('facilitator_id', sa.Uuid(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('meeting_url', sa.String(length=2000), nullable=True),
    sa.Column('session_minutes', sa.Integer(), nullable=False),
    sa.Column('guided_sessions', sa.Integer(), nullable=False),
    sa.Column('follow_up_sessions', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('constraints', shared.db.types.JSONDocument, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['facilitator_id'], ['facilitators.id'], name=op.f('fk_groups_facilitator_id_facilitators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups'))
    )
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_groups_facilitator_id'), ['facilitator_id'], unique=False)

    op.create_table('participants',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('external_ref', sa.String(length=200), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('school_holiday_region', sa.String(length=10), nullable=True),
    sa.Column('availability', shared.db.types.JSONDocument, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_participants_client_id_api_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participants')),
    sa.UniqueConstraint('client_id', 'external_ref', name=op.f('uq_participants_client_id'))
    )
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participants_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participants_organization'), ['organization'], unique=False)
        batch_op.create_index(batch_op.f('ix_participants_role'), ['role'], unique=False)

    op.create_table('memberships',
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.Column('participant_id', sa.Uuid(), nullable=False),
    sa.Column('joined_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_memberships_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_memberships_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'participant_id', name=op.f('pk_memberships'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_participant_id'), ['participant_id'], unique=False)

    op.create_table('participant_themes',
    sa.Column('participant_id', sa.Uuid(), nullable=False),
    sa.Column('theme', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_participant_themes_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('participant_id', 'theme', name=op.f('pk_participant_themes'))
    )
    with op.batch_alter_table('participant_themes', schema=None) as batch_op:
        batch_op.create_index('ix_participant_themes_theme', ['theme'], unique=False)

    op.create_table('scheduling_runs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('started_at', shared.db.types.UTCDateTime(), nullable=True),
    sa.Column('finished_at', shared.db.types.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_until', shared.db.types.UTCDateTime(), nullable=True),
    sa.Column('plan', shared.db.types.JSONDocument, nullable=True),
    sa.Column('diagnostics', shared.db.types.JSONDocument, nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_scheduling_runs_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduling_runs'))
    )
    with op.batch_alter_table('scheduling_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduling_runs_group_id'), ['group_id'], unique=False)
        batch_op.create_index('ix_scheduling_runs_status', ['status'], unique=False)

    op.create_table('sessions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('start', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('end', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=200), nullable=False),
    sa.Column('chair_id', sa.Uuid(), nullable=True),
    sa.Column('absent_ids', shared.db.types.JSONDocument, nullable=False),
    sa.Column('keeps_slot', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('run_id', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', shared.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['chair_id'], ['participants.id'], name=op.f('fk_sessions_chair_id_participants'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_sessions_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['scheduling_runs.id'], name=op.f('fk_sessions_run_id_scheduling_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions')),
    sa.UniqueConstraint('uid', name=op.f('uq_sessions_uid'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index('ix_sessions_group_start', ['group_id', 'start'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sessions_group_start')

    op.drop_table('sessions')
    with op.batch_alter_table('scheduling_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduling_runs_status')
        batch_op.drop_index(batch_op.f('ix_scheduling_runs_group_id'))

    op.drop_table('scheduling_runs')
    with op.batch_alter_table('participant_themes', schema=None) as batch_op:
        batch_op.drop_index('ix_participant_themes_theme')

    op.drop_table('participant_themes')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_participant_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participants_role'))
        batch_op.drop_index(batch_op.f('ix_participants_organization'))
        batch_op.drop_index(batch_op.f('ix_participants_client_id'))

    op.drop_table('participants')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_groups_facilitator_id'))

    op.drop_table('groups')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_client_id'))

    op.drop_table('api_keys')
    op.drop_table('facilitators')
    op.drop_table('api_clients')

