"""A statement's lines: its charges grouped by visit (with what insurance paid, the plain meaning of each
adjustment and why the patient owes the rest), the charges billed on earlier statements and still open
("Still open from earlier statements", so every dollar of a previous balance has its visit and its
"Ask about this charge"), and the payments and credits not tied to a charge."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal.models import (
    Charge,
    Claim,
    ClaimAdjustment,
    Coverage,
    Encounter,
    LedgerEntry,
    LedgerKind,
    Location,
    MessageThread,
    Patient,
    Payer,
    Provider,
    Refund,
    Statement,
    ThreadCategory,
    ThreadStatus,
)
from portal.reference.codes import GROUP_CODES, explain_adjustment, explain_remark
from portal.services.payable import PENDING_CLAIM_STATUSES, open_on_charges
from portal.services.refund_reasons import plain_reason

QUESTION_CATEGORIES = (ThreadCategory.billing_question, ThreadCategory.dispute_charge)
ADJUSTING = (LedgerKind.contractual_adjustment, LedgerKind.write_off)


@dataclass(frozen=True)
class Adjustment:
    code: str  # 'CO-45'
    meaning: str
    amount: int  # positive: what it took off the bill


@dataclass(frozen=True)
class ChargeLine:
    charge_id: int
    code: str
    description: str
    units: int
    billed: int
    insurance_paid: int
    adjustments: list[Adjustment]
    patient_owes: int  # what is left to pay on it as of the statement: billed - insurance - adjustments - paid_by_you
    your_share: list[Adjustment]  # why the patient owes it (deductible, coinsurance, copay)
    billed_earlier: bool = False  # billed before this statement; here for what insurance did since
    question_thread_id: int | None = None
    paid_by_you: int = 0  # patient payments applied to it by the statement's date (a copay at the desk, a check)


@dataclass(frozen=True)
class Visit:
    date_of_service: date
    patient_name: str
    provider_name: str
    location_name: str
    lines: list[ChargeLine]
    insurance_pending: bool = False  # a claim for this visit was with the insurer when the statement was issued
    answered_since: bool = False  # ...and the insurer has answered since (the next statement shows what is owed)
    claim_id: int | None = None  # the visit's first (primary) claim, explained at /claims/{claim_id}
    payer_names: tuple[str, ...] = ()  # the insurers billed for this visit, primary first


@dataclass(frozen=True)
class Credit:
    on: date
    description: str
    amount: int  # signed as on the ledger: negative lowers the balance


def earlier_open_visits(session: Session, /, statement: Statement, shown: set[int]) -> list[Visit]:
    """Charges billed before this statement (not among `shown`, its own lines) that were still open on it,
    by visit; each line's "You owe" is what was open on it as of the statement (minor units), so the lines
    of a statement add up to its new balance (less any credit not applied to a charge)."""
    billed_before = (select(LedgerEntry.charge_id).where(
        LedgerEntry.account_id == statement.account_id, LedgerEntry.kind == LedgerKind.charge,
        col(LedgerEntry.charge_id).is_not(None), LedgerEntry.id <= statement.first_entry_id))
    still_open = {charge_id: amount for charge_id, amount in open_as_of(session, statement, billed_before).items()
                  if amount > 0 and charge_id not in shown}
    return visits_of(session, statement, sorted(still_open), new_charges=set(), open_amounts=still_open)


def open_as_of(session: Session, /, statement: Statement, charge_ids) -> dict[int, int]:  # noqa: ANN001
    """charge id -> what was still open on it as of the statement's last ledger entry (minor units, >= 0):
    the charge less insurance payments and adjustments on it, less patient payments applied to it that
    were on the ledger by then (`payable.open_on_charges`, the one rule of what is open)."""
    still_open = open_on_charges(charge_ids, statement.account_id, upto_entry_id=statement.last_entry_id)
    return {int(charge_id): int(amount) for _, charge_id, amount in session.connection().execute(select(still_open))}


def credits_of(session: Session, /, entries: list[LedgerEntry]) -> list[Credit]:
    """Payments, refunds (with why, in plain words) and credits not tied to a charge line."""
    names = {LedgerKind.patient_payment: 'Payment — thank you', LedgerKind.refund: 'Refund to you',
             LedgerKind.write_off: 'Balance written off', LedgerKind.contractual_adjustment: 'Account credit',
             LedgerKind.correction: 'Correction', LedgerKind.insurance_payment: 'Insurance payment'}
    refunds = [entry.refund_id for entry in entries if entry.kind == LedgerKind.refund and entry.refund_id]
    reasons = dict(session.connection().execute(select(Refund.id, Refund.reason)
                                                .where(col(Refund.id).in_(refunds))).all()) if refunds else {}

    def description(entry: LedgerEntry) -> str:
        name = names.get(entry.kind, 'Account activity')
        return f'{name}: {plain_reason(reasons[entry.refund_id])}' if entry.refund_id in reasons else name

    return [Credit(entry.effective_date, description(entry), entry.amount)
            for entry in entries if entry.charge_id is None and entry.kind != LedgerKind.charge]


def statement_visits(session: Session, /, statement: Statement, entries: list[LedgerEntry]) -> list[Visit]:
    """The charges this statement's entries touch, by visit, oldest first."""
    charge_ids = sorted({entry.charge_id for entry in entries if entry.charge_id is not None})
    new_charges = {entry.charge_id for entry in entries if entry.kind == LedgerKind.charge}
    return visits_of(session, statement, charge_ids, new_charges=new_charges)


