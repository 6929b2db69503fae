"""Open-slot search for one visit type across 20 providers and 60 days, with about a third of the time
already booked (granules held) and a few exceptions, on SQLite and (with --postgres) PostgreSQL.

    .venv/bin/python tests/benchmarks/bench_slots.py [--postgres] [--runs 10]

Builds the schedule in a fresh database (20 providers, 2 locations in different zones, Monday–Friday
8:00–17:00 every 15 minutes), books every third 30-minute start for 60 days through the granule table,
then times `slots.open_slots(visit_type, any provider, any location, 60 days)` and prints the median
and the worst, with the number of open times found.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from portal.auth.permissions import Actor  # noqa: E402
from portal.clock import wall_instant  # noqa: E402
from portal.db import init_engine, migrate, read_session, write_session  # noqa: E402
from portal.models import (  # noqa: E402
    Appointment,
    AppointmentGranule,
    GuarantorAccount,
    Location,
    Patient,
    Provider,
    ProviderAvailability,
    ScheduleException,
    VisitType,
)
from portal.models.schedule import granule_starts  # noqa: E402
from portal.services.appointments import slots  # noqa: E402

PROVIDERS, DAYS = 20, 60


def build(first_day: date) -> int:
    with write_session() as session:
        locations = [Location(name='North', timezone='America/Chicago'),
                     Location(name='West', timezone='America/Denver')]
        session.add_all(locations)
        visit_type = VisitType(name='Check-up', duration_minutes=30, price=15000, codes='99213')
        account = GuarantorAccount(account_number='A1', guarantor_first_name='B', guarantor_last_name='C')
        session.add_all([visit_type, account])
        session.flush()
        patient = Patient(account_id=account.id, mrn='M1', first_name='B', last_name='C',
                          date_of_birth=date(1980, 1, 1))
        session.add(patient)
        providers = [Provider(npi=f'{1000000000 + index}', first_name='P', last_name=f'N{index}')
                     for index in range(PROVIDERS)]
        session.add_all(providers)
        session.flush()
        for index, provider in enumerate(providers):
            location = locations[index % 2]
            for weekday in range(5):
                session.add(ProviderAvailability(provider_id=provider.id, location_id=location.id, weekday=weekday,
                                                 start_time=clock_time(8), end_time=clock_time(17), slot_minutes=15))
        session.add(ScheduleException(kind='time_off', day=first_day + timedelta(days=10), provider_id=providers[0].id))
        session.flush()
        granules = []
        for index, provider in enumerate(providers):
            zone = ZoneInfo(locations[index % 2].timezone)
            for offset in range(DAYS):
                day = first_day + timedelta(days=offset)
                if day.weekday() >= 5:
                    continue
                for minute in range(8 * 60, 17 * 60, 90):  # every third 30-minute start
                    start = wall_instant(datetime.combine(day, clock_time(0)) + timedelta(minutes=minute), zone)
                    visit = Appointment(account_id=account.id, patient_id=patient.id, provider_id=provider.id,
                                        location_id=locations[index % 2].id, starts_at=start, visit_type='Check-up')
                    session.add(visit)
                    session.flush()
                    granules += [{'provider_id': provider.id, 'granule_start': granule, 'appointment_id': visit.id}
                                 for granule in granule_starts(start, 30)]
        session.connection().execute(AppointmentGranule.__table__.insert(), granules)
        return int(visit_type.id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--postgres', action='store_true')
    parser.add_argument('--runs', type=int, default=10)
    args = parser.parse_args()
    database = None
    if args.postgres:
        from tests.support.databases import PostgresDatabase
        database = PostgresDatabase()
        url = database.url
    else:
        url = f'sqlite:///{tempfile.mkdtemp()}/slots.db'
    try:
        init_engine(url)
        migrate()
        first_day = date.today() + timedelta(days=1)
        visit_type_id = build(first_day)
        actor = Actor(0, 'staff')
        now = datetime.now(UTC)
        timings, found = [], 0
        for _ in range(args.runs):
            started = time.perf_counter()
            with read_session() as session:
                days = slots.open_slots(session, actor=actor, visit_type_id=visit_type_id, first_day=first_day,
                                        days=DAYS, now=now)
            timings.append(time.perf_counter() - started)
            found = sum(len(day.slots) for day in days)
        print(f'{url.split(":")[0]}: {PROVIDERS} providers x {DAYS} days, {found:,} open times (any provider: each '
              f'time once per location); median {statistics.median(timings) * 1000:.0f} ms, '
              f'worst {max(timings) * 1000:.0f} ms')
    finally:
        if database is not None:
            from portal.db import dispose_engine
            dispose_engine()
            database.drop()
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
