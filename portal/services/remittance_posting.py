"""Posting one remittance claim (an 835 CLP loop) to the ledger, through the ledger's one writer.

Each entry is keyed by payer + trace number + claim + line + group/reason (`entry_ref`, hashed when it
would pass the key's 120 characters), so posting the same claim again changes nothing. What posts:

- SVC03 (or CLP04 when the payer sent no lines) as an `insurance_payment` (negative: the patient owes less);
- CAS amounts of groups CO, OA, PI and CR as a `contractual_adjustment`; group PR (patient
  responsibility: deductible, coinsurance, copay) posts nothing, as the charge stays the patient's, and
  neither does OA-23 on a secondary payer's claim (the impact of prior payer adjudication: the primary's
  payment and adjustments, already posted from the primary's 835);
- a reversal (CLP02 = 22, 005010X221A1 section 1.10.2.8, "Reversals and Corrections") posts one
  `correction` per entry of the payment it reverses, pointing at that entry, for the opposite amount.

Negative adjustments outside a reversal (a payer raising what it owes) are not posted: they are
returned as warnings for staff to handle by hand.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from portal.interop.x12_835 import ClaimPayment
from portal.models import (
    Charge,
    Claim,
    ClaimAdjustment,
    ClaimStatus,
    LedgerEntry,
    LedgerKind,
    Remittance,
    RemittanceClaim,
    RemittancePosting,
)
from portal.services import ledger
from portal.services.claim_updates import record_claim_status

KEY_LENGTH = 120  # LedgerEntry.external_ref
WRITTEN_OFF_GROUPS = frozenset({'CO', 'OA', 'PI', 'CR'})
PATIENT_GROUP = 'PR'
PRIOR_PAYER = ('OA', '23')  # CARC 23: what earlier payers paid or adjusted, already on the ledger


def entry_ref(*parts: object) -> str:
    """'era:payer:trace:claim:line:group-reason', or 'era:#<sha256>' when that is longer than the key allows."""
    text = 'era:' + ':'.join(str(part) for part in parts)
    if len(text) <= KEY_LENGTH:
        return text
    return 'era:#' + hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Posted:
    entries: int = 0
    warnings: list[str] = field(default_factory=list)
    account_id: int | None = None


@dataclass
class Plan:
    """Ledger entries to post for remittance claims, posted together by `post_plan` (one batch per import)."""
    entries: list[tuple[int, dict]] = field(default_factory=list)  # (remittance claim id, ledger columns)

    def add(self, row: RemittanceClaim, **values: object) -> None:
        self.entries.append((row.id, values))


def post_plan(session: Session, /, plan: Plan) -> dict[int, int]:
    """Post the planned entries through the ledger's writer and remember which remittance claim posted each
    new one (what a reversal later corrects); returns how many entries each remittance claim created."""
    posted = ledger.post_many(session, [values for _, values in plan.entries])
    created: dict[int, int] = {}
    links = []
    for row_id, values in plan.entries:
        entry_id, new = posted[values['external_ref']]
        if new:
            links.append({'remittance_claim_id': row_id, 'ledger_entry_id': entry_id})
            created[row_id] = created.get(row_id, 0) + 1
    if links:
        session.connection().execute(insert(RemittancePosting), links)
    plan.entries.clear()
    return created


def match_lines(claim_payment: ClaimPayment, charges: list[Charge]) -> list[Charge | None]:
    """Each service line's charge: by REF*6R (the charge's external id, or Settle's charge number), else by
    procedure code + modifiers + date of service + units (SVC06 when the payer paid another code)."""
    left = list(charges)
    found: list[Charge | None] = []
    for service in claim_payment.lines:
        hit = None
        if service.control_number:
            hit = next((charge for charge in left if service.control_number in (charge.external_id, str(charge.id))),
                       None)
        if hit is None:
            when = service.service_date or claim_payment.service_date
            wanted = sorted(service.billed_modifiers)
            hit = next((charge for charge in left if charge.code == service.billed_code
                        and sorted(charge.modifier.replace(',', ' ').split()) == wanted
                        and (when is None or charge.date_of_service == when) and charge.units == service.units),
                       None)
        if hit is not None:
            left.remove(hit)
        found.append(hit)
    return found


def post_claim(session: Session, /, plan: Plan, *, remittance: Remittance, payer_key: str, claim_key: str,
               row: RemittanceClaim, payment: ClaimPayment, claim: Claim, charges: list[Charge],
               on: date) -> Posted:
    """Plan the entries of a matched, not-reversal claim payment (`claim_key`: the claim number, made unique
    in its remittance); update the claim's figures and status."""
    result = Posted(account_id=claim.account_id)
    links = {'patient_id': claim.patient_id, 'claim_id': claim.id, 'memo': f'ERA {remittance.trace_number}'[:200]}
    adjustments: list[dict] = []
    used: dict[tuple[str, str], int] = {}  # (line key, what) -> how many entries took it

    def put(kind: str, amount: int, line_key: str, what: str, charge_id: int | None, carc: str | None = None) -> None:
        # a reason sent twice on a line, or a line control number on two lines (payers' deviations), is a
        # second amount, not the same one: it gets its own key (#2, #3 in file order)
        times = used[line_key, what] = used.get((line_key, what), 0) + 1
        what = what if times == 1 else f'{what}#{times}'
        plan.add(row, account_id=claim.account_id, kind=kind, amount=amount,
                 external_ref=entry_ref(payer_key, remittance.trace_number, claim_key, line_key, what),
                 effective_date=on, charge_id=charge_id, carc_code=carc, **links)

    def adjust(items: list, line_key: str, charge_id: int | None, remark: str) -> None:
        for item in items:
            if charge_id is not None and item.amount:
                adjustments.append({'claim_id': claim.id, 'charge_id': charge_id, 'group_code': item.group[:2],
                                    'carc_code': item.reason[:8], 'rarc_code': remark[:8], 'amount': item.amount})
            if item.group == PATIENT_GROUP or item.amount == 0 or (item.group, item.reason) == PRIOR_PAYER:
                continue
            if item.group not in WRITTEN_OFF_GROUPS or item.amount < 0:
                result.warnings.append(f'line {item.line}, CAS: {item.group} {item.reason} of '
                                       f'{item.amount / 100:.2f} is not posted; post it by hand if it is right')
                continue
            put(LedgerKind.contractual_adjustment, -item.amount, line_key, f'{item.group}-{item.reason}', charge_id,
                item.reason)

    for number, (service, charge) in enumerate(zip(payment.lines, match_lines(payment, charges), strict=True), 1):
        line_key = service.control_number or f'L{number}'  # the line's place in its claim
        charge_id = charge.id if charge else None
        if charge is None:
            result.warnings.append(f'line {service.line}, SVC01: {service.billed_code} matches no charge on claim '
                                   f'{payment.claim_number}; posted to the claim without a charge')
        if service.paid > 0:
            put(LedgerKind.insurance_payment, -service.paid, line_key, 'paid', charge_id)
        elif service.paid < 0:
            result.warnings.append(f'line {service.line}, SVC03: a negative payment outside a reversal is not posted')
        adjust(service.adjustments, line_key, charge_id, (service.remarks or [''])[0])
    if not payment.lines and payment.paid > 0:
        put(LedgerKind.insurance_payment, -payment.paid, 'claim', 'paid', None)
    adjust(payment.adjustments, 'claim', None, '')
    if adjustments:
        session.connection().execute(insert(ClaimAdjustment), adjustments)
    _update_claim(session, claim, payment, reprocessed=payment.is_corrected)
    row.posted = True
    return result


