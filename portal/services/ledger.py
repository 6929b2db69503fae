"""Ledger reads and the one way to write: append an entry keyed by its external reference."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from portal.models import LedgerEntry, Payment


def balance(session: Session, account_id: int) -> int:
    """The account's balance: the sum of its ledger entries (positive: the patient owes)."""
    total = session.exec(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                         .where(LedgerEntry.account_id == account_id)).one()
    return int(total)


def processing_payments(session: Session, account_id: int) -> int:
    """Payments started but not settled (ACH in flight): not yet on the ledger, but not payable twice."""
    total = session.exec(select(func.coalesce(func.sum(Payment.amount), 0))
                         .where(Payment.account_id == account_id, Payment.status == 'processing')).one()
    return int(total)


def post(session: Session, *, account_id: int, kind: str, amount: int, external_ref: str,
         effective_date: date, currency: str = 'USD', **links: object) -> tuple[LedgerEntry, bool]:
    """Append an entry once per external reference; return (entry, created).

    A second call with the same reference returns the existing entry and changes nothing.
    """
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError('ledger amounts are int minor units')
    existing = session.exec(select(LedgerEntry).where(LedgerEntry.external_ref == external_ref)).first()
    if existing is not None:
        return existing, False
    entry = LedgerEntry(account_id=account_id, kind=kind, amount=amount, external_ref=external_ref,
                        effective_date=effective_date, currency=currency, **links)
    try:
        with session.begin_nested():  # a concurrent writer may have posted it since we looked
            session.add(entry)
    except IntegrityError:
        existing = session.exec(select(LedgerEntry).where(LedgerEntry.external_ref == external_ref)).one()
        return existing, False
    return entry, True
