"""Ledger activity for receivables tests, written the way the services write it: through the ledger's one
writer, then the money-moved step (or a claim's status change), and a reference reading of what each
charge's open amount and responsibility must be, computed from scratch without charge_balance."""
from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date

from sqlalchemy import text
from sqlmodel import Session, select

from portal.models import (
    Charge,
    Claim,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from portal.services import ledger
from portal.services.claim_updates import record_claim_status
from portal.services.money_moved import account_money_moved
from portal.services.payable import claim_is_pending
from portal.services.payments.allocation import allocate, paid_on_charges

_refs = itertools.count(1)


def pay(session: Session, account_id: int, amount: int, *, method: str = 'card', on: date = date(2026, 3, 1),
        payer_user_id: int | None = None) -> int:
    """A settled patient payment, allocated oldest first, posted; returns the payment id."""
    payment = Payment(account_id=account_id, amount=amount, method=method, status=PaymentStatus.succeeded,
                      receipt_number=f'T{next(_refs):08d}', payer_user_id=payer_user_id)
    session.add(payment)
    session.flush()
    allocate(session, payment=payment)
    ledger.post(session, account_id=account_id, kind='patient_payment', amount=-amount,
                external_ref=f'test-pay-{payment.id}', effective_date=on, payment_id=payment.id)
    account_money_moved(session, account_id=account_id)
    return int(payment.id)


def refund(session: Session, payment_id: int, amount: int, *, on: date = date(2026, 3, 2)) -> None:
    payment = session.get(Payment, payment_id)
    row = Refund(payment_id=payment_id, amount=amount, reason='test', status=RefundStatus.succeeded,
                 idempotency_key=f'test-refund-{next(_refs)}')
    session.add(row)
    session.flush()
    ledger.post(session, account_id=payment.account_id, kind='refund', amount=amount,
                external_ref=f'test-refund-{row.id}', effective_date=on, payment_id=payment_id, refund_id=row.id)
    account_money_moved(session, account_id=payment.account_id)


def post_on_charge(session: Session, charge_id: int, kind: str, amount: int, *, on: date = date(2026, 2, 1)) -> None:
    """An insurance payment, a contractual adjustment or a write-off on one charge (`amount` as posted:
    negative)."""
    charge = session.get(Charge, charge_id)
    ledger.post(session, account_id=charge.account_id, kind=kind, amount=amount,
                external_ref=f'test-{kind}-{next(_refs)}', effective_date=on, charge_id=charge_id,
                patient_id=charge.patient_id)
    account_money_moved(session, account_id=charge.account_id)


def decide(session: Session, claim_id: int, status: str) -> None:
    record_claim_status(session, claim_id=claim_id, status=status)


def reference_balances(session: Session, account_id: int) -> dict[int, dict]:
    """charge id -> the standing charge_balance must hold, from scratch: the ledger on the charge by kind, a
    correction under the kind it corrects (plain SQL), patient payments through allocation.paid_on_charges
    (refunds off the newest allocation), responsibility through payable.claim_is_pending."""
    posted = session.connection().execute(text("""
        SELECT c.id, c.account_id, c.date_of_service, e.provider_id, e.location_id,
               COALESCE(SUM(CASE WHEN COALESCE(le.corrects_kind, le.kind) = 'charge' THEN le.amount END), 0),
               COALESCE(-SUM(CASE WHEN COALESCE(le.corrects_kind, le.kind) = 'insurance_payment'
                             THEN le.amount END), 0),
               COALESCE(-SUM(CASE WHEN COALESCE(le.corrects_kind, le.kind) IN ('contractual_adjustment', 'write_off')
                             THEN le.amount END), 0)
        FROM charge c JOIN encounter e ON e.id = c.encounter_id
        LEFT JOIN ledger_entry le ON le.charge_id = c.id AND le.payment_id IS NULL
        WHERE c.account_id = :account_id
        GROUP BY c.id, c.account_id, c.date_of_service, e.provider_id, e.location_id"""),
        {'account_id': account_id}).all()
    pending = {charge_id for charge_id, status in session.connection().execute(  # the claim rule, not the hold
        select(Charge.id, Claim.status).join(Claim, Claim.encounter_id == Charge.encounter_id)
        .where(Charge.account_id == account_id)) if claim_is_pending(status)}
    paid = paid_on_charges(session, account_id)
    out = {}
    for charge_id, account_id, dos, provider_id, location_id, charged, insurance, adjusted in posted:
        patient_paid = paid.get(charge_id, 0)
        out[charge_id] = {
            'account_id': account_id, 'date_of_service': dos if isinstance(dos, date) else date.fromisoformat(dos),
            'provider_id': provider_id, 'location_id': location_id,
            'responsibility': 'insurance' if charge_id in pending else 'patient',
            'charged': int(charged), 'insurance_paid': int(insurance), 'adjusted': int(adjusted),
            'patient_paid': patient_paid,
            'open_amount': max(0, int(charged) - int(insurance) - int(adjusted) - patient_paid)}
    return out


def stored_balances(session: Session, account_id: int) -> dict[int, dict]:
    from portal.models import ChargeBalance
    return {row.charge_id: {name: getattr(row, name) for name in (
        'account_id', 'date_of_service', 'provider_id', 'location_id', 'responsibility', 'charged',
        'insurance_paid', 'adjusted', 'patient_paid', 'open_amount')}
        for row in session.exec(select(ChargeBalance).where(ChargeBalance.account_id == account_id))}


def rollup_of(balances: dict[int, dict]) -> dict[tuple, tuple[int, int, int]]:
    """(responsibility, date of service, provider, location) -> (charges, open charges, open amount)."""
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in balances.values():
        key = (str(row['responsibility']), row['date_of_service'], row['provider_id'], row['location_id'])
        sums[key][0] += 1
        sums[key][1] += row['open_amount'] > 0
        sums[key][2] += row['open_amount']
    return {key: tuple(value) for key, value in sums.items()}


def stored_rollup(session: Session) -> dict[tuple, tuple[int, int, int]]:
    from portal.models import ReceivableRollup
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in session.exec(select(ReceivableRollup)):
        key = (str(row.responsibility), row.date_of_service, row.provider_id, row.location_id)
        sums[key][0] += row.charges
        sums[key][1] += row.open_charges
        sums[key][2] += row.open_amount
    return {key: tuple(value) for key, value in sums.items() if any(value)}


def totals_of(balances: dict[int, dict]) -> dict[tuple, tuple[int, int]]:
    """(responsibility, provider, location) -> (open charges, open amount)."""
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for row in balances.values():
        key = (str(row['responsibility']), row['provider_id'], row['location_id'])
        sums[key][0] += row['open_amount'] > 0
        sums[key][1] += row['open_amount']
    return {key: tuple(value) for key, value in sums.items() if any(value)}


def stored_totals(session: Session) -> dict[tuple, tuple[int, int]]:
    from portal.models import ReceivableTotal
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for row in session.exec(select(ReceivableTotal)):
        key = (str(row.responsibility), row.provider_id, row.location_id)
        sums[key][0] += row.open_charges
        sums[key][1] += row.open_amount
    return {key: tuple(value) for key, value in sums.items() if any(value)}
