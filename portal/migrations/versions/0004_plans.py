"""plans: one open (active or delinquent) payment plan per account; the amount an autopay attempt claimed

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

OPEN_PLAN = "status IN ('active', 'delinquent')"


def upgrade() -> None:
    with op.batch_alter_table('plan_installment') as batch:
        batch.add_column(sa.Column('claimed_amount', sa.Integer(), nullable=True))
    op.create_index('ux_payment_plan_open', 'payment_plan', ['account_id'], unique=True,
                    sqlite_where=sa.text(OPEN_PLAN), postgresql_where=sa.text(OPEN_PLAN))


def downgrade() -> None:
    op.drop_index('ux_payment_plan_open', table_name='payment_plan')
    with op.batch_alter_table('plan_installment') as batch:
        batch.drop_column('claimed_amount')
