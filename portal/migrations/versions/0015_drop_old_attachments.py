"""drop old attachments: the `attachment` table (and coverage's two card-photo columns that pointed at it)
give way to `stored_file` (0013_files), where a file names its owner (`owner_kind`, `owner_id`).

No rows are moved: nothing in Settle ever wrote to `attachment` (the model had no service, page or job
using it, and no code knew where its `storage_key` bytes would live), so the table is empty on every
database this code made. Should one still hold rows (written by hand), the upgrade stops with a message
instead of losing them. The same holds for `coverage.card_front_attachment_id` / `card_back_attachment_id`:
never set; insurance card photos will be `stored_file` rows with `owner_kind='coverage'`.

Downgrade puts the empty table and the two columns back as 0001 made them.

Revision ID: 0015_drop_old_attachments
Revises: 0014_live_events
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015_drop_old_attachments'
down_revision = '0014_live_events'
branch_labels = None
depends_on = None

CARD_COLUMNS = ('card_front_attachment_id', 'card_back_attachment_id')


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text('SELECT count(*) FROM attachment')).scalar_one()
    cards = connection.execute(sa.text('SELECT count(*) FROM coverage WHERE card_front_attachment_id IS NOT NULL '
                                       'OR card_back_attachment_id IS NOT NULL')).scalar_one()
    if rows or cards:
        raise RuntimeError(f'0015_drop_old_attachments: the old attachment table has {rows} row(s) and {cards} '
                           'coverage row(s) point at it; nothing in Settle writes them, so they were added by hand. '
                           'Move them into stored_file (portal.services.files.store) or delete them, then upgrade.')
    with op.batch_alter_table('coverage', schema=None) as batch_op:
        for column in CARD_COLUMNS:
            batch_op.drop_constraint(op.f(f'fk_coverage_{column}_attachment'), type_='foreignkey')
            batch_op.drop_column(column)
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_message_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_account_id'))
    op.drop_table('attachment')


def downgrade() -> None:
    op.create_table(
        'attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_by_user_id', sa.Integer(), nullable=True),
        sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('storage_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['guarantor_account.id'],
                                name=op.f('fk_attachment_account_id_guarantor_account')),
        sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_attachment_message_id_message')),
        sa.ForeignKeyConstraint(['uploaded_by_user_id'], ['user.id'], name=op.f('fk_attachment_uploaded_by_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
        sa.UniqueConstraint('storage_key', name=op.f('uq_attachment_storage_key')),
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_message_id'), ['message_id'], unique=False)
    with op.batch_alter_table('coverage', schema=None) as batch_op:
        for column in CARD_COLUMNS:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_foreign_key(op.f(f'fk_coverage_{column}_attachment'), 'attachment', [column], ['id'])
