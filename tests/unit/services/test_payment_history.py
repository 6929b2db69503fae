"""The payment history (every payment and refund the person may see, what each paid for, refund
reasons in plain words), what moved since the latest statement, and the practice's calendar day
(`clock.practice_day`) on every page and queue that shows a payment's or attempt's date."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, func, select

from portal.auth.permissions import Actor
from portal.clock import practice_day
from portal.db import read_session, write_session
from portal.documents.receipt_pdf import render_receipt
from portal.models import (
    AuditEvent,
    Payment,
    PaymentAttempt,
    PaymentPlan,
    PlanInstallment,
    Refund,
    SavedPaymentMethod,
    Statement,
)
from portal.services import ledger
from portal.services.payment_history import PaidFor, Status, activity_since_statements, payment_history
from portal.services.payments.receipts import receipt_view
from portal.services.payments.staff import staff_account
from portal.services.plans.queues import staff_queues
from portal.services.practice import practice
from tests.factories import make_account, make_charges, make_user
from tests.support.documents import look, normalized

CHICAGO = ZoneInfo('America/Chicago')
_numbers = iter(range(1, 10_000))


def _chicago(text: str) -> datetime:
    """A wall-clock time in Chicago as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=CHICAGO).astimezone(UTC)


def _pay(session: Session, account_id: int, amount: int, at: datetime, *, target: str | None = 'balance',
         status: str = 'succeeded', method: str = 'card', saved_id: int | None = None) -> Payment:
    number = next(_numbers)
    attempt_id = None
    if target is not None:
        attempt = PaymentAttempt(account_id=account_id, target=target, amount=amount, idempotency_key=f'k-{number}',
                                 gateway='demo', status=status)
        session.add(attempt)
        session.flush()
        attempt_id = attempt.id
    payment = Payment(account_id=account_id, attempt_id=attempt_id, amount=amount, method=method, status=status,
                      receipt_number=f'RT{number:06d}', received_at=at, saved_method_id=saved_id)
    session.add(payment)
    session.flush()
    if status == 'succeeded':
        ledger.post(session, account_id=account_id, kind='patient_payment', amount=-amount,
                    external_ref=f'test-pay-{payment.id}', effective_date=practice(session).day_of(at),
                    payment_id=payment.id)
    return payment


def _refund(session: Session, payment: Payment, amount: int, at: datetime, reason: str,
            status: str = 'succeeded') -> Refund:
    refund = Refund(payment_id=payment.id, idempotency_key=f'r-{payment.id}-{amount}', amount=amount, reason=reason,
                    status=status, created_at=at)
    session.add(refund)
    session.flush()
    return refund


def _patient(**account_fields: object) -> tuple[int, Actor]:
    account, _ = make_account(**account_fields)
    user = make_user(account=account)
    return account.id, Actor(user.id, 'patient')


def test_every_payment_and_refund_newest_first_with_what_it_paid_and_why(db: str) -> None:
    account_id, actor = _patient()
    other_id, _ = _patient()
    make_charges(account_id, [50000])
    with write_session() as session:
        card = SavedPaymentMethod(account_id=account_id, gateway='demo', gateway_customer_id='cus_1',
                                  gateway_method_id='pm_hist_card', kind='card', brand='visa', last4='4242')
        bank = SavedPaymentMethod(account_id=account_id, gateway='demo', gateway_customer_id='cus_1',
                                  gateway_method_id='pm_hist_bank', kind='us_bank_account', bank_name='First Bank',
                                  last4='6789')
        session.add_all([card, bank])
        statement = Statement(account_id=account_id, period='2026-10', statement_date=date(2026, 10, 7),
                              due_date=date(2026, 10, 28), quick_pay_code='HISTORYCODE1')
        plan = PaymentPlan(account_id=account_id, total_amount=30000, installment_amount=10000, months=3,
                           signed_name='Pat Lee', signed_at=_chicago('2026-10-01T09:00'), terms_version='t')
        session.add_all([statement, plan])
        session.flush()
        installment = PlanInstallment(plan_id=plan.id, seq=1, due_date=date(2026, 11, 1), amount=10000)
        session.add(installment)
        session.flush()
        by_statement = _pay(session, account_id, 12000, _chicago('2026-10-10T10:00'),
                            target=f'statement:{statement.id}', saved_id=card.id)
        _pay(session, account_id, 10000, _chicago('2026-11-01T08:00'), target=f'installment:{installment.id}:try-1',
             saved_id=bank.id, status='processing')
        _pay(session, account_id, 2500, _chicago('2026-11-03T12:00'), target=None, method='check')
        _pay(session, account_id, 460, _chicago('2026-11-04T12:00'), target='amount:460', status='failed',
             saved_id=card.id)
        _refund(session, by_statement, 2000, _chicago('2026-11-05T15:00'), 'Overpayment')
        _refund(session, by_statement, 1000, _chicago('2026-11-06T15:00'), '', status='pending')
        _pay(session, other_id, 9999, _chicago('2026-11-06T16:00'))  # someone else's: never listed
    with read_session() as session:
        history = payment_history(session, actor)
    rows = [(item.on, item.refund, item.amount, item.status, item.paid_for, item.for_date) for item in history.items]
    assert rows == [
        (date(2026, 11, 6), True, 1000, Status.processing, PaidFor.statement, date(2026, 10, 7)),
        (date(2026, 11, 5), True, 2000, Status.succeeded, PaidFor.statement, date(2026, 10, 7)),
        (date(2026, 11, 4), False, 460, Status.failed, PaidFor.amount, None),
        (date(2026, 11, 3), False, 2500, Status.succeeded, PaidFor.office, None),
        (date(2026, 11, 1), False, 10000, Status.processing, PaidFor.installment, date(2026, 11, 1)),
        (date(2026, 10, 10), False, 12000, Status.partly_refunded, PaidFor.statement, date(2026, 10, 7)),
    ]
    assert history.items[1].why == 'You paid more than you owed, so we sent the extra back.'
    assert history.items[0].why == 'The billing office sent this money back to you.'
    assert [item.method for item in history.items[2:]] == [
        'Visa ending 4242', 'Check', 'First Bank ending 6789 (ACH)', 'Visa ending 4242']
    assert {item.payment_id for item in history.items[:2]} == {by_statement.id}
    assert not history.several_accounts


