"""Twenty people ask for the same time at once: exactly one gets it, on SQLite and PostgreSQL, and the
others get the "just taken" message; visits of other lengths that overlap lose the same way."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import time_machine
from sqlmodel import func, select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.errors import ValidationFailed
from portal.models import Appointment, AppointmentGranule
from portal.services.appointments import booking
from tests.factories import make_account, make_user
from tests.support.schedule import make_clinic

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_twenty_concurrent_requests_for_one_slot_book_it_once(db: str) -> None:
    clinic = make_clinic()
    account, patients = make_account(patients=[{'first_name': f'P{index}'} for index in range(20)])
    actor = Actor(make_user(account=account).id, 'patient')
    starts = [datetime(2026, 3, 9, 10, 30) if index % 2 else datetime(2026, 3, 9, 10, 0) for index in range(20)]
    types = [clinic.visit_type_id if index % 2 else clinic.long_type_id for index in range(20)]

    def attempt(index: int) -> str:
        try:
            with write_session() as session:
                booking.book(session, actor=actor, visit_type_id=types[index], patient_id=patients[index].id,
                             provider_id=clinic.provider_ids[0], location_id=clinic.location_id,
                             starts_at=starts[index])
        except ValidationFailed as refused:
            return refused.message
        return 'booked'

    with time_machine.travel(NOW, tick=False), ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(attempt, range(20)))
    assert outcomes.count('booked') == 1
    assert set(outcomes) == {'booked', booking.TAKEN}
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(Appointment)).one() == 1
        held = session.exec(select(func.count()).select_from(AppointmentGranule)).one()
    assert held in (6, 12)  # the winner's 30 or 60 minutes
