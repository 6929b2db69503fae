"""live events: the SQLite relay of live-update topics (portal/live.py), one row per published topic

On SQLite, `portal.live.publish` inserts a row in the caller's transaction and one poller per process
reads the rows above the last id it saw; AUTOINCREMENT keeps ids from going back after old rows are
pruned. PostgreSQL relays topics with NOTIFY and leaves the table empty (it exists there too, one schema).

Revision ID: 0014_live_events
Revises: 0013_files
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014_live_events'
down_revision = '0013_files'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'live_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('topic', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_live_event')),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table('live_event')
