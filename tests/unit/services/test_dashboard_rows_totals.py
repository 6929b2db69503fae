"""Over random data and random filters, on SQLite and PostgreSQL: every drill-down figure's numerator and
denominator (one aggregate query) equal the tile's and a reference reading of the base tables
(tests/support/dashboard_reference.py), and its rows, read page by page (LIMIT/OFFSET), are exactly the
reference's rows: the same accounts (or months), the same counted ones, the same sums."""
from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.models import (
    AccountAccess,
    AuthorRole,
    Charge,
    Claim,
    Coverage,
    Encounter,
    GuarantorAccount,
    Location,
    Message,
    MessageThread,
    Patient,
    Payer,
    PaymentAttempt,
    PaymentPlan,
    Provider,
    User,
)
from portal.services import dashboard, dashboard_rows, ledger
from portal.services.dashboard import Filters
from portal.services.money_moved import account_money_moved
from portal.services.practice import practice_today
from tests.factories import make_user
from tests.support.dashboard_reference import figures as reference_figures
from tests.support.receivables import pay, post_on_charge

_numbers = itertools.count(1)
CLAIM_STATUSES = ['submitted', 'in_process', 'paid', 'partially_paid', 'denied', 'appealed', 'reprocessed']
charges = st.lists(st.fixed_dictionaries({
    'days_ago': st.integers(0, 260), 'amount': st.integers(1, 40000), 'provider': st.integers(0, 1),
    'location': st.integers(0, 1), 'claim': st.sampled_from([None, 'no coverage', 0, 1]),
    'status': st.sampled_from(CLAIM_STATUSES), 'decided_ago': st.integers(0, 260),
    'insurance': st.integers(0, 20000)}), max_size=4)
accounts = st.lists(st.fixed_dictionaries({
    'paperless': st.booleans(), 'users': st.lists(st.sampled_from(['active', 'revoked', 'inactive']), max_size=2),
    'plan': st.sampled_from([None, 'active', 'delinquent', 'completed', 'cancelled']),
    'charges': charges, 'paid': st.integers(0, 50000),
    'tries': st.lists(st.tuples(st.sampled_from(['succeeded', 'failed', 'open']), st.integers(0, 260),
                                st.booleans()), max_size=3),
    'messages': st.lists(st.tuples(st.sampled_from(['patient', 'staff', 'note']), st.integers(0, 260 * 24),
                                   st.integers(0, 3599)), max_size=5)}), min_size=1, max_size=4)
filters = st.fixed_dictionaries({
    'start': st.none() | st.integers(0, 300), 'end': st.none() | st.integers(0, 300),
    'provider': st.none() | st.integers(0, 1), 'location': st.none() | st.integers(0, 1),
    'payer': st.none() | st.sampled_from([0, 1, 2])})


def _build(world: list[dict]) -> dict:
    """Writes the accounts (their charges through the ledger and the money-moved step); returns the ids of the
    providers, locations and payers the filters pick from."""
    with write_session() as session:
        today = practice_today(session)
        noon = datetime.combine(today, time(12), tzinfo=UTC)
        n = next(_numbers)
        providers = [Provider(npi=f'{1500000000 + n * 2 + i}', first_name='Ana', last_name=f'P{i}') for i in (0, 1)]
        locations = [Location(name=f'Clinic {n}-{i}') for i in (0, 1)]
        payers = [Payer(name=f'Payer {n}-{i}', payer_code=f'P{n}-{i}') for i in (0, 1)]
        session.add_all([*providers, *locations, *payers])
        session.flush()
        for spec in world:
            number = next(_numbers)
            account = GuarantorAccount(account_number=f'R{number:06d}', guarantor_first_name='Pat',
                                       guarantor_last_name=f'Doe{number}', paperless=spec['paperless'])
            session.add(account)
            session.flush()
            patient = Patient(account_id=account.id, first_name='Pat', last_name=f'Doe{number}',
                              date_of_birth=today.replace(year=1980), mrn=f'RM{number}')
            session.add(patient)
            session.flush()
            coverages = [Coverage(patient_id=patient.id, payer_id=payer.id, member_id='M1', subscriber_name='Pat')
                         for payer in payers]
            session.add_all(coverages)
            for user, state in enumerate(spec['users']):  # a revoked access or a deactivated user: no sign-in
                row = User(email=f'r{number}-{user}@example.com', password_hash='x', is_active=state != 'inactive')
                session.add(row)
                session.flush()
                session.add(AccountAccess(account_id=account.id, user_id=row.id,
                                          revoked_at=noon if state == 'revoked' else None))
            if spec['plan']:
                session.add(PaymentPlan(account_id=account.id, total_amount=1000, installment_amount=100, months=10,
                                        status=spec['plan'], signed_name='Pat', signed_at=noon, terms_version='1'))
            session.flush()
            charge_ids = []
            for line in spec['charges']:
                day = today - timedelta(days=line['days_ago'])
                visit = Encounter(account_id=account.id, patient_id=patient.id, date_of_service=day,
                                  provider_id=providers[line['provider']].id,
                                  location_id=locations[line['location']].id)
                session.add(visit)
                session.flush()
                charge = Charge(encounter_id=visit.id, account_id=account.id, patient_id=patient.id, code='99213',
                                description='Office visit', amount=line['amount'], date_of_service=day)
                session.add(charge)
                session.flush()
                ledger.post(session, account_id=account.id, kind='charge', amount=line['amount'],
                            external_ref=f'rows-charge-{charge.id}', effective_date=day, patient_id=patient.id,
                            charge_id=charge.id)
                charge_ids.append(charge.id)
                if line['claim'] is not None:
                    session.add(Claim(
                        account_id=account.id, patient_id=patient.id, encounter_id=visit.id,
                        coverage_id=None if line['claim'] == 'no coverage' else coverages[line['claim']].id,
                        claim_number=f'RC{charge.id}', status=line['status'], billed_amount=line['amount'],
                        adjudicated_at=noon - timedelta(days=line['decided_ago'])))
            session.flush()
            account_money_moved(session, account_id=account.id)
            for charge_id, line in zip(charge_ids, spec['charges'], strict=True):
                if line['insurance']:
                    post_on_charge(session, charge_id, 'insurance_payment', -min(line['insurance'], line['amount']))
            if spec['paid'] and charge_ids:
                pay(session, account.id, spec['paid'], on=today)
            for index, (status, days_ago, installment) in enumerate(spec['tries']):
                target = f'installment:{number}:try-{index}' if installment else f'amount:{index}'
                session.add(PaymentAttempt(account_id=account.id, target=target, amount=1000 + index, gateway='demo',
                                           idempotency_key=f'rows-{number}-{index}', status=status,
                                           created_at=noon - timedelta(days=days_ago)))
            thread = MessageThread(account_id=account.id, subject='Bill')
            session.add(thread)
            session.flush()
            for role, hours_ago, seconds in spec['messages']:
                session.add(Message(thread_id=thread.id, author_role=AuthorRole.patient if role == 'patient'
                                    else AuthorRole.staff, internal_note=role == 'note', body='.',
                                    created_at=noon - timedelta(hours=hours_ago, seconds=seconds)))
        return {'providers': [row.id for row in providers], 'locations': [row.id for row in locations],
                'payers': [0, *[row.id for row in payers]], 'today': today}


