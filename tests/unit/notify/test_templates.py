"""Every message template, by email and by text, rendered from what the reminder job really queues for a
household full of PHI: none of it (names beyond the first, birth dates, account numbers, providers,
codes, visit types) reaches a message."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
import time_machine
from sqlmodel import select

from portal.db import write_session
from portal.jobs import reminders
from portal.models import Appointment, GuarantorAccount, Location, Patient, Payment, Provider
from portal.notify import templates
from tests.support.notify_data import billed_household, outbox

ALLOWED = {'first_name', 'link', 'amount', 'receipt_number', 'statement_number',
           'count',  # count: how many conversations are overdue, in the staff digest (no patient's data)
           'calendar_link'}  # a visit's .ics address behind sign-in: an id, nothing about the visit
NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


def test_templates_take_only_allowed_fields_and_every_placeholder_is_filled() -> None:
    for name, template in templates.TEMPLATES.items():
        assert template.fields <= ALLOWED, name
        assert template.kind in (None, *templates.KINDS), name
        context = {field: f'<{field}>' for field in template.fields}
        subject, body = templates.render(name, context)
        assert '{' not in subject + body, name
        if template.sms:
            text = templates.render_sms(name, context)
            assert '{' not in text and 'STOP' in text and len(text) <= 320, name
        else:
            with pytest.raises(ValueError):
                templates.render_sms(name, context)


def test_messages_queued_for_a_household_carry_no_phi(db: str) -> None:
    with time_machine.travel(NOW, tick=False):
        household = billed_household(last_name='Nguyễn-Okafor')
        with write_session() as session:
            patient = session.exec(select(Patient).where(Patient.account_id == household.account_id)).one()
            account_number = session.get(GuarantorAccount, household.account_id).account_number
            provider = Provider(npi='1234567893', first_name='Evelyn', last_name='Castellano', specialty='Oncology')
            location = Location(name='Westside Oncology Center')
            session.add_all([provider, location])
            session.flush()
            session.add(Appointment(account_id=household.account_id, patient_id=patient.id, provider_id=provider.id,
                                    location_id=location.id, starts_at=datetime(2026, 3, 3, 16, tzinfo=UTC),
                                    visit_type='Chemotherapy infusion'))
            session.add(Payment(account_id=household.account_id, amount=4000, method='card', status='failed',
                                receipt_number='R-PHI-1', received_at=NOW))
            mrn = patient.mrn
        reminders.run()
    rows = outbox()
    assert {row.template for row in rows} == {'statement_ready', 'appointment_tomorrow', 'payment_failed'}
    phi = ['Nguyễn', 'Okafor', '1979', '11/23', 'Castellano', 'Oncology', 'Westside', 'Chemotherapy',
           account_number, mrn]
    for row in rows:
        context = json.loads(row.context_json)
        subject, body = templates.render(row.template, context)
        rendered = [subject, body, templates.render_sms(row.template, context)]
        for text in rendered:
            for value in phi:
                assert value not in text, (row.template, value)
            assert not re.search(r'\b\d{5}\b', text.replace(context.get('amount', ''), '')), row.template  # no codes
