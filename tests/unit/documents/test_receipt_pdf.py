"""The receipt after a refund: each service shows what was refunded of it (the credit on the account
first, then the services paid last, as `allocation.paid_on_charges` reopens them) and what stays
paid, and those lines add up to the net paid printed above them."""
from __future__ import annotations

import re
from datetime import date

from portal.db import write_session
from portal.documents.receipt_pdf import refunded_by_line, render_receipt
from portal.models import Payment, Refund
from portal.services.payments.allocation import allocate, paid_on_charges
from portal.services.payments.receipts import receipt_view
from tests.factories import make_account, make_visit
from tests.support import documents as look

AMOUNTS = re.compile(r'(-?\$[\d,]+\.\d\d) (-?\$[\d,]+\.\d\d) (-?\$[\d,]+\.\d\d)$')


def _refunded_receipt():  # noqa: ANN202
    """$200 paid over services of $100, $50 and $30 (oldest first) and $20 of credit; $60 refunded,
    and a $5 refund still pending (not counted until it succeeds)."""
    account, patients = make_account()
    charges = [make_visit(account=account, patient=patients[0], date_of_service=date(2026, 3, day),
                          lines=[(code, description, amount)])[0]
               for day, code, description, amount in ((2, '99213', 'Office visit, established patient, 20-29 minutes',
                                                       10_000), (9, '36415', 'Blood draw', 5_000),
                                                      (16, '83036', 'Hemoglobin A1c (average blood sugar)', 3_000))]
    with write_session() as session:
        payment = Payment(account_id=account.id, amount=20_000, method='card', status='succeeded',
                          receipt_number='R260512-REFUND0001')
        session.add(payment)
        session.flush()
        allocate(session, payment=payment)
        session.add_all([Refund(payment_id=payment.id, idempotency_key='receipt-refund-1', amount=6_000,
                                reason='Overpaid', status='succeeded'),
                         Refund(payment_id=payment.id, idempotency_key='receipt-refund-2', amount=500,
                                reason='Overpaid', status='pending')])
        session.flush()
        return receipt_view(session, payment), charges, paid_on_charges(session, account.id)


def test_refunds_come_off_the_credit_then_the_services_paid_last(db: str) -> None:
    view, charges, paid = _refunded_receipt()
    assert view.refunded == 6_000 and view.unapplied == 2_000
    assert refunded_by_line(view) == [0, 1_000, 3_000, 2_000]  # the three services, then the credit
    # the same as the ledger's view of what the payment still pays on each charge
    assert [line.amount - back for line, back in zip(view.lines, refunded_by_line(view), strict=False)] \
        == [paid.get(charge, 0) for charge in charges]


def test_the_receipts_lines_add_up_to_the_net_paid(db: str) -> None:
    view, _, _ = _refunded_receipt()
    pages = look.look(render_receipt(view))
    text = '\n'.join(page.text for page in pages)
    assert 'Net paid $140.00' in text and 'Refunded -$60.00' in text
    rows = [tuple(look.cents(amount) for amount in found.groups()) for line in text.splitlines()
            if (found := AMOUNTS.search(line))]
    *services, total = rows
    assert len(services) == 4  # three services and the credit on the account
    assert all(paid + refunded == net for paid, refunded, net in rows)
    assert [refunded for _, refunded, _ in services] == [0, -1_000, -3_000, -2_000]
    assert sum(net for _, _, net in services) == total[2] == 14_000
    assert total == (20_000, -6_000, 14_000)
    assert [problem for page in pages for problem in look.overlaps(page) + look.outside_margins(page)] == []


def test_a_receipt_without_refunds_keeps_one_amount_column(db: str) -> None:
    view, _, _ = _refunded_receipt()
    text = look.look(render_receipt(type(view)(**{**view.__dict__, 'refunded': 0, 'refunds': []})))[0].text
    assert 'Net paid' not in text and 'Refunded' not in text and not any(AMOUNTS.search(line)
                                                                         for line in text.splitlines())
