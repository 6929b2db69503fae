"""Webhook events under load: group commit (one transaction per batch, a savepoint per event) stores each
event id once, posts each payment once by intent id, lets one bad event fail alone, and answers nobody
before the batch's commit. Runs on SQLite and PostgreSQL (the `db` fixture)."""
from __future__ import annotations

import threading

import pytest
from sqlmodel import func, select

from portal.db import read_session
from portal.models import LedgerEntry, Notification, Payment, PaymentAllocation, WebhookEvent
from portal.payments.gateway import GatewayEvent
from portal.services import ledger
from portal.services.payments import deliveries, payment_events
from portal.services.payments.deliveries import _Delivery, _write_batch, process_events
from tests.factories import make_account, make_charges

pytestmark = pytest.mark.usefixtures('demo')


def _succeeded(number: int, account_id: int, *, amount: int = 100, created: int = 1000) -> GatewayEvent:
    return GatewayEvent(event_id=f'evt_{number}', kind='payment_succeeded', intent_id=f'pi_{number}', amount=amount,
                        metadata={'account_id': str(account_id)}, created=created)


def _count(model, *where) -> int:  # noqa: ANN001
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def _account(amounts: list[int]) -> tuple[int, list[int]]:
    account, _ = make_account(email='maria@example.com')
    return account.id, make_charges(account, amounts)


def test_a_concurrent_burst_with_repeats_posts_each_intent_once() -> None:
    account_id, charges = _account([5000, 5000])
    before = _balance(account_id)
    deliveries = [[_succeeded(number, account_id)] for number in range(30)]
    deliveries += deliveries[::3]  # Stripe retries: the same events again, concurrently
    outcomes: list[tuple[str, ...]] = []
    failures: list[BaseException] = []

    def deliver(events: list[GatewayEvent]) -> None:
        try:
            outcomes.append(process_events(events=events, gateway_name='demo'))
        except BaseException as error:  # noqa: BLE001
            failures.append(error)

    threads = [threading.Thread(target=deliver, args=(events,)) for events in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(outcome for [outcome] in outcomes).count('posted') == 30
    assert _count(WebhookEvent) == 30
    assert _count(Payment) == 30
    assert _count(LedgerEntry, LedgerEntry.kind == 'patient_payment') == 30
    assert _count(Notification) == 30  # one receipt each
    assert _balance(account_id) == before - 3000
    with read_session() as session:  # oldest charge first, never over-allocated
        paid = dict(session.exec(select(PaymentAllocation.charge_id, func.sum(PaymentAllocation.amount))
                                 .group_by(PaymentAllocation.charge_id)).all())
    assert paid == {charges[0]: 3000}


def test_one_bad_event_fails_alone_and_leaves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    account_id, _ = _account([5000])
    original = payment_events.receipt_email

    def flaky(session, payment) -> None:  # noqa: ANN001
        if payment.gateway_intent_id == 'pi_2':  # the payment, allocation and ledger entry are written...
            raise RuntimeError('boom')  # ...and then it fails: all of it must roll back, and be forgotten
        original(session, payment)

    monkeypatch.setattr(payment_events, 'receipt_email', flaky)
    batch = [_Delivery([_succeeded(number, account_id)], 'demo') for number in range(1, 4)]
    batch.append(_Delivery([_succeeded(1, account_id)], 'demo'))  # a repeat inside the same batch
    _write_batch(batch)
    assert [delivery.outcomes for delivery in batch] == [['posted'], [], ['posted'], ['duplicate']]
    assert isinstance(batch[1].error, RuntimeError)
    assert all(delivery.done for delivery in batch)
    with read_session() as session:
        assert session.exec(select(WebhookEvent.event_id).order_by(WebhookEvent.event_id)).all() == ['evt_1', 'evt_3']
        assert session.exec(select(Payment.gateway_intent_id).order_by(Payment.gateway_intent_id)).all() == \
            ['pi_1', 'pi_3']
    assert _count(LedgerEntry, LedgerEntry.external_ref == 'pi_2') == 0
    assert _count(Notification) == 2
    monkeypatch.setattr(payment_events, 'receipt_email', original)
    retried = process_events(events=[_succeeded(2, account_id)], gateway_name='demo')
    assert retried == ('posted',)  # Stripe's retry works


def test_a_failed_commit_answers_every_delivery_with_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    account_id, _ = _account([5000])
    from contextlib import contextmanager

    from portal import db as database

    @contextmanager
    def failing_commit():  # noqa: ANN202
        with database.write_session() as session:
            yield session
            raise OSError('disk full')  # as if COMMIT failed: the transaction rolls back

    monkeypatch.setattr(deliveries, 'write_session', failing_commit)
    batch = [_Delivery([_succeeded(number, account_id)], 'demo') for number in range(1, 3)]
    _write_batch(batch)
    assert [(delivery.outcomes, type(delivery.error)) for delivery in batch] == [([], OSError), ([], OSError)]
    assert _count(WebhookEvent) == 0 and _count(Payment) == 0 and _count(Notification) == 0


def test_out_of_order_and_repeated_events_leave_the_ledger_right() -> None:
    account_id, _ = _account([5000])
    before = _balance(account_id)
    processing = GatewayEvent(event_id='evt_p', kind='payment_processing', intent_id='pi_9', amount=700,
                              metadata={'account_id': str(account_id)}, created=900)
    succeeded = _succeeded(9, account_id, amount=700, created=1000)
    failed_late = GatewayEvent(event_id='evt_f', kind='payment_failed', intent_id='pi_9',
                               metadata={'account_id': str(account_id)}, created=800)
    assert process_events(events=[succeeded, processing, failed_late, succeeded], gateway_name='demo') == \
        ('posted', 'stale', 'stale', 'duplicate')
    with read_session() as session:
        assert session.exec(select(Payment.status)).all() == ['succeeded']
    assert _balance(account_id) == before - 700
    assert _count(LedgerEntry, LedgerEntry.external_ref == 'pi_9') == 1


def _balance(account_id: int) -> int:
    with read_session() as session:
        return ledger.balance(session, account_id)


def test_a_clashing_receipt_number_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    account_id, _ = _account([5000])
    assert process_events(events=[_succeeded(1, account_id)], gateway_name='demo') == ('posted',)
    with read_session() as session:
        taken = session.exec(select(Payment.receipt_number)).one()
    draws = iter([taken, taken, 'R-FRESH'])
    monkeypatch.setattr(payment_events, 'new_receipt_number', lambda _session: next(draws))
    assert process_events(events=[_succeeded(2, account_id)], gateway_name='demo') == ('posted',)
    with read_session() as session:
        assert session.exec(select(Payment.receipt_number).where(Payment.gateway_intent_id == 'pi_2')).one() == \
            'R-FRESH'
