"""chargeback flag: a card dispute gets its own account-flag kind, apart from a patient's billing dispute

Until now both were `dispute`, so resolving one would clear the other. A `dispute` flag came from a
card dispute when the gateway raised it: it has no creating user (`created_by_user_id IS NULL`) and its
reason is the webhook's `Card dispute <dispute id> on receipt <receipt number>`. Those rows become
`chargeback`; a patient-raised dispute (created by the patient, reason `charge <id> disputed by the
patient`) stays `dispute`. Downgrade turns every `chargeback` back into `dispute`. Only data changes
(the column stays a plain string), so the same statements run on SQLite and PostgreSQL.

Revision ID: 0010_chargeback_flag
Revises: 0009_pending_insurance_setting
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_chargeback_flag'
down_revision = '0009_pending_insurance_setting'
branch_labels = None
depends_on = None

flag = sa.table('account_flag', sa.column('kind', sa.String), sa.column('reason', sa.String),
                sa.column('created_by_user_id', sa.Integer))


def upgrade() -> None:
    op.execute(flag.update().where(flag.c.kind == 'dispute', flag.c.created_by_user_id.is_(None),
                                   flag.c.reason.like('Card dispute %')).values(kind='chargeback'))


def downgrade() -> None:
    op.execute(flag.update().where(flag.c.kind == 'chargeback').values(kind='dispute'))