def test_a_payment_refunded_in_full_reads_refunded(db: str) -> None:
    account_id, actor = _patient()
    with write_session() as session:
        payment = _pay(session, account_id, 5000, _chicago('2026-11-10T10:00'))
        _refund(session, payment, 5000, _chicago('2026-11-11T10:00'), 'Duplicate payment')
    with read_session() as session:
        items = payment_history(session, actor).items
    assert [(item.refund, item.status) for item in items] == [(True, Status.succeeded), (False, Status.refunded)]


def test_nobody_linked_sees_an_empty_history_and_a_proxy_view_is_audited(db: str) -> None:
    stranger = make_user()
    with read_session() as session:
        assert payment_history(session, Actor(stranger.id, 'patient')).items == []
    account, _ = make_account()
    proxy = make_user(account=account, relationship='guardian')
    with write_session() as session:
        _pay(session, account.id, 700, _chicago('2026-11-10T10:00'))
    with write_session() as session:
        assert len(payment_history(session, Actor(proxy.id, 'patient')).items) == 1
    with read_session() as session:
        audited = session.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == 'view_payment_history', AuditEvent.account_id == account.id)).one()
    assert audited == 1


def test_what_moved_since_the_latest_statement(db: str) -> None:
    account_id, _ = _patient()
    make_charges(account_id, [20000])
    with write_session() as session:
        last = session.exec(select(func.max(ledger.LedgerEntry.id))).one()
        session.add(Statement(account_id=account_id, period='2026-11', statement_date=date(2026, 11, 7),
                              due_date=date(2026, 11, 28), quick_pay_code='SINCECODE001', last_entry_id=last,
                              new_balance=20000, amount_due=20000))
    make_charges(account_id, [5000, 4200], start=date(2026, 11, 12))
    with write_session() as session:
        _pay(session, account_id, 3000, _chicago('2026-11-20T10:00'))
        ledger.post(session, account_id=account_id, kind='insurance_payment', amount=-1500, external_ref='ins-1',
                    effective_date=date(2026, 11, 21))
    with read_session() as session:
        [since] = activity_since_statements(session, [account_id])
    assert (since.statement_date, since.charges, since.payments, since.credits, since.refunds) == \
        (date(2026, 11, 7), 9200, 3000, 1500, 0)
    assert since.change == 9200 - 3000 - 1500
    with read_session() as session:
        assert ledger.balance(session, account_id) == 20000 + since.change
        assert since.lines == ()  # only when asked for
        [detailed] = activity_since_statements(session, [account_id], lines=True)
    assert [(line.on, line.what, line.amount) for line in detailed.lines] == [
        (date(2026, 11, 21), 'Insurance paid', -1500), (date(2026, 11, 20), 'Your payment', -3000),
        (date(2026, 11, 13), 'Office visit', 4200), (date(2026, 11, 12), 'Office visit', 5000)]


# A payment at 23:15 in Chicago is the next day in UTC; both daylight-saving change days too.
LATE = ['2026-07-13T23:15', '2026-03-08T23:15', '2026-11-01T23:15', '2026-03-08T00:30', '2026-11-01T01:30']


@pytest.mark.parametrize('local', LATE)
def test_the_practice_day_of_an_instant(local: str) -> None:
    moment = _chicago(local)
    assert practice_day(moment, zone='America/Chicago') == date.fromisoformat(local[:10])
    assert practice_day(moment.replace(tzinfo=None), zone=CHICAGO) == date.fromisoformat(local[:10])  # naive: UTC


@pytest.mark.parametrize('local', LATE[:3])
def test_a_late_payment_shows_its_local_day_everywhere(db: str, local: str) -> None:
    day = date.fromisoformat(local[:10])
    at = _chicago(local)
    assert at.date() == day + timedelta(days=1)  # the day UTC would have shown
    account_id, actor = _patient()
    staff = make_user(role='staff')
    with write_session() as session:
        payment = _pay(session, account_id, 4000, at)
        plan = PaymentPlan(account_id=account_id, total_amount=8000, installment_amount=4000, months=2,
                           signed_name='Pat Lee', signed_at=at, terms_version='t', status='delinquent')
        session.add(plan)
        session.flush()
        session.add(PlanInstallment(plan_id=plan.id, seq=1, due_date=day, amount=4000, status='failed', attempts=1,
                                    last_attempt_at=at))
    staff_actor = Actor(staff.id, 'staff')
    with write_session() as session:
        receipt = receipt_view(session, session.get(Payment, payment.id))
        assert receipt.paid_on == day
        assert f'{day:%b} {day.day}, {day.year}' in normalized(look(render_receipt(receipt))[0].text)  # the PDF
        assert [item.on for item in payment_history(session, actor).items] == [day]
        assert [row.received_on for row in staff_account(session, staff_actor, account_id).payments] == [day]
        [row] = [row for row in staff_queues(session, actor=staff_actor).delinquent if row.account_id == account_id]
        assert row.last_attempt == day
