"""/payment-methods (list, default, remove, add through the demo checkout), the staff account pages
(search, ledger, refund, cash or check), and the receipt PDF's access check."""
from __future__ import annotations

from nicegui import ui
from nicegui.testing import User
from sqlmodel import func, select

from components import forms
from portal.db import read_session, write_session
from portal.models import AuditEvent, GuarantorAccount, Payment, SavedPaymentMethod
from portal.services import ledger
from tests.factories import make_saved_method
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in
from tests.support.payments import fresh_gateway  # noqa: F401  (autouse)


def _demo_account() -> GuarantorAccount:
    with read_session() as session:
        return session.exec(select(GuarantorAccount).where(GuarantorAccount.account_number == 'A10002026')).one()


def _methods(account_id: int) -> list[SavedPaymentMethod]:
    with read_session() as session:
        return list(session.exec(select(SavedPaymentMethod).where(SavedPaymentMethod.account_id == account_id,
                                                                  SavedPaymentMethod.removed_at.is_(None))).all())


async def test_methods_list_default_remove_and_add(user: User) -> None:
    account = _demo_account()
    extra = make_saved_method(account.id, behaviour='bank', is_default=False)
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.open('/payment-methods')
    await user.should_see('STRIPE TEST BANK ending 6789')
    user.find(marker=f'default-{extra.id}').click()
    await user.should_see('Default payment method changed.')
    assert [m.id for m in _methods(account.id) if m.is_default] == [extra.id]
    user.find(marker=f'remove-{extra.id}').click()
    user.find(marker='confirm-remove').click()
    await user.should_see('Payment method removed.')
    assert extra.id not in [m.id for m in _methods(account.id)]
    before = len(_methods(account.id))
    user.find(marker='add-method').click()
    await user.should_see(marker='card-number')
    user.find(marker='card-number').type('4242 4242 4242 4242')
    user.find(marker='card-expiry').type('11/31')
    user.find(marker='pay-card').click()
    await user.should_see('Your new payment method is saved')
    rows = _methods(account.id)
    assert len(rows) == before + 1
    assert all(len(row.last4) == 4 for row in rows)


async def test_paying_with_a_saved_card_on_the_pay_page(user: User) -> None:
    account = _demo_account()
    method = make_saved_method(account.id)
    with read_session() as session:
        before = ledger.balance(session, account.id)
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.open('/pay')
    user.find(marker='choice').elements.pop().value = 'other'
    user.find(marker='amount').type('10')
    user.find(marker='method').elements.pop().value = method.id
    user.find(marker='submit').click()
    await user.should_see('Pay $10.00 with Visa ending 4242?')
    user.find(marker='confirm-pay').click()
    await user.should_see('Payment received')
    await user.should_see(marker='receipt')
    with read_session() as session:
        assert ledger.balance(session, account.id) == before - 1000


async def test_staff_finds_account_refunds_and_records_cash(user: User) -> None:
    account = _demo_account()
    with read_session() as session:
        before = ledger.balance(session, account.id)
        payment = session.exec(select(Payment).where(Payment.account_id == account.id,
                                                     Payment.status == 'succeeded')).first()
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open('/staff/accounts?q=A10002026')
    await user.should_see(marker='hit')
    assert 'A10002026' in user.find(marker='hit').elements.pop().content
    await user.open(f'/staff/accounts/{account.id}')
    await user.should_see('Maria Alvarez · A10002026')
    table = user.find(marker='payments').elements.pop()
    assert any(row['receipt'] == payment.receipt_number for row in table.rows)
    user.find(marker='record-offline').click()
    user.find(marker='offline-amount').type('12.50')
    user.find(marker='offline-reference').type('Check 2231')
    user.find(marker='submit').click()
    await user.should_see('Payment recorded.')
    with read_session() as session:
        assert ledger.balance(session, account.id) == before - 1250
    await user.open(f'/staff/accounts/{account.id}')
    ledger_rows = user.find(marker='ledger').elements.pop().rows
    assert ledger_rows[0]['what'].endswith(' · Check 2231')  # never "Check Check 2231"
    user.find(marker='refund').click()
    await user.should_see(marker='refund-credit')
    user.find(marker='refund-amount').clear().type('1.00')
    user.find(marker='submit').click()
    await user.should_see('Give a reason for the refund.')
    user.find(marker='refund-reason').elements.pop().value = 'Overpayment'
    user.find(marker='submit').click()  # the account owes: $1.00 more than its credit of $0.00
    await user.should_see(f'The balance becomes {forms.money(before - 1150)}, which the patient will owe again.')
    with read_session() as session:
        assert ledger.balance(session, account.id) == before - 1250
    user.find(marker='refund-confirm').click()
    await user.should_see('Refunded $1.00.')
    with read_session() as session:
        assert ledger.balance(session, account.id) == before - 1150
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.account_id == account.id)).all()
    await user.open(f'/staff/accounts/{account.id}')
    ledger_rows = user.find(marker='ledger').elements.pop().rows
    assert (ledger_rows[0]['kind'], ledger_rows[0]['what']) == ('Refund', 'Overpayment')
    assert {'staff_view_account', 'offline_payment', 'refund_requested'} <= set(actions)


async def test_patients_cannot_open_staff_accounts(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    response = await user.http_client.get('/staff/accounts')
    assert response.status_code == 404


async def test_receipt_pdf_only_for_the_account(user: User) -> None:
    account = _demo_account()
    with write_session() as session:
        own = session.exec(select(Payment.id).where(Payment.account_id == account.id)).first()
        other = session.exec(select(Payment.id).where(Payment.account_id != account.id)).first()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    mine = await user.http_client.get(f'/documents/receipts/{own}.pdf')
    assert mine.status_code == 200 and mine.content.startswith(b'%PDF')
    theirs = await user.http_client.get(f'/documents/receipts/{other}.pdf')
    assert theirs.status_code == 404
    with read_session() as session:
        denied = session.exec(select(func.count(AuditEvent.id)).where(AuditEvent.action == 'view_receipt',
                                                                       AuditEvent.outcome == 'denied')).one()
    assert denied == 1


async def test_the_staff_account_page_reads_in_words_and_splits_due_now_from_waiting(user: User) -> None:
    from portal.models import Payment as PaymentRow
    from portal.services.payments.payment_events import new_receipt_number
    from tests.factories import make_account, make_charges, make_claim, make_saved_method
    account, _ = make_account()
    charges = make_charges(account, [5000, 15500])
    make_claim(charges[1])
    card = make_saved_method(account)
    with write_session() as session:
        for method, status, saved in (('card', 'succeeded', card.id), ('us_bank_account', 'processing', None)):
            session.add(PaymentRow(account_id=account.id, amount=1000, method=method, status=status,
                                   saved_method_id=saved, receipt_number=new_receipt_number(session)))
            session.flush()
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open(f'/staff/accounts/{account.id}')
    await user.should_see('Due now')
    await user.should_see('Waiting for insurance')
    figures = ' '.join(element.content for element in user.find(ui.html).elements)
    assert 'data-testid="staff-due-now" class="text-2xl font-bold">$40.00' in figures  # 205 - 155 - 10 processing
    assert 'data-testid="staff-waiting" class="text-2xl font-bold">$155.00' in figures
    rows = {row['method']: row['status'] for row in user.find(marker='payments').elements.pop().rows}
    assert rows == {'Visa ending 4242': 'Paid', 'Bank account (ACH)': 'Processing'}
