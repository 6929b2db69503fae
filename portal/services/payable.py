"""What an account can pay now: the one home of the rule, in minor units of the account's currency.

    waiting for insurance = what is still open on charges whose claim is pending (`claim_is_pending`):
                            the charge less insurance, adjustments and patient payments applied to it
    payable now = balance - payments still processing - waiting for insurance   (what is asked for now)
    room for a new attempt of a target = balance - payments still processing - the attempts in flight
                                         toward the same cap (a patient may pay what is not asked yet)

Every balance target of one account (the whole balance, a statement, another amount, a plan
installment paid by hand, an autopay installment) shares one cap: what the account owes. So
succeeded payments (already on the ledger) + processing payments + attempts in flight never add up
to more than the balance. An attempt is in flight while it may still take money:

- open, and the gateway knows of it (it has a hosted checkout or an intent), or its gateway call
  started less than IN_FLIGHT_FOR ago (a stored attempt whose call failed stops counting then);
- cancelled (replaced by another) while its hosted checkout may still be open (CHECKOUT_LIFETIME),
  until that checkout is closed.

Charges still with insurance are not asked for until the insurer answers (as Cedar and MyChart do):
the balance stays the ledger's sum, but pay-in-full, payment allocation, reminders and statement runs
see only what is payable now. A practice may turn this off (PracticeSettings.hold_pending_insurance).

Deposits for booked visits will have their own target and cap: `cap_of` names a target's cap, and
only attempts of the same cap count against each other.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, case, func, literal, or_, select
from sqlmodel import Session, col

from portal.clock import utcnow
from portal.models import (
    AttemptStatus,
    Charge,
    Claim,
    ClaimStatus,
    LedgerEntry,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentStatus,
    PracticeSettings,
    Refund,
    RefundStatus,
)
from portal.services import attempt_targets

BALANCE_TARGETS = (attempt_targets.BALANCE, *(attempt_targets.prefix(kind) for kind in attempt_targets.OF_THE_BALANCE))
IN_FLIGHT_FOR = timedelta(minutes=5)  # longer than any gateway call (Stripe: 80 s timeout, 2 retries)
CHECKOUT_LIFETIME = timedelta(hours=25)  # a hosted checkout lives at most a day
# the insurer has not answered yet
PENDING_CLAIM_STATUSES = frozenset({ClaimStatus.created, ClaimStatus.submitted, ClaimStatus.accepted,
                                    ClaimStatus.in_process, ClaimStatus.appealed})


def claim_is_pending(status: str) -> bool:
    """Is a claim in this status still with the insurer (so its visit's charges are not asked for yet)?"""
    return status in PENDING_CLAIM_STATUSES


def holding_pending():  # noqa: ANN201  (a SQL condition)
    """True unless the practice turned the hold-out off (no settings row: on)."""
    setting = select(PracticeSettings.hold_pending_insurance).order_by(PracticeSettings.id).limit(1) \
        .scalar_subquery()
    return func.coalesce(setting, literal(True)) == literal(True)


def pending_charge_ids(account_id=None):  # noqa: ANN001, ANN201  (a SELECT of charge ids)
    """The account's (or, with None, every account's) charges whose visit has a claim still pending,
    while the practice holds them out."""
    query = (select(Charge.id).join(Claim, Claim.encounter_id == Charge.encounter_id)
             .where(col(Claim.status).in_(sorted(PENDING_CLAIM_STATUSES)), holding_pending()))
    return query if account_id is None else query.where(Charge.account_id == account_id)


def open_on_charges(charge_ids, account_id=None, *, upto_entry_id=None):  # noqa: ANN001, ANN201
    """(account_id, charge_id, open) rows, a subquery: what is still open on each of those charges (minor
    units, never below 0 per charge). Open = the ledger on the charge (the charge less insurance payments
    and adjustments posted against it) less what payments not failed have been allocated to it.
    `upto_entry_id` reads it as of that ledger entry (a statement's snapshot): only payments and refunds
    whose ledger entry is at or before it count. A refund reopens what its payment had paid as
    `allocation.paid_on_charges` reads it (`_refund_takes`)."""
    where = [col(LedgerEntry.charge_id).in_(charge_ids), col(LedgerEntry.payment_id).is_(None)]
    if account_id is not None:
        where.append(LedgerEntry.account_id == account_id)
    if upto_entry_id is not None:
        where.append(LedgerEntry.id <= upto_entry_id)
    owed = (select(LedgerEntry.account_id.label('account_id'), LedgerEntry.charge_id.label('charge_id'),
                   func.sum(LedgerEntry.amount).label('owed'))
            .where(*where).group_by(LedgerEntry.account_id, LedgerEntry.charge_id).subquery())
    paid_where = [col(PaymentAllocation.charge_id).in_(charge_ids),
                  *_payments_standing(account_id, upto_entry_id, posted=LedgerEntry.payment_id == Payment.id)]
    paid = (select(PaymentAllocation.charge_id.label('charge_id'), func.sum(PaymentAllocation.amount).label('paid'))
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(*paid_where).group_by(PaymentAllocation.charge_id).subquery())
    taken = _refund_takes(charge_ids, account_id, upto_entry_id)
    open_amount = owed.c.owed - func.coalesce(paid.c.paid, 0) + func.coalesce(taken.c.taken, 0)
    return (select(owed.c.account_id, owed.c.charge_id,
                   case((open_amount > 0, open_amount), else_=0).label('open'))
            .select_from(owed).outerjoin(paid, paid.c.charge_id == owed.c.charge_id)
            .outerjoin(taken, taken.c.charge_id == owed.c.charge_id).subquery())


def _payments_standing(account_id, upto_entry_id, *, posted) -> list:  # noqa: ANN001  (SQL conditions)
    """Payments not failed (of the account, when given) and, as of a statement's snapshot (`upto_entry_id`),
    only those whose `posted` ledger entry (the payment's, a refund's) is at or before it."""
    where = [Payment.status != PaymentStatus.failed]
    if account_id is not None:
        where.append(Payment.account_id == account_id)
    if upto_entry_id is not None:
        where.append(select(LedgerEntry.id).where(posted, LedgerEntry.id <= upto_entry_id).exists())
    return where


def _refund_takes(charge_ids, account_id=None, upto_entry_id=None):  # noqa: ANN001, ANN202  (a subquery)
    """(charge_id, taken) rows: what succeeded refunds took back off the payments allocated to each charge,
    the rule of `allocation.paid_on_charges` in SQL: a refund comes first out of its payment's unapplied
    credit, then off its allocations newest first. Only refunded payments are read (few rows)."""
    where = [Refund.status == RefundStatus.succeeded,
             *_payments_standing(account_id, upto_entry_id, posted=LedgerEntry.refund_id == Refund.id)]
    refunded = (select(Refund.payment_id.label('payment_id'), func.sum(Refund.amount).label('refunded'))
                .join(Payment, Payment.id == Refund.payment_id).where(*where).group_by(Refund.payment_id).subquery())
    by_payment = {'partition_by': PaymentAllocation.payment_id}
    parts = (select(PaymentAllocation.charge_id.label('charge_id'), PaymentAllocation.amount.label('amount'),
                    (refunded.c.refunded - Payment.amount
                     + func.sum(PaymentAllocation.amount).over(**by_payment)  # the refund less the unapplied credit
                     - func.sum(PaymentAllocation.amount).over(  # less the newer allocations (it takes those first)
                         **by_payment, order_by=col(PaymentAllocation.id).desc(), rows=(None, 0))
                     + PaymentAllocation.amount).label('reaches'))
             .join(refunded, refunded.c.payment_id == PaymentAllocation.payment_id)
             .join(Payment, Payment.id == PaymentAllocation.payment_id).subquery())
    taken = case((parts.c.reaches <= 0, 0), (parts.c.reaches >= parts.c.amount, parts.c.amount), else_=parts.c.reaches)
    return (select(parts.c.charge_id, func.sum(taken).label('taken'))
            .where(col(parts.c.charge_id).in_(charge_ids)).group_by(parts.c.charge_id).subquery())


def waiting_by_account(session: Session, /, *, upto_entry_id: int) -> dict[int, int]:
    """account id -> what is waiting for insurance as of that ledger entry (> 0 only): a statement run's
    reading of every account at once."""
    still_open = open_on_charges(pending_charge_ids(), upto_entry_id=upto_entry_id)
    rows = session.connection().execute(
        select(still_open.c.account_id, func.sum(still_open.c.open)).group_by(still_open.c.account_id)).all()
    return {account_id: int(amount) for account_id, amount in rows if int(amount) > 0}


def waiting_query(account_id, *, upto_entry_id=None):  # noqa: ANN001, ANN201  (a scalar subquery)
    """What is open on charges still with insurance (minor units, >= 0): for each such charge, the charge
    less insurance payments and adjustments on it and less patient payments applied to it (a desk copay)
    (`open_on_charges`); `upto_entry_id` reads it as of that ledger entry (a statement's snapshot)."""
    still_open = open_on_charges(pending_charge_ids(account_id), account_id, upto_entry_id=upto_entry_id)
    return select(func.coalesce(func.sum(still_open.c.open), 0)).scalar_subquery()


def cap_of(target: str) -> str:
    """The cap a payment target counts against: 'balance' for every balance target.

    Raises ValueError for a target with no cap yet (a new kind of target must choose one here)."""
    if target == 'balance' or target.startswith(BALANCE_TARGETS[1:]):
        return 'balance'
    raise ValueError(f'no payment cap for target {target!r}')


@dataclass(frozen=True)
class Payable:
    """An account's money as one consistent reading (minor units)."""
    balance: int  # the ledger's sum (positive: the patient owes)
    processing: int  # payments started but not settled (ACH): not on the ledger yet
    in_flight: int  # attempts that may still take money toward the same cap (0 when no target was asked)
    waiting: int = 0  # open on charges whose claim is still pending: not asked for yet

    @property
    def now(self) -> int:
        """What the account can pay now: the balance less money still processing and less what is waiting
        for insurance, never below 0."""
        return max(0, self.balance - self.processing - self.waiting)

    @property
    def ceiling(self) -> int:
        """The most the patient may pay now, asked for or not: the balance less money still processing."""
        return max(0, self.balance - self.processing)

    @property
    def room(self) -> int:
        """The most a new attempt may take: the balance less money still processing and the attempts in
        flight, never below 0. What is waiting for insurance is not asked for, but a patient may pay it
        (another amount, a plan that financed it)."""
        return max(0, self.ceiling - self.in_flight)


def _sum(column, *where):  # noqa: ANN001, ANN002, ANN202
    return select(func.coalesce(func.sum(column), 0)).where(*where).scalar_subquery()


def in_flight_filter(account_id: int, cap: str = 'balance'):  # noqa: ANN201  (a SQL condition)
    """Attempts of this account that may still take money toward `cap` (see the module docstring)."""
    assert cap == 'balance'  # the only cap so far
    now = utcnow()
    target = col(PaymentAttempt.target)
    of_cap = or_(target == 'balance', *[target.startswith(prefix) for prefix in BALANCE_TARGETS[1:]])
    is_open = and_(PaymentAttempt.status == AttemptStatus.open, or_(
        col(PaymentAttempt.gateway_session_id).is_not(None), col(PaymentAttempt.gateway_intent_id).is_not(None),
        PaymentAttempt.updated_at > now - IN_FLIGHT_FOR))
    replaced = and_(PaymentAttempt.status == AttemptStatus.cancelled,
                    col(PaymentAttempt.gateway_session_id).is_not(None),
                    PaymentAttempt.updated_at > now - CHECKOUT_LIFETIME)
    return and_(PaymentAttempt.account_id == account_id, of_cap, or_(is_open, replaced))


def standing(session: Session, /, account_id: int, *, target: str | None = None,
             excluding: int | None = None) -> Payable:
    """Balance, processing, waiting for insurance and (with a target) the attempts in flight toward its
    cap, other than the attempt `excluding`, read in ONE statement: a payment settling meanwhile is seen
    in all of them or in none (read separately, an attempt could leave `in_flight` before its payment
    reached the balance)."""
    columns = [_sum(LedgerEntry.amount, LedgerEntry.account_id == account_id),
               _sum(Payment.amount, Payment.account_id == account_id, Payment.status == PaymentStatus.processing),
               waiting_query(account_id)]
    if target is None:
        columns.append(literal(0))
    else:
        where = in_flight_filter(account_id, cap_of(target))
        if excluding is not None:
            where = and_(where, PaymentAttempt.id != excluding)
        columns.append(_sum(PaymentAttempt.amount, where))
    balance, processing, waiting, in_flight = session.connection().execute(select(*columns)).one()
    return Payable(balance=int(balance), processing=int(processing), in_flight=int(in_flight),
                   waiting=max(0, int(waiting)))


def payable_now(session: Session, /, account_id: int, *, target: str | None = None,
                excluding: int | None = None) -> int:
    """Without a target, what is asked for now (minor units, >= 0): the balance less payments still
    processing and less what is waiting for insurance. With a `target`, the most a new attempt for it may
    take: the balance less payments still processing and the attempts in flight toward that target's cap
    (but `excluding`). Raises ValueError for a target without a cap."""
    reading = standing(session, account_id, target=target, excluding=excluding)
    return reading.now if target is None else reading.room
