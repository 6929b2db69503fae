"""Where a payment goes: the account's open charges, oldest date of service first.

A charge's open amount is what the ledger says the patient owes on it (the charge less insurance
payments and adjustments posted against it) less what payments still standing have paid on it, net
of what was refunded on them. Charges still with insurance (payable.pending_charge_ids) are skipped
while the practice holds them out: a payment never goes to what is not asked for yet.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, insert
from sqlmodel import Session, col, select

from portal.models import Charge, LedgerEntry, Payment, PaymentAllocation, PaymentStatus, Refund, RefundStatus
from portal.services.payable import pending_charge_ids


@dataclass(frozen=True)
class OpenCharge:
    charge_id: int
    date_of_service: date
    open_amount: int


def _open_charges_query():  # noqa: ANN202
    account_id = bindparam('account_id')
    owed = (select(LedgerEntry.charge_id, func.sum(LedgerEntry.amount).label('owed'))
            .where(LedgerEntry.account_id == account_id, col(LedgerEntry.charge_id).is_not(None),
                   col(LedgerEntry.payment_id).is_(None))
            .group_by(LedgerEntry.charge_id).subquery())
    return (select(Charge.id, Charge.date_of_service, owed.c.owed)
            .join(owed, owed.c.charge_id == Charge.id)
            .where(Charge.account_id == account_id)
            .order_by(col(Charge.date_of_service), col(Charge.id)))


# built once: a webhook burst allocates hundreds of payments a second, and building the statement
# costs more than running it
_OPEN_CHARGES = _open_charges_query()
_INSERT_ALLOCATION = insert(PaymentAllocation)


def open_charges(session: Session, /, account_id: int, *, waiting: bool = False) -> list[OpenCharge]:
    """The account's charges with something still open, oldest first; those still with insurance only
    when `waiting` is True (a statement lists them; a payment skips them)."""
    rows = session.connection().execute(_OPEN_CHARGES, {'account_id': account_id}).all()
    paid = paid_on_charges(session, account_id)
    skip = set() if waiting else set(session.connection().execute(pending_charge_ids(account_id)).scalars())
    return [OpenCharge(charge_id, dos, int(owed_amount) - paid.get(charge_id, 0))
            for charge_id, dos, owed_amount in rows
            if int(owed_amount) - paid.get(charge_id, 0) > 0 and charge_id not in skip]


def paid_on_charges(session: Session, /, account_id: int) -> dict[int, int]:
    """What payments still standing have paid on each charge: their allocations less what was refunded.

    A refund comes first out of a payment's unapplied credit, then off its allocations newest first
    (the charge paid last is the one that opens again)."""
    refunded = dict(session.connection().execute(
        select(Refund.payment_id, func.sum(Refund.amount))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Payment.account_id == account_id, Refund.status == RefundStatus.succeeded)
        .group_by(Refund.payment_id)).all())
    parts = session.connection().execute(
        select(PaymentAllocation.payment_id, PaymentAllocation.charge_id, PaymentAllocation.amount, Payment.amount)
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(Payment.account_id == account_id, Payment.status != PaymentStatus.failed)
        .order_by(col(PaymentAllocation.payment_id), col(PaymentAllocation.id).desc())).all()
    applied: dict[int, int] = {}
    for payment_id, _, amount, _ in parts:
        applied[payment_id] = applied.get(payment_id, 0) + int(amount)
    to_take = {payment_id: max(0, int(refunded.get(payment_id, 0)) - (int(payment_amount) - applied[payment_id]))
               for payment_id, _, _, payment_amount in parts}
    paid: dict[int, int] = {}
    for payment_id, charge_id, amount, _ in parts:  # newest allocation of each payment first
        taken = min(int(amount), to_take[payment_id])
        to_take[payment_id] -= taken
        paid[charge_id] = paid.get(charge_id, 0) + int(amount) - taken
    return paid


def allocate(session: Session, /, *, payment: Payment) -> list[tuple[int, int]]:
    """Spread the (stored) payment over the open charges, oldest first; what is left stays as a credit.
    Returns the (charge id, amount) parts it inserted."""
    session.flush()  # the reads below bypass the session
    left = payment.amount
    parts = []
    for charge in open_charges(session, payment.account_id):
        if left <= 0:
            break
        part = min(left, charge.open_amount)
        parts.append((charge.charge_id, part))
        left -= part
    if parts:
        session.connection().execute(_INSERT_ALLOCATION, [
            {'payment_id': payment.id, 'charge_id': charge_id, 'amount': amount} for charge_id, amount in parts])
    return parts
