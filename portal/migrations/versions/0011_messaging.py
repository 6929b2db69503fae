"""messaging: categories and statuses for threads, links to a payment/claim/appointment, the expected reply
date, internal notes, one post per send (idempotency key), per-recipient read state, and the practice's
reply time in business days

Existing threads: kind general / charge_question / dispute becomes category other / billing_question /
dispute_charge; status closed becomes resolved, and an open thread whose last message came from the office
becomes waiting_on_patient (the office owes nothing). The per-message read_by_patient_at / read_by_staff_at
stamps become `thread_read` rows: each patient with access to the account (and the assigned staff member)
has read up to just before the first message they had not read. Downgrade maps back (waiting_on_patient
and open → open, resolved → closed; categories without an old kind → general), stamps the messages up to
each side's furthest read as read, and deletes internal notes (the old schema would show them to patients).
No table is rebuilt on SQLite (a rebuild drops message_thread, which the messages' foreign keys refuse
while the migration's transaction has them on): columns are added and dropped with ALTER TABLE, the
idempotency key's uniqueness is a unique index there, and the status column keeps its length (SQLite
does not enforce lengths; PostgreSQL's is widened to 24).

Revision ID: 0011_messaging
Revises: 0010_chargeback_flag
"""
# ruff: noqa: S608  (the SQL text is built from this file's constants only; no input reaches it)
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011_messaging'
down_revision = '0010_chargeback_flag'
branch_labels = None
depends_on = None

KINDS = {'general': 'other', 'charge_question': 'billing_question', 'dispute': 'dispute_charge'}
STAFF = "('staff', 'admin')"


def _case(column: str, mapping: dict[str, str], default: str) -> str:
    whens = ' '.join(f"WHEN '{old}' THEN '{new}'" for old, new in mapping.items())
    return f"CASE {column} {whens} ELSE '{default}' END"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable integer column referencing target.id, with the naming convention's constraint name."""
    name = f'fk_{table}_{column}_{target}'
    if _sqlite():  # ALTER TABLE ADD COLUMN may carry a REFERENCES clause on SQLite; no rebuild
        op.execute(f'ALTER TABLE {table} ADD COLUMN {column} INTEGER CONSTRAINT {name} REFERENCES {target} (id)')
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, target, [column], ['id'])


def _drop(table: str, column: str) -> None:
    if _sqlite():  # SQLite >= 3.35 drops a column in place (its indexes go first)
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    else:
        op.drop_column(table, column)


THREAD_INDEXES = ('status', 'charge_id', 'created_by_user_id', 'assigned_to_user_id', 'last_message_at')
REFERENCES = (('patient_id', 'patient'), ('payment_id', 'payment'), ('claim_id', 'claim'),
              ('appointment_id', 'appointment'))


