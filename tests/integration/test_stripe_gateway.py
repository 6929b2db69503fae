"""StripeGateway against localstripe on loopback: off-session charges (paid, declined), a refund,
signed webhooks accepted and forged ones refused, and the same events delivered twice and shuffled
leaving the ledger right."""
from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import func, select

from portal.db import read_session, write_session
from portal.models import LedgerEntry, Payment, PaymentAttempt, SavedPaymentMethod, WebhookEvent
from portal.payments.gateway import WebhookRejected
from portal.payments.registry import reset_gateway, set_gateway
from portal.payments.stripe_gateway import StripeGateway
from portal.services import ledger
from portal.services.payments import charge_saved_method, new_key
from portal.services.payments.deliveries import handle_webhook
from portal.services.payments.staff import refund_payment
from tests.factories import make_account, make_charges, make_user
from tests.support.localstripe import SECRET_KEY, WebhookCatcher, localstripe

WEBHOOK_SECRET = 'whsec_localstripe_test'


@pytest.fixture(scope='module')
def localstripe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with localstripe(Path(tmp_path_factory.mktemp('localstripe'))) as url:
        yield url


@pytest.fixture
def catcher(localstripe_url: str) -> Iterator[WebhookCatcher]:
    hooks = WebhookCatcher()
    hooks.register(localstripe_url, WEBHOOK_SECRET, hook_id=f'h{id(hooks)}')
    yield hooks
    hooks.close()


@pytest.fixture
def stripe_gateway(db: str, localstripe_url: str) -> Iterator[StripeGateway]:
    gateway = StripeGateway(secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, api_base=localstripe_url)
    set_gateway(gateway)
    yield gateway
    reset_gateway()


def _saved_card(gateway: StripeGateway, account_id: int, number: str) -> int:
    customer = gateway.ensure_customer(idempotency_key=new_key('customer'), account_number=f'A{account_id}')
    method = gateway.client.v1.payment_methods.create(
        {'type': 'card', 'card': {'number': number, 'exp_month': 12, 'exp_year': 2030, 'cvc': '123'}})
    gateway.client.v1.payment_methods.attach(method.id, {'customer': customer})
    with write_session() as session:
        row = SavedPaymentMethod(account_id=account_id, gateway='stripe', gateway_customer_id=customer,
                                 gateway_method_id=method.id, kind='card', brand='visa', last4=number[-4:])
        session.add(row)
        session.flush()
        return row.id


def _balance(account_id: int) -> int:
    with read_session() as session:
        return ledger.balance(session, account_id)


def test_off_session_charge_succeeds_and_refunds(stripe_gateway: StripeGateway) -> None:
    account, _ = make_account()
    make_charges(account, [7000])
    method_id = _saved_card(stripe_gateway, account.id, '4242424242424242')
    outcome = charge_saved_method(account_id=account.id, method_id=method_id, amount=7000, target='balance',
                                  idempotency_key=new_key())
    assert outcome.status == 'succeeded', outcome.message
    assert _balance(account.id) == 0
    staff = make_user(role='staff')
    from portal.auth.permissions import Actor
    message = refund_payment(actor=Actor(user_id=staff.id, role='staff'), payment_id=outcome.payment_id,
                             amount_text='25.00', reason='Billed twice for the visit', balance_after=2500)
    assert 'Refunded $25.00' in message
    assert _balance(account.id) == 2500


def test_declined_off_session_charge_changes_nothing(stripe_gateway: StripeGateway) -> None:
    account, _ = make_account()
    make_charges(account, [7000])
    method_id = _saved_card(stripe_gateway, account.id, '4000000000000341')
    outcome = charge_saved_method(account_id=account.id, method_id=method_id, amount=7000, target='balance',
                                  idempotency_key=new_key())
    assert outcome.status == 'failed'
    assert 'declined' in outcome.message
    assert _balance(account.id) == 7000
    with read_session() as session:
        assert session.exec(select(func.count(Payment.id)).where(Payment.status == 'succeeded')).one() == 0


