"""pending insurance: the practice setting that holds charges still with insurance out of what is due
now (on by default), and each statement's "Waiting for insurance" line as issued

Revision ID: 0009_pending_insurance_setting
Revises: 0008_practice_identifiers
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_pending_insurance_setting'
down_revision = '0008_practice_identifiers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('practice_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_pending_insurance', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_for_insurance', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('statement', schema=None) as batch_op:
        batch_op.drop_column('waiting_for_insurance')
    with op.batch_alter_table('practice_settings', schema=None) as batch_op:
        batch_op.drop_column('hold_pending_insurance')
