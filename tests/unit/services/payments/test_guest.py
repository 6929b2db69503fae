"""The guest result page's "email me a receipt": only for a guest's own payment, one address per
payment, and rate limited per payment and per address (it must not become an open mail relay)."""
from __future__ import annotations

import pytest
from sqlmodel import select

from portal.db import read_session
from portal.errors import RateLimited, ValidationFailed
from portal.models import Notification
from portal.payments.demo_gateway import DemoGateway
from portal.services.payments import tokens
from portal.services.payments.guest import RECEIPT_IP, RECEIPT_PAYMENT, email_receipt
from tests.factories import make_paid_attempt


def _sent_to() -> list[str]:
    with read_session() as session:
        return list(session.exec(select(Notification.recipient).where(
            Notification.dedupe_key.startswith('guest-receipt:'))).all())


def test_a_guest_gets_the_receipt_at_one_address(demo: DemoGateway) -> None:
    token = tokens.make('done', make_paid_attempt())
    email_receipt(done_token=token, email='guest@example.com', ip='203.0.113.5')
    email_receipt(done_token=token, email='Guest@Example.com', ip='203.0.113.5')  # again: one message
    assert _sent_to() == ['guest@example.com']
    with pytest.raises(ValidationFailed, match='already sent'):
        email_receipt(done_token=token, email='someone.else@example.com', ip='203.0.113.5')
    assert _sent_to() == ['guest@example.com']


def test_a_signed_in_patients_payment_is_refused(demo: DemoGateway) -> None:
    token = tokens.make('done', make_paid_attempt(signed_in=True))
    with pytest.raises(ValidationFailed, match='Sign in'):
        email_receipt(done_token=token, email='anyone@example.com', ip='203.0.113.6')
    assert _sent_to() == []


def test_requests_per_payment_are_limited(demo: DemoGateway) -> None:
    token = tokens.make('done', make_paid_attempt())
    email_receipt(done_token=token, email='guest@example.com', ip='203.0.113.7')
    for number in range(RECEIPT_PAYMENT.limit - 1):
        with pytest.raises(ValidationFailed):  # each refusal still counts
            email_receipt(done_token=token, email=f'other{number}@example.com', ip=f'198.51.100.{number}')
    with pytest.raises(RateLimited):
        email_receipt(done_token=token, email='guest@example.com', ip='198.51.100.200')


def test_requests_per_address_are_limited(demo: DemoGateway) -> None:
    for _ in range(RECEIPT_IP.limit):
        email_receipt(done_token=tokens.make('done', make_paid_attempt()), email='guest@example.com', ip='203.0.113.8')
    token = tokens.make('done', make_paid_attempt())
    with pytest.raises(RateLimited):
        email_receipt(done_token=token, email='guest@example.com', ip='203.0.113.8')
    email_receipt(done_token=token, email='guest@example.com', ip='203.0.113.9')  # another address may
    assert len(_sent_to()) == RECEIPT_IP.limit + 1
