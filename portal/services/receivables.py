"""Receivables kept current: each charge's open amount and responsibility (charge_balance), their rollup
(receivable_rollup) and the ledger by day (ledger_day), the tables the collections dashboard reads.

Who keeps them current:
- `refresh_account` after anything that can change an account's charges: the money-moved step
  (portal/services/money_moved.py; every ledger writer calls it in its transaction) and a claim's status
  change (portal/services/claim_updates.py). It recomputes that account's charges from the ledger (a
  handful of rows), writes the ones that changed and moves the rollup by the difference.
- `count_entry` / `count_entries` from the ledger's one writer (portal/services/ledger.py) for each entry it
  creates (post, post_once, post_many).
- `rebuild` (`python -m portal rebuild-balances`, and the demo seeder after its bulk load) fills all three
  again from scratch.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from portal.models.receivables import (
    BALANCE_COLUMNS,
    CHANNEL_SQL,
    DAY_KEY,
    ROLLUP_KEY,
    SUMMED,
    TOTAL_KEY,
    ChargeBalance,
    LedgerDay,
    ReceivableRollup,
    ReceivableTotal,
    rebuild_statements,
    standing_sql,
)
from portal.services.payable import PENDING_CLAIM_STATUSES

_PENDING = sorted(PENDING_CLAIM_STATUSES)
_ACCOUNT_STANDING = text(standing_sql(_PENDING, one_account=True)).columns(  # typed: dates come back as dates
    *[ChargeBalance.__table__.c[name] for name in BALANCE_COLUMNS])
_STORED = select(*[getattr(ChargeBalance, name) for name in BALANCE_COLUMNS])
_PAYMENT_FACTS = text(f"""SELECT COALESCE(p.method, '') AS method, {CHANNEL_SQL} AS channel
FROM payment p LEFT JOIN payment_attempt pt ON pt.id = p.attempt_id WHERE p.id = :payment_id""")  # noqa: S608
_REFUND_PAYMENT = text('SELECT payment_id FROM refund WHERE id = :refund_id')
_LOCK_SPACE = 0x5e771e  # advisory lock keys of this module: (space, 0), the two-key form, whose keys are apart
# from the one-key form's (the scheduler's leader lock holds 0x5E771E in that form for as long as it leads)
# one lock for every writer of the rollups: a transaction refreshing several accounts (a charge import, a
# remittance) takes rollup rows in no global order, and two such orders deadlock (tests/unit/services/
# test_receivables.py, the two-transaction test)
_ROLLUP_LOCK = text(f'SELECT pg_advisory_xact_lock({_LOCK_SPACE}, 0)')


def _insert(connection: Connection, table):  # noqa: ANN001, ANN202
    return (postgresql.insert if connection.dialect.name == 'postgresql' else sqlite.insert)(table)


def refresh_account(session: Session, account_id: int) -> int:
    """Bring the account's charge balances and their rollup up to date with the ledger; returns how many
    charges changed. Idempotent. On PostgreSQL a transaction-long advisory lock shared by every refresh makes
    transactions that refresh take turns from their first refresh to their commit, each reading what the
    other committed: rollup rows have one writer at a time, whatever order its accounts come in."""
    session.flush()  # what this transaction wrote is read below through its connection
    connection = session.connection()
    if connection.dialect.name == 'postgresql':  # SQLite runs one writer at a time anyway
        # a lock of its own (not the account row, which payment flows lock in their own order), taken last
        connection.execute(_ROLLUP_LOCK)
    fresh = {row['charge_id']: row for row in
             connection.execute(_ACCOUNT_STANDING, {'account_id': account_id}).mappings()}
    stored = {row.charge_id: row._mapping for row in
              connection.execute(_STORED.where(ChargeBalance.account_id == account_id))}
    changed = [dict(row) for charge_id, row in sorted(fresh.items()) if _differs(row, stored.get(charge_id))]
    if not changed:
        return 0
    deltas: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in changed:
        old = stored.get(row['charge_id'])
        if old is not None:
            _add(deltas[_key(old)], old, -1)
        _add(deltas[_key(row)], row, 1)
    upsert = _insert(connection, ChargeBalance.__table__)
    connection.execute(upsert.on_conflict_do_update(
        index_elements=['charge_id'],
        set_={name: upsert.excluded[name] for name in BALANCE_COLUMNS if name != 'charge_id'}), changed)
    counted = ('charges', 'open_charges', *SUMMED)
    moves = [{**dict(zip(ROLLUP_KEY, key, strict=True)), **{name: delta.get(name, 0) for name in counted}}
             for key, delta in sorted(deltas.items(), key=lambda item: str(item[0])) if any(delta.values())]
    if moves:
        table = ReceivableRollup.__table__
        rollup = _insert(connection, table)
        connection.execute(rollup.on_conflict_do_update(
            index_elements=list(ROLLUP_KEY),
            set_={name: table.c[name] + rollup.excluded[name] for name in counted}), moves)
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for move in moves:
        total = totals[tuple(move[name] for name in TOTAL_KEY)]
        total[0] += move['open_charges']
        total[1] += move['open_amount']
    totals_moved = [{**dict(zip(TOTAL_KEY, key, strict=True)), 'open_charges': charges, 'open_amount': amount}
                    for key, (charges, amount) in sorted(totals.items(), key=lambda item: str(item[0]))
                    if charges or amount]
    if totals_moved:
        table = ReceivableTotal.__table__
        total_upsert = _insert(connection, table)
        connection.execute(total_upsert.on_conflict_do_update(
            index_elements=list(TOTAL_KEY),
            set_={name: table.c[name] + total_upsert.excluded[name] for name in ('open_charges', 'open_amount')}),
            totals_moved)
    return len(changed)


def _differs(row, old) -> bool:  # noqa: ANN001
    return old is None or any(row[name] != old[name] for name in BALANCE_COLUMNS)


def _key(row) -> tuple:  # noqa: ANN001
    return tuple(row[name] for name in ROLLUP_KEY)


def _add(delta: dict[str, int], row, sign: int) -> None:  # noqa: ANN001
    delta['charges'] += sign
    delta['open_charges'] += sign * (row['open_amount'] > 0)
    for name in SUMMED:
        delta[name] += sign * int(row[name])


def count_entry(session: Session, *, kind: str, amount: int, effective_date: date, corrects_kind: str | None = None,
                payment_id: int | None = None, refund_id: int | None = None) -> None:
    """Add one new ledger entry to its day in ledger_day (the ledger's writer calls this once per entry it
    creates, in the same transaction)."""
    count_entries(session, [{'kind': kind, 'amount': amount, 'effective_date': effective_date,
                             'corrects_kind': corrects_kind, 'payment_id': payment_id, 'refund_id': refund_id}])


def count_entries(session: Session, entries: list[dict]) -> None:
    """Add new ledger entries (column values: kind, amount, effective_date, and corrects_kind, payment_id,
    refund_id when they have them) to their days in ledger_day, one upsert per day and kind (the ledger's
    batch writer, `ledger.post_many`, calls this for the entries it creates)."""
    connection = session.connection()
    days: dict[tuple, list[int]] = {}
    for entry in entries:
        payment_id, refund_id = entry.get('payment_id'), entry.get('refund_id')
        if payment_id is None and refund_id is not None:
            payment_id = connection.execute(_REFUND_PAYMENT, {'refund_id': refund_id}).scalar()
        method, channel = '', ''
        if payment_id is not None:
            facts = connection.execute(_PAYMENT_FACTS, {'payment_id': payment_id}).first()
            if facts is not None:
                method, channel = facts.method, facts.channel
        day = days.setdefault((entry['effective_date'], str(entry.get('corrects_kind') or entry['kind']), method,
                               channel), [0, 0])
        day[0] += 1
        day[1] += entry['amount']
    if not days:
        return
    table = LedgerDay.__table__
    upsert = _insert(connection, table)
    connection.execute(upsert.on_conflict_do_update(
        index_elements=list(DAY_KEY),
        set_={'entries': table.c.entries + upsert.excluded.entries, 'amount': table.c.amount + upsert.excluded.amount}),
        [{**dict(zip(DAY_KEY, key, strict=True)), 'entries': entries_, 'amount': amount}
         for key, (entries_, amount) in sorted(days.items(), key=lambda item: str(item[0]))])


def rebuild(connection: Connection) -> int:
    """Fill charge_balance, receivable_rollup and ledger_day again from the ledger, payments and claims (in
    the caller's transaction, `session.connection()` or the seeder's); returns the number of charges."""
    for statement in rebuild_statements(_PENDING, connection.dialect.name):
        connection.execute(text(statement))
    return int(connection.execute(text('SELECT COUNT(*) FROM charge_balance')).scalar() or 0)
