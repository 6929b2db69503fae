"""Ledger reads and the one way to write: append an entry keyed by its external reference.

Each entry created is noted for its day in the dashboard's ledger_day (receivables.count_entries), which the
transaction's commit adds it to; the per-charge balances follow in the money-moved step every writer runs
afterwards."""
from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, func, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from portal.clock import utcnow
from portal.db import savepoint_for_statement
from portal.models import LedgerEntry, LedgerKind, Payment, PaymentStatus
from portal.services.receivables import count_entries

_BALANCE = select(func.coalesce(func.sum(LedgerEntry.amount), 0)) \
    .where(LedgerEntry.account_id == bindparam('account_id'))


def balance(session: Session, account_id: int) -> int:
    """The account's balance: the sum of its ledger entries (positive: the patient owes)."""
    total = session.exec(_BALANCE, params={'account_id': account_id}).one()  # type: ignore[call-overload]
    return int(total)



def processing_payments(session: Session, account_id: int) -> int:
    """Payments started but not settled (ACH in flight): not yet on the ledger, but not payable twice."""
    total = session.exec(select(func.coalesce(func.sum(Payment.amount), 0))
                         .where(Payment.account_id == account_id, Payment.status == PaymentStatus.processing)).one()
    return int(total)


RAISES = frozenset({LedgerKind.charge, LedgerKind.refund})  # the patient owes more
LOWERS = frozenset({LedgerKind.insurance_payment, LedgerKind.contractual_adjustment, LedgerKind.patient_payment,
                    LedgerKind.write_off})  # the patient owes less


class LedgerConflict(ValueError):
    """A reference already posted with different figures: a replay that does not match is a bug."""


def check_sign(kind: str, amount: int) -> None:
    if kind in RAISES and amount <= 0 or kind in LOWERS and amount >= 0 or amount == 0:
        raise ValueError(f'a {kind} entry cannot be {amount}: see the sign rule in portal/models/ledger.py')
    if kind not in RAISES | LOWERS | {LedgerKind.correction}:
        raise ValueError(f'unknown ledger kind {kind!r}')


def post(session: Session, *, account_id: int, kind: str, amount: int, external_ref: str,
         effective_date: date, currency: str = 'USD', **links: object) -> tuple[LedgerEntry, bool]:
    """Append an entry once per external reference; return (entry, created).

    A second call with the same reference and figures returns the existing entry and changes
    nothing; the same reference with other figures raises LedgerConflict.
    """
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError('ledger amounts are int minor units')
    check_sign(kind, amount)
    existing = session.exec(select(LedgerEntry).where(LedgerEntry.external_ref == external_ref)).first()
    if existing is not None:
        return _same(existing, account_id=account_id, kind=kind, amount=amount), False
    entry = LedgerEntry(account_id=account_id, kind=kind, amount=amount, external_ref=external_ref,
                        effective_date=effective_date, currency=currency, **links)
    try:
        with session.begin_nested():  # a concurrent writer may have posted it since we looked
            session.add(entry)
    except IntegrityError:
        existing = session.exec(select(LedgerEntry).where(LedgerEntry.external_ref == external_ref)).one()
        return _same(existing, account_id=account_id, kind=kind, amount=amount), False
    count_entries(session, [entry.id])  # it joins its day in the dashboard's ledger_day at commit
    return entry, True


_FIGURES_BY_REF = select(LedgerEntry.account_id, LedgerEntry.kind, LedgerEntry.amount) \
    .where(LedgerEntry.external_ref == bindparam('external_ref'))
_INSERT_ENTRY = insert(LedgerEntry)
# the model's defaults for every column, worked out once (building a model instance costs more than the INSERT)
_ENTRY_DEFAULTS = LedgerEntry(account_id=0, kind=LedgerKind.charge, amount=0, external_ref='',  # kind: overridden
                              effective_date=date.min).model_dump(exclude={'id', 'posted_at'})


