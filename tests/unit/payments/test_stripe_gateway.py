"""Checkout Sessions, refunds and off-session charges checked at the HTTP boundary: the form fields the
SDK sends, against the parameters Stripe documents (the SDK's typed parameter definitions for the
pinned API version), with the idempotency key and the pinned version in the headers."""
from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest
import stripe
from stripe.params import PaymentIntentCreateParams, RefundCreateParams
from stripe.params.checkout import SessionCreateParams

from portal.payments.gateway import CheckoutRequest, OffSessionCharge
from portal.payments.stripe_gateway import API_VERSION, StripeGateway

REPLIES = {
    '/v1/checkout/sessions': {'id': 'cs_test_1', 'object': 'checkout.session', 'url': 'https://checkout.stripe.com/c/1',
                              'payment_intent': None},
    '/v1/refunds': {'id': 're_1', 'object': 'refund', 'status': 'succeeded', 'amount': 500},
    '/v1/payment_intents': {'id': 'pi_1', 'object': 'payment_intent', 'status': 'succeeded', 'amount': 5000,
                            'currency': 'usd', 'metadata': {'attempt_id': '7'}},
}


class Recorder(stripe.HTTPClient):
    name = 'recorder'

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str, dict[str, str], list[tuple[str, str]]]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):  # noqa: ANN001, ANN201
        path = url.split('://', 1)[1].split('/', 1)[1]
        self.calls.append((method, '/' + path, dict(headers or {}), parse_qsl(post_data or '')))
        return json.dumps(REPLIES['/' + path]), 200, {}

    def close(self) -> None:
        pass


@pytest.fixture
def recorded() -> tuple[StripeGateway, Recorder]:
    recorder = Recorder()
    return StripeGateway(secret_key='sk_test_x', webhook_secret='whsec_x', http_client=recorder), recorder


def _request(**overrides: object) -> CheckoutRequest:
    values = dict(idempotency_key='pay:abc:checkout:pay', customer_id='cus_1', amount=5000,
                  success_url='https://portal.example.com/pay/done?t=x', cancel_url='https://portal.example.com/pay',
                  description='Riverside Family Medicine payment', metadata={'attempt_id': '7', 'account_id': '3'})
    values.update(overrides)
    return CheckoutRequest(**values)  # type: ignore[arg-type]


def _documented(typed_dict: type, fields: list[tuple[str, str]]) -> None:
    """Every top-level form field is a parameter Stripe documents for this call."""
    allowed = {name for klass in typed_dict.__mro__ for name in getattr(klass, "__annotations__", {})}
    top = {name.split('[', 1)[0] for name, _ in fields}
    assert top and top <= allowed, top - allowed  # the call sent parameters, each one documented


def test_payment_checkout_parameters(recorded: tuple[StripeGateway, Recorder]) -> None:
    gateway, recorder = recorded
    session = gateway.start_checkout(_request(save_method=True))
    assert session.url.startswith('https://checkout.stripe.com/')
    method, path, headers, fields = recorder.calls[-1]
    assert (method, path) == ('post', '/v1/checkout/sessions')
    assert headers['Idempotency-Key'] == 'pay:abc:checkout:pay'
    assert headers['Stripe-Version'] == API_VERSION
    _documented(SessionCreateParams, fields)
    form = dict(fields)
    assert form['mode'] == 'payment'
    assert form['customer'] == 'cus_1'
    assert [value for name, value in fields if name.startswith('allowed_payment_method_types')] == \
        ['card', 'us_bank_account']
    assert form['line_items[0][price_data][unit_amount]'] == '5000'
    assert form['line_items[0][price_data][currency]'] == 'usd'
    assert form['line_items[0][quantity]'] == '1'
    assert form['payment_intent_data[setup_future_usage]'] == 'off_session'
    assert form['payment_intent_data[metadata][attempt_id]'] == '7'
    assert form['client_reference_id'] == '7'
    assert form['success_url'].startswith('https://portal.example.com/pay/done')
    assert not any('card[number]' in name for name, _ in fields)


def test_no_saving_without_consent(recorded: tuple[StripeGateway, Recorder]) -> None:
    gateway, recorder = recorded
    gateway.start_checkout(_request(save_method=False))
    assert 'payment_intent_data[setup_future_usage]' not in dict(recorder.calls[-1][3])


def test_setup_checkout_parameters(recorded: tuple[StripeGateway, Recorder]) -> None:
    gateway, recorder = recorded
    gateway.start_checkout(_request(mode='setup', amount=0, idempotency_key='setup:1'))
    _, _, headers, fields = recorder.calls[-1]
    _documented(SessionCreateParams, fields)
    form = dict(fields)
    assert form['mode'] == 'setup'
    assert form['currency'] == 'usd'
    assert form['setup_intent_data[metadata][account_id]'] == '3'
    assert not any(name.startswith('line_items') for name in form)
    assert headers['Idempotency-Key'] == 'setup:1'


def test_refund_parameters(recorded: tuple[StripeGateway, Recorder]) -> None:
    gateway, recorder = recorded
    result = gateway.refund(idempotency_key='refund:1', intent_id='pi_1', amount=500, reason='Billed twice')
    assert result.status == 'succeeded'
    _, path, headers, fields = recorder.calls[-1]
    assert path == '/v1/refunds'
    _documented(RefundCreateParams, fields)
    assert dict(fields) == {'payment_intent': 'pi_1', 'amount': '500', 'reason': 'requested_by_customer'}
    assert headers['Idempotency-Key'] == 'refund:1'