def _filters(chosen: dict, ids: dict) -> Filters:
    today = ids['today']
    return Filters(
        start=None if chosen['start'] is None else today - timedelta(days=chosen['start']),
        end=None if chosen['end'] is None else today - timedelta(days=chosen['end']),
        provider_id=None if chosen['provider'] is None else ids['providers'][chosen['provider']],
        location_id=None if chosen['location'] is None else ids['locations'][chosen['location']],
        payer_id=None if chosen['payer'] is None else ids['payers'][chosen['payer']])


def _tile(view: dashboard.Dashboard) -> dict[str, tuple[float, float]]:
    kpis = {kpi.key: (kpi.numerator, kpi.denominator) for kpi in view.kpis}
    return {'plans-active': (view.plans_active, 0), 'plans-past-due': (view.plans_past_due, 0),
            'autopay-rate': (view.autopay_succeeded, view.autopay_tried),
            'portal-adoption': (view.accounts_registered, view.accounts),
            'paperless-rate': (view.accounts_paperless, view.accounts),
            **{key: kpis[key] for key in ('denial-rate-claims', 'denial-rate-dollars', 'response-time',
                                          'patient-collection-rate')}}


def _every_page(staff: Actor, figure: str, chosen: Filters) -> tuple[dashboard_rows.RowsDrill, list]:
    with write_session() as session:
        first = dashboard_rows.rows_drill(session, actor=staff, figure=figure, filters=chosen)
    rows = list(first.rows)
    for page in range(2, first.pages + 1):
        with write_session() as session:
            later = dashboard_rows.rows_drill(session, actor=staff, figure=figure, filters=chosen, page=page)
        assert (later.numerator, later.denominator, later.rows_count) == (first.numerator, first.denominator,
                                                                          first.rows_count)
        rows += later.rows
    return first, rows


def _listed(figure: str, rows: list) -> Counter:
    """The rows as the reference gives them: (account id or month, counted, amount)."""
    if figure == 'patient-collection-rate':
        return Counter((row.account, True, row.cells[0].minor, row.cells[1].minor) for row in rows)
    money = {'autopay-rate': 2, 'denial-rate-claims': 3, 'denial-rate-dollars': 3}.get(figure)
    return Counter((row.account_id, row.counted, 0 if money is None else row.cells[money].minor) for row in rows)


@pytest.mark.timeout(900)  # ten examples, each writing its data and reading all nine figures page by page
@pytest.mark.parametrize('db', ['sqlite', 'postgres'], indirect=True)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=accounts, chosen=filters)
def test_each_figure_s_drill_down_equals_its_tile_a_reference_reading_and_its_pages(
        db: str, monkeypatch: pytest.MonkeyPatch, world: list[dict], chosen: dict) -> None:
    monkeypatch.setattr(dashboard_rows, 'PAGE_SIZE', 2)
    ids = _build(world)
    staff = Actor(user_id=make_user(role='staff').id, role='staff')
    wanted = _filters(chosen, ids)
    with read_session() as session:
        tile = _tile(dashboard.collections_dashboard(session, actor=staff, filters=wanted))
        start, end = wanted.period(practice_today(session))
        reference = reference_figures(session, wanted, start, end)
    assert set(tile) == set(dashboard_rows.FIGURES) == set(reference)
    for figure in dashboard_rows.FIGURES:
        drill, rows = _every_page(staff, figure, wanted)
        expected = reference[figure]
        assert (drill.numerator, drill.denominator) == tile[figure], figure
        assert (drill.numerator, drill.denominator) == (expected.numerator, expected.denominator), figure
        assert drill.rows_count == len(rows) == len(expected.rows), figure
        assert _listed(figure, rows) == Counter(expected.rows), figure
        if figure not in ('response-time', 'patient-collection-rate'):
            assert sum(row.counted for row in rows) == (drill.numerator if not drill.money else
                                                        sum(row[1] for row in expected.rows)), figure
