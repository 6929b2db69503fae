"""Receivables kept current: each charge's open amount and responsibility (charge_balance), their rollups
(receivable_rollup, receivable_total) and the ledger by day (ledger_day), the tables the collections
dashboard reads.

What changes them, in the transaction that moves the money:
- `refresh_account` after anything that can change an account's charges: the money-moved step
  (portal/services/money_moved.py; every ledger writer calls it in its transaction) and a claim's status
  change (portal/services/claim_updates.py);
- `count_entries` from the ledger's one writer (portal/services/ledger.py) for each entry it creates.
Both only note what to do. `apply_pending` does it once, as the transaction commits (a `before_commit`
session event): each noted account's charges are recomputed from the ledger (a handful of rows) and the
changed ones written; the rollups then move by the differences, and ledger_day by the new entries (those a
rolled-back savepoint took away are gone from the ledger, so they are not counted), each as one
`x = x + excluded.x` upsert.

Why at commit, and in this order: on PostgreSQL, transactions moving money on different accounts must run
at once and never deadlock. Everything this step locks, it locks in one order shared by every transaction:
an advisory lock per account (ascending ids; it makes one refresh of an account at a time, each reading what
the previous one committed), then rollup rows, then total rows, then ledger_day rows, each in key order.
Nothing is locked before the commit, and nothing after this step but the commit itself, so a transaction
holding these locks never waits for a lock taken any other way, and two waiting on each other's would need
two orders. Transactions on different accounts wait for each other only while both are in this step and
share a rollup row (a day of service with the same provider, location and payer). SQLite runs one writer at
a time anyway.

`rebuild` (`python -m portal rebuild-balances`, and the demo seeder after its bulk load) fills them all again
from scratch.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, select

from portal.models.receivables import (
    BALANCE_COLUMNS,
    DAY_KEY,
    ROLLUP_KEY,
    SUMMED,
    TOTAL_KEY,
    ChargeBalance,
    LedgerDay,
    ReceivableRollup,
    ReceivableTotal,
    ledger_days_sql,
    rebuild_statements,
    standing_sql,
)
from portal.services.payable import PENDING_CLAIM_STATUSES

_PENDING = sorted(PENDING_CLAIM_STATUSES)
_ACCOUNT_STANDING = text(standing_sql(_PENDING, one_account=True)).columns(  # typed: dates come back as dates
    *[ChargeBalance.__table__.c[name] for name in BALANCE_COLUMNS])
_STORED = select(*[getattr(ChargeBalance, name) for name in BALANCE_COLUMNS])
_NEW_DAYS = text(ledger_days_sql('le.id IN :ids')).bindparams(bindparam('ids', expanding=True)).columns(
    *[LedgerDay.__table__.c[name] for name in (*DAY_KEY, 'entries', 'amount')])
_LOCK_SPACE = 0x5e771e  # advisory lock keys of this module: (space, account id), the two-key form, whose keys are
# apart from the one-key form's (the scheduler's leader lock holds 0x5E771E in that form for as long as it leads)
_ACCOUNT_LOCK = text(f'SELECT pg_advisory_xact_lock({_LOCK_SPACE}, CAST(:account_id AS integer))')
_INFO_KEY = 'receivables.pending'
_CHUNK = 500  # ids per IN (...) list
_COUNTED = ('charges', 'open_charges', *SUMMED)


@dataclass
class _Pending:
    accounts: set[int] = field(default_factory=set)
    entries: set[int] = field(default_factory=set)


def _pending(session: Session) -> _Pending:
    return session.info.setdefault(_INFO_KEY, _Pending())


def refresh_account(session: Session, account_id: int) -> None:
    """The account's charge balances and the rollups are to follow its ledger when this transaction commits
    (apply_pending). Idempotent: an account noted twice, or with nothing changed, costs one recomputation."""
    _pending(session).accounts.add(account_id)


def count_entries(session: Session, entry_ids: Iterable[int]) -> None:
    """New ledger entries (their ids) join their days in ledger_day when this transaction commits (the
    ledger's one writer calls this for every entry it creates)."""
    _pending(session).entries.update(entry_ids)


def apply_pending(session: Session) -> int:
    """Do what this transaction noted (see the module's docstring for the order and why); returns how many
    charges changed. Runs by itself as the session commits: call it directly only just before a commit."""
    pending: _Pending | None = session.info.pop(_INFO_KEY, None)
    if pending is None:
        return 0
    session.flush()  # what this transaction wrote is read below through its connection
    connection = session.connection()
    moves: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    changed = 0
    for account_id in sorted(pending.accounts):
        if connection.dialect.name == 'postgresql':
            connection.execute(_ACCOUNT_LOCK, {'account_id': account_id})
        changed += _refresh(connection, account_id, moves)
    _move_rollups(connection, moves)
    _count_days(connection, sorted(pending.entries))
    return changed


@event.listens_for(OrmSession, 'before_commit')
def _apply_at_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction goes on
        return
    apply_pending(session)


@event.listens_for(OrmSession, 'after_transaction_end')
def _forget(session: Session, transaction: SessionTransaction) -> None:
    """The transaction rolled back (a commit has taken the notes already): nothing to apply."""
    if transaction.parent is None:
        session.info.pop(_INFO_KEY, None)


def _insert(connection: Connection, table):  # noqa: ANN001, ANN202
    return (postgresql.insert if connection.dialect.name == 'postgresql' else sqlite.insert)(table)


def _refresh(connection: Connection, account_id: int, moves: dict[tuple, dict[str, int]]) -> int:
    """Write the account's charges that differ from a reading of its ledger; add what changed to `moves`
    (by rollup key). Returns how many charges changed."""
    fresh = {row['charge_id']: row for row in
             connection.execute(_ACCOUNT_STANDING, {'account_id': account_id}).mappings()}
    stored = {row.charge_id: row._mapping for row in
              connection.execute(_STORED.where(ChargeBalance.account_id == account_id))}
    changed = [dict(row) for charge_id, row in sorted(fresh.items()) if _differs(row, stored.get(charge_id))]
    if not changed:
        return 0
    for row in changed:
        old = stored.get(row['charge_id'])
        if old is not None:
            _add(moves[_key(old)], old, -1)
        _add(moves[_key(row)], row, 1)
    upsert = _insert(connection, ChargeBalance.__table__)
    connection.execute(upsert.on_conflict_do_update(
        index_elements=['charge_id'],
        set_={name: upsert.excluded[name] for name in BALANCE_COLUMNS if name != 'charge_id'}), changed)
    return len(changed)


def _move_rollups(connection: Connection, moves: dict[tuple, dict[str, int]]) -> None:
    """Add the differences to receivable_rollup, then receivable_total, each in key order."""
    rows = [{**dict(zip(ROLLUP_KEY, key, strict=True)), **{name: delta.get(name, 0) for name in _COUNTED}}
            for key, delta in sorted(moves.items()) if any(delta.values())]
    _add_up(connection, ReceivableRollup.__table__, ROLLUP_KEY, _COUNTED, rows)
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        total = totals[tuple(row[name] for name in TOTAL_KEY)]
        total[0] += row['open_charges']
        total[1] += row['open_amount']
    _add_up(connection, ReceivableTotal.__table__, TOTAL_KEY, ('open_charges', 'open_amount'),
            [{**dict(zip(TOTAL_KEY, key, strict=True)), 'open_charges': charges, 'open_amount': amount}
             for key, (charges, amount) in sorted(totals.items()) if charges or amount])


def _count_days(connection: Connection, entry_ids: list[int]) -> None:
    """Add the transaction's new ledger entries (those still there) to ledger_day, in key order."""
    days: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for start in range(0, len(entry_ids), _CHUNK):
        for row in connection.execute(_NEW_DAYS, {'ids': entry_ids[start:start + _CHUNK]}):
            day = days[tuple(row)[:len(DAY_KEY)]]
            day[0] += int(row.entries)
            day[1] += int(row.amount)
    _add_up(connection, LedgerDay.__table__, DAY_KEY, ('entries', 'amount'),
            [{**dict(zip(DAY_KEY, key, strict=True)), 'entries': entries, 'amount': amount}
             for key, (entries, amount) in sorted(days.items())])


def _add_up(connection: Connection, table, key: tuple[str, ...], summed: tuple[str, ...],  # noqa: ANN001
            rows: list[dict]) -> None:
    """One upsert adding `rows` (already in key order: the order their rows are locked in) to `table`."""
    if not rows:
        return
    upsert = _insert(connection, table)
    connection.execute(upsert.on_conflict_do_update(
        index_elements=list(key), set_={name: table.c[name] + upsert.excluded[name] for name in summed}), rows)


def _differs(row, old) -> bool:  # noqa: ANN001
    return old is None or any(row[name] != old[name] for name in BALANCE_COLUMNS)


def _key(row) -> tuple:  # noqa: ANN001
    return tuple(row[name] for name in ROLLUP_KEY)


def _add(delta: dict[str, int], row, sign: int) -> None:  # noqa: ANN001
    delta['charges'] += sign
    delta['open_charges'] += sign * (row['open_amount'] > 0)
    for name in SUMMED:
        delta[name] += sign * int(row[name])


def rebuild(connection: Connection) -> int:
    """Fill charge_balance, receivable_rollup and ledger_day again from the ledger, payments and claims (in
    the caller's transaction, `session.connection()` or the seeder's); returns the number of charges."""
    for statement in rebuild_statements(_PENDING, connection.dialect.name):
        connection.execute(text(statement))
    return int(connection.execute(text('SELECT COUNT(*) FROM charge_balance')).scalar() or 0)
