"""What an account can pay now: the one home of the rule, in minor units of the account's currency.

    payable now = balance - payments still processing                    (what is owed and not yet paid)
    room for a new attempt of a target = payable now - the attempts in flight toward the same cap

Every balance target of one account (the whole balance, a statement, another amount, a plan
installment paid by hand, an autopay installment) shares one cap: what the account owes. So
succeeded payments (already on the ledger) + processing payments + attempts in flight never add up
to more than the balance. An attempt is in flight while it may still take money:

- open, and the gateway knows of it (it has a hosted checkout or an intent), or its gateway call
  started less than IN_FLIGHT_FOR ago (a stored attempt whose call failed stops counting then);
- cancelled (replaced by another) while its hosted checkout may still be open (CHECKOUT_LIFETIME),
  until that checkout is closed.

Deposits for booked visits will have their own target and cap: `cap_of` names a target's cap, and
only attempts of the same cap count against each other.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, literal, or_, select
from sqlmodel import Session, col

from portal.clock import utcnow
from portal.models import AttemptStatus, LedgerEntry, Payment, PaymentAttempt, PaymentStatus

BALANCE_TARGETS = ('balance', 'statement:', 'amount:', 'installment:', 'plan-pay:')
IN_FLIGHT_FOR = timedelta(minutes=5)  # longer than any gateway call (Stripe: 80 s timeout, 2 retries)
CHECKOUT_LIFETIME = timedelta(hours=25)  # a hosted checkout lives at most a day


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

    @property
    def now(self) -> int:
        """What the account can pay now: the balance less money still processing, never below 0."""
        return max(0, self.balance - self.processing)

    @property
    def room(self) -> int:
        """The most a new attempt may take: `now` less the attempts in flight, never below 0."""
        return max(0, self.now - self.in_flight)


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


def standing(session: Session, account_id: int, *, target: str | None = None,
             excluding: int | None = None) -> Payable:
    """Balance, processing and (with a target) the attempts in flight toward its cap, other than the
    attempt `excluding`, read in ONE statement: a payment settling meanwhile is seen in all three or
    in none (read separately, an attempt could leave `in_flight` before its payment reached the balance)."""
    columns = [_sum(LedgerEntry.amount, LedgerEntry.account_id == account_id),
               _sum(Payment.amount, Payment.account_id == account_id, Payment.status == PaymentStatus.processing)]
    if target is None:
        columns.append(literal(0))
    else:
        where = in_flight_filter(account_id, cap_of(target))
        if excluding is not None:
            where = and_(where, PaymentAttempt.id != excluding)
        columns.append(_sum(PaymentAttempt.amount, where))
    balance, processing, in_flight = session.connection().execute(select(*columns)).one()
    return Payable(balance=int(balance), processing=int(processing), in_flight=int(in_flight))


def payable_now(session: Session, account_id: int, *, target: str | None = None,
                excluding: int | None = None) -> int:
    """What the account can pay now (minor units, >= 0): the balance less payments still processing;
    with a `target`, also less the attempts in flight toward that target's cap (but `excluding`), which
    is the most a new attempt for it may take. Raises ValueError for a target without a cap."""
    reading = standing(session, account_id, target=target, excluding=excluding)
    return reading.now if target is None else reading.room
