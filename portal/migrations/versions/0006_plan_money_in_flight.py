"""plans paid off by money still in flight: reopen them so the settlement or the return decides

Before plans followed settlement, a plan paid off by a bank payment still processing was marked
completed. Such a plan (the account's latest, with a payment made since signing still processing and
no other open plan) is active again; the next money-moved step shows its installments as processing,
completes it when the money settles, or reopens them when the bank returns it. Data only.

Revision ID: 0006_plan_money_in_flight
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_plan_money_in_flight'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("""
        UPDATE payment_plan SET status = 'active'
        WHERE status = 'completed'
          AND id = (SELECT MAX(latest.id) FROM payment_plan AS latest
                    WHERE latest.account_id = payment_plan.account_id)
          AND EXISTS (SELECT 1 FROM payment
                      WHERE payment.account_id = payment_plan.account_id AND payment.status = 'processing'
                        AND payment.received_at >= payment_plan.signed_at)
    """))


def downgrade() -> None:
    pass  # the statuses are derived again from the ledger: nothing to undo
