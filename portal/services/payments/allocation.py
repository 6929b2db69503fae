"""Where a payment goes: the account's open charges, oldest date of service first.

A charge's open amount is what the ledger says the patient owes on it (the charge less insurance
payments and adjustments posted against it) less what payments still standing have paid on it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, insert
from sqlmodel import Session, col, select

from portal.models import Charge, LedgerEntry, Payment, PaymentAllocation


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
    paid = (select(PaymentAllocation.charge_id, func.sum(PaymentAllocation.amount).label('paid'))
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(Payment.account_id == account_id, Payment.status != 'failed')
            .group_by(PaymentAllocation.charge_id).subquery())
    return (select(Charge.id, Charge.date_of_service, owed.c.owed, func.coalesce(paid.c.paid, 0))
            .join(owed, owed.c.charge_id == Charge.id)
            .outerjoin(paid, paid.c.charge_id == Charge.id)
            .where(Charge.account_id == account_id)
            .order_by(col(Charge.date_of_service), col(Charge.id)))


# built once: a webhook burst allocates hundreds of payments a second, and building the statement
# costs more than running it
_OPEN_CHARGES = _open_charges_query()
_INSERT_ALLOCATION = insert(PaymentAllocation)


def open_charges(session: Session, account_id: int) -> list[OpenCharge]:
    rows = session.connection().execute(_OPEN_CHARGES, {'account_id': account_id}).all()
    return [OpenCharge(charge_id, dos, int(owed_amount) - int(paid_amount))
            for charge_id, dos, owed_amount, paid_amount in rows if int(owed_amount) - int(paid_amount) > 0]


def allocate(session: Session, *, payment: Payment) -> list[tuple[int, int]]:
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