def _update_claim(session: Session, claim: Claim, payment: ClaimPayment, *, reprocessed: bool) -> None:
    """Figures and status: denied (CLP02 4, or nothing paid and nothing left to the patient), paid (nothing
    left to the patient), partially paid (a deductible taken with nothing paid too), or reprocessed for a
    corrected claim; the status is recorded through `claim_updates.record_claim_status` (the timeline and the
    patient's notice)."""
    written_off = sum(item.amount for service in payment.lines for item in service.adjustments
                      if item.group in WRITTEN_OFF_GROUPS) + sum(item.amount for item in payment.adjustments
                                                                 if item.group in WRITTEN_OFF_GROUPS)
    claim.paid_amount += payment.paid
    claim.patient_responsibility = payment.patient_responsibility
    claim.allowed_amount = max(payment.billed - written_off, 0)
    reasons = [f'{item.group}-{item.reason}' for service in payment.lines for item in service.adjustments] + \
        [f'{item.group}-{item.reason}' for item in payment.adjustments]
    if payment.status == '4' or (payment.paid == 0 and payment.patient_responsibility == 0):
        status = ClaimStatus.denied  # nothing paid and nothing the patient's: applied to a deductible is not denied
    elif reprocessed:
        status = ClaimStatus.reprocessed
    elif payment.patient_responsibility == 0 and payment.paid + written_off >= payment.billed:
        status = ClaimStatus.paid
    else:
        status = ClaimStatus.partially_paid
    session.add(claim)
    code = reasons[0][:16] if reasons else ''  # 'CO-45': the patient's claim page says what it means
    record_claim_status(session, claim_id=claim.id, status=status, code=code, refresh=False)


def post_reversal(session: Session, /, plan: Plan, *, remittance: Remittance, payer_key: str, claim_key: str,
                  row: RemittanceClaim, payment: ClaimPayment, original: RemittanceClaim, claim: Claim,
                  on: date) -> Posted:
    """Plan one correction per entry the original payment posted, pointing at it, for the opposite amount."""
    result = Posted(account_id=claim.account_id)
    entries = session.exec(select(LedgerEntry).join(RemittancePosting,
                                                   col(RemittancePosting.ledger_entry_id) == LedgerEntry.id)
                           .where(RemittancePosting.remittance_claim_id == original.id)
                           .where(LedgerEntry.kind != LedgerKind.correction).order_by(col(LedgerEntry.id))).all()
    for entry in entries:
        plan.add(row, account_id=entry.account_id, kind=LedgerKind.correction, amount=-entry.amount,
                 external_ref=entry_ref(payer_key, remittance.trace_number, claim_key, 'reverses', entry.id),
                 effective_date=on, patient_id=entry.patient_id, charge_id=entry.charge_id, claim_id=entry.claim_id,
                 corrects_entry_id=entry.id, corrects_kind=entry.kind, carc_code=entry.carc_code,
                 memo=f'ERA {remittance.trace_number} reverses'[:200])
    if -payment.paid != original.paid:
        result.warnings.append(f'line {payment.line}, CLP04: the reversal of {payment.paid / 100:.2f} does not '
                               f'undo the original payment of {original.paid / 100:.2f}; the original was reversed '
                               f'in full')
    row.reverses_id, row.claim_id, row.posted = original.id, claim.id, True
    # the payer took back its decision: the reasons it gave (shown to the patient on /claims/{id}) go with it;
    # a corrected claim brings its own
    session.connection().execute(delete(ClaimAdjustment).where(col(ClaimAdjustment.claim_id) == claim.id))
    claim.paid_amount -= original.paid
    session.add(claim)
    record_claim_status(session, claim_id=claim.id, status=ClaimStatus.in_process, code='22', refresh=False)
    return result
