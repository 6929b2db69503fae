"""An account's ledger as a clerk reads it on the phone: oldest to newest with the running balance, each
line with its date of service, patient, code and description, provider, and what it is in words."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from portal.models import Charge, Encounter, LedgerEntry, LedgerKind, Patient, Payment, Provider
from portal.models.desk import AdjustmentReason
from portal.reference.codes import adjustment_reasons
from portal.services.payments.receipts import METHOD_LABELS
from portal.services.person_names import full_name

KIND_WORDS = {
    LedgerKind.charge: 'Charge',
    LedgerKind.insurance_payment: 'Insurance paid',
    LedgerKind.contractual_adjustment: 'Insurance adjustment',
    LedgerKind.patient_payment: 'Payment',
    LedgerKind.refund: 'Refund',
    LedgerKind.write_off: 'Adjustment',
    LedgerKind.correction: 'Correction',
}
REASON_WORDS = {reason.value: reason.label for reason in AdjustmentReason}


@dataclass(frozen=True)
class LedgerLine:
    id: int
    posted_on: date  # the entry's effective date
    kind: str  # in words: 'Insurance paid', 'Correction of a charge'
    what: str  # 'Office visit, established patient (99213)', 'Small balance', the memo
    code: str  # CPT/HCPCS of the charge the line is about ('' when none)
    date_of_service: date | None
    patient: str
    provider: str
    amount: int
    running_balance: int
    corrects_entry_id: int | None
    kind_value: str  # the stored kind, for the page to offer the right correction (never shown)
    corrected: bool  # a correction already points at this line


def kind_words(kind: str, corrects_kind: str | None) -> str:
    if kind == LedgerKind.correction and corrects_kind:
        return f'Correction of {KIND_WORDS.get(corrects_kind, "an entry").lower()}'
    return KIND_WORDS.get(kind, 'Entry')


def _what(row) -> str:  # noqa: ANN001  (a row of the query below)
    if row.kind == LedgerKind.write_off or (row.kind == LedgerKind.correction and row.corrects_kind ==
                                            LedgerKind.write_off):
        return REASON_WORDS.get(row.memo, row.memo)
    if row.carc_code and row.kind == LedgerKind.contractual_adjustment:
        reason = next((r for key, r in adjustment_reasons().items() if key.endswith(f'-{row.carc_code}')), None)
        described = f'{row.description} ({row.code})' if row.code else ''
        return ' · '.join(part for part in (described, reason.plain if reason else '') if part)
    if row.code:
        return f'{row.description} ({row.code})'
    if row.kind == LedgerKind.patient_payment and row.receipt_number:  # 'Check · receipt R00000004 · Check 2231'
        method = METHOD_LABELS.get(row.method, 'Payment')
        return ' · '.join(part for part in (method, f'receipt {row.receipt_number}', row.memo) if part)
    return row.memo


def ledger_lines(session: Session, /, account_id: int) -> list[LedgerLine]:
    """Every entry of the account, oldest first, with the running balance (minor units)."""
    rows = session.connection().execute(
        select(LedgerEntry.id, LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.effective_date, LedgerEntry.memo,
               LedgerEntry.carc_code, LedgerEntry.corrects_entry_id, LedgerEntry.corrects_kind,
               Charge.code, Charge.description, Charge.date_of_service, Patient.first_name, Patient.last_name,
               Provider.first_name.label('provider_first'), Provider.last_name.label('provider_last'),
               Provider.credentials, Payment.receipt_number, Payment.method)
        .outerjoin(Charge, Charge.id == LedgerEntry.charge_id)
        .outerjoin(Patient, Patient.id == func.coalesce(LedgerEntry.patient_id, Charge.patient_id))
        .outerjoin(Encounter, Encounter.id == Charge.encounter_id)
        .outerjoin(Provider, Provider.id == Encounter.provider_id)
        .outerjoin(Payment, Payment.id == LedgerEntry.payment_id)
        .where(LedgerEntry.account_id == account_id)
        .order_by(col(LedgerEntry.effective_date), col(LedgerEntry.id))).all()
    corrected = {row.corrects_entry_id for row in rows if row.corrects_entry_id}  # corrections stay on the account
    running, lines = 0, []
    for row in rows:
        running += row.amount
        provider = full_name(row.provider_first, row.provider_last)
        lines.append(LedgerLine(
            id=row.id, posted_on=row.effective_date, kind=kind_words(row.kind, row.corrects_kind), what=_what(row),
            code=row.code or '', date_of_service=row.date_of_service,
            patient=full_name(row.first_name, row.last_name),
            provider=f'{provider}, {row.credentials}' if provider and row.credentials else provider,
            amount=row.amount, running_balance=running, corrects_entry_id=row.corrects_entry_id,
            kind_value=str(row.kind), corrected=row.id in corrected))
    return lines

