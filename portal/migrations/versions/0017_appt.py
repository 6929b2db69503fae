"""appointments: visit types, schedule exceptions, the per-provider granules that make double booking
impossible (unique provider + granule start), locations' time zones, visits' type and change sequence,
and the practice's cancel cutoff and holiday state

Revision ID: 0017_appt
Revises: 0016_coverage_verification
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0017_appt'
down_revision = '0016_coverage_verification'
branch_labels = None
depends_on = None

_STRING = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        'visit_type',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', _STRING(length=80), nullable=False),
        sa.Column('duration_minutes', sa.Integer(), nullable=False),
        sa.Column('price', sa.Integer(), nullable=False),
        sa.Column('currency', _STRING(length=3), nullable=False),
        sa.Column('codes', _STRING(length=80), nullable=False),
        sa.Column('patient_bookable', sa.Boolean(), nullable=False),
        sa.Column('new_patients', sa.Boolean(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_type')))
    op.create_table(
        'schedule_exception',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', _STRING(length=16), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=True),
        sa.Column('location_id', sa.Integer(), nullable=True),
        sa.Column('start_time', sa.Time(), nullable=True),
        sa.Column('end_time', sa.Time(), nullable=True),
        sa.Column('note', _STRING(length=120), nullable=False),
        sa.ForeignKeyConstraint(['location_id'], ['location.id'],
                                name=op.f('fk_schedule_exception_location_id_location')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'],
                                name=op.f('fk_schedule_exception_provider_id_provider')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_exception')))
    op.create_index(op.f('ix_schedule_exception_day'), 'schedule_exception', ['day'], unique=False)
    op.create_table(
        'appointment_granule',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('granule_start', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'],
                                name=op.f('fk_appointment_granule_appointment_id_appointment')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'],
                                name=op.f('fk_appointment_granule_provider_id_provider')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_granule')),
        sa.UniqueConstraint('provider_id', 'granule_start', name=op.f('uq_appointment_granule_provider_id')))
    op.create_index(op.f('ix_appointment_granule_appointment_id'), 'appointment_granule', ['appointment_id'],
                    unique=False)
    # plain ADD COLUMNs: a batch would rebuild these tables, and on SQLite (foreign keys on) dropping the old
    # table fails as soon as a visit, hour or thread points at one of its rows
    op.add_column('provider', sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column('location', sa.Column('timezone', _STRING(length=64), nullable=False,
                                        server_default='America/Chicago'))
    op.add_column('location', sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
    # existing locations are where the practice is: its zone, not the column's default
    op.execute("UPDATE location SET timezone = (SELECT timezone FROM practice_settings ORDER BY id LIMIT 1) "
               "WHERE EXISTS (SELECT 1 FROM practice_settings WHERE timezone <> '')")
    op.add_column('appointment', sa.Column('sequence', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('appointment', sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':  # SQLite adds a column with its reference in one ALTER
        op.execute('ALTER TABLE appointment ADD COLUMN visit_type_id INTEGER REFERENCES visit_type (id)')
        op.execute('ALTER TABLE appointment ADD COLUMN booked_by_user_id INTEGER REFERENCES "user" (id)')
    else:
        op.add_column('appointment', sa.Column('visit_type_id', sa.Integer(), nullable=True))
        op.add_column('appointment', sa.Column('booked_by_user_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_appointment_visit_type_id_visit_type'), 'appointment', 'visit_type',
                              ['visit_type_id'], ['id'])
        op.create_foreign_key(op.f('fk_appointment_booked_by_user_id_user'), 'appointment', 'user',
                              ['booked_by_user_id'], ['id'])
    _hold_booked_visits()
    with op.batch_alter_table('practice_settings') as batch:
        batch.add_column(sa.Column('cancel_cutoff_hours', sa.Integer(), nullable=False, server_default='24'))
        batch.add_column(sa.Column('holiday_state', _STRING(length=2), nullable=False, server_default=''))


def _hold_booked_visits() -> None:
    """Visits booked before this revision (and not yet over) hold their time like new bookings: their
    5-minute granules are written (where two old visits overlap, the earlier keeps the shared granules)."""
    moment = sqlmodel.sql.sqltypes.UTCDateTime()
    appointment = sa.table('appointment', sa.column('id', sa.Integer()), sa.column('provider_id', sa.Integer()),
                           sa.column('starts_at', moment), sa.column('duration_minutes', sa.Integer()),
                           sa.column('status', sa.String()))
    granule = sa.table('appointment_granule', sa.column('provider_id', sa.Integer()),
                       sa.column('granule_start', moment), sa.column('appointment_id', sa.Integer()))
    bind = op.get_bind()
    visits = bind.execute(sa.select(appointment.c.id, appointment.c.provider_id, appointment.c.starts_at,
                                    appointment.c.duration_minutes)
                          .where(appointment.c.status.in_(('booked', 'checked_in')),
                                 appointment.c.starts_at >= datetime.now(UTC) - timedelta(days=1))
                          .order_by(appointment.c.starts_at, appointment.c.id)).all()
    epoch, step, held, rows = datetime(1970, 1, 1, tzinfo=UTC), 5 * 60, set(), []
    for visit_id, provider_id, starts_at, duration in visits:
        start = starts_at if starts_at.tzinfo else starts_at.replace(tzinfo=UTC)
        first = int((start - epoch).total_seconds()) // step
        last = -(-int((start + timedelta(minutes=duration) - epoch).total_seconds()) // step)
        for number in range(first, last):
            if (provider_id, number) not in held:
                held.add((provider_id, number))
                rows.append({'provider_id': provider_id, 'granule_start': epoch + timedelta(seconds=number * step),
                             'appointment_id': visit_id})
    if rows:
        bind.execute(granule.insert(), rows)

def downgrade() -> None:
    # first: its rows point at visits
    op.drop_index(op.f('ix_appointment_granule_appointment_id'), table_name='appointment_granule')
    op.drop_table('appointment_granule')
    with op.batch_alter_table('practice_settings') as batch:
        batch.drop_column('holiday_state')
        batch.drop_column('cancel_cutoff_hours')
    columns = (('appointment', 'booked_by_user_id'), ('appointment', 'updated_at'), ('appointment', 'sequence'),
               ('appointment', 'visit_type_id'), ('location', 'active'), ('location', 'timezone'),
               ('provider', 'active'))
    if op.get_bind().dialect.name == 'sqlite':
        # plain DROP COLUMNs, as upgrade added them: a batch would rebuild these tables, and dropping the old
        # table fails (foreign keys on) while visits, hours or threads point at its rows
        for table, column in columns:
            op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    else:
        op.drop_constraint(op.f('fk_appointment_booked_by_user_id_user'), 'appointment', type_='foreignkey')
        op.drop_constraint(op.f('fk_appointment_visit_type_id_visit_type'), 'appointment', type_='foreignkey')
        for table, column in columns:
            op.drop_column(table, column)
    op.drop_index(op.f('ix_schedule_exception_day'), table_name='schedule_exception')
    op.drop_table('schedule_exception')
    op.drop_table('visit_type')
