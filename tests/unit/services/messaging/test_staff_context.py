"""The account beside a thread in the staff queue (issue 14, item 2): money read through payable.standing,
flags told apart, the linked item only when it is this account's, staff only."""
from __future__ import annotations

import pytest
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.errors import NotFound
from portal.models import AccountFlag, AuditEvent, FlagKind, Payment, PaymentStatus
from portal.services.messaging.links import LinkView
from portal.services.messaging.staff_context import account_context
from tests.factories import make_account, make_charges, make_user


def _account_with_money() -> tuple[int, int]:
    account, _ = make_account(email='maria@example.com')
    [charge_id, _] = make_charges(account, [12000, 3000])
    with write_session() as session:
        session.add(Payment(account_id=account.id, amount=2500, method='card', status=PaymentStatus.processing,
                            receipt_number=f'R-CTX-{account.id}'))
        session.add(AccountFlag(account_id=account.id, kind=FlagKind.dispute, reason='charge disputed'))
        session.add(AccountFlag(account_id=account.id, kind=FlagKind.chargeback, reason='card dispute'))
    return account.id, charge_id


def test_staff_see_money_flags_and_the_linked_line(db: str) -> None:
    account_id, charge_id = _account_with_money()
    staff = make_user(role='staff')
    with write_session() as session:
        context = account_context(session, actor=Actor(staff.id, 'staff'), account_id=account_id,
                                  linked=LinkView('charge', charge_id, 'Office visit · $120.00', f'charge:{charge_id}'))
    assert (context.balance, context.processing, context.payable_now) == (15000, 2500, 12500)
    assert [flag.label for flag in context.flags] == ['Billing dispute', 'Card chargeback']
    assert [flag.is_billing_dispute for flag in context.flags] == [True, False]
    assert context.linked is not None and context.linked.label == 'Statement line'
    assert [p.amount for p in context.payments] == [2500]
    with read_session() as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.account_id == account_id)).all()
    assert actions.count('staff_account_context') == 1


def test_an_item_of_another_account_is_left_out(db: str) -> None:
    account_id, _ = _account_with_money()
    _, other_charge = _account_with_money()
    staff = make_user(role='staff')
    with write_session() as session:
        context = account_context(session, actor=Actor(staff.id, 'staff'), account_id=account_id,
                                  linked=LinkView('charge', other_charge, 'x', f'charge:{other_charge}'),
                                  audited=False)
    assert context.linked is None


def test_a_patient_gets_not_found(db: str) -> None:
    account_id, _ = _account_with_money()
    patient = make_user(account=account_id)
    with write_session() as session, pytest.raises(NotFound):
        account_context(session, actor=Actor(patient.id, 'patient'), account_id=account_id)


def test_the_panel_names_payment_methods_in_words_and_keeps_an_amount_to_the_right(db: str) -> None:
    from components.account_context import context_html
    account_id, _ = _account_with_money()
    with write_session() as session:
        session.add(Payment(account_id=account_id, amount=17081, method='us_bank_account',
                            status=PaymentStatus.succeeded, receipt_number=f'R-ACH-{account_id}'))
    with write_session() as session:
        context = account_context(session, actor=Actor(make_user(role='staff').id, 'staff'), account_id=account_id,
                                  audited=False)
    html = context_html(context)
    assert 'Bank account (ACH)' in html and 'us bank account' not in html and ' · Card<' in html
    assert 'flex flex-wrap justify-between' in html and 'ml-auto' in html  # a wrapped amount stays on the right
