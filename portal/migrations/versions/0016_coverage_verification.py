"""coverage verification: when the patient last changed coverage, the office's verification and
corrections, and the benefits snapshot (money in minor units)

Revision ID: 0016_coverage_verification
Revises: 0015_drop_old_attachments
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0016_coverage_verification'
down_revision = '0015_drop_old_attachments'
branch_labels = None
depends_on = None

_MONEY = ('copay', 'deductible_met', 'deductible_remaining', 'out_of_pocket_met', 'out_of_pocket_remaining')


def upgrade() -> None:
    with op.batch_alter_table('coverage') as batch:
        batch.add_column(sa.Column('changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('verified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('verified_by_user_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('corrected_fields', sqlmodel.sql.sqltypes.AutoString(length=200),
                                   nullable=False, server_default=''))
        batch.add_column(sa.Column('benefits_as_of', sa.Date(), nullable=True))
        for name in _MONEY:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_coverage_verified_by_user_id_user'), 'user', ['verified_by_user_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('coverage') as batch:
        batch.drop_constraint(op.f('fk_coverage_verified_by_user_id_user'), type_='foreignkey')
        for name in (*_MONEY, 'benefits_as_of', 'corrected_fields', 'verified_by_user_id', 'verified_at', 'changed_at'):
            batch.drop_column(name)
