"""claim_order: the decided-claims index also holds the claim id after the decision time, so a denial-rate
drill-down pages its claims in order (ORDER BY adjudicated_at, id with OFFSET) from the index alone

Revision ID: 0023_claim_order
Revises: 0022_reply_dates
"""
from __future__ import annotations

from alembic import op

revision = '0023_claim_order'
down_revision = '0022_reply_dates'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_claim_decided', 'claim', ['adjudicated_at', 'id', 'status', 'billed_amount'])
    op.drop_index('ix_claim_adjudicated', table_name='claim')


def downgrade() -> None:
    op.create_index('ix_claim_adjudicated', 'claim', ['adjudicated_at', 'status', 'billed_amount'])
    op.drop_index('ix_claim_decided', table_name='claim')
