"""messaging, staff side: saved replies, and the indexes that keep the staff queue fast (issue 14)

The queue reads threads oldest waiting first (`last_message_at`, id) under one filter at a time (status;
assignee; category; the expected reply date), and counts every filter in one GROUP BY that a covering
index answers without reading the table (tests/benchmarks/bench_staff_queue.py: 50,000 threads).

Revision ID: 0012_messaging_indexes
Revises: 0011_messaging
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0012_messaging_indexes'
down_revision = '0011_messaging'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_message_thread_queue_status': ['status', 'last_message_at', 'id'],
    'ix_message_thread_queue_assignee': ['assigned_to_user_id', 'status', 'last_message_at'],
    'ix_message_thread_queue_category': ['category', 'status', 'last_message_at'],
    'ix_message_thread_queue_counts': ['status', 'category', 'assigned_to_user_id', 'expected_reply_by'],
}


def upgrade() -> None:
    op.create_table('saved_reply',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
                    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
                    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
                    sa.Column('updated_by_user_id', sa.Integer(), nullable=True),
                    sa.ForeignKeyConstraint(['updated_by_user_id'], ['user.id'],
                                            name=op.f('fk_saved_reply_updated_by_user_id_user')),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_reply')),
                    sa.UniqueConstraint('title', name=op.f('uq_saved_reply_title')))
    for name, columns in INDEXES.items():
        op.create_index(name, 'message_thread', columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name='message_thread')
    op.drop_table('saved_reply')