def test_off_session_parameters(recorded: tuple[StripeGateway, Recorder]) -> None:
    gateway, recorder = recorded
    state = gateway.charge_off_session(OffSessionCharge(idempotency_key='installment:9:1', customer_id='cus_1',
                                                        method_id='pm_1', amount=5000, currency='USD',
                                                        description='Riverside payment plan',
                                                        metadata={'attempt_id': '7'}))
    assert state.status == 'succeeded'
    _, path, headers, fields = recorder.calls[-1]
    _documented(PaymentIntentCreateParams, fields)
    form = dict(fields)
    assert path == '/v1/payment_intents'
    assert (form['off_session'], form['confirm'], form['payment_method']) == ('true', 'true', 'pm_1')
    assert headers['Idempotency-Key'] == 'installment:9:1'


def test_a_saved_method_is_fetched_for_its_details(recorded: tuple[StripeGateway, Recorder]) -> None:
    from portal.payments.signatures import sign
    gateway, recorder = recorded
    REPLIES['/v1/setup_intents/seti_1'] = {'id': 'seti_1', 'object': 'setup_intent', 'payment_method': 'pm_9'}
    REPLIES['/v1/payment_methods/pm_9'] = {'id': 'pm_9', 'object': 'payment_method', 'type': 'card',
                                           'card': {'brand': 'visa', 'last4': '4242', 'exp_month': 4,
                                                    'exp_year': 2031}}
    body = json.dumps({'id': 'evt_setup', 'type': 'checkout.session.completed', 'created': 1, 'data': {'object': {
        'id': 'cs_1', 'mode': 'setup', 'setup_intent': 'seti_1', 'customer': 'cus_1',
        'metadata': {'account_id': '3'}}}}).encode()
    events = gateway.parse_webhook(body, sign(body, 'whsec_x'))
    saved = [event for event in events if event.kind == 'method_saved']
    assert len(saved) == 1
    assert (saved[0].method.last4, saved[0].method.exp_year, saved[0].metadata['account_id']) == ('4242', 2031, '3')
    assert [call[1] for call in recorder.calls] == ['/v1/setup_intents/seti_1', '/v1/payment_methods/pm_9']


class QueryRecorder(Recorder):
    """Like Recorder, for GET calls too: the query string is recorded apart from the path."""

    def request(self, method, url, headers, post_data=None, *, _usage=None):  # noqa: ANN001, ANN201
        path, _, query = ('/' + url.split('://', 1)[1].split('/', 1)[1]).partition('?')
        self.calls.append((method, path, dict(headers or {}), parse_qsl(query or post_data or '')))
        return json.dumps(REPLIES[path]), 200, {}


def test_a_checkout_is_fetched_with_its_intent() -> None:
    """Since API 2022-08-01 a Checkout Session has no PaymentIntent until the payer submits: the done page
    and reconciliation ask the session for it."""
    recorder = QueryRecorder()
    gateway = StripeGateway(secret_key='sk_test_x', http_client=recorder)
    REPLIES['/v1/checkout/sessions/cs_open'] = {'id': 'cs_open', 'object': 'checkout.session', 'status': 'open',
                                                'payment_intent': None}
    REPLIES['/v1/checkout/sessions/cs_paid'] = {
        'id': 'cs_paid', 'object': 'checkout.session', 'status': 'complete', 'payment_intent': {
            'id': 'pi_7', 'object': 'payment_intent', 'status': 'succeeded', 'amount': 5000, 'currency': 'usd',
            'metadata': {'attempt_id': '7'}, 'payment_method': {'id': 'pm_1', 'object': 'payment_method',
                                                                'type': 'card', 'card': {'brand': 'visa',
                                                                                         'last4': '4242'}}}}
    assert gateway.fetch_checkout('cs_open').intent is None
    method, path, _, fields = recorder.calls[-1]
    assert (method, path) == ('get', '/v1/checkout/sessions/cs_open')
    assert [value for name, value in fields if name.startswith('expand')] == \
        ['payment_intent', 'payment_intent.payment_method']
    paid = gateway.fetch_checkout('cs_paid')
    assert paid.status == 'complete'
    assert (paid.intent.intent_id, paid.intent.status, paid.intent.amount) == ('pi_7', 'succeeded', 5000)
    assert paid.intent.method.last4 == '4242' and paid.intent.metadata == {'attempt_id': '7'}


def test_a_checkout_with_an_unexpanded_intent_fetches_it() -> None:
    recorder = QueryRecorder()
    gateway = StripeGateway(secret_key='sk_test_x', http_client=recorder)
    REPLIES['/v1/checkout/sessions/cs_ach'] = {'id': 'cs_ach', 'object': 'checkout.session', 'status': 'complete',
                                               'payment_intent': 'pi_8'}
    REPLIES['/v1/payment_intents/pi_8'] = {'id': 'pi_8', 'object': 'payment_intent', 'status': 'processing',
                                           'amount': 900, 'currency': 'usd'}
    state = gateway.fetch_checkout('cs_ach')
    assert (state.intent.intent_id, state.intent.status) == ('pi_8', 'processing')
    assert [call[1] for call in recorder.calls] == ['/v1/checkout/sessions/cs_ach', '/v1/payment_intents/pi_8']


def test_expiring_a_checkout() -> None:
    recorder = QueryRecorder()
    gateway = StripeGateway(secret_key='sk_test_x', http_client=recorder)
    REPLIES['/v1/checkout/sessions/cs_open/expire'] = {'id': 'cs_open', 'object': 'checkout.session',
                                                       'status': 'expired'}
    gateway.expire_checkout('cs_open')
    assert recorder.calls[-1][:2] == ('post', '/v1/checkout/sessions/cs_open/expire')