def visits_of(session: Session, /, statement: Statement, charge_ids: list[int], *, new_charges: set[int],
              open_amounts: dict[int, int] | None = None) -> list[Visit]:
    """Those charges by visit, oldest first, each line as of the statement: what insurance paid and
    adjusted, what the patient paid on it and what was left to pay (`open_amounts`, when the caller has
    already read them with `open_as_of`)."""
    if not charge_ids:
        return []
    if open_amounts is None:
        open_amounts = open_as_of(session, statement, charge_ids)
    history: dict[int, list[LedgerEntry]] = defaultdict(list)  # each line's whole story up to this statement
    for entry in session.exec(select(LedgerEntry).where(col(LedgerEntry.charge_id).in_(charge_ids),
                                                        LedgerEntry.id <= statement.last_entry_id)):
        history[entry.charge_id].append(entry)
    shares: dict[int, list[Adjustment]] = defaultdict(list)
    for adjustment in session.exec(select(ClaimAdjustment).where(col(ClaimAdjustment.charge_id).in_(charge_ids),
                                                                 ClaimAdjustment.group_code == 'PR')):
        meaning = explain_adjustment('PR', adjustment.carc_code)
        remark = explain_remark(adjustment.rarc_code) if adjustment.rarc_code else ''
        shares[adjustment.charge_id].append(Adjustment(f'PR-{adjustment.carc_code}',
                                                       f'{meaning} {remark}'.strip(), adjustment.amount))
    questions = dict(session.connection().execute(
        select(MessageThread.charge_id, func.max(MessageThread.id))
        .where(col(MessageThread.charge_id).in_(charge_ids), MessageThread.status != ThreadStatus.resolved,
               col(MessageThread.category).in_(QUESTION_CATEGORIES))
        .group_by(MessageThread.charge_id)).all())
    rows = session.exec(
        select(Charge, Encounter.date_of_service, Patient.first_name, Patient.last_name, Provider.first_name,
               Provider.last_name, Provider.credentials, Location.name)
        .join(Encounter, Encounter.id == Charge.encounter_id).join(Patient, Patient.id == Charge.patient_id)
        .join(Provider, Provider.id == Encounter.provider_id).join(Location, Location.id == Encounter.location_id)
        .where(col(Charge.id).in_(charge_ids))
        .order_by(Encounter.date_of_service, Charge.encounter_id, Charge.id)).all()
    encounter_ids = {row[0].encounter_id for row in rows}
    pending = set(session.connection().execute(
        select(Claim.encounter_id).where(col(Claim.encounter_id).in_(encounter_ids),
                                         col(Claim.status).in_(sorted(PENDING_CLAIM_STATUSES)))).scalars())
    # still with the insurer when the statement was issued, decided since: the lines are read as of the
    # statement, so the visit reads as it did then (its Waiting for insurance is in the summary)
    answered_since = set(session.connection().execute(
        select(Claim.encounter_id).where(col(Claim.encounter_id).in_(encounter_ids),
                                         col(Claim.submitted_at) <= statement.issued_at,
                                         col(Claim.adjudicated_at) > statement.issued_at)).scalars()) - pending
    held = pending | answered_since
    claims = _claims_by_visit(session, encounter_ids)
    visits: dict[int, Visit] = {}
    for charge, dos, first, last, provider_first, provider_last, credentials, location in rows:
        visit = visits.get(charge.encounter_id)
        if visit is None:
            visit = visits[charge.encounter_id] = Visit(
                date_of_service=dos, patient_name=f'{first} {last}',
                provider_name=f'{provider_first} {provider_last}, {credentials}', location_name=location, lines=[],
                insurance_pending=charge.encounter_id in held,
                answered_since=charge.encounter_id in answered_since, **claims.get(charge.encounter_id, {}))
        line = _line(charge, history[charge.id], shares[charge.id], questions.get(charge.id),
                     billed_earlier=charge.id not in new_charges)
        left = open_amounts.get(charge.id, 0)
        visit.lines.append(replace(line, patient_owes=left, paid_by_you=max(0, line.patient_owes - left)))
    return list(visits.values())


