"""plan_held: the charges a payment plan left out when it was signed because their claim was still pending,
so what the patient owes on them once the insurer answers is billed apart from the plan (as a charge posted
after signing is), not added to its last installment

Revision ID: 0024_plan_held
Revises: 0023_claim_order
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0024_plan_held'
down_revision = '0023_claim_order'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'plan_held_charge',
        sa.Column('plan_id', sa.Integer(), sa.ForeignKey('payment_plan.id'), primary_key=True),
        sa.Column('charge_id', sa.Integer(), sa.ForeignKey('charge.id'), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table('plan_held_charge')
