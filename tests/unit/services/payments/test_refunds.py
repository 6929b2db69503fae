"""Refunds: the account's credit first; more than the credit only once staff confirm the balance it
leaves; the reason in the ledger and, in plain words, for the patient; a re-billed statement is no
longer "paid"; every refusal names its action; a check memo names the method once."""
from __future__ import annotations

import pytest
from sqlmodel import func, select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.errors import ValidationFailed
from portal.models import LedgerEntry, LedgerKind, Payment, Refund, Statement
from portal.payments.demo_gateway import DemoGateway
from portal.services import home, ledger, statements
from portal.services.payments import charge_saved_method, new_key, receipts, staff
from portal.services.practice import load_practice_today as practice_today
from portal.services.refund_reasons import REASONS, RefundLine
from portal.services.statement_run import run_statements
from tests.factories import make_account, make_charges, make_saved_method, make_user


def _clerk() -> Actor:
    return Actor(user_id=make_user(role='staff').id, role='staff')


def _balance(account_id: int) -> int:
    with read_session() as session:
        return ledger.balance(session, account_id)


def _paid_in_full(amount: int = 10000) -> tuple[int, int, int]:
    """An account whose statement was paid in full with a saved card: (account id, patient user id, payment id)."""
    account, _ = make_account()
    make_charges(account, [amount])
    owner = make_user(account=account)
    method = make_saved_method(account)
    run_statements(on=practice_today())
    with read_session() as session:
        statement_id = session.exec(select(Statement.id).where(Statement.account_id == account.id)).one()
    paid = charge_saved_method(account_id=account.id, method_id=method.id, amount=amount,
                               target=f'statement:{statement_id}', idempotency_key=new_key())
    assert paid.status == 'succeeded' and _balance(account.id) == 0
    return account.id, owner.id, paid.payment_id


def test_a_refund_beyond_the_credit_needs_the_resulting_balance_confirmed(demo: DemoGateway) -> None:
    account_id, _, payment_id = _paid_in_full()
    clerk = _clerk()
    for confirmed in (None, 5000):  # not confirmed, or confirmed for another balance
        with pytest.raises(staff.RefundNeedsConfirmation) as asked:
            staff.refund_payment(actor=clerk, payment_id=payment_id, amount_text='100', reason='Overpayment',
                                 balance_after=confirmed)
        assert asked.value.preview.balance_after == 10000
        assert 'credit of $0.00. The balance becomes $100.00' in asked.value.message
    with read_session() as session:
        assert session.exec(select(func.count(Refund.id))).one() == 0
    assert _balance(account_id) == 0 and demo.calls.get('refund', 0) == 0
    assert staff.refund_payment(actor=clerk, payment_id=payment_id, amount_text='100', reason='Overpayment',
                                balance_after=10000) == 'Refunded $100.00.'
    assert _balance(account_id) == 10000


def test_staff_see_the_credit_and_a_refund_within_it_needs_no_second_confirmation(demo: DemoGateway) -> None:
    account, _ = make_account()
    make_charges(account, [5000])
    clerk = _clerk()
    with write_session() as session:  # $60 in cash on a $50 charge: $10 of credit
        payment_id = staff.record_offline_payment(session, actor=clerk, account_id=account.id, amount_text='60',
                                                  method='cash')
    with write_session() as session:
        assert staff.staff_account(session, clerk, account.id).credit == 1000
    staff.refund_payment(actor=clerk, payment_id=payment_id, amount_text='10', reason='Overpayment')
    assert _balance(account.id) == 0
    with write_session() as session:
        assert staff.staff_account(session, clerk, account.id).credit == 0


