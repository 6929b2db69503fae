"""Dashboard figures equal a hand-computed fixture and a reading of the ledger from scratch; the charges
behind any figure, under any filters, add up to that figure; staff only."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.errors import NotFound
from portal.services import dashboard, dashboard_drill
from portal.services.dashboard import BUCKETS, Filters, dos_range
from portal.services.money_moved import account_money_moved
from portal.services.practice import practice_today
from tests.factories import make_account, make_charges, make_claim, make_user, make_visit
from tests.support.receivables import decide, pay, post_on_charge, reference_balances

STAFF = Actor(user_id=0, role='staff')


def _today():  # noqa: ANN202
    with read_session() as session:
        return practice_today(session)


def _figures(filters: Filters | None = None) -> dashboard.Dashboard:
    with read_session() as session:
        return dashboard.collections_dashboard(session, actor=STAFF, filters=filters or Filters())


def _hand_fixture() -> int:
    """Charges 10, 45, 75, 100 and 200 days old of $100, $200, $300, $400, $500; the 45-day one is with
    insurance; a $150 payment goes to the oldest charge; $50 of the 75-day one is adjusted off."""
    today = _today()
    account, _ = make_account()
    charges = {age: make_charges(account, [amount], start=today - timedelta(days=age))[0]
               for age, amount in ((10, 10000), (45, 20000), (75, 30000), (100, 40000), (200, 50000))}
    make_claim(charges[45], status='submitted')
    with write_session() as session:
        account_money_moved(session, account_id=account.id)
        pay(session, account.id, 15000, on=today)
        post_on_charge(session, charges[75], 'contractual_adjustment', -5000, on=today)
    return account.id


def test_aging_and_kpis_match_the_hand_computed_fixture(db: str) -> None:
    _hand_fixture()
    figures = _figures()
    aging = {row.bucket: (row.patient, row.insurance) for row in figures.aging}
    assert aging == {'0-30': (10000, 0), '31-60': (0, 20000), '61-90': (25000, 0), '91-120': (40000, 0),
                     '120+': (35000, 0)}
    assert figures.total_ar == 130000
    kpis = {kpi.key: kpi for kpi in figures.kpis}
    assert (kpis['ar-over-90'].numerator, kpis['ar-over-90'].denominator) == (75000, 130000)
    assert kpis['ar-over-90'].map_key == 'AR-1'
    # net revenue of the last 90 days of service: $100 + $200 + $300 charged, $50 adjusted
    assert kpis['net-days'].denominator == pytest.approx((60000 - 5000) / 90)
    assert figures.collections[-1].patient == 15000
    assert figures.method_mix == {'card': 15000}


def test_net_days_says_what_its_revenue_subtracts_and_subtracts_what_it_says(db: str) -> None:
    account_id = _hand_fixture()
    today = _today()
    with read_session() as session:
        charge = next(charge_id for charge_id, row in reference_balances(session, account_id).items()
                      if row['date_of_service'] == today - timedelta(days=10))
    with write_session() as session:
        post_on_charge(session, charge, 'write_off', -1000, on=today)
    net_days = next(kpi for kpi in _figures().kpis if kpi.key == 'net-days')
    assert net_days.denominator == pytest.approx((60000 - 5000 - 1000) / 90)
    assert 'contractual adjustments and write-offs' in net_days.formula


def test_aging_equals_a_reading_of_the_ledger_from_scratch(db: str) -> None:
    account_id = _hand_fixture()
    as_of = _today()
    with read_session() as session:
        reference = reference_balances(session, account_id)
    expected = {}
    for name, _, _ in BUCKETS:
        oldest, newest = dos_range(name, as_of)
        for who in ('patient', 'insurance'):
            expected[(name, who)] = sum(row['open_amount'] for row in reference.values()
                                        if row['responsibility'] == who and row['date_of_service'] <= newest
                                        and (oldest is None or row['date_of_service'] >= oldest))
    assert {(row.bucket, who): getattr(row, who) for row in _figures().aging for who in ('patient', 'insurance')} \
        == expected


def test_patients_never_see_the_dashboard(db: str) -> None:
    with read_session() as session, pytest.raises(NotFound):
        dashboard.collections_dashboard(session, actor=Actor(user_id=1, role='patient'))


@pytest.fixture
def practice(db: str) -> dict[str, list[int]]:
    """Three accounts seen by different providers at different locations, some charges with insurance."""
    today = _today()
    for n in range(3):
        account, patients = make_account()
        ids = make_visit(account=account, patient=patients[0], date_of_service=today - timedelta(days=20 + 40 * n),
                         lines=[('99213', 'Office visit', 12000 + n), ('80053', 'Lab panel', 4500 + n)])
        ids += make_visit(account=account, patient=patients[0], date_of_service=today - timedelta(days=130 + n),
                          lines=[('99214', 'Office visit', 18000 + n)])
        if n != 1:
            make_claim(ids[1], status='in_process')
        with write_session() as session:
            account_money_moved(session, account_id=account.id)
            pay(session, account.id, 3000 * (n + 1), on=today)
    from sqlmodel import select

    from portal.models import ChargeBalance
    with read_session() as session:
        rows = session.exec(select(ChargeBalance)).all()
    return {'provider': sorted({row.provider_id for row in rows}),
            'location': sorted({row.location_id for row in rows}), 'payer': [0]}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_charges_behind_a_figure_add_up_to_it_under_any_filters(practice: dict, data: st.DataObject) -> None:
    filters = Filters(**{f'{name}_id': data.draw(st.sampled_from([None, *ids])) for name, ids in practice.items()})
    responsibility = data.draw(st.sampled_from([None, 'patient', 'insurance']))
    bucket = data.draw(st.sampled_from(['all', *(name for name, _, _ in BUCKETS)]))
    figures = _figures(filters)
    rows = [row for row in figures.aging if bucket in ('all', row.bucket)]
    figure = sum(row.total if responsibility is None else getattr(row, responsibility) for row in rows)
    shown, page = 0, 1
    with read_session() as session:
        while True:
            drill = dashboard_drill.ar_drill(session, actor=STAFF, filters=filters, responsibility=responsibility,
                                             bucket=bucket, page=page)
            shown += sum(row.open_amount for row in drill.rows)
            if page >= drill.pages:
                break
            page += 1
    assert drill.total == figure == shown


def test_the_csv_of_a_figure_is_audited_and_escaped(db: str) -> None:
    account_id = _hand_fixture()
    with write_session() as session:
        from portal.models import GuarantorAccount
        session.get(GuarantorAccount, account_id).guarantor_first_name = '=HYPERLINK("x")'
    staff = Actor(user_id=make_user(role='staff').id, role='staff')
    with write_session() as session:
        text = dashboard_drill.ar_drill_csv(session, actor=staff, filters=Filters(), responsibility='patient')
    assert "'=HYPERLINK" in text
    assert '350.00' in text  # the oldest charge: $500 less the $150 payment
    from sqlmodel import select

    from portal.models import AuditEvent
    with read_session() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == 'export_ar_drill')).first() is not None


def test_the_payments_behind_collections_and_each_mix_slice_add_up_to_the_figure(db: str) -> None:
    from portal.services import dashboard_payments
    from tests.support.receivables import refund
    today = _today()
    account, _ = make_account()
    make_charges(account, [90000], start=today - timedelta(days=40))
    payer = make_user(account=account).id
    with write_session() as session:
        account_money_moved(session, account_id=account.id)
        first = pay(session, account.id, 20000, method='card', on=today - timedelta(days=3))
        pay(session, account.id, 5000, method='check', on=today - timedelta(days=2), payer_user_id=payer)
        refund(session, first, 4000, on=today - timedelta(days=1))
    figures = _figures()
    assert sum(day.patient for day in figures.collections) == 21000
    assert figures.method_mix == {'card': 16000, 'check': 5000}
    assert figures.channel_mix == {'guest': 16000, 'signed_in': 5000}

    def drilled(**figure) -> tuple[int, int]:  # noqa: ANN003
        with read_session() as session:
            drill = dashboard_payments.payments_drill(session, actor=STAFF, start=figures.start, end=figures.end,
                                                      **figure)
        return drill.total, sum(row.amount for row in drill.rows)

    assert drilled(source='patient') == (21000, 21000)
    for method, amount in figures.method_mix.items():
        assert drilled(source='patient', method=method) == (amount, amount)
    for channel, amount in figures.channel_mix.items():
        assert drilled(source='patient', channel=channel) == (amount, amount)
    with read_session() as session, pytest.raises(ValueError):
        dashboard_payments.payments_drill(session, actor=STAFF, source='nobody', start=today, end=today)


def test_an_unknown_bucket_or_responsibility_is_refused(db: str) -> None:
    with read_session() as session:
        for figure in ({'bucket': '200-300'}, {'responsibility': 'guarantor'}):
            with pytest.raises(ValueError):
                dashboard_drill.ar_drill(session, actor=STAFF, filters=Filters(), **figure)


def test_a_period_from_year_one_is_two_years_at_most_and_a_reversed_one_reads_the_right_way_round(db: str) -> None:
    today = _today()
    with read_session() as session:
        long = dashboard.collections_dashboard(session, actor=STAFF, filters=Filters(start=date(1, 1, 1)))
        reversed_ = dashboard.collections_dashboard(
            session, actor=STAFF, filters=Filters(start=today, end=today - timedelta(days=9)))
    assert (long.start, long.end) == (today - timedelta(days=dashboard.MAX_PERIOD_DAYS - 1), today)
    assert len(long.collections) == dashboard.MAX_PERIOD_DAYS  # one bar a day, not 739,000
    assert (reversed_.start, reversed_.end) == (today - timedelta(days=9), today)


def test_payments_csv_amounts_have_cents_and_a_refund_keeps_its_minus_unescaped(db: str) -> None:
    from portal.services import dashboard_payments
    from tests.support.receivables import refund
    today = _today()
    account, _ = make_account()
    make_charges(account, [90000], start=today - timedelta(days=40))
    staff = Actor(user_id=make_user(role='staff').id, role='staff')
    with write_session() as session:
        account_money_moved(session, account_id=account.id)
        payment = pay(session, account.id, 1500, on=today - timedelta(days=2))
        refund(session, payment, 100, on=today - timedelta(days=1))
    with write_session() as session:
        text = dashboard_payments.payments_csv(session, actor=staff, source='patient',
                                               start=today - timedelta(days=9), end=today)
    assert ',15.00\r\n' in text and ',-1.00\r\n' in text  # not 15.0 and -1.0


def test_the_audit_of_a_csv_names_the_filters_it_was_taken_under(db: str) -> None:
    from sqlmodel import select

    from portal.models import AuditEvent
    _hand_fixture()
    staff = Actor(user_id=make_user(role='staff').id, role='staff')
    with write_session() as session:
        dashboard_drill.ar_drill_csv(session, actor=staff, filters=Filters(provider_id=7, payer_id=0), bucket='0-30')
    with read_session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == 'export_ar_drill')).one()
    assert event.detail.endswith(' provider=7 payer=0')  # self-pay (0) is a filter too


def test_denial_rates_follow_the_provider_and_payer_filters(db: str) -> None:
    from portal.models import Charge, Encounter
    today = _today()
    account, _ = make_account()
    charge = make_charges(account, [10000], start=today - timedelta(days=20))[0]
    claim = make_claim(charge, status='submitted')
    with write_session() as session:
        decide(session, claim, 'denied')
        provider = session.get(Encounter, session.get(Charge, charge).encounter_id).provider_id

    def decided(**filters: int) -> tuple[float, float]:
        kpis = {kpi.key: kpi for kpi in _figures(Filters(**filters)).kpis}
        return kpis['denial-rate-claims'].denominator, kpis['denial-rate-claims'].numerator

    assert decided() == (1, 1)
    assert decided(provider_id=provider, payer_id=0) == (1, 1)  # its visit's provider; no coverage: self-pay
    assert decided(provider_id=provider + 1000) == (0, 0)
    assert decided(payer_id=4242) == (0, 0)  # another payer's denial rate does not count this claim


def test_portal_adoption_counts_only_accounts_someone_can_still_sign_in_to(db: str) -> None:
    """An access the office revoked, or a user it deactivated, is no longer a sign-in for the account."""
    from portal.models import AccountAccess, User
    from portal.services import dashboard_rows
    staff = Actor(user_id=make_user(role='staff').id, role='staff')
    before = _figures().accounts_registered
    kept, _ = make_account()
    revoked, _ = make_account()
    gone, _ = make_account()
    make_user(account=kept)
    revoked_user = make_user(account=revoked).id
    gone_user = make_user(account=gone).id
    with write_session() as session:
        access = session.exec(select(AccountAccess).where(AccountAccess.user_id == revoked_user)).one()
        access.revoked_at = access.created_at
        session.get(User, gone_user).is_active = False
    assert _figures().accounts_registered == before + 1
    with write_session() as session:
        drill = dashboard_rows.rows_drill(session, actor=staff, figure='portal-adoption', filters=Filters())
    assert drill.numerator == before + 1
