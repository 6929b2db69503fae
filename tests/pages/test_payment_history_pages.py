"""/payments (every payment and refund, with refund reasons in plain words), /payments/{id} (the
signed-in receipt; another account's payment is a 404, audited), the navigation link, the empty
state, and "Since your statement of ..." on home and the statements page."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from nicegui import ui
from nicegui.testing import User
from sqlmodel import func, select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.models import AuditEvent, GuarantorAccount, LedgerEntry, Payment, Refund, Statement
from portal.services import ledger
from portal.services.payments import staff
from tests.factories import STRONG_PASSWORD, make_account, make_charges, make_paid_attempt, make_user
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in
from tests.support.payments import fresh_gateway  # noqa: F401  (autouse)

DEMO_ACCOUNT = 'A10002026'
# the sign is held to its amount (components.activity.since_html)
NEW_CHARGES = 'Since your statement of November 7, 2026: <span class="whitespace-nowrap">+$92.00</span> new charges.'


def _demo_payments() -> tuple[int, int, int]:
    """The demo account's id, one of its payments, and a payment of another account."""
    with read_session() as session:
        account_id = session.exec(select(GuarantorAccount.id)
                                  .where(GuarantorAccount.account_number == DEMO_ACCOUNT)).one()
        own = session.exec(select(Payment.id).where(Payment.account_id == account_id,
                                                    Payment.status == 'succeeded')).first()
        other = session.exec(select(Payment.id).where(Payment.account_id != account_id)).first()
    assert own is not None and other is not None
    return account_id, own, other


def _denied_receipts() -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == 'view_receipt', AuditEvent.outcome == 'denied')).one()


async def test_history_lists_payments_and_refund_reasons_and_opens_receipts(user: User) -> None:
    _, own, _ = _demo_payments()
    with write_session() as session:
        session.add(Refund(payment_id=own, idempotency_key='page-refund-1', amount=100, reason='Insurance paid',
                           status='succeeded'))
        receipt_number = session.get(Payment, own).receipt_number
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.should_see('Payment history')  # in the navigation
    await user.open('/payments')
    await user.should_see('Every payment and refund, newest first.')
    await user.should_see('Refund to you')
    await user.should_see('Your insurance paid after you did, so we sent back what you no longer owe.')
    await user.should_see(receipt_number)
    await user.should_see(f'/payments/{own}')
    await user.open(f'/payments/{own}')
    await user.should_see(marker='receipt')
    await user.should_see(f'Receipt {receipt_number}')
    await user.should_see('Partly refunded')
    await user.should_see(marker='receipt-pdf')
    pdf = await user.http_client.get(f'/documents/receipts/{own}.pdf')
    assert pdf.status_code == 200 and pdf.content.startswith(b'%PDF')


async def test_another_accounts_receipt_is_a_404_and_audited(user: User) -> None:
    _, _, other = _demo_payments()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    before = _denied_receipts()
    page = await user.http_client.get(f'/payments/{other}')
    assert page.status_code == 404
    pdf = await user.http_client.get(f'/documents/receipts/{other}.pdf')
    assert pdf.status_code == 404
    assert _denied_receipts() == before + 2
    for wrong in ('abc', '-1', '99999999'):
        assert (await user.http_client.get(f'/payments/{wrong}')).status_code == 404


async def test_signed_out_people_sign_in_first_and_staff_get_a_404(user: User) -> None:
    signed_out = await user.http_client.get('/payments', follow_redirects=False)
    assert signed_out.status_code == 307 and signed_out.headers['location'] == '/?next=/payments'
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    assert (await user.http_client.get('/payments')).status_code == 404


async def test_an_account_without_payments_reads_well(user: User) -> None:
    account, _ = make_account()
    person = make_user(account=account, first_name='Nia')
    await sign_in(user, person.email, STRONG_PASSWORD)
    await user.should_see('Hi Nia')
    await user.open('/payments')
    await user.should_see('No payments yet')
    await user.should_see('When you pay a bill, the payment and its receipt show here.')


async def test_home_and_statements_say_what_moved_since_the_statement(user: User) -> None:
    account, _ = make_account()
    person = make_user(account=account, first_name='Ravi')
    make_charges(account, [10000])
    with write_session() as session:
        last_entry = session.exec(select(func.max(LedgerEntry.id)).where(LedgerEntry.account_id == account.id)).one()
        session.add(Statement(account_id=account.id, period='2026-11', statement_date=date(2026, 11, 7),
                              due_date=date(2026, 11, 28), quick_pay_code='SINCEPAGE001', last_entry_id=last_entry,
                              new_balance=10000, amount_due=10000))
    make_charges(account, [9200], start=date(2026, 11, 12))
    await sign_in(user, person.email, STRONG_PASSWORD)
    await user.should_see('Hi Ravi')
    await user.should_see(NEW_CHARGES)
    await user.should_see('See the details')
    await user.open('/statements')
    await user.should_see(NEW_CHARGES)
    await user.open('/payments')
    await user.should_see('Since your statement')
    await user.should_see('Nov 12, 2026 · Office visit')
    await user.should_see('+$92.00')
    await user.should_see('No payments yet')


