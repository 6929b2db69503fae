"""Payment-plan policy, plans (signed agreements) and their installments."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from portal.clock import utcnow
from portal.models.columns import StateText

OPEN_PLAN = "status IN ('active', 'delinquent')"


class PlanStatus(StrEnum):
    active = 'active'
    delinquent = 'delinquent'  # past due: in the staff queue
    completed = 'completed'  # paid off with settled money
    cancelled = 'cancelled'


class InstallmentStatus(StrEnum):
    """What an installment's stored status means; the plan page shows both in-flight states as "Processing"."""
    scheduled = 'scheduled'  # not yet paid (due on its date, past due after it)
    failed = 'failed'  # not yet paid: autopay's last try failed (next_retry_on says when it tries again)
    charging = 'processing'  # autopay claimed it: attempt n is being charged, or its bank money is in flight
    settling = 'settling'  # covered only by payments still processing: paid once they settle
    paid = 'paid'  # covered by settled money
    skipped = 'skipped'  # not needed: a lower balance was re-spread over fewer installments


class PlanPolicy(SQLModel, table=True):
    __tablename__ = 'plan_policy'

    id: int | None = Field(default=None, primary_key=True)
    min_balance: int = 5000
    min_installment: int = 2500
    max_months: int = 12
    down_payment_percent: int = 0  # whole percent of the balance
    new_charges_rule: str = Field(default='separate', max_length=16)  # respread or separate
    terms_version: str = Field(default='2026-01', max_length=20)
    terms_text: str = Field(default='', max_length=20000)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_user_id: int | None = Field(default=None, foreign_key='user.id')


class PaymentPlan(SQLModel, table=True):
    __tablename__ = 'payment_plan'
    __table_args__ = (
        # one open plan per account: a second tab or a double click cannot sign two
        Index('ux_payment_plan_open', 'account_id', unique=True,
              sqlite_where=text(OPEN_PLAN), postgresql_where=text(OPEN_PLAN)),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    policy_id: int | None = Field(default=None, foreign_key='plan_policy.id')
    total_amount: int
    down_payment: int = 0
    installment_amount: int
    months: int
    day_of_month: int = 1
    currency: str = Field(default='USD', max_length=3)
    status: PlanStatus = Field(default=PlanStatus.active, max_length=16, sa_type=StateText(PlanStatus, 16))
    autopay_method_id: int | None = Field(default=None, foreign_key='saved_payment_method.id')
    signed_name: str = Field(max_length=160)
    signed_at: datetime
    signed_ip: str = Field(default='', max_length=45)
    terms_version: str = Field(max_length=20)
    created_by_user_id: int | None = Field(default=None, foreign_key='user.id')
    created_at: datetime = Field(default_factory=utcnow)
    cancelled_at: datetime | None = None


class PlanHeldCharge(SQLModel, table=True):
    """A charge left out of a plan when it was signed because its claim was still with the insurer: what the
    patient owes on it once the insurer answers is billed apart from the plan (or joins it under the policy's
    'respread' rule), like a charge posted after signing."""
    __tablename__ = 'plan_held_charge'

    plan_id: int = Field(foreign_key='payment_plan.id', primary_key=True)
    charge_id: int = Field(foreign_key='charge.id', primary_key=True)


class PlanInstallment(SQLModel, table=True):
    __tablename__ = 'plan_installment'
    __table_args__ = (UniqueConstraint('plan_id', 'seq'),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key='payment_plan.id', index=True)
    seq: int
    due_date: date = Field(index=True)
    amount: int
    status: InstallmentStatus = Field(default=InstallmentStatus.scheduled, max_length=16,
                                      sa_type=StateText(InstallmentStatus, 16))
    attempts: int = 0  # the idempotency key of attempt n is plan-<plan>-inst-<seq>-try-<n>
    last_attempt_at: datetime | None = None
    next_retry_on: date | None = None
    claimed_amount: int | None = None  # what the current attempt charges, fixed when it is claimed
    payment_id: int | None = Field(default=None, foreign_key='payment.id')
