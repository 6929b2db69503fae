"""session hand-off: a new browser id at sign-in, MFA and password change (one-time token digests)

Revision ID: 0007_session_handoff
Revises: 0006_plan_money_in_flight
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007_session_handoff'
down_revision = '0006_plan_money_in_flight'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'session_handoff',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('browser_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('auth_json', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('next_path', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_session_handoff_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_session_handoff')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_session_handoff_token_hash')),
    )
    with op.batch_alter_table('session_handoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_handoff_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_handoff_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('session_handoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_handoff_expires_at'))
        batch_op.drop_index(batch_op.f('ix_session_handoff_user_id'))
    op.drop_table('session_handoff')