def test_the_reason_is_in_the_ledger_and_in_plain_words_on_the_patients_receipt(demo: DemoGateway) -> None:
    account_id, owner_id, payment_id = _paid_in_full()
    staff.refund_payment(actor=_clerk(), payment_id=payment_id, amount_text='20', reason='Duplicate payment',
                         balance_after=2000)
    with write_session() as session:
        memo = session.exec(select(LedgerEntry.memo).where(LedgerEntry.kind == LedgerKind.refund)).one()
        receipt = receipts.receipt_for_actor(session, Actor(owner_id, 'patient'), payment_id)
    assert memo == 'Duplicate payment'
    assert [(r.amount, r.why) for r in receipt.refunds] == [(2000, REASONS['Duplicate payment'])]
    assert receipt.refunds[0].why == 'You paid the same bill twice, so we sent one payment back.'


def test_a_statement_re_billed_by_a_refund_is_no_longer_paid_anywhere(demo: DemoGateway) -> None:
    account_id, owner_id, payment_id = _paid_in_full()
    patient = Actor(owner_id, 'patient')

    def shown() -> tuple[str, str, bool]:
        with write_session() as session:
            (listed,) = statements.list_statements(session, actor=patient)
            (account,) = home.patient_home(session, actor=patient).accounts
            paid_at = session.exec(select(Statement.paid_at).where(Statement.account_id == account_id)).one()
        assert account.latest_statement is not None
        return listed.status, account.latest_statement.status, paid_at is not None

    assert shown() == ('paid', 'paid', True)
    staff.refund_payment(actor=_clerk(), payment_id=payment_id, amount_text='100', reason='Billing correction',
                         balance_after=10000)
    assert shown() == ('due', 'due', False)  # the patient owes it again: quick pay and reminders work again
    with write_session() as session:  # and home says why the balance went up
        (account,) = home.patient_home(session, actor=patient).accounts
    assert account.refund == RefundLine(practice_today(), 10000, REASONS['Billing correction'])
    assert account.amount_due == 10000


def test_a_partial_refund_that_leaves_the_statement_covered_keeps_it_paid(demo: DemoGateway) -> None:
    account, _ = make_account()
    make_charges(account, [6000])
    owner = make_user(account=account)
    run_statements(on=practice_today())
    make_charges(account, [4000])  # a new charge after the statement
    method = make_saved_method(account)
    paid = charge_saved_method(account_id=account.id, method_id=method.id, amount=10000, target='balance',
                               idempotency_key=new_key())
    staff.refund_payment(actor=_clerk(), payment_id=paid.payment_id, amount_text='40', reason='Courtesy refund',
                         balance_after=4000)
    with write_session() as session:  # $100 paid, $40 back: the $60 statement is still covered
        (listed,) = statements.list_statements(session, actor=Actor(owner.id, 'patient'))
    assert listed.status == 'paid'


@pytest.mark.parametrize(('amount', 'message'), [
    ('100.01', 'The most you can refund here is $100.00.'), ('4,60', 'Enter the amount like 4.60.'),
])
def test_a_refused_refund_names_the_refund(demo: DemoGateway, amount: str, message: str) -> None:
    account_id, _, payment_id = _paid_in_full()
    with pytest.raises(ValidationFailed) as refused:
        staff.refund_payment(actor=_clerk(), payment_id=payment_id, amount_text=amount, reason='Overpayment')
    assert refused.value.field_errors == {'amount': message}
    assert _balance(account_id) == 0


def test_cash_and_checks_name_the_recording_and_a_check_memo_names_the_method_once(db: str) -> None:
    account, _ = make_account()
    make_charges(account, [5000])
    clerk = _clerk()
    with write_session() as session, pytest.raises(ValidationFailed, match=r'most you can record here is'):
        staff.record_offline_payment(session, actor=clerk, account_id=account.id, amount_text='100,000.01',
                                     method='cash')
    for typed in ('Check 1042', 'check #1042', '1042'):
        with write_session() as session:
            payment_id = staff.record_offline_payment(session, actor=clerk, account_id=account.id, amount_text='1',
                                                      method='check', reference=typed)
            memo = session.exec(select(LedgerEntry.memo).where(LedgerEntry.payment_id == payment_id)).one()
            assert (memo, session.get(Payment, payment_id).reference) == ('Check 1042', '1042')
