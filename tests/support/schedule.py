"""A small practice schedule for tests: one location per zone, providers with weekly hours, visit types."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlmodel import Session

from portal.db import write_session
from portal.models import Location, Provider, ProviderAvailability, VisitType

_npi = iter(range(1000000001, 1999999999))


@dataclass(frozen=True)
class Clinic:
    location_id: int
    provider_ids: list[int]
    visit_type_id: int  # 30 minutes, patients may book
    long_type_id: int  # 60 minutes
    new_patient_type_id: int  # staff only


def make_clinic(*, session: Session | None = None, zone: str = 'America/Chicago', providers: int = 1,
                start: time = time(9), end: time = time(17), weekdays: range = range(5)) -> Clinic:
    def build(db: Session) -> Clinic:
        location = Location(name='Main Street Clinic', address_line1='12 Main St', city='Springfield', state='IL',
                            postal_code='62704', timezone=zone)
        db.add(location)
        ids = []
        for index in range(providers):
            provider = Provider(npi=str(next(_npi)), first_name='Ana', last_name=f'Diaz{index}', credentials='MD')
            db.add(provider)
            db.flush()
            ids.append(int(provider.id))
        db.flush()
        for provider_id in ids:
            for weekday in weekdays:
                db.add(ProviderAvailability(provider_id=provider_id, location_id=location.id, weekday=weekday,
                                            start_time=start, end_time=end, slot_minutes=15))
        short = VisitType(name='Check-up', duration_minutes=30, price=12000, codes='99213')
        long = VisitType(name='Long visit', duration_minutes=60, price=20000, codes='99215')
        new = VisitType(name='New patient visit', duration_minutes=45, price=18000, codes='99203', new_patients=True)
        db.add_all([short, long, new])
        db.flush()
        return Clinic(int(location.id), ids, int(short.id), int(long.id), int(new.id))

    if session is not None:
        return build(session)
    with write_session() as db:
        return build(db)
