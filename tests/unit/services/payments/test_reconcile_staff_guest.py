"""Reconciliation, refunds and offline payments, receipts and the guest lookup, on both databases."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import time_machine
from pypdf import PdfReader
from sqlmodel import func, select

from portal.auth.permissions import Actor
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.documents.receipt_pdf import render_receipt
from portal.errors import NotFound, RateLimited, ValidationFailed
from portal.models import AuditEvent, Payment, PaymentAttempt, Refund, Statement
from portal.payments import demo_gateway as demo_module
from portal.payments.demo_gateway import DemoGateway
from portal.services import ledger
from portal.services.payments import charge_saved_method, guest, new_key, receipts, staff
from tests.factories import make_account, make_charges, make_quick_pay_statement, make_saved_method, make_user


def _balance(account_id: int) -> int:
    with read_session() as session:
        return ledger.balance(session, account_id)


def test_reconciliation_settles_old_bank_payments(demo: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.jobs import payments as job
    account, _ = make_account()
    make_charges(account, [5000])
    method = make_saved_method(account, behaviour='bank')
    outcome = charge_saved_method(account_id=account.id, method_id=method.id, amount=5000, target='balance',
                                  idempotency_key=new_key())
    assert outcome.status == 'processing'
    assert job.run() == 0  # too recent
    assert _balance(account.id) == 5000
    monkeypatch.setattr(demo_module, 'ACH_SETTLE_SECONDS', 0)
    with time_machine.travel(utcnow() + timedelta(minutes=31), tick=False):
        demo._intents[next(iter(demo._intents))].settle_at = 0
        assert job.run() == 1
    assert _balance(account.id) == 0
    with read_session() as session:
        assert session.exec(select(Payment.status)).one() == 'succeeded'
        assert ledger.processing_payments(session, account.id) == 0


def test_staff_refund_limits_and_offline_payment(demo: DemoGateway) -> None:
    account, _ = make_account()
    make_charges(account, [5000, 2000])
    method = make_saved_method(account)
    paid = charge_saved_method(account_id=account.id, method_id=method.id, amount=4000, target='balance',
                               idempotency_key=new_key())
    clerk = Actor(user_id=make_user(role='staff').id, role='staff')
    with pytest.raises(ValidationFailed):
        staff.refund_payment(actor=clerk, payment_id=paid.payment_id, amount_text='10', reason='')
    staff.refund_payment(actor=clerk, payment_id=paid.payment_id, amount_text='30', reason='Overcharged',
                         balance_after=6000)
    patient = Actor(user_id=make_user(account=account).id, role='patient')  # $10 is left to refund: only staff may
    with pytest.raises(NotFound):
        staff.refund_payment(actor=patient, payment_id=paid.payment_id, amount_text='1', reason='x')
    with read_session() as session:
        assert session.exec(select(func.count(Refund.id))).one() == 1
    with pytest.raises(ValidationFailed, match='most you can refund'):
        staff.refund_payment(actor=clerk, payment_id=paid.payment_id, amount_text='10.01', reason='Again')
    staff.refund_payment(actor=clerk, payment_id=paid.payment_id, amount_text='10', reason='The rest',
                         balance_after=7000)
    with pytest.raises(ValidationFailed, match='already been refunded'):
        staff.refund_payment(actor=clerk, payment_id=paid.payment_id, amount_text='1', reason='More')
    assert _balance(account.id) == 7000
    with write_session() as session:
        staff.record_offline_payment(session, actor=clerk, account_id=account.id, amount_text='25', method='check',
                                     reference='Check 1042')
        with pytest.raises(ValidationFailed):
            staff.record_offline_payment(session, actor=clerk, account_id=account.id, amount_text='5', method='check')
    assert _balance(account.id) == 4500
    with read_session() as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert actions.count('refund_requested') == 2 and 'offline_payment' in actions


def test_receipts_are_access_checked(demo: DemoGateway) -> None:
    account, _ = make_account()
    make_charges(account, [5000])
    owner = make_user(account=account)
    stranger = make_user()
    method = make_saved_method(account)
    paid = charge_saved_method(account_id=account.id, method_id=method.id, amount=5000, target='balance',
                               idempotency_key=new_key())
    view = receipts.load_receipt(actor=Actor(owner.id, 'patient'), payment_id=paid.payment_id)
    assert view is not None and view.lines[0].amount == 5000 and view.lines[0].provider
    assert receipts.load_receipt(actor=Actor(stranger.id, 'patient'), payment_id=paid.payment_id) is None
    with read_session() as session:  # the refusal is on the record
        assert session.exec(select(func.count(AuditEvent.id)).where(AuditEvent.outcome == 'denied')).one() == 1
    text = PdfReader(io.BytesIO(render_receipt(view))).pages[0].extract_text()
    assert view.receipt_number in text and 'Date of service' in text and 'HSA' in text


def test_guest_lookup_is_rate_limited_with_one_message(demo: DemoGateway) -> None:
    make_quick_pay_statement()
    found = guest.lookup(code='abcd-efgh-jklm', date_of_birth=date(1990, 2, 3), ip='10.0.0.1')
    assert (found.first_name, found.amount_due) == ('Lena', 5000)
    messages = set()
    for _ in range(10):
        with pytest.raises(ValidationFailed) as failure:
            guest.lookup(code='ABCDEFGHJKLM', date_of_birth=date(1990, 2, 4), ip='10.0.0.2')
        messages.add(failure.value.message)
    assert messages == {guest.GENERIC}
    with pytest.raises(RateLimited):
        guest.lookup(code='ABCDEFGHJKLM', date_of_birth=date(1990, 2, 3), ip='10.0.0.2')
    url = guest.start_guest_payment(grant=found.grant, idempotency_key=new_key())
    again = guest.start_guest_payment(grant=found.grant, idempotency_key=new_key())  # a second tab
    assert url == again and '/demo-checkout/' in url
    with read_session() as session:
        assert session.exec(select(func.count(PaymentAttempt.id))).one() == 1


def test_a_paid_statement_code_stops_working(demo: DemoGateway) -> None:
    account, _ = make_account(patients=[{'first_name': 'Lena', 'date_of_birth': date(1990, 2, 3)}])
    make_charges(account, [5000, 1000])
    with write_session() as session:
        statement = Statement(account_id=account.id, period='2026-02', statement_date=date(2026, 2, 1),
                              due_date=date(2026, 2, 22), amount_due=5000, new_balance=5000,
                              quick_pay_code='QRSTUVWXYZ23')
        session.add(statement)
        session.flush()
        statement_id = statement.id
    method = make_saved_method(account)
    paid = charge_saved_method(account_id=account.id, method_id=method.id, amount=5000,
                               target=f'statement:{statement_id}', idempotency_key=new_key())
    assert paid.status == 'succeeded'
    with read_session() as session:
        assert session.get(Statement, statement_id).paid_at is not None
    with pytest.raises(ValidationFailed):
        guest.lookup(code='QRSTUVWXYZ23', date_of_birth=date(1990, 2, 3), ip='10.0.0.9')


def test_an_unreachable_gateway_is_a_readable_error(demo: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.errors import DomainError
    from portal.payments.gateway import GatewayError
    from portal.services.payments import checkout
    account, _ = make_account()
    make_charges(account, [5000])
    owner = make_user(account=account)

    def down(request: object) -> None:
        raise GatewayError('We could not reach the payment processor. Nothing was charged; please try again.',
                           retryable=True)

    monkeypatch.setattr(demo, 'start_checkout', down)
    with pytest.raises(DomainError, match='could not reach'):
        checkout.start_payment(actor=Actor(owner.id, 'patient'), account_id=account.id, choice='full',
                               idempotency_key=new_key())
    with read_session() as session:  # the attempt stays open: a retry reuses it
        assert session.exec(select(PaymentAttempt.status)).one() == 'open'
