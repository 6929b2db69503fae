"""admin: staff invitations, and the texts' quiet hours as practice settings

Revision ID: 0018_admin
Revises: 0017_appt
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0018_admin'
down_revision = '0017_appt'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staff_invite',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('first_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('last_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('invited_by_user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['invited_by_user_id'], ['user.id'],
                                name=op.f('fk_staff_invite_invited_by_user_id_user')),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_staff_invite_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_invite')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_staff_invite_token_hash')),
    )
    op.create_index(op.f('ix_staff_invite_email'), 'staff_invite', ['email'], unique=False)
    with op.batch_alter_table('practice_settings') as batch:
        batch.add_column(sa.Column('quiet_hours_start', sa.Integer(), nullable=False, server_default='21'))
        batch.add_column(sa.Column('quiet_hours_end', sa.Integer(), nullable=False, server_default='8'))


def downgrade() -> None:
    with op.batch_alter_table('practice_settings') as batch:
        batch.drop_column('quiet_hours_end')
        batch.drop_column('quiet_hours_start')
    op.drop_index(op.f('ix_staff_invite_email'), table_name='staff_invite')
    op.drop_table('staff_invite')