def post_once(session: Session, *, account_id: int, kind: str, amount: int, external_ref: str,
              effective_date: date, currency: str = 'USD', **links: object) -> bool:
    """post() for hot paths (webhooks): the same rules, without loading the entry; True when created.

    It writes past the session (Core), so the session is flushed first and holds no LedgerEntry for it.
    """
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError('ledger amounts are int minor units')
    check_sign(kind, amount)
    session.flush()
    connection = session.connection()
    existing = connection.execute(_FIGURES_BY_REF, {'external_ref': external_ref}).first()
    if existing is None:
        row = {**_ENTRY_DEFAULTS, 'account_id': account_id, 'kind': kind, 'amount': amount,
               'external_ref': external_ref, 'effective_date': effective_date, 'currency': currency,
               'posted_at': utcnow(), **links}
        try:
            with savepoint_for_statement(connection):  # a concurrent writer may have posted it since we looked
                created = connection.execute(_INSERT_ENTRY, row)
            count_entries(session, created.inserted_primary_key)  # it joins its day in ledger_day at commit
            return True
        except IntegrityError:
            existing = connection.execute(_FIGURES_BY_REF, {'external_ref': external_ref}).one()
    if tuple(existing) != (account_id, kind, amount):
        raise LedgerConflict(f'ledger reference {external_ref!r} was posted with other figures')
    return False


def _same(entry: LedgerEntry, *, account_id: int, kind: str, amount: int) -> LedgerEntry:
    if (entry.account_id, entry.kind, entry.amount) != (account_id, kind, amount):
        raise LedgerConflict(f'ledger reference {entry.external_ref!r} was posted with other figures')
    return entry


_CHUNK = 500  # references per IN (...) list


def post_many(session: Session, entries: list[dict]) -> dict[str, tuple[int, bool]]:
    """post() for many entries at once (imports): the same sign rule and the same idempotency, in a few
    statements instead of a few per entry. Each entry is the column values of a LedgerEntry (account_id,
    kind, amount, external_ref, effective_date, and any links). Returns {external_ref: (entry id, created)}.

    References already posted with the same figures are left alone; with other figures, or repeated in
    `entries` with other figures, LedgerConflict. Writes past the session (Core): it is flushed first.
    Each entry created joins its day in ledger_day at commit (receivables.count_entries), as post()'s does.
    Meant for a caller that holds the write lock (SQLite's BEGIN IMMEDIATE, or a unique key of its own
    such as a remittance's payer + trace number), so no other writer posts the same references meanwhile.
    """
    wanted: dict[str, dict] = {}
    for entry in entries:
        amount = entry['amount']
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise TypeError('ledger amounts are int minor units')
        check_sign(entry['kind'], amount)
        ref = entry['external_ref']
        if ref in wanted and (wanted[ref]['account_id'], wanted[ref]['kind'], wanted[ref]['amount']) != \
                (entry['account_id'], entry['kind'], amount):
            raise LedgerConflict(f'ledger reference {ref!r} is given twice with other figures')
        wanted[ref] = entry
    session.flush()
    connection = session.connection()
    refs = list(wanted)
    found: dict[str, tuple[int, bool]] = {}
    for start in range(0, len(refs), _CHUNK):
        rows = connection.execute(select(LedgerEntry.id, LedgerEntry.external_ref, LedgerEntry.account_id,
                                         LedgerEntry.kind, LedgerEntry.amount)
                                  .where(LedgerEntry.external_ref.in_(refs[start:start + _CHUNK]))).all()
        for entry_id, ref, account_id, kind, amount in rows:
            entry = wanted[ref]
            if (account_id, kind, amount) != (entry['account_id'], entry['kind'], entry['amount']):
                raise LedgerConflict(f'ledger reference {ref!r} was posted with other figures')
            found[ref] = (entry_id, False)
    new = [ref for ref in refs if ref not in found]
    now = utcnow()
    rows = [{**_ENTRY_DEFAULTS, 'posted_at': now, 'currency': 'USD', **wanted[ref]} for ref in new]
    for start in range(0, len(rows), _CHUNK * 10):
        connection.execute(_INSERT_ENTRY, rows[start:start + _CHUNK * 10])
    for start in range(0, len(new), _CHUNK):
        for entry_id, ref in connection.execute(select(LedgerEntry.id, LedgerEntry.external_ref).where(
                LedgerEntry.external_ref.in_(new[start:start + _CHUNK]))).all():
            found[ref] = (entry_id, True)
    count_entries(session, [found[ref][0] for ref in new])  # each new entry joins its day, as post()'s does
    return found
