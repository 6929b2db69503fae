"""Typed amounts on /pay: read as an en-US reader reads them, and a saved method is charged only for
the amount the patient saw and confirmed ("Pay $4.60 with Visa ending 4242?")."""
from __future__ import annotations

import pytest
from sqlmodel import func, select

from portal.auth.permissions import Actor
from portal.db import read_session
from portal.errors import ValidationFailed
from portal.models import Payment, PaymentAttempt
from portal.payments.demo_gateway import DemoGateway
from portal.services import ledger
from portal.services.payments import checkout, new_key
from tests.factories import make_account, make_charges, make_saved_method, make_user


def _owing(amount: int = 48020) -> tuple[Actor, int, int]:
    account, _ = make_account()
    make_charges(account, [amount])
    owner = make_user(account=account)
    method = make_saved_method(account)
    return Actor(owner.id, 'patient'), account.id, method.id


def _stored() -> tuple[int, int]:
    with read_session() as session:
        return (session.exec(select(func.count(PaymentAttempt.id))).one(),
                session.exec(select(func.count(Payment.id))).one())


@pytest.mark.parametrize('typed', ['4,60', '4,6', '1 234', '4.6e1', '٤٫٦٠', '4.60 USD', '<b>4</b>'])
def test_a_decimal_comma_or_anything_unreadable_is_refused_and_nothing_is_stored(demo: DemoGateway,
                                                                                  typed: str) -> None:
    actor, account_id, method_id = _owing()
    for call in (checkout.preview_payment, checkout.start_payment):
        extra = {'idempotency_key': new_key(), 'confirmed_amount': 460} if call is checkout.start_payment else {}
        with pytest.raises(ValidationFailed) as refused:
            call(actor=actor, account_id=account_id, choice='other', amount_text=typed, method_id=method_id, **extra)
        assert refused.value.field_errors == {'amount': 'Enter the amount like 4.60.'}
    assert _stored() == (0, 0)
    assert demo.calls.get('charge', 0) == 0


def test_the_patient_confirms_what_was_read_before_a_saved_card_is_charged(demo: DemoGateway) -> None:
    actor, account_id, method_id = _owing()
    preview = checkout.preview_payment(actor=actor, account_id=account_id, choice='other', amount_text='$4.60',
                                       method_id=method_id)
    assert (preview.amount, preview.question) == (460, 'Pay $4.60 with Visa ending 4242?')
    key = new_key()
    for confirmed in (None, 46000):  # not confirmed, or confirmed for another amount: nothing is charged
        with pytest.raises(checkout.ConfirmAmount, match=r'this payment would be \$4\.60'):
            checkout.start_payment(actor=actor, account_id=account_id, choice='other', amount_text='$4.60',
                                   method_id=method_id, idempotency_key=key, confirmed_amount=confirmed)
    assert _stored() == (0, 0)
    result = checkout.start_payment(actor=actor, account_id=account_id, choice='other', amount_text='$4.60',
                                    method_id=method_id, idempotency_key=key, confirmed_amount=preview.amount)
    assert result.outcome is not None and result.outcome.status == 'succeeded'
    with read_session() as session:
        assert ledger.balance(session, account_id) == 48020 - 460


def test_the_full_amount_is_confirmed_too_and_a_changed_amount_due_is_asked_again(demo: DemoGateway) -> None:
    actor, account_id, method_id = _owing(10000)
    preview = checkout.preview_payment(actor=actor, account_id=account_id, choice='full', method_id=method_id)
    assert preview.question == 'Pay $100.00 with Visa ending 4242?'
    make_charges(account_id, [2500])  # a new charge posts while the dialog is open
    with pytest.raises(checkout.ConfirmAmount, match=r'\$125\.00'):
        checkout.start_payment(actor=actor, account_id=account_id, choice='full', method_id=method_id,
                               idempotency_key=new_key(), confirmed_amount=preview.amount)
    assert _stored() == (0, 0)


def test_a_method_of_another_account_is_not_previewed(demo: DemoGateway) -> None:
    actor, account_id, _ = _owing()
    _, _, someone_elses = _owing()
    with pytest.raises(ValidationFailed, match='not available'):
        checkout.preview_payment(actor=actor, account_id=account_id, choice='full', method_id=someone_elses)
