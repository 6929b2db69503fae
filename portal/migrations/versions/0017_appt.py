"""appointments: visit types, schedule exceptions, the per-provider granules that make double booking
impossible (unique provider + granule start), locations' time zones, visits' type and change sequence,
and the practice's cancel cutoff and holiday state

Revision ID: 0017_appt
Revises: 0016_coverage_verification
"""
from __future__ import annotations

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
    with op.batch_alter_table('provider') as batch:
        batch.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table('location') as batch:
        batch.add_column(sa.Column('timezone', _STRING(length=64), nullable=False,
                                   server_default='America/Chicago'))
        batch.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
    # existing locations are where the practice is: its zone, not the column's default
    op.execute("UPDATE location SET timezone = (SELECT timezone FROM practice_settings ORDER BY id LIMIT 1) "
               "WHERE EXISTS (SELECT 1 FROM practice_settings WHERE timezone <> '')")
    with op.batch_alter_table('appointment') as batch:
        batch.add_column(sa.Column('visit_type_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('sequence', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('booked_by_user_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_appointment_visit_type_id_visit_type'), 'visit_type',
                                 ['visit_type_id'], ['id'])
        batch.create_foreign_key(op.f('fk_appointment_booked_by_user_id_user'), 'user', ['booked_by_user_id'], ['id'])
    with op.batch_alter_table('practice_settings') as batch:
        batch.add_column(sa.Column('cancel_cutoff_hours', sa.Integer(), nullable=False, server_default='24'))
        batch.add_column(sa.Column('holiday_state', _STRING(length=2), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('practice_settings') as batch:
        batch.drop_column('holiday_state')
        batch.drop_column('cancel_cutoff_hours')
    with op.batch_alter_table('appointment') as batch:
        batch.drop_constraint(op.f('fk_appointment_booked_by_user_id_user'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_appointment_visit_type_id_visit_type'), type_='foreignkey')
        for name in ('booked_by_user_id', 'updated_at', 'sequence', 'visit_type_id'):
            batch.drop_column(name)
    with op.batch_alter_table('location') as batch:
        batch.drop_column('active')
        batch.drop_column('timezone')
    with op.batch_alter_table('provider') as batch:
        batch.drop_column('active')
    op.drop_index(op.f('ix_appointment_granule_appointment_id'), table_name='appointment_granule')
    op.drop_table('appointment_granule')
    op.drop_index(op.f('ix_schedule_exception_day'), table_name='schedule_exception')
    op.drop_table('schedule_exception')
    op.drop_table('visit_type')