def _claims_by_visit(session: Session, encounter_ids: set[int]) -> dict[int, dict]:
    """encounter id -> {'claim_id': its first claim, 'payer_names': the payers billed, in claim order}."""
    found: dict[int, dict] = {}
    for encounter_id, claim_id, payer in session.connection().execute(
            select(Claim.encounter_id, Claim.id, Payer.name)
            .outerjoin(Coverage, Coverage.id == Claim.coverage_id).outerjoin(Payer, Payer.id == Coverage.payer_id)
            .where(col(Claim.encounter_id).in_(encounter_ids)).order_by(col(Claim.id))):
        entry = found.setdefault(encounter_id, {'claim_id': claim_id, 'payer_names': ()})
        if payer and payer not in entry['payer_names']:
            entry['payer_names'] += (payer,)
    return found


def _line(charge: Charge, history: list[LedgerEntry], shares: list[Adjustment], thread_id: int | None, *,
          billed_earlier: bool) -> ChargeLine:
    billed = sum(entry.amount for entry in history if _kind(entry) == LedgerKind.charge) or charge.amount
    insurance = -sum(entry.amount for entry in history if _kind(entry) == LedgerKind.insurance_payment)
    by_code: dict[str, int] = defaultdict(int)
    for entry in history:
        if _kind(entry) in ADJUSTING:
            by_code[entry.carc_code or ''] -= entry.amount
    adjustments = [Adjustment(code or 'Adjustment', _meaning(code), amount)
                   for code, amount in by_code.items() if amount]
    owes = billed - insurance - sum(item.amount for item in adjustments)
    return ChargeLine(charge_id=charge.id, code=charge.code, description=charge.description, units=charge.units,
                      billed=billed, insurance_paid=insurance, adjustments=adjustments, patient_owes=owes,
                      your_share=shares, question_thread_id=thread_id, billed_earlier=billed_earlier)


def _kind(entry: LedgerEntry) -> str:
    if entry.kind == LedgerKind.correction:  # a correction counts in the kind it corrects
        return entry.corrects_kind or LedgerKind.contractual_adjustment
    return entry.kind


def _meaning(code: str) -> str:
    """'CO-45' -> its plain meaning from the CARC list (portal/reference/carc.csv)."""
    group, _, carc = code.partition('-')
    if not carc:
        return 'An adjustment by the billing office. You do not owe this part.'
    return explain_adjustment(group, carc) if group in GROUP_CODES else f'Adjustment (reason code {code}).'