def upgrade() -> None:
    for column, target in REFERENCES:
        _add_reference('message_thread', column, target)
    op.add_column('message_thread', sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=24),
                                              nullable=False, server_default='other'))
    op.add_column('message_thread', sa.Column('expected_reply_by', sa.Date(), nullable=True))
    if not _sqlite():
        op.alter_column('message_thread', 'status', existing_type=sqlmodel.sql.sqltypes.AutoString(length=16),
                        type_=sqlmodel.sql.sqltypes.AutoString(length=24), existing_nullable=False)
    op.execute(f"UPDATE message_thread SET category = {_case('kind', KINDS, 'other')}")
    op.execute("UPDATE message_thread SET status = 'resolved' WHERE status = 'closed'")
    op.execute("UPDATE message_thread SET status = 'waiting_on_patient' WHERE status = 'open' AND "
               "(SELECT m.author_role FROM message m WHERE m.thread_id = message_thread.id "
               "ORDER BY m.id DESC LIMIT 1) = 'staff'")
    _drop('message_thread', 'kind')
    for column in THREAD_INDEXES:
        op.create_index(f'ix_message_thread_{column}', 'message_thread', [column], unique=False)

    op.create_table('thread_read',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('thread_id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sa.Integer(), nullable=False),
                    sa.Column('last_read_message_id', sa.Integer(), nullable=False),
                    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
                    sa.ForeignKeyConstraint(['thread_id'], ['message_thread.id'],
                                            name=op.f('fk_thread_read_thread_id_message_thread')),
                    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_thread_read_user_id_user')),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_thread_read')),
                    sa.UniqueConstraint('thread_id', 'user_id', name=op.f('uq_thread_read_thread_id')))
    op.create_index('ix_thread_read_thread_id', 'thread_read', ['thread_id'], unique=False)
    op.create_index('ix_thread_read_user_id', 'thread_read', ['user_id'], unique=False)
    # read up to just before the first message of the other side this reader had not read
    patient_upto = ("COALESCE((SELECT MIN(m.id) - 1 FROM message m WHERE m.thread_id = t.id AND "
                    "m.author_role <> 'patient' AND m.read_by_patient_at IS NULL), "
                    "(SELECT MAX(m.id) FROM message m WHERE m.thread_id = t.id))")
    staff_upto = ("COALESCE((SELECT MIN(m.id) - 1 FROM message m WHERE m.thread_id = t.id AND "
                  "m.author_role = 'patient' AND m.read_by_staff_at IS NULL), "
                  "(SELECT MAX(m.id) FROM message m WHERE m.thread_id = t.id))")
    has_messages = 'EXISTS (SELECT 1 FROM message m WHERE m.thread_id = t.id)'
    op.execute("INSERT INTO thread_read (thread_id, user_id, last_read_message_id, updated_at) "
               f"SELECT t.id, a.user_id, {patient_upto}, t.last_message_at FROM message_thread t "
               "JOIN account_access a ON a.account_id = t.account_id AND a.revoked_at IS NULL "
               f"WHERE {has_messages}")
    op.execute("INSERT INTO thread_read (thread_id, user_id, last_read_message_id, updated_at) "
               f"SELECT t.id, t.assigned_to_user_id, {staff_upto}, t.last_message_at FROM message_thread t "
               f"WHERE t.assigned_to_user_id IS NOT NULL AND {has_messages} AND NOT EXISTS "
               "(SELECT 1 FROM thread_read r WHERE r.thread_id = t.id AND r.user_id = t.assigned_to_user_id)")

    op.add_column('message', sa.Column('internal_note', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('message', sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=64),
                                       nullable=True))
    if _sqlite():
        op.create_index('uq_message_idempotency_key', 'message', ['idempotency_key'], unique=True)
    else:
        op.create_unique_constraint('uq_message_idempotency_key', 'message', ['idempotency_key'])
    _drop('message', 'read_by_patient_at')
    _drop('message', 'read_by_staff_at')

    op.add_column('practice_settings', sa.Column('reply_business_days', sa.Integer(), nullable=False,
                                                 server_default='2'))


def downgrade() -> None:
    _drop('practice_settings', 'reply_business_days')

    op.execute('DELETE FROM message WHERE internal_note')
    op.add_column('message', sa.Column('read_by_patient_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column('message', sa.Column('read_by_staff_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    furthest = ("(SELECT MAX(r.last_read_message_id) FROM thread_read r JOIN \"user\" u ON u.id = r.user_id "
                "WHERE r.thread_id = message.thread_id AND u.role {} " + STAFF + ")")
    op.execute("UPDATE message SET read_by_patient_at = created_at WHERE author_role = 'patient' "
               f"OR id <= COALESCE({furthest.format('NOT IN')}, 0)")
    op.execute("UPDATE message SET read_by_staff_at = created_at WHERE author_role <> 'patient' "
               f"OR id <= COALESCE({furthest.format('IN')}, 0)")
    if _sqlite():
        op.drop_index('uq_message_idempotency_key', table_name='message')
    else:
        op.drop_constraint('uq_message_idempotency_key', 'message', type_='unique')
    _drop('message', 'idempotency_key')
    _drop('message', 'internal_note')

    op.drop_index('ix_thread_read_user_id', table_name='thread_read')
    op.drop_index('ix_thread_read_thread_id', table_name='thread_read')
    op.drop_table('thread_read')

    op.add_column('message_thread', sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False,
                                              server_default='general'))
    back = {new: old for old, new in KINDS.items()}
    op.execute(f"UPDATE message_thread SET kind = {_case('category', back, 'general')}")
    op.execute("UPDATE message_thread SET status = CASE status WHEN 'resolved' THEN 'closed' ELSE 'open' END")
    for column in THREAD_INDEXES:
        op.drop_index(f'ix_message_thread_{column}', table_name='message_thread')
    for column in ('expected_reply_by', 'category', *(column for column, _ in REFERENCES)):
        _drop('message_thread', column)
    if not _sqlite():
        op.alter_column('message_thread', 'status', existing_type=sqlmodel.sql.sqltypes.AutoString(length=24),
                        type_=sqlmodel.sql.sqltypes.AutoString(length=16), existing_nullable=False)
