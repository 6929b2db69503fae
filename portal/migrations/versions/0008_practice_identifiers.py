"""practice identifiers: the tax id (EIN) and group NPI printed on receipts for HSA/FSA claims

Revision ID: 0008_practice_identifiers
Revises: 0007_session_handoff
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008_practice_identifiers'
down_revision = '0007_session_handoff'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('practice_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_id', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('npi', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('practice_settings', schema=None) as batch_op:
        batch_op.drop_column('npi')
        batch_op.drop_column('tax_id')
