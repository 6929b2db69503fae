"""files: one table for stored files (message attachments, later insurance card photos)

The bytes live in the file directory (PORTAL_FILE_DIR) under a random storage key; the row says whose
they are (owner kind and id), what they are (name, content type, size, sha256) and who uploaded them.

Revision ID: 0013_files
Revises: 0012_messaging_indexes
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0013_files'
down_revision = '0012_messaging_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stored_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('storage_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('owner_kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('uploaded_by_user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['uploaded_by_user_id'], ['user.id'],
                                name=op.f('fk_stored_file_uploaded_by_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_file')),
        sa.UniqueConstraint('public_id', name=op.f('uq_stored_file_public_id')),
        sa.UniqueConstraint('storage_key', name=op.f('uq_stored_file_storage_key')),
    )
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.create_index('ix_stored_file_owner', ['owner_kind', 'owner_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_index('ix_stored_file_owner')
    op.drop_table('stored_file')
