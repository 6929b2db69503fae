"""payments: gateway customers per account, and the newest event time applied to an attempt

Revision ID: 0003
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'gateway_customer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('gateway', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('customer_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['guarantor_account.id'],
                                name=op.f('fk_gateway_customer_account_id_guarantor_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gateway_customer')),
        sa.UniqueConstraint('gateway', 'account_id', name=op.f('uq_gateway_customer_gateway')),
        sa.UniqueConstraint('customer_id', name=op.f('uq_gateway_customer_customer_id')),
    )
    with op.batch_alter_table('gateway_customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gateway_customer_account_id'), ['account_id'], unique=False)
    with op.batch_alter_table('payment_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_event_at', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('payment_attempt', schema=None) as batch_op:
        batch_op.drop_column('last_event_at')
    with op.batch_alter_table('gateway_customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gateway_customer_account_id'))
    op.drop_table('gateway_customer')
