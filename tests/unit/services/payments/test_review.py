"""Money-correctness fixes from the payments review, on both databases: stale refund events, refunds
reopening charges, staff double submits, one live checkout per attempt, the authentication hand-off
and Checkout payments found without webhooks."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlmodel import func, select

from portal.auth.permissions import Actor
from portal.db import read_session
from portal.errors import ValidationFailed
from portal.models import Payment, PaymentAllocation, Refund
from portal.payments.demo_gateway import DemoGateway
from portal.payments.gateway import GatewayEvent, IntentState
from portal.payments.registry import reset_gateway, set_gateway
from portal.services import ledger
from portal.services.payments import charge_saved_method, new_key, process_events, staff
from tests.factories import make_account, make_charges, make_saved_method, make_user


def _balance(account_id: int) -> int:
    with read_session() as session:
        return ledger.balance(session, account_id)


def _paid(_: int, amounts: list[int], pay: int) -> tuple[int, list[int], int, int]:
    """An account with charges, paid `pay` with a saved card: (account id, charge ids, method id, payment id)."""
    account, _ = make_account()
    charges = make_charges(account, amounts)
    method = make_saved_method(account)
    out = charge_saved_method(account_id=account.id, method_id=method.id, amount=pay, target='balance',
                              idempotency_key=new_key())
    assert out.status == 'succeeded' and out.payment_id
    return account.id, charges, method.id, out.payment_id


def _clerk() -> Actor:
    return Actor(user_id=make_user(role='staff').id, role='staff')


def test_a_failed_refund_stays_failed_when_its_older_success_arrives_late(demo: DemoGateway) -> None:
    account_id, _, _, payment_id = _paid(0, [5000], 5000)
    with read_session() as session:
        intent = session.get(Payment, payment_id).gateway_intent_id
    now = int(time.time())
    failed = GatewayEvent(event_id='evt_r2', kind='refund_failed', intent_id=intent, refund_id='re_1', amount=2000,
                          created=now)
    older = GatewayEvent(event_id='evt_r1', kind='refund_succeeded', intent_id=intent, refund_id='re_1',
                         amount=2000, created=now - 60)
    assert process_events(events=[failed, older], gateway_name='demo') == ('failed', 'stale')
    with read_session() as session:
        assert session.exec(select(Refund.status)).one() == 'failed'
    assert _balance(account_id) == 0


def test_a_refund_succeeded_then_failed_is_taken_back(demo: DemoGateway) -> None:
    account_id, _, _, payment_id = _paid(0, [5000], 5000)
    with read_session() as session:
        intent = session.get(Payment, payment_id).gateway_intent_id
    now = int(time.time())
    process_events(events=[GatewayEvent(event_id='evt_a', kind='refund_succeeded', intent_id=intent, refund_id='re_2',
                                 amount=2000, created=now - 60)], gateway_name='demo')
    assert _balance(account_id) == 2000
    process_events(events=[GatewayEvent(event_id='evt_b', kind='refund_failed', intent_id=intent, refund_id='re_2',
                                 amount=2000, created=now)], gateway_name='demo')
    assert _balance(account_id) == 0


def test_a_refunded_charge_is_open_again_for_the_next_payment(demo: DemoGateway) -> None:
    account_id, charges, method_id, payment_id = _paid(0, [5000, 3000], 8000)
    staff.refund_payment(actor=_clerk(), payment_id=payment_id, amount_text='20', reason='Goodwill', balance_after=2000)
    assert _balance(account_id) == 2000
    again = charge_saved_method(account_id=account_id, method_id=method_id, amount=2000, target='balance',
                                idempotency_key=new_key())
    with read_session() as session:
        parts = session.exec(select(PaymentAllocation.charge_id, PaymentAllocation.amount)
                             .where(PaymentAllocation.payment_id == again.payment_id)).all()
    assert [tuple(part) for part in parts] == [(charges[1], 2000)]  # the charge paid last opened again


def test_a_refund_takes_the_unapplied_credit_first(demo: DemoGateway) -> None:
    from portal.db import write_session
    from portal.services.payments.allocation import open_charges
    account, _ = make_account()
    charge_id = make_charges(account, [5000])[0]
    clerk = _clerk()
    with write_session() as session:  # $60 in cash on a $50 charge: $10 of credit
        payment_id = staff.record_offline_payment(session, actor=clerk, account_id=account.id, amount_text='60',
                                                  method='cash')

    def still_open() -> int:
        with read_session() as session:
            return {c.charge_id: c.open_amount for c in open_charges(session, account.id)}.get(charge_id, 0)

    staff.refund_payment(actor=clerk, payment_id=payment_id, amount_text='10', reason='Overpaid')
    assert still_open() == 0
    staff.refund_payment(actor=clerk, payment_id=payment_id, amount_text='15', reason='Goodwill', balance_after=1500)
    assert still_open() == 1500 == _balance(account.id)


def test_a_refund_sent_twice_with_its_dialog_key_refunds_once(demo: DemoGateway) -> None:
    account_id, _, _, payment_id = _paid(0, [5000], 5000)
    clerk, key = _clerk(), new_key('refund')
    for _ in range(2):
        message = staff.refund_payment(actor=clerk, payment_id=payment_id, amount_text='20', reason='Goodwill',
                                       idempotency_key=key, balance_after=2000)
        assert message == 'Refunded $20.00.'
    assert demo.calls['refund'] == 1
    assert _balance(account_id) == 2000
    with read_session() as session:
        assert session.exec(select(func.count(Refund.id))).one() == 1


def test_a_refund_retried_after_a_timeout_uses_the_same_refund(demo: DemoGateway,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.payments.gateway import GatewayError
    account_id, _, _, payment_id = _paid(0, [5000], 5000)
    clerk, key = _clerk(), new_key('refund')

    def timeout(**_: object) -> None:
        raise GatewayError('We could not reach the payment processor.', retryable=True)

    monkeypatch.setattr(demo, 'refund', timeout)
    with pytest.raises(ValidationFailed, match=r'^We could not reach the payment processor\. Nothing was refunded yet'):
        staff.refund_payment(actor=clerk, payment_id=payment_id, amount_text='20', reason='Goodwill',
                             idempotency_key=key, balance_after=2000)
    monkeypatch.undo()
    staff.refund_payment(actor=clerk, payment_id=payment_id, amount_text='20', reason='Goodwill', idempotency_key=key,
                         balance_after=2000)
    assert _balance(account_id) == 2000
    with read_session() as session:
        assert session.exec(select(func.count(Refund.id))).one() == 1


def test_concurrent_refunds_never_exceed_the_payment(demo: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    account_id, _, _, payment_id = _paid(0, [5000], 5000)
    clerk = _clerk()
    slow_audit = staff.audit.record

    def slow(*args: object, **kwargs: object) -> object:  # widen the window between the check and the commit
        time.sleep(0.3)
        return slow_audit(*args, **kwargs)

    monkeypatch.setattr(staff.audit, 'record', slow)
    barrier, outcomes = threading.Barrier(2), []

    def refund() -> None:
        barrier.wait()
        try:
            outcomes.append(staff.refund_payment(actor=clerk, payment_id=payment_id, amount_text='50',
                                                 reason='Twice', idempotency_key=new_key('refund'),
                                                 balance_after=5000))
        except ValidationFailed as error:
            outcomes.append(error.message)

    threads = [threading.Thread(target=refund) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ['Refunded $50.00.', 'This payment has already been refunded in full.']
    assert _balance(account_id) == 5000


def test_an_offline_payment_sent_twice_with_its_dialog_key_records_once(demo: DemoGateway) -> None:
    from portal.db import write_session
    account, _ = make_account()
    make_charges(account, [5000])
    clerk, key = _clerk(), new_key('offline')
    ids = set()
    for _ in range(2):
        with write_session() as session:
            ids.add(staff.record_offline_payment(session, actor=clerk, account_id=account.id, amount_text='25',
                                                 method='check', reference='Check 1042', idempotency_key=key))
    assert len(ids) == 1
    assert _balance(account.id) == 2500


def test_a_kept_key_never_charges_the_old_amount(demo: DemoGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.payments.gateway import GatewayError
    from portal.services.payments.attempts import AttemptChanged
    account, _ = make_account()
    make_charges(account, [5000])
    method = make_saved_method(account)
    key = new_key()

    def timeout(_: object) -> None:
        raise GatewayError('We could not reach the payment processor.', retryable=True)

    monkeypatch.setattr(demo, 'charge_off_session', timeout)
    first = charge_saved_method(account_id=account.id, method_id=method.id, amount=2000, target='amount:2000',
                                idempotency_key=key)
    assert first.status == 'failed'
    monkeypatch.undo()
    with pytest.raises(AttemptChanged):  # the patient changed the amount and pressed again with the same key
        charge_saved_method(account_id=account.id, method_id=method.id, amount=3000, target='amount:3000',
                            idempotency_key=key)
    assert _balance(account.id) == 5000
    again = charge_saved_method(account_id=account.id, method_id=method.id, amount=3000, target='amount:3000',
                                idempotency_key=new_key())
    assert again.status == 'succeeded' and _balance(account.id) == 2000


class CheckoutIntentLater(DemoGateway):
    """Like Stripe since API 2022-08-01: a Checkout Session has no PaymentIntent until the payer submits."""

    def start_checkout(self, request):  # noqa: ANN001, ANN201
        return replace(super().start_checkout(request), intent_id=None)


@pytest.fixture
def later(db: str) -> Iterator[CheckoutIntentLater]:
    gateway = CheckoutIntentLater(base_url='http://127.0.0.1:8080', webhook_secret='whsec_test')
    set_gateway(gateway)
    yield gateway
    reset_gateway()


def _paid_in_checkout_without_webhook(gateway: DemoGateway) -> tuple[int, int]:
    """A hosted checkout paid with 4242 whose webhooks never arrived: (account id, attempt id)."""
    from portal.db import write_session
    from portal.models import PaymentAttempt
    from portal.services.payments import checkout_for_attempt, open_attempt
    account, _ = make_account()
    make_charges(account, [5000])
    with write_session() as session:
        attempt_id = open_attempt(session, account_id=account.id, target='balance', amount=5000,
                                  idempotency_key=new_key()).id
    checkout_for_attempt(attempt_id)
    with read_session() as session:
        attempt = session.get(PaymentAttempt, attempt_id)
        assert attempt.gateway_intent_id is None and attempt.gateway_session_id
        session_id = attempt.gateway_session_id
    assert gateway.submit_card(session_id, '4242424242424242').state == 'succeeded'  # events dropped
    return account.id, attempt_id


def test_the_done_page_finds_a_checkout_payment_without_webhooks(later: CheckoutIntentLater) -> None:
    from portal.services.payments import tokens
    from portal.services.payments.done import done_view
    account_id, attempt_id = _paid_in_checkout_without_webhook(later)
    view = done_view(token=tokens.make('done', attempt_id), actor=None)
    assert view.status == 'succeeded' and view.intent_id
    assert _balance(account_id) == 0


def test_reconciliation_finds_a_checkout_payment_without_webhooks(later: CheckoutIntentLater) -> None:
    from datetime import timedelta

    import time_machine

    from portal.clock import utcnow
    from portal.jobs import payments as job
    account_id, _ = _paid_in_checkout_without_webhook(later)
    with time_machine.travel(utcnow() + timedelta(minutes=31), tick=False):
        assert job.run() == 1
    assert _balance(account_id) == 0


def test_reconciliation_expires_an_attempt_whose_checkout_expired(later: CheckoutIntentLater) -> None:
    from datetime import timedelta

    import time_machine

    from portal.clock import utcnow
    from portal.db import write_session
    from portal.jobs import payments as job
    from portal.models import PaymentAttempt
    from portal.services.payments import checkout_for_attempt, open_attempt
    account, _ = make_account()
    make_charges(account, [5000])
    with write_session() as session:
        attempt_id = open_attempt(session, account_id=account.id, target='balance', amount=5000,
                                  idempotency_key=new_key()).id
    checkout_for_attempt(attempt_id)
    with read_session() as session:
        later.expire_checkout(session.get(PaymentAttempt, attempt_id).gateway_session_id)
    with time_machine.travel(utcnow() + timedelta(minutes=31), tick=False):
        job.run()
    with read_session() as session:
        assert session.get(PaymentAttempt, attempt_id).status == 'expired'


class StripeLike(CheckoutIntentLater):
    """Also like Stripe: an off-session intent that needed authentication is left requires_payment_method
    with an error (the portal reads it as failed), and its payment_failed event is sent."""

    def fetch_intent(self, intent_id: str) -> IntentState:
        state = super().fetch_intent(intent_id)
        if state.status == 'requires_action':
            return replace(state, status='failed', failure_message='authentication_required')
        return state


def test_a_saved_card_sent_to_authentication_is_not_failed_meanwhile(db: str) -> None:
    from portal.models import PaymentAttempt
    from portal.services.payments import tokens
    from portal.services.payments.done import done_view
    gateway = StripeLike(base_url='http://127.0.0.1:8080', webhook_secret='whsec_test')
    set_gateway(gateway)
    try:
        account, _ = make_account()
        make_charges(account, [5000])
        method = make_saved_method(account, behaviour='authenticate')
        out = charge_saved_method(account_id=account.id, method_id=method.id, amount=5000, target='balance',
                                  idempotency_key=new_key())
        assert out.status == 'requires_action' and out.checkout_url
        off_session = next(iter(gateway._intents))
        failed = GatewayEvent(event_id='evt_off', kind='payment_failed', intent_id=off_session,
                              failure_message='authentication_required', created=int(time.time()),
                              metadata={'attempt_id': str(out.attempt_id), 'account_id': str(account.id)})
        assert process_events(events=[failed], gateway_name='demo') == ('superseded',)
        view = done_view(token=tokens.make('done', out.attempt_id), actor=None)  # back before confirming
        assert view.status == 'pending'
        with read_session() as session:
            attempt = session.get(PaymentAttempt, out.attempt_id)
            assert attempt.status == 'open' and attempt.gateway_intent_id is None
        session_id = out.checkout_url.rsplit('/', 1)[1]
        assert gateway.submit_card(session_id, '4000002760003184').state == 'authenticate'
        process_events(events=list(gateway.authenticate(session_id, approve=True).events), gateway_name='demo')
        view = done_view(token=tokens.make('done', out.attempt_id), actor=None)
        assert view.status == 'succeeded'
        assert _balance(account.id) == 0
    finally:
        reset_gateway()


class StrictKeys(DemoGateway):
    """Like Stripe: the same idempotency key with other parameters is refused."""

    def start_checkout(self, request):  # noqa: ANN001, ANN201
        from portal.payments.gateway import GatewayError
        earlier = self.checkout_request(self.start_checkout_id(request))
        if earlier is not None and earlier != request:
            raise GatewayError('The payment processor refused the request. Nothing was charged.')
        return super().start_checkout(request)

    @staticmethod
    def start_checkout_id(request) -> str:  # noqa: ANN001
        from portal.payments.demo_gateway import _derive
        return _derive('cs', request.idempotency_key)


def _open_with_checkout(amount: int = 5000, *, save: bool = False) -> tuple[int, int, str]:
    """(account id, attempt id, checkout url) of a balance payment on the hosted checkout."""
    from portal.db import write_session
    from portal.services.payments import checkout_for_attempt, open_attempt
    account, _ = make_account()
    make_charges(account, [amount])
    with write_session() as session:
        attempt_id = open_attempt(session, account_id=account.id, target='balance', amount=amount,
                                  idempotency_key=new_key()).id
    return account.id, attempt_id, checkout_for_attempt(attempt_id, save_method=save)


@pytest.mark.parametrize('second_save', [False, True])
def test_one_attempt_has_one_hosted_checkout(db: str, second_save: bool) -> None:
    from portal.db import write_session
    from portal.services.payments import checkout_for_attempt, open_attempt
    gateway = StrictKeys(base_url='http://127.0.0.1:8080')
    set_gateway(gateway)
    try:
        account_id, attempt_id, first = _open_with_checkout()
        with write_session() as session:  # tab B: its own key, the same target: the same attempt
            assert open_attempt(session, account_id=account_id, target='balance', amount=5000,
                                idempotency_key=new_key()).id == attempt_id
        assert checkout_for_attempt(attempt_id, save_method=second_save) == first
        assert gateway.calls['start_checkout'] == 1
    finally:
        reset_gateway()


def test_a_saved_card_charge_closes_the_attempts_hosted_checkout_first(demo: DemoGateway) -> None:
    from portal.models import PaymentAttempt
    from portal.payments.gateway import GatewayError
    account_id, attempt_id, _ = _open_with_checkout()
    with read_session() as session:
        checkout_session = session.get(PaymentAttempt, attempt_id).gateway_session_id
    method = make_saved_method(account_id)
    out = charge_saved_method(account_id=account_id, method_id=method.id, amount=5000, target='balance',
                              idempotency_key=new_key())  # tab B pays with the saved card
    assert (out.status, out.attempt_id) == ('succeeded', attempt_id)
    with pytest.raises(GatewayError):  # tab A's checkout can no longer take the payment again
        demo.submit_card(checkout_session, '4242424242424242')
    with read_session() as session:
        assert session.exec(select(func.count(Payment.id))).one() == 1
    assert _balance(account_id) == 0


def test_no_saved_card_charge_when_the_hosted_checkout_was_just_paid(demo: DemoGateway) -> None:
    from portal.models import PaymentAttempt
    from portal.services.payments.hosted_checkout import IN_CHECKOUT
    account_id, attempt_id, _ = _open_with_checkout()
    with read_session() as session:
        checkout_session = session.get(PaymentAttempt, attempt_id).gateway_session_id
    paid = demo.submit_card(checkout_session, '4242424242424242')  # paid; its webhooks not here yet
    method = make_saved_method(account_id)
    with pytest.raises(ValidationFailed) as refused:
        charge_saved_method(account_id=account_id, method_id=method.id, amount=5000, target='balance',
                            idempotency_key=new_key())
    assert refused.value.message == IN_CHECKOUT
    assert 'charge' not in demo.calls
    process_events(events=list(paid.events), gateway_name='demo')
    with read_session() as session:
        assert session.exec(select(func.count(Payment.id))).one() == 1
    assert _balance(account_id) == 0


def test_the_authentication_hand_off_asked_again_gives_the_same_checkout(demo: DemoGateway) -> None:
    account, _ = make_account()
    make_charges(account, [5000])
    method = make_saved_method(account, behaviour='authenticate')
    key = new_key()
    first = charge_saved_method(account_id=account.id, method_id=method.id, amount=5000, target='balance',
                                idempotency_key=key)
    again = charge_saved_method(account_id=account.id, method_id=method.id, amount=5000, target='balance',
                                idempotency_key=key)
    assert first.status == again.status == 'requires_action'
    assert first.checkout_url == again.checkout_url
    assert (demo.calls['charge'], demo.calls['start_checkout']) == (1, 1)


def test_a_replaced_attempt_has_its_checkout_closed(demo: DemoGateway) -> None:
    from portal.db import write_session
    from portal.models import PaymentAttempt
    from portal.services.payments import checkout_for_attempt, open_attempt
    from portal.services.payments.attempts import PaymentUnderWay, reserve
    account_id, old_id, _ = _open_with_checkout()
    with read_session() as session:
        old_session = session.get(PaymentAttempt, old_id).gateway_session_id
    make_charges(account_id, [1000])  # the balance changed: a new attempt replaces the open one

    def store() -> int:
        with write_session() as session:
            return open_attempt(session, account_id=account_id, target='balance', amount=6000,
                                idempotency_key=new_key()).id

    with pytest.raises(PaymentUnderWay):  # the old checkout could still take $50: not beside $60 on $60 owed
        store()
    new_id = reserve(store, account_id=account_id)  # closes the old checkout first, then stores
    checkout_for_attempt(new_id)
    assert demo.checkout_state(old_session) == 'expired'
    with read_session() as session:
        assert session.get(PaymentAttempt, old_id).status == 'expired'
    from portal.payments.gateway import GatewayError
    with pytest.raises(GatewayError):  # the old checkout can no longer take the payment
        demo.submit_card(old_session, '4242424242424242')


def test_a_checkout_closed_for_a_saved_card_is_not_reused_for_its_authentication(demo: DemoGateway) -> None:
    from portal.models import PaymentAttempt
    account_id, attempt_id, _ = _open_with_checkout()
    with read_session() as session:
        first = session.get(PaymentAttempt, attempt_id).gateway_session_id
    method = make_saved_method(account_id, behaviour='authenticate')
    out = charge_saved_method(account_id=account_id, method_id=method.id, amount=5000, target='balance',
                              idempotency_key=new_key())
    assert out.status == 'requires_action' and not out.checkout_url.endswith(first)
    handed = out.checkout_url.rsplit('/', 1)[1]
    assert (demo.checkout_state(first), demo.checkout_state(handed)) == ('expired', 'open')


def test_opening_the_plain_checkout_closes_the_authentication_one(demo: DemoGateway) -> None:
    from portal.services.payments import checkout_for_attempt
    account, _ = make_account()
    make_charges(account, [5000])
    method = make_saved_method(account, behaviour='authenticate')
    out = charge_saved_method(account_id=account.id, method_id=method.id, amount=5000, target='balance',
                              idempotency_key=new_key())
    handed = out.checkout_url.rsplit('/', 1)[1]
    plain = checkout_for_attempt(out.attempt_id).rsplit('/', 1)[1]  # another window: "a new card"
    assert plain != handed
    assert (demo.checkout_state(handed), demo.checkout_state(plain)) == ('expired', 'open')


def test_the_checkout_sent_again_later_carries_the_same_return_url() -> None:
    """A retry under one idempotency key must send the same parameters (Stripe refuses a key reused with
    others): the result page's token is timed from the attempt, not from the moment of the call."""
    from datetime import timedelta

    import time_machine

    from portal.clock import utcnow
    from portal.services.payments import tokens
    from portal.services.payments.hosted_checkout import done_url
    created = utcnow() - timedelta(minutes=5)
    first = done_url(7, issued_at=created)
    with time_machine.travel(utcnow() + timedelta(seconds=3)):
        assert done_url(7, issued_at=created) == first
    assert tokens.read('done', first.rsplit('t=', 1)[1]) == 7
    assert done_url(7, issued_at=created.replace(tzinfo=None)) == first  # a naive UTC time reads the same
