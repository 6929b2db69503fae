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
Plain statements and batch alters only, so SQLite and PostgreSQL run the same.

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


def upgrade() -> None:
    with op.batch_alter_table('message_thread', schema=None) as batch_op:
        batch_op.add_column(sa.Column('patient_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False,
                                      server_default='other'))
        batch_op.add_column(sa.Column('payment_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claim_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('appointment_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('expected_reply_by', sa.Date(), nullable=True))
        batch_op.alter_column('status', existing_type=sqlmodel.sql.sqltypes.AutoString(length=16),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=24), existing_nullable=False)
    op.execute(f"UPDATE message_thread SET category = {_case('kind', KINDS, 'other')}")
    op.execute("UPDATE message_thread SET status = 'resolved' WHERE status = 'closed'")
    op.execute("UPDATE message_thread SET status = 'waiting_on_patient' WHERE status = 'open' AND "
               "(SELECT m.author_role FROM message m WHERE m.thread_id = message_thread.id "
               "ORDER BY m.id DESC LIMIT 1) = 'staff'")
    with op.batch_alter_table('message_thread', schema=None) as batch_op:
        batch_op.alter_column('category', server_default=None)
        batch_op.drop_column('kind')
        batch_op.create_foreign_key(batch_op.f('fk_message_thread_patient_id_patient'), 'patient', ['patient_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_message_thread_payment_id_payment'), 'payment', ['payment_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_message_thread_claim_id_claim'), 'claim', ['claim_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_message_thread_appointment_id_appointment'), 'appointment',
                                    ['appointment_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_message_thread_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_thread_charge_id'), ['charge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_thread_created_by_user_id'), ['created_by_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_thread_assigned_to_user_id'), ['assigned_to_user_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_message_thread_last_message_at'), ['last_message_at'], unique=False)

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
    with op.batch_alter_table('thread_read', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_read_thread_id'), ['thread_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_thread_read_user_id'), ['user_id'], unique=False)
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

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('internal_note', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_message_idempotency_key'), ['idempotency_key'])
        batch_op.drop_column('read_by_patient_at')
        batch_op.drop_column('read_by_staff_at')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.alter_column('internal_note', server_default=None)

    with op.batch_alter_table('practice_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_business_days', sa.Integer(), nullable=False, server_default='2'))


def downgrade() -> None:
    with op.batch_alter_table('practice_settings', schema=None) as batch_op:
        batch_op.drop_column('reply_business_days')

    op.execute('DELETE FROM message WHERE internal_note')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_by_patient_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('read_by_staff_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    furthest = ("(SELECT MAX(r.last_read_message_id) FROM thread_read r JOIN \"user\" u ON u.id = r.user_id "
                "WHERE r.thread_id = message.thread_id AND u.role {} " + STAFF + ")")
    op.execute("UPDATE message SET read_by_patient_at = created_at WHERE author_role = 'patient' "
               f"OR id <= COALESCE({furthest.format('NOT IN')}, 0)")
    op.execute("UPDATE message SET read_by_staff_at = created_at WHERE author_role <> 'patient' "
               f"OR id <= COALESCE({furthest.format('IN')}, 0)")
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_message_idempotency_key'), type_='unique')
        batch_op.drop_column('idempotency_key')
        batch_op.drop_column('internal_note')

    with op.batch_alter_table('thread_read', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_read_user_id'))
        batch_op.drop_index(batch_op.f('ix_thread_read_thread_id'))
    op.drop_table('thread_read')

    with op.batch_alter_table('message_thread', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False,
                                      server_default='general'))
    back = {new: old for old, new in KINDS.items()}
    op.execute(f"UPDATE message_thread SET kind = {_case('category', back, 'general')}")
    op.execute("UPDATE message_thread SET status = CASE status WHEN 'resolved' THEN 'closed' ELSE 'open' END")
    with op.batch_alter_table('message_thread', schema=None) as batch_op:
        batch_op.alter_column('kind', server_default=None)
        batch_op.drop_index(batch_op.f('ix_message_thread_last_message_at'))
        batch_op.drop_index(batch_op.f('ix_message_thread_assigned_to_user_id'))
        batch_op.drop_index(batch_op.f('ix_message_thread_created_by_user_id'))
        batch_op.drop_index(batch_op.f('ix_message_thread_charge_id'))
        batch_op.drop_index(batch_op.f('ix_message_thread_status'))
        batch_op.drop_constraint(batch_op.f('fk_message_thread_appointment_id_appointment'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_message_thread_claim_id_claim'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_message_thread_payment_id_payment'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_message_thread_patient_id_patient'), type_='foreignkey')
        batch_op.drop_column('expected_reply_by')
        batch_op.drop_column('appointment_id')
        batch_op.drop_column('claim_id')
        batch_op.drop_column('payment_id')
        batch_op.drop_column('category')
        batch_op.drop_column('patient_id')
        batch_op.alter_column('status', existing_type=sqlmodel.sql.sqltypes.AutoString(length=24),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=16), existing_nullable=False)
