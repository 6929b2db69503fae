"""receivables kept current for the collections dashboard: each charge's open amount and responsibility
(charge_balance), its rollup by responsibility, date of service, provider, location and payer
(receivable_rollup), open totals by responsibility, provider, location and payer (receivable_total), and
the ledger summed by day (ledger_day); filled from the existing ledger; an index on claims by decision time

Revision ID: 0020_dash
Revises: 0019_rem
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from portal.models.receivables import rebuild_statements

revision = '0020_dash'
down_revision = '0019_rem'
branch_labels = None
depends_on = None

# the claim statuses pending at this revision (portal/services/payable.PENDING_CLAIM_STATUSES then)
_PENDING = ['accepted', 'appealed', 'created', 'in_process', 'submitted']
_TEXT = sqlmodel.sql.sqltypes.AutoString
_MONEY = ('charged', 'insurance_paid', 'adjusted', 'patient_paid', 'open_amount')


def upgrade() -> None:
    op.create_table(
        'charge_balance',
        sa.Column('charge_id', sa.Integer(), nullable=False),  # derived rows: no foreign keys (see the model)
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('date_of_service', sa.Date(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('payer_id', sa.Integer(), nullable=False),
        sa.Column('responsibility', _TEXT(length=16), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in _MONEY],
        sa.PrimaryKeyConstraint('charge_id', name=op.f('pk_charge_balance')))
    op.create_index('ix_charge_balance_account_id', 'charge_balance', ['account_id'])
    op.create_index('ix_charge_balance_drill', 'charge_balance', ['responsibility', 'date_of_service', 'open_amount'])
    op.create_table(
        'receivable_rollup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('responsibility', _TEXT(length=16), nullable=False),
        sa.Column('date_of_service', sa.Date(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('payer_id', sa.Integer(), nullable=False),
        sa.Column('charges', sa.Integer(), nullable=False),
        sa.Column('open_charges', sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in _MONEY],
        sa.PrimaryKeyConstraint('id', name=op.f('pk_receivable_rollup')),
        sa.UniqueConstraint('responsibility', 'date_of_service', 'provider_id', 'location_id', 'payer_id',
                            name='uq_receivable_rollup_key'))
    op.create_index('ix_receivable_rollup_open', 'receivable_rollup',
                    ['date_of_service', 'responsibility', 'provider_id', 'location_id', 'payer_id', 'open_amount',
                     'open_charges'],
                    sqlite_where=sa.text('open_amount <> 0'), postgresql_where=sa.text('open_amount <> 0'))
    op.create_index('ix_receivable_rollup_dos', 'receivable_rollup',
                    ['date_of_service', 'responsibility', 'provider_id', 'location_id', 'payer_id', 'charged',
                     'insurance_paid', 'adjusted', 'patient_paid'])
    op.create_table(
        'receivable_total',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('responsibility', _TEXT(length=16), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('payer_id', sa.Integer(), nullable=False),
        sa.Column('open_charges', sa.Integer(), nullable=False),
        sa.Column('open_amount', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_receivable_total')),
        sa.UniqueConstraint('responsibility', 'provider_id', 'location_id', 'payer_id', name='uq_receivable_total_key'))
    # the denial rates read the claims decided in a period
    op.create_index('ix_claim_adjudicated', 'claim', ['adjudicated_at', 'status', 'billed_amount'])
    op.create_table(
        'ledger_day',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', _TEXT(length=32), nullable=False),
        sa.Column('method', _TEXT(length=24), nullable=False),
        sa.Column('channel', _TEXT(length=16), nullable=False),
        sa.Column('entries', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_day')),
        sa.UniqueConstraint('day', 'kind', 'method', 'channel', name='uq_ledger_day_key'))
    for statement in rebuild_statements(_PENDING, op.get_bind().dialect.name):
        op.execute(sa.text(statement))


def downgrade() -> None:
    op.drop_table('ledger_day')
    op.drop_index('ix_claim_adjudicated', table_name='claim')
    op.drop_table('receivable_total')
    op.drop_index('ix_receivable_rollup_dos', table_name='receivable_rollup')
    op.drop_index('ix_receivable_rollup_open', table_name='receivable_rollup')
    op.drop_table('receivable_rollup')
    op.drop_index('ix_charge_balance_drill', table_name='charge_balance')
    op.drop_index('ix_charge_balance_account_id', table_name='charge_balance')
    op.drop_table('charge_balance')
