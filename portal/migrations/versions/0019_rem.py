"""remittances (835 imports): payments, their claims, lines, adjustments, the ledger entries they
posted, and provider-level adjustments (the practice's money)

Revision ID: 0019_rem
Revises: 0018_admin
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0019_rem'
down_revision = '0018_admin'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('remittance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=True),
    sa.Column('payer_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('trace_number', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('payment_date', sa.Date(), nullable=True),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('file_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('imported_by_user_id', sa.Integer(), nullable=True),
    sa.Column('imported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('claims_count', sa.Integer(), nullable=False),
    sa.Column('claims_matched', sa.Integer(), nullable=False),
    sa.Column('claims_unmatched', sa.Integer(), nullable=False),
    sa.Column('plb_total', sa.Integer(), nullable=False),
    sa.Column('warnings_count', sa.Integer(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['imported_by_user_id'], ['user.id'], name=op.f('fk_remittance_imported_by_user_id_user')),
    sa.ForeignKeyConstraint(['payer_id'], ['payer.id'], name=op.f('fk_remittance_payer_id_payer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remittance')),
    sa.UniqueConstraint('key', name=op.f('uq_remittance_key'))
    )
    with op.batch_alter_table('remittance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remittance_file_hash'), ['file_hash'], unique=False)

    op.create_table('provider_level_adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('remittance_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('fiscal_date', sa.Date(), nullable=True),
    sa.Column('reason_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['remittance_id'], ['remittance.id'], name=op.f('fk_provider_level_adjustment_remittance_id_remittance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_level_adjustment'))
    )
    with op.batch_alter_table('provider_level_adjustment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_level_adjustment_remittance_id'), ['remittance_id'], unique=False)

    op.create_table('remittance_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('remittance_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('claim_number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('status_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('payer_claim_number', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('billed', sa.Integer(), nullable=False),
    sa.Column('paid', sa.Integer(), nullable=False),
    sa.Column('patient_responsibility', sa.Integer(), nullable=False),
    sa.Column('patient_name', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('member_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=True),
    sa.Column('remarks', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('corrected', sa.Boolean(), nullable=False),
    sa.Column('match_state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('matched_by_user_id', sa.Integer(), nullable=True),
    sa.Column('matched_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('posted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_remittance_claim_claim_id_claim')),
    sa.ForeignKeyConstraint(['matched_by_user_id'], ['user.id'], name=op.f('fk_remittance_claim_matched_by_user_id_user')),
    sa.ForeignKeyConstraint(['remittance_id'], ['remittance.id'], name=op.f('fk_remittance_claim_remittance_id_remittance')),
    sa.ForeignKeyConstraint(['reverses_id'], ['remittance_claim.id'], name=op.f('fk_remittance_claim_reverses_id_remittance_claim')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remittance_claim'))
    )
    with op.batch_alter_table('remittance_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remittance_claim_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_remittance_claim_claim_number'), ['claim_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_remittance_claim_remittance_id'), ['remittance_id'], unique=False)

    op.create_table('remittance_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('remittance_claim_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('modifiers', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('billed', sa.Integer(), nullable=False),
    sa.Column('paid', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=True),
    sa.Column('control_number', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('remarks', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('charge_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['charge_id'], ['charge.id'], name=op.f('fk_remittance_line_charge_id_charge')),
    sa.ForeignKeyConstraint(['remittance_claim_id'], ['remittance_claim.id'], name=op.f('fk_remittance_line_remittance_claim_id_remittance_claim')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remittance_line'))
    )
    with op.batch_alter_table('remittance_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remittance_line_remittance_claim_id'), ['remittance_claim_id'], unique=False)

    op.create_table('remittance_posting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('remittance_claim_id', sa.Integer(), nullable=False),
    sa.Column('ledger_entry_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entry.id'], name=op.f('fk_remittance_posting_ledger_entry_id_ledger_entry')),
    sa.ForeignKeyConstraint(['remittance_claim_id'], ['remittance_claim.id'], name=op.f('fk_remittance_posting_remittance_claim_id_remittance_claim')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remittance_posting')),
    sa.UniqueConstraint('ledger_entry_id', name=op.f('uq_remittance_posting_ledger_entry_id'))
    )
    with op.batch_alter_table('remittance_posting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remittance_posting_remittance_claim_id'), ['remittance_claim_id'], unique=False)

    op.create_table('remittance_adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('remittance_claim_id', sa.Integer(), nullable=False),
    sa.Column('remittance_line_id', sa.Integer(), nullable=True),
    sa.Column('group_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('reason_code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['remittance_claim_id'], ['remittance_claim.id'], name=op.f('fk_remittance_adjustment_remittance_claim_id_remittance_claim')),
    sa.ForeignKeyConstraint(['remittance_line_id'], ['remittance_line.id'], name=op.f('fk_remittance_adjustment_remittance_line_id_remittance_line')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remittance_adjustment'))
    )
    with op.batch_alter_table('remittance_adjustment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remittance_adjustment_remittance_claim_id'), ['remittance_claim_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('remittance_adjustment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remittance_adjustment_remittance_claim_id'))

    op.drop_table('remittance_adjustment')
    with op.batch_alter_table('remittance_posting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remittance_posting_remittance_claim_id'))

    op.drop_table('remittance_posting')
    with op.batch_alter_table('remittance_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remittance_line_remittance_claim_id'))

    op.drop_table('remittance_line')
    with op.batch_alter_table('remittance_claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remittance_claim_remittance_id'))
        batch_op.drop_index(batch_op.f('ix_remittance_claim_claim_number'))
        batch_op.drop_index(batch_op.f('ix_remittance_claim_claim_id'))

    op.drop_table('remittance_claim')
    with op.batch_alter_table('provider_level_adjustment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_level_adjustment_remittance_id'))

    op.drop_table('provider_level_adjustment')
    with op.batch_alter_table('remittance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remittance_file_hash'))

    op.drop_table('remittance')