def test_signed_webhooks_twice_and_shuffled_post_once(stripe_gateway: StripeGateway, catcher: WebhookCatcher) -> None:
    account, _ = make_account()
    make_charges(account, [3000, 3000])
    method_id = _saved_card(stripe_gateway, account.id, '4242424242424242')
    intents = []
    for _ in range(2):
        outcome = charge_saved_method(account_id=account.id, method_id=method_id, amount=3000,
                                      target=f'amount:{_}', idempotency_key=new_key())
        assert outcome.status == 'succeeded'
        with read_session() as session:
            intents.append(session.get(Payment, outcome.payment_id).gateway_intent_id.encode())
    deliveries = [catcher.wait_matching('payment_intent.succeeded', intent)[0] for intent in intents]
    assert len(deliveries) == 2
    # the ledger already moved on the returned intents; the webhooks (twice, shuffled) change nothing
    replay = deliveries * 2
    random.Random(4).shuffle(replay)
    for body, signature in replay:
        handle_webhook(payload=body, signature_header=signature)
    with read_session() as session:
        posted = session.exec(select(func.count(LedgerEntry.id))
                              .where(LedgerEntry.kind == 'patient_payment', LedgerEntry.account_id == account.id)).one()
        stored = session.exec(select(func.count(WebhookEvent.id))).one()
    assert posted == 2
    assert stored == len(deliveries)
    assert _balance(account.id) == 0


def test_crash_after_charge_then_webhook_posts_once(stripe_gateway: StripeGateway, catcher: WebhookCatcher,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies after Stripe charged and before the ledger moved: the webhook settles it, once."""
    account, _ = make_account()
    make_charges(account, [4321])  # an amount no other test charges: deliveries of earlier tests are not ours
    method_id = _saved_card(stripe_gateway, account.id, '4242424242424242')
    from portal.services.payments import core

    def crash(*args: object, **kwargs: object) -> str:
        raise RuntimeError('process died')

    monkeypatch.setattr(core, 'apply_intent_state', crash)
    with pytest.raises(RuntimeError):
        charge_saved_method(account_id=account.id, method_id=method_id, amount=4321, target='balance',
                            idempotency_key=new_key())
    monkeypatch.undo()
    assert _balance(account.id) == 4321
    with read_session() as session:
        attempt = session.exec(select(PaymentAttempt)).one()
    assert attempt.status == 'open'
    ours = catcher.wait_matching('payment_intent.succeeded', b'"attempt_id": "%d"' % attempt.id,
                                 b'"amount": 4321')
    for body, signature in ours * 2:
        handle_webhook(payload=body, signature_header=signature)
    assert _balance(account.id) == 0
    with read_session() as session:
        assert session.get(PaymentAttempt, attempt.id).status == 'succeeded'


def test_forged_and_unsigned_webhooks_are_refused(stripe_gateway: StripeGateway, catcher: WebhookCatcher) -> None:
    account, _ = make_account()
    make_charges(account, [1000])
    method_id = _saved_card(stripe_gateway, account.id, '4242424242424242')
    charge_saved_method(account_id=account.id, method_id=method_id, amount=1000, target='balance',
                        idempotency_key=new_key())
    with read_session() as session:
        intent = session.exec(select(Payment.gateway_intent_id)).one().encode()
    body, signature = catcher.wait_matching('payment_intent.succeeded', intent)[0]
    for forged_body, forged_signature in ((body.replace(b'1000', b'9999'), signature), (body, ''), (body, None),
                                          (body, signature.replace('v1=', 'v1=0'))):
        with pytest.raises(WebhookRejected):
            handle_webhook(payload=forged_body, signature_header=forged_signature)
    with read_session() as session:
        assert session.exec(select(func.count(WebhookEvent.id))).one() == 0