async def test_a_payment_at_2315_in_chicago_shows_that_day_to_staff_and_patient(user: User) -> None:
    account_id, _, _ = _demo_payments()
    at = datetime(2026, 11, 1, 23, 15, tzinfo=ZoneInfo('America/Chicago')).astimezone(UTC)  # Nov 2 in UTC
    with write_session() as session:
        payment = Payment(account_id=account_id, amount=4321, method='check', status='succeeded',
                          receipt_number='RLATE0001', received_at=at)
        session.add(payment)
        session.flush()
        payment_id = payment.id
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open(f'/staff/accounts/{account_id}')
    await user.should_see(f'/{DEMO_ACCOUNT}'.lstrip('/'))
    rows = user.find(marker='payments').elements.pop().rows
    assert [row['date'] for row in rows if row['receipt'] == 'RLATE0001'] == ['Nov 1, 2026']
    user.find(marker='sign-out').click()
    await user.should_see(marker='email')
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.open(f'/payments/{payment_id}')
    await user.should_see('November 1, 2026 · Check · $43.21')


async def test_a_failed_payment_says_it_paid_nothing(user: User) -> None:
    account_id, _, _ = _demo_payments()
    with write_session() as session:
        payment = Payment(account_id=account_id, amount=1500, method='us_bank_account', status='failed',
                          receipt_number='RFAIL0001')
        session.add(payment)
        session.flush()
        payment_id = payment.id
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.open('/payments')
    await user.should_see('Failed')
    await user.open(f'/payments/{payment_id}')
    await user.should_see('This payment did not go through, so it paid nothing.')


def _card_payment_and_clerk() -> tuple[int, int, Actor]:
    """A signed-in patient's $80.00 card payment of their balance: (payment id, account id, a billing clerk)."""
    attempt_id = make_paid_attempt(signed_in=True, amount=8000)
    with read_session() as session:
        payment_id, account_id = session.exec(select(Payment.id, Payment.account_id)
                                              .where(Payment.attempt_id == attempt_id)).one()
    return payment_id, account_id, Actor(user_id=make_user(role='staff').id, role='staff')


async def test_a_refund_reads_the_same_way_in_since_your_statement_and_in_the_list(user: User) -> None:
    from portal.services.practice import load_practice_today
    from portal.services.statement_run import run_statements
    payment_id, account_id, clerk = _card_payment_and_clerk()
    make_charges(account_id, [5000])
    run_statements(on=load_practice_today())
    staff.refund_payment(actor=clerk, payment_id=payment_id, amount_text='20', reason='Insurance paid',
                         balance_after=7000)
    make_user(email='since-refund@example.com', account=account_id)
    await sign_in(user, 'since-refund@example.com', STRONG_PASSWORD)
    await user.should_see(marker='pay')
    await user.open('/payments')
    await user.should_see('Refund to you')
    page = ' '.join(element.content for element in user.find(ui.html).elements)
    assert '$20.00</span> refunded to you (added to your balance)' in page
    assert page.count('$20.00 back to you') == 2  # the since line and the list, the same words
    assert '+$20.00' not in page and '−$20.00' not in page


async def test_a_refund_says_where_the_money_went(user: User) -> None:
    """Back to the card paid with; a check taken at the desk is paid back by the office (it read "To Check")."""
    card_id, account_id, clerk = _card_payment_and_clerk()
    make_charges(account_id, [7000])
    with write_session() as session:
        check_id = staff.record_offline_payment(session, actor=clerk, account_id=account_id, amount_text='70',
                                                method='check', reference='1042')
    for payment_id in (card_id, check_id):
        with read_session() as session:
            balance = ledger.balance(session, account_id)
        staff.refund_payment(actor=clerk, payment_id=payment_id, amount_text='10', reason='Overpayment',
                             balance_after=balance + 1000)
    make_user(email='where-refund@example.com', account=account_id)
    await sign_in(user, 'where-refund@example.com', STRONG_PASSWORD)
    await user.should_see(marker='pay')
    await user.open('/payments')
    await user.should_see('Refund to you')
    page = ' '.join(element.content for element in user.find(ui.html).elements)
    assert 'Paid back by the billing office · from receipt' in page
    assert re.search(r'To Visa ending \d{4} · from receipt', page)
    assert 'To Check' not in page
