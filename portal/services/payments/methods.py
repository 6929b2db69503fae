"""Saved payment methods: list (brand, last 4, expiry, bank name), set the default, remove, add one.

Only the gateway's references are stored, never a number. Adding goes through the gateway's hosted
setup page; the method arrives as a `method_saved` event through the one handler.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, account_relationships, require_account
from portal.clock import utcnow
from portal.errors import DomainError, NotFound
from portal.models import AttemptStatus, PaymentAttempt, SavedPaymentMethod
from portal.payments.gateway import GatewayError
from portal.payments.registry import gateway
from portal.services.linked_accounts import account_choices
from portal.services.practice import cached_practice
from portal.services.saved_methods import method_label, usable_methods

DEMO_LAST4 = {'succeed': '4242', 'decline': '0002', 'authenticate': '3184', 'bank': '6789'}


@dataclass(frozen=True)
class MethodView:
    id: int
    kind: str
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None
    bank_name: str
    is_default: bool

    @property
    def label(self) -> str:
        return method_label(self)

    @property
    def expiry(self) -> str:
        return f'{self.exp_month:02d}/{self.exp_year}' if self.exp_month and self.exp_year else ''


def add_demo_method(session: Session, /, *, account_id: int, behaviour: str = 'succeed', user_id: int | None = None,
                    is_default: bool = True) -> SavedPaymentMethod:
    """A DemoGateway saved method (tests, demos): 'succeed' (like pm_card_visa), 'decline',
    'authenticate' (the bank asks to confirm) or 'bank' (stays processing, settles later)."""
    from portal.payments.demo_gateway import new_method_id
    bank = behaviour == 'bank'
    method = SavedPaymentMethod(account_id=account_id, user_id=user_id, gateway='demo',
                                gateway_customer_id=f'cus_demo_{account_id:08d}',
                                gateway_method_id=new_method_id(behaviour), kind='us_bank_account' if bank else 'card',
                                brand='' if bank else 'visa', last4=DEMO_LAST4[behaviour],
                                exp_month=None if bank else 12, exp_year=None if bank else 2030,
                                bank_name='STRIPE TEST BANK' if bank else '', is_default=is_default)
    session.add(method)
    session.flush()
    return method


def _view(row: SavedPaymentMethod) -> MethodView:
    return MethodView(id=row.id, kind=row.kind, brand=row.brand, last4=row.last4, exp_month=row.exp_month,
                      exp_year=row.exp_year, bank_name=row.bank_name, is_default=row.is_default)


def list_methods(session: Session, /, *, actor: Actor, account_id: int) -> tuple[MethodView, ...]:
    require_account(session, actor, account_id, purpose='view_payment_methods')
    rows = usable_methods(session, account_id)
    return tuple(_view(row) for row in rows)


@dataclass(frozen=True)
class MethodsContext:
    account_id: int
    accounts: dict[int, str]  # account id -> number, for someone with several linked accounts; else empty
    methods: tuple[MethodView, ...]


def methods_context(session: Session, /, actor: Actor, *, account_id: int | None = None) -> MethodsContext | None:
    """The saved methods of the chosen account (or the first linked one); None when no account is linked.
    NotFound for an account the actor may not see."""
    linked = account_relationships(session, actor.user_id)
    if account_id is None:
        if not linked:
            return None
        account_id = next(iter(linked))
    rows = list_methods(session, actor=actor, account_id=account_id)
    numbers = account_choices(session, linked)
    return MethodsContext(account_id=account_id, accounts=numbers, methods=rows)


def load_methods_context(*, actor: Actor, account_id: int | None = None) -> MethodsContext | None:
    """methods_context in its own session, keeping the audit of a refused account before the NotFound."""
    from portal.db import write_session
    with write_session() as session:
        try:
            return methods_context(session, actor, account_id=account_id)
        except NotFound:
            pass  # commit the audited refusal, then answer 404
    raise NotFound()


def _owned(session: Session, actor: Actor, method_id: int) -> SavedPaymentMethod:
    row = session.get(SavedPaymentMethod, method_id)
    if row is None or row.removed_at is not None:
        raise NotFound()
    require_account(session, actor, row.account_id, purpose='change_payment_method')
    return row


def set_default(session: Session, /, *, actor: Actor, method_id: int) -> None:
    row = _owned(session, actor, method_id)
    for other in session.exec(select(SavedPaymentMethod).where(SavedPaymentMethod.account_id == row.account_id,
                                                                col(SavedPaymentMethod.is_default))).all():
        other.is_default = False
    row.is_default = True
    audit.record(session, action='payment_method_default', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='saved_payment_method', entity_id=row.id, account_id=row.account_id, source_ip=actor.ip)


def removable(session: Session, /, actor: Actor, method_id: int) -> str:
    """Check the actor may remove it; return the gateway's id to detach (outside any transaction)."""
    return _owned(session, actor, method_id).gateway_method_id


def mark_removed(session: Session, /, actor: Actor, method_id: int) -> None:
    row = _owned(session, actor, method_id)
    row.removed_at, was_default, row.is_default = utcnow(), row.is_default, False
    if was_default:
        successor = session.exec(select(SavedPaymentMethod).where(
            SavedPaymentMethod.account_id == row.account_id, col(SavedPaymentMethod.removed_at).is_(None),
            SavedPaymentMethod.id != row.id).order_by(col(SavedPaymentMethod.id))).first()
        if successor is not None:
            successor.is_default = True
    audit.record(session, action='payment_method_removed', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='saved_payment_method', entity_id=row.id, account_id=row.account_id, source_ip=actor.ip)


def remove_method(*, actor: Actor, method_id: int) -> None:
    """Detach at the gateway, then mark removed (own sessions; no transaction during the call)."""
    from portal.db import read_session, write_session
    with read_session() as session:
        gateway_id = removable(session, actor, method_id)
    try:
        gateway().detach_method(gateway_id)
    except GatewayError as error:
        raise DomainError(error.message) from None
    with write_session() as session:
        mark_removed(session, actor, method_id)


def start_setup(*, actor: Actor, account_id: int) -> str:
    """The gateway's hosted page to add a method (setup mode); returns its URL."""
    from portal.config import get_settings
    from portal.db import write_session
    from portal.payments.gateway import CheckoutRequest
    from portal.services.payments.core import new_key
    from portal.services.payments.hosted_checkout import customer_for
    with write_session() as session:
        require_account(session, actor, account_id, purpose='add_payment_method')
        attempt = PaymentAttempt(account_id=account_id, user_id=actor.user_id, target='setup', amount=0,
                                 idempotency_key=new_key('setup'), gateway=gateway().name, status=AttemptStatus.setup)
        session.add(attempt)
        session.flush()
        attempt_id, key = attempt.id, attempt.idempotency_key
    base = get_settings().public_base_url
    try:
        checkout = gateway().start_checkout(CheckoutRequest(
            idempotency_key=key, customer_id=customer_for(account_id), mode='setup',
            success_url=f'{base}/payment-methods?account={account_id}&added=1',
            cancel_url=f'{base}/payment-methods?account={account_id}',
            description=f'{cached_practice().name}: save a payment method',
            metadata={'attempt_id': str(attempt_id), 'account_id': str(account_id), 'user_id': str(actor.user_id)}))
    except GatewayError as error:
        raise DomainError(error.message) from None
    with write_session() as session:
        attempt = session.get(PaymentAttempt, attempt_id)
        assert attempt is not None
        attempt.gateway_session_id = checkout.session_id
    return checkout.url
