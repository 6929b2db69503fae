"""Storing payment attempts under the account's cap, and closing hosted checkouts that may still take money.

An attempt reserves its amount: it is stored (with its idempotency key) before any gateway call,
and while it is in flight it counts against the cap of its target (portal.services.payable), so two
attempts for different targets of one account (two tabs, two guardians, autopay) can never both
charge more than is owed. The check and the insert are serialised per account: BEGIN IMMEDIATE on
SQLite (every write session), a lock on the account row on PostgreSQL. The gateway is never called
while the lock is held: the reservation commits first, and a failed, expired or closed attempt
releases its amount.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.errors import ValidationFailed
from portal.models import AttemptStatus, GuarantorAccount, PaymentAttempt
from portal.money import format_money
from portal.payments.gateway import GatewayError
from portal.payments.registry import gateway
from portal.services.payable import CHECKOUT_LIFETIME, in_flight_filter, standing

T = TypeVar('T')
UNDER_WAY = ('A payment for this account is already under way, perhaps in another window or by someone else '
             'on the account. Nothing was charged. Check your balance in a few minutes before paying again.')
CHANGED = 'The amount changed since you first pressed Continue. Check it and press Continue again.'


class PaymentUnderWay(ValidationFailed):
    """Another attempt toward the same cap is in flight and this one would take more than is owed with it."""

    def __init__(self) -> None:
        super().__init__(UNDER_WAY)


class AttemptChanged(ValidationFailed):
    """A key already stands for an open attempt of another amount or target: the caller needs a new key
    (the pay form's retry after a timeout, with the amount changed meanwhile)."""


def _same_request(attempt: PaymentAttempt, *, target: str, amount: int) -> None:
    """A key reused for another payment must not charge the old one's amount."""
    if attempt.status == AttemptStatus.open and (attempt.target, attempt.amount) != (target[:40], amount):
        raise AttemptChanged(CHANGED)


def attempt_by_key(session: Session, /, idempotency_key: str) -> PaymentAttempt | None:
    """The attempt stored under this key, read afresh (an attempt this session loaded before it took the
    account's lock may have finished since)."""
    return session.exec(select(PaymentAttempt).where(PaymentAttempt.idempotency_key == idempotency_key)
                        .execution_options(populate_existing=True)).first()


def _open_for(session: Session, account_id: int, target: str) -> PaymentAttempt | None:
    return session.exec(select(PaymentAttempt).where(PaymentAttempt.account_id == account_id,
                                                     PaymentAttempt.target == target,
                                                     PaymentAttempt.status == AttemptStatus.open)).first()


def lock_account(session: Session, /, account_id: int) -> None:
    """Serialise reservations for one account until the transaction ends. PostgreSQL: FOR NO KEY UPDATE on
    the account row (rows that merely reference the account, such as a webhook's ledger entry, are not
    held up); SQLite ignores it: a write session already holds the database's write lock (BEGIN IMMEDIATE)."""
    session.exec(select(GuarantorAccount.id).where(GuarantorAccount.id == account_id)
                 .with_for_update(key_share=True)).first()


def _check_room(session: Session, account_id: int, *, target: str, amount: int,
                excluding: int | None = None) -> None:
    """ValidationFailed when the amount is more than is owed; PaymentUnderWay when it fits what is owed but
    not beside the attempts already in flight."""
    reading = standing(session, account_id, target=target, excluding=excluding)
    if amount > reading.ceiling:  # what is owed, asked for or still with insurance
        raise ValidationFailed(f'The most you can pay now is {format_money(reading.ceiling)}.')
    if amount > reading.room:
        raise PaymentUnderWay()


def _hold(session: Session, attempt: PaymentAttempt) -> PaymentAttempt:
    """An open attempt asked for again goes to the gateway again: it must still fit beside the others (it
    may have stopped counting, its call long over), and it counts as in flight from now."""
    if attempt.status == AttemptStatus.open:
        try:
            _check_room(session, attempt.account_id, target=attempt.target, amount=attempt.amount,
                        excluding=attempt.id)
        except ValidationFailed:  # PaymentUnderWay too
            session.refresh(attempt)  # its own payment, recorded meanwhile, is what left no room: it is over
            if attempt.status != AttemptStatus.open:
                return attempt
            raise
        attempt.updated_at = utcnow()
        session.flush()
    return attempt


def open_attempt(session: Session, /, *, account_id: int, target: str, amount: int, idempotency_key: str,
                 user_id: int | None = None, currency: str = 'USD') -> PaymentAttempt:
    """The attempt for this key, or the open one for this account and target, or a new one: all under the
    account's cap. `session` must be a write session (the account is locked until it ends).

    An open attempt for another amount (the balance changed) is cancelled and replaced; a payment
    still made on it is recorded all the same when its event arrives. Raises ValidationFailed (amount not
    above 0, or more than is owed), PaymentUnderWay (it would not fit beside the attempts in flight; see
    `reserve`) and AttemptChanged (the key stands for another request).
    """
    if not isinstance(amount, int) or amount <= 0:
        raise ValidationFailed('The amount must be more than zero.')
    lock_account(session, account_id)
    found = attempt_by_key(session, idempotency_key)
    if found is not None:
        _same_request(found, target=target, amount=amount)
        return _hold(session, found)
    current = _open_for(session, account_id, target[:40])
    if current is not None and current.amount == amount:
        return _hold(session, current)
    _check_room(session, account_id, target=target, amount=amount)
    if current is not None:
        current.status, current.updated_at = AttemptStatus.cancelled, utcnow()
        session.flush()
    attempt = PaymentAttempt(account_id=account_id, user_id=user_id, target=target[:40], amount=amount,
                             currency=currency, idempotency_key=idempotency_key, gateway=gateway().name)
    try:
        with session.begin_nested():
            session.add(attempt)
    except IntegrityError:  # a concurrent request stored it first: use that one
        found = attempt_by_key(session, idempotency_key) or _open_for(session, account_id, target[:40])
        if found is None:
            raise
        return found
    session.flush()
    return attempt


def reserve(store: Callable[[], T], *, account_id: int) -> T:
    """Run `store` (which stores an attempt through open_attempt in its own write session). When the cap
    refuses it, close the account's hosted checkouts that are not paid and try once more: refused only if
    the cap still fails (PaymentUnderWay), with nothing charged. No lock is held while checkouts close."""
    try:
        return store()
    except PaymentUnderWay:
        if not close_open_checkouts(account_id):
            raise
    return store()


def expire_checkout(session_id: str) -> bool:
    """Close a hosted checkout; True when it can no longer take a payment (closed now or before)."""
    chosen = gateway()
    try:
        chosen.expire_checkout(session_id)
        return True
    except GatewayError:
        try:
            return chosen.fetch_checkout(session_id).status == 'expired'
        except GatewayError:
            return False


def _close(found: list[tuple[int, str | None]]) -> bool:
    """Expire each checkout; its attempt (still open or cancelled) is then expired: it takes no money."""
    closed = False
    for attempt_id, session_id in found:
        if session_id and expire_checkout(session_id):
            with write_session() as session:
                attempt = session.get(PaymentAttempt, attempt_id)
                if attempt is not None and attempt.status in (AttemptStatus.open, AttemptStatus.cancelled) \
                        and attempt.gateway_session_id == session_id:
                    attempt.status, attempt.updated_at = AttemptStatus.expired, utcnow()
                    closed = True
    return closed


def close_open_checkouts(account_id: int) -> bool:
    """Close every hosted checkout of the account that counts as in flight (an open attempt's, or a replaced
    one's) and is not paid; True when at least one attempt was released."""
    with read_session() as session:
        found = session.exec(select(PaymentAttempt.id, PaymentAttempt.gateway_session_id).where(
            in_flight_filter(account_id), col(PaymentAttempt.gateway_session_id).is_not(None))).all()
    return _close([tuple(row) for row in found])  # type: ignore[misc]


def close_replaced_checkouts(account_id: int | None, *, attempt_id: int | None = None) -> None:
    """Expire the hosted checkouts of attempts cancelled because a new one replaced them (the amount
    changed), so only one checkout can take the payment; such an attempt is then expired."""
    with read_session() as session:
        if account_id is None:
            account_id = session.exec(select(PaymentAttempt.account_id)
                                      .where(PaymentAttempt.id == attempt_id)).first()
        replaced = session.exec(select(PaymentAttempt.id, PaymentAttempt.gateway_session_id).where(
            PaymentAttempt.account_id == account_id, PaymentAttempt.status == AttemptStatus.cancelled,
            col(PaymentAttempt.gateway_session_id).is_not(None),
            PaymentAttempt.updated_at > utcnow() - CHECKOUT_LIFETIME)).all() if account_id else []
    _close([tuple(row) for row in replaced])  # type: ignore[misc]
