"""Payment attempts, payments and where they went, refunds, saved methods, webhook events.

An attempt (with its idempotency key) is stored before the gateway is called; a payment is
keyed by its gateway intent id and a refund by its gateway refund id, so two events about one
movement post once.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from portal.clock import utcnow
from portal.models.columns import StateText


class AttemptStatus(StrEnum):
    """Where a payment attempt stands; only an `open` one may still be charged or checked out."""
    open = 'open'
    setup = 'setup'  # saving a method without a payment (target 'setup')
    processing = 'processing'  # charged; the money is in flight (a bank debit, say)
    succeeded = 'succeeded'
    failed = 'failed'
    cancelled = 'cancelled'  # replaced by another attempt, or given up by the payer
    expired = 'expired'  # its hosted checkout ended unpaid


class PaymentStatus(StrEnum):
    processing = 'processing'  # counted as in flight: not yet payable again, not yet settled
    succeeded = 'succeeded'
    failed = 'failed'  # declined or returned by the bank


class RefundStatus(StrEnum):
    pending = 'pending'  # asked of the gateway, not yet confirmed
    succeeded = 'succeeded'
    failed = 'failed'


class PaymentAttempt(SQLModel, table=True):
    __tablename__ = 'payment_attempt'
    __table_args__ = (
        # one open attempt per account and target: a second tab reuses it
        Index('ux_payment_attempt_open', 'account_id', 'target', unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    user_id: int | None = Field(default=None, foreign_key='user.id')
    target: str = Field(max_length=40)  # 'balance', 'statement:<id>', 'amount:<minor>', 'installment:<id>'
    amount: int
    currency: str = Field(default='USD', max_length=3)
    idempotency_key: str = Field(max_length=80, unique=True)
    gateway: str = Field(max_length=16)
    gateway_session_id: str | None = Field(default=None, max_length=255, index=True)
    gateway_intent_id: str | None = Field(default=None, max_length=255, index=True)
    status: AttemptStatus = Field(default=AttemptStatus.open, max_length=16, sa_type=StateText(AttemptStatus, 16))
    error_message: str = Field(default='', max_length=300)
    # the gateway time (seconds) of the newest event applied: an older event arriving late changes nothing
    last_event_at: int = Field(default=0, sa_column_kwargs={'server_default': '0'})
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Payment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    attempt_id: int | None = Field(default=None, foreign_key='payment_attempt.id')
    gateway_intent_id: str | None = Field(default=None, max_length=255, unique=True)
    amount: int
    currency: str = Field(default='USD', max_length=3)
    method: str = Field(max_length=24)  # card, us_bank_account, wallet, cash, check
    status: PaymentStatus = Field(default=PaymentStatus.processing, max_length=16, sa_type=StateText(PaymentStatus, 16))
    receipt_number: str = Field(max_length=20, unique=True)
    reference: str = Field(default='', max_length=60)  # check number and the like
    payer_user_id: int | None = Field(default=None, foreign_key='user.id')
    recorded_by_user_id: int | None = Field(default=None, foreign_key='user.id')
    saved_method_id: int | None = Field(default=None, foreign_key='saved_payment_method.id')
    received_at: datetime = Field(default_factory=utcnow)
    settled_at: datetime | None = None


class PaymentAllocation(SQLModel, table=True):
    __tablename__ = 'payment_allocation'

    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key='payment.id', index=True)
    charge_id: int = Field(foreign_key='charge.id', index=True)
    amount: int


class Refund(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key='payment.id', index=True)
    gateway_refund_id: str | None = Field(default=None, max_length=255, unique=True)
    idempotency_key: str = Field(max_length=80, unique=True)
    amount: int
    currency: str = Field(default='USD', max_length=3)
    reason: str = Field(max_length=200)
    status: RefundStatus = Field(default=RefundStatus.pending, max_length=16, sa_type=StateText(RefundStatus, 16))
    requested_by_user_id: int | None = Field(default=None, foreign_key='user.id')
    created_at: datetime = Field(default_factory=utcnow)


class SavedPaymentMethod(SQLModel, table=True):
    """A gateway's reference to a card or bank account: never a card number."""
    __tablename__ = 'saved_payment_method'

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    user_id: int | None = Field(default=None, foreign_key='user.id')
    gateway: str = Field(max_length=16)
    gateway_customer_id: str = Field(max_length=255)
    gateway_method_id: str = Field(max_length=255, unique=True)
    kind: str = Field(max_length=24)  # card, us_bank_account
    brand: str = Field(default='', max_length=24)
    last4: str = Field(max_length=4)
    exp_month: int | None = None
    exp_year: int | None = None
    bank_name: str = Field(default='', max_length=80)
    is_default: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    removed_at: datetime | None = None


class WebhookEvent(SQLModel, table=True):
    __tablename__ = 'webhook_event'

    id: int | None = Field(default=None, primary_key=True)
    gateway: str = Field(max_length=16)
    event_id: str = Field(max_length=255, unique=True)
    type: str = Field(max_length=80)
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None
    outcome: str = Field(default='', max_length=200)


class GatewayCustomer(SQLModel, table=True):
    """The gateway's customer for an account, created once (its idempotency key is the account's)."""
    __tablename__ = 'gateway_customer'
    __table_args__ = (UniqueConstraint('gateway', 'account_id'),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    gateway: str = Field(max_length=16)
    customer_id: str = Field(max_length=255, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
