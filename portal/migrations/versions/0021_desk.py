"""desk: search keys on accounts and patients (folded names, phone digits; indexed, with date of birth and
lower(email)), account notes, adjustment requests with their approval, flag expiry, and the practice's
adjustment approval limit (minor units)

Revision ID: 0021_desk
Revises: 0020_dash
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from portal.models.accounts import phone_key, search_key

revision = '0021_desk'
down_revision = '0020_dash'
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_BATCH = 5_000


def upgrade() -> None:
    # plain ADD COLUMN (no table rebuild: SQLite adds a NOT NULL column with a default in place)
    for table, name, length in (('guarantor_account', 'first_key', 80), ('guarantor_account', 'last_key', 80),
                                ('guarantor_account', 'phone_key', 10), ('patient', 'first_key', 80),
                                ('patient', 'last_key', 80)):
        op.add_column(table, sa.Column(name, _TEXT(length=length), nullable=False, server_default=''))
    op.add_column('account_flag', sa.Column('expires_on', sa.Date(), nullable=True))
    op.add_column('practice_settings', sa.Column('adjustment_approval_limit', sa.Integer(), nullable=False,
                                                 server_default='10000'))
    _backfill()
    op.create_index('ix_guarantor_account_last_first', 'guarantor_account', ['last_key', 'first_key'])
    op.create_index('ix_guarantor_account_first_key', 'guarantor_account', ['first_key'])
    op.create_index('ix_guarantor_account_phone_key', 'guarantor_account', ['phone_key'])
    op.create_index('ix_guarantor_account_email_lower', 'guarantor_account', [sa.text('lower(email)')])
    op.create_index('ix_patient_last_first', 'patient', ['last_key', 'first_key'])
    op.create_index('ix_patient_first_key', 'patient', ['first_key'])
    op.create_index('ix_patient_date_of_birth', 'patient', ['date_of_birth'])
    op.create_table(
        'account_note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('body', _TEXT(length=2000), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('created_by_user_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['guarantor_account.id'],
                                name=op.f('fk_account_note_account_id_guarantor_account')),
        sa.ForeignKeyConstraint(['created_by_user_id'], ['user.id'], name=op.f('fk_account_note_created_by_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_note')),
    )
    op.create_index(op.f('ix_account_note_account_id'), 'account_note', ['account_id'])
    op.create_table(
        'adjustment_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('currency', _TEXT(length=3), nullable=False),
        sa.Column('reason', _TEXT(length=32), nullable=False),
        sa.Column('note', _TEXT(length=200), nullable=False),
        sa.Column('status', _TEXT(length=16), nullable=False),
        sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('requested_by_user_id', sa.Integer(), nullable=False),
        sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('decided_by_user_id', sa.Integer(), nullable=True),
        sa.Column('decision_note', _TEXT(length=200), nullable=False),
        sa.Column('self_approved', sa.Boolean(), nullable=False),
        sa.Column('ledger_entry_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['guarantor_account.id'],
                                name=op.f('fk_adjustment_request_account_id_guarantor_account')),
        sa.ForeignKeyConstraint(['requested_by_user_id'], ['user.id'],
                                name=op.f('fk_adjustment_request_requested_by_user_id_user')),
        sa.ForeignKeyConstraint(['decided_by_user_id'], ['user.id'],
                                name=op.f('fk_adjustment_request_decided_by_user_id_user')),
        sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entry.id'],
                                name=op.f('fk_adjustment_request_ledger_entry_id_ledger_entry')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_adjustment_request')),
    )
    op.create_index(op.f('ix_adjustment_request_account_id'), 'adjustment_request', ['account_id'])
    op.create_index(op.f('ix_adjustment_request_status'), 'adjustment_request', ['status'])


def _backfill() -> None:
    """Existing rows get their search keys (computed in Python: SQL has no portable accent folding)."""
    bind = op.get_bind()
    accounts = sa.table('guarantor_account', sa.column('id'), sa.column('guarantor_first_name'),
                        sa.column('guarantor_last_name'), sa.column('phone'), sa.column('first_key'),
                        sa.column('last_key'), sa.column('phone_key'))
    patients = sa.table('patient', sa.column('id'), sa.column('first_name'), sa.column('last_name'),
                        sa.column('first_key'), sa.column('last_key'))
    rows = bind.execute(sa.select(accounts.c.id, accounts.c.guarantor_first_name, accounts.c.guarantor_last_name,
                                  accounts.c.phone)).all()
    update = accounts.update().where(accounts.c.id == sa.bindparam('row_id')).values(
        first_key=sa.bindparam('f'), last_key=sa.bindparam('la'), phone_key=sa.bindparam('p'))
    for start in range(0, len(rows), _BATCH):
        bind.execute(update, [{'row_id': r[0], 'f': search_key(r[1]), 'la': search_key(r[2]), 'p': phone_key(r[3])}
                              for r in rows[start:start + _BATCH]])
    rows = bind.execute(sa.select(patients.c.id, patients.c.first_name, patients.c.last_name)).all()
    update = patients.update().where(patients.c.id == sa.bindparam('row_id')).values(
        first_key=sa.bindparam('f'), last_key=sa.bindparam('la'))
    for start in range(0, len(rows), _BATCH):
        bind.execute(update, [{'row_id': r[0], 'f': search_key(r[1]), 'la': search_key(r[2])}
                              for r in rows[start:start + _BATCH]])


def downgrade() -> None:
    op.drop_table('adjustment_request')
    op.drop_table('account_note')
    for name in ('ix_patient_date_of_birth', 'ix_patient_first_key', 'ix_patient_last_first'):
        op.drop_index(name, table_name='patient')
    for name in ('ix_guarantor_account_email_lower', 'ix_guarantor_account_phone_key',
                 'ix_guarantor_account_first_key', 'ix_guarantor_account_last_first'):
        op.drop_index(name, table_name='guarantor_account')
    for table, name in (('practice_settings', 'adjustment_approval_limit'), ('account_flag', 'expires_on'),
                        ('patient', 'last_key'), ('patient', 'first_key'), ('guarantor_account', 'phone_key'),
                        ('guarantor_account', 'last_key'), ('guarantor_account', 'first_key')):
        _drop(table, name)


def _drop(table: str, column: str) -> None:
    if op.get_bind().dialect.name == 'sqlite':  # SQLite >= 3.35 drops a column in place (its indexes went first)
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    else:
        op.drop_column(table, column)
