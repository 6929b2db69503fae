"""POST /webhooks/stripe: 400 on a missing, forged or stale signature (and always without a secret);
a signed delivery is applied once however often it arrives; a card dispute flags the account with a chargeback."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from nicegui.testing import User
from sqlmodel import func, select

from portal.config import reload_settings
from portal.db import read_session, write_session
from portal.models import AccountFlag, FlagKind, GuarantorAccount, LedgerEntry, PaymentAttempt, WebhookEvent
from portal.payments import signatures
from portal.payments.registry import reset_gateway
from portal.services import ledger

SECRET = 'whsec_page_test'


@pytest.fixture
def with_secret(monkeypatch: pytest.MonkeyPatch, page_database: str) -> Iterator[None]:
    monkeypatch.setenv('PORTAL_STRIPE_WEBHOOK_SECRET', SECRET)
    reload_settings()
    reset_gateway()
    yield
    reset_gateway()


def _attempt(amount: int = 1500) -> tuple[int, int]:
    with write_session() as session:
        account = session.exec(select(GuarantorAccount).where(GuarantorAccount.account_number == 'A10002026')).one()
        attempt = PaymentAttempt(account_id=account.id, target='balance', amount=amount,
                                 idempotency_key='pay:webhook-test', gateway='demo')
        session.add(attempt)
        session.flush()
        return account.id, attempt.id


def _event(event_id: str, kind: str, obj: dict, created: int | None = None) -> bytes:
    return json.dumps({'id': event_id, 'type': kind, 'created': created or int(time.time()),
                       'data': {'object': obj}}).encode()


async def _post(user: User, body: bytes, signature: str | None) -> int:
    headers = {'Content-Type': 'application/json'}
    if signature is not None:
        headers['Stripe-Signature'] = signature
    response = await user.http_client.post('/webhooks/stripe', content=body, headers=headers)
    return response.status_code


def _count(model: type) -> int:
    with read_session() as session:
        return session.exec(select(func.count(model.id))).one()


async def test_bad_signatures_are_refused(user: User, with_secret: None) -> None:
    body = _event('evt_1', 'payment_intent.succeeded', {'id': 'pi_x', 'amount': 100, 'currency': 'usd'})
    stale = signatures.sign(body, SECRET, timestamp=int(time.time()) - 3600)
    for signature in (None, '', 't=1,v1=abc', signatures.sign(body, 'whsec_other'), stale, 'garbage'):
        assert await _post(user, body, signature) == 400
    assert await _post(user, b'not json', signatures.sign(b'not json', SECRET)) == 400
    assert _count(WebhookEvent) == 0


async def test_without_a_secret_every_request_is_refused(user: User) -> None:
    body = _event('evt_2', 'payment_intent.succeeded', {'id': 'pi_x', 'amount': 100})
    assert await _post(user, body, signatures.sign(body, '')) == 400
    assert await _post(user, body, signatures.sign(body, SECRET)) == 400


async def test_signed_events_twice_and_out_of_order_post_once(user: User, with_secret: None) -> None:
    account_id, attempt_id = _attempt()
    with read_session() as session:
        before = ledger.balance(session, account_id)
    now = int(time.time())
    meta = {'attempt_id': str(attempt_id), 'account_id': str(account_id)}
    intent = {'id': 'pi_hook_1', 'amount': 1500, 'currency': 'usd', 'metadata': meta}
    processing = _event('evt_p', 'payment_intent.processing', intent, now - 60)
    succeeded = _event('evt_s', 'payment_intent.succeeded', intent, now)
    completed = _event('evt_c', 'checkout.session.completed', {
        'id': 'cs_1', 'mode': 'payment', 'payment_status': 'paid', 'payment_intent': 'pi_hook_1',
        'amount_total': 1500, 'currency': 'usd', 'metadata': meta}, now - 30)
    for body in (succeeded, processing, completed, succeeded, processing):  # late and repeated
        assert await _post(user, body, signatures.sign(body, SECRET)) == 200
    with read_session() as session:
        assert ledger.balance(session, account_id) == before - 1500
        assert session.get(PaymentAttempt, attempt_id).status == 'succeeded'
        posts = select(func.count(LedgerEntry.id)).where(LedgerEntry.external_ref == 'pi_hook_1')
        assert session.exec(posts).one() == 1
        assert ledger.processing_payments(session, account_id) == 0
    dispute = _event('evt_d', 'charge.dispute.created', {'id': 'dp_1', 'payment_intent': 'pi_hook_1',
                                                         'amount': 1500, 'reason': 'fraudulent'})
    for _ in range(2):
        assert await _post(user, dispute, signatures.sign(dispute, SECRET)) == 200
    with read_session() as session:
        flags = session.exec(select(AccountFlag).where(AccountFlag.account_id == account_id,
                                                       AccountFlag.kind == FlagKind.chargeback)).all()
    assert len(flags) == 1


async def test_refund_events_post_once(user: User, with_secret: None) -> None:
    account_id, attempt_id = _attempt(2000)
    meta = {'attempt_id': str(attempt_id), 'account_id': str(account_id)}
    paid = _event('evt_s2', 'payment_intent.succeeded', {'id': 'pi_hook_2', 'amount': 2000, 'currency': 'usd',
                                                         'metadata': meta})
    assert await _post(user, paid, signatures.sign(paid, SECRET)) == 200
    with read_session() as session:
        after_payment = ledger.balance(session, account_id)
    refund = {'id': 're_hook', 'amount': 500, 'status': 'succeeded', 'payment_intent': 'pi_hook_2', 'currency': 'usd'}
    charge = _event('evt_r1', 'charge.refunded', {'payment_intent': 'pi_hook_2', 'currency': 'usd',
                                                  'refunds': {'data': [refund]}})
    updated = _event('evt_r2', 'refund.updated', refund)
    for body in (updated, charge, updated):
        assert await _post(user, body, signatures.sign(body, SECRET)) == 200
    with read_session() as session:
        assert ledger.balance(session, account_id) == after_payment + 500


async def test_deliveries_take_the_fast_path_past_the_page_middleware(user: User, with_secret: None) -> None:
    from nicegui import app

    from pages.payments.webhooks import WebhookFastPath
    from pages.wire import layers
    body = _event('evt_fast_path', 'payment_intent.created', {'id': 'pi_fast_path', 'object': 'payment_intent'})
    assert await _post(user, body, 't=1,v1=forged') == 400
    stack = layers(app.middleware_stack)
    assert WebhookFastPath in stack and stack.count(WebhookFastPath) == 1
    assert stack[stack.index(WebhookFastPath) + 1].__name__ == 'ServerErrorMiddleware'  # outside the page stack
    response = await user.http_client.post('/webhooks/stripe', content=body,
                                           headers={'Stripe-Signature': signatures.sign(body, SECRET)})
    assert response.status_code == 200 and 'set-cookie' not in response.headers  # no page session for Stripe
