"""Charging a saved method: once per key, through the one handler, oldest charges first."""
from __future__ import annotations

import threading

import pytest
from sqlmodel import func, select

from portal.db import read_session, write_session
from portal.errors import ValidationFailed
from portal.models import LedgerEntry, Payment, PaymentAllocation, PaymentAttempt
from portal.payments.demo_gateway import DemoGateway
from portal.services import ledger
from portal.services.payments import charge_saved_method, new_key
from tests.factories import make_account, make_charges, make_saved_method


def _account_with(amounts: list[int], behaviour: str = 'succeed') -> tuple[int, list[int], int]:
    account, _ = make_account()
    charges = make_charges(account, amounts)
    method = make_saved_method(account, behaviour=behaviour)
    return account.id, charges, method.id


def _balance(account_id: int) -> int:
    with read_session() as session:
        return ledger.balance(session, account_id)


def test_success_posts_once_oldest_first(demo: DemoGateway) -> None:
    account_id, charges, method_id = _account_with([5000, 3000])
    key = new_key()
    outcome = charge_saved_method(account_id=account_id, method_id=method_id, amount=6000, target='balance',
                                  idempotency_key=key)
    assert outcome.status == 'succeeded' and outcome.payment_id
    again = charge_saved_method(account_id=account_id, method_id=method_id, amount=6000, target='balance',
                                idempotency_key=key)
    assert again.payment_id == outcome.payment_id
    assert _balance(account_id) == 2000
    with read_session() as session:
        parts = session.exec(select(PaymentAllocation.charge_id, PaymentAllocation.amount)
                             .order_by(PaymentAllocation.id)).all()
    assert [tuple(part) for part in parts] == [(charges[0], 5000), (charges[1], 1000)]
    assert demo.calls['charge'] == 1


def test_decline_changes_nothing(demo: DemoGateway) -> None:
    account_id, _, method_id = _account_with([5000], 'decline')
    outcome = charge_saved_method(account_id=account_id, method_id=method_id, amount=5000, target='balance',
                                  idempotency_key=new_key())
    assert outcome.status == 'failed' and 'declined' in outcome.message
    assert _balance(account_id) == 5000
    with read_session() as session:
        assert session.exec(select(func.count(Payment.id))).one() == 0


def test_bank_stays_processing(demo: DemoGateway) -> None:
    account_id, _, method_id = _account_with([5000], 'bank')
    outcome = charge_saved_method(account_id=account_id, method_id=method_id, amount=5000, target='balance',
                                  idempotency_key=new_key())
    assert outcome.status == 'processing'
    assert _balance(account_id) == 5000
    with read_session() as session:
        assert ledger.processing_payments(session, account_id) == 5000
    with pytest.raises(ValidationFailed):  # nothing more may be paid while it processes
        charge_saved_method(account_id=account_id, method_id=method_id, amount=100, target='amount:100',
                            idempotency_key=new_key())


def test_authentication_sends_to_checkout(demo: DemoGateway) -> None:
    account_id, _, method_id = _account_with([5000], 'authenticate')
    outcome = charge_saved_method(account_id=account_id, method_id=method_id, amount=5000, target='balance',
                                  idempotency_key=new_key())
    assert outcome.status == 'requires_action'
    assert outcome.checkout_url and '/demo-checkout/' in outcome.checkout_url
    assert _balance(account_id) == 5000


@pytest.mark.parametrize('amount', [0, -5, 10**9])
def test_bad_amounts_store_nothing(demo: DemoGateway, amount: int) -> None:
    account_id, _, method_id = _account_with([5000])
    with pytest.raises(ValidationFailed):
        charge_saved_method(account_id=account_id, method_id=method_id, amount=amount, target='balance',
                            idempotency_key=new_key())
    with read_session() as session:
        assert session.exec(select(func.count(PaymentAttempt.id))).one() == 0


def test_twenty_concurrent_submits_make_one_payment(demo: DemoGateway) -> None:
    account_id, _, method_id = _account_with([5000])
    key = new_key()
    barrier = threading.Barrier(20)
    results, errors = [], []

    def submit() -> None:
        barrier.wait()
        try:
            results.append(charge_saved_method(account_id=account_id, method_id=method_id, amount=5000,
                                               target='balance', idempotency_key=key))
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert {outcome.payment_id for outcome in results} == {results[0].payment_id}
    with read_session() as session:
        assert session.exec(select(func.count(Payment.id))).one() == 1
        assert session.exec(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == 'patient_payment')).one() == 1
    assert demo.calls['charge'] == 1
    assert _balance(account_id) == 0


def test_two_tabs_different_keys_one_target_charge_once(demo: DemoGateway) -> None:
    account_id, _, method_id = _account_with([5000])
    first = charge_saved_method(account_id=account_id, method_id=method_id, amount=5000, target='balance',
                                idempotency_key=new_key())
    assert first.status == 'succeeded'
    with pytest.raises(ValidationFailed):  # the balance is paid: nothing left to charge
        charge_saved_method(account_id=account_id, method_id=method_id, amount=5000, target='balance',
                            idempotency_key=new_key())


def test_crash_after_gateway_call_then_retry_charges_once(demo: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    account_id, _, method_id = _account_with([5000])
    key = new_key()
    from portal.services.payments import core

    def crash(*args: object, **kwargs: object) -> str:
        raise RuntimeError('process died')

    monkeypatch.setattr(core, 'apply_intent_state', crash)
    with pytest.raises(RuntimeError):
        charge_saved_method(account_id=account_id, method_id=method_id, amount=5000, target='balance',
                            idempotency_key=key)
    monkeypatch.undo()
    with write_session() as session:  # the attempt was stored before the call and is still open
        assert session.exec(select(PaymentAttempt.status)).one() == 'open'
    outcome = charge_saved_method(account_id=account_id, method_id=method_id, amount=5000, target='balance',
                                  idempotency_key=key)
    assert outcome.status == 'succeeded'
    assert demo.calls['charge'] == 1
    assert _balance(account_id) == 0
