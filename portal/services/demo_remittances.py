"""835 files the demo seeder writes from its own claims, so a demo import matches and posts: claims still
waiting for their insurer get a partial payment and a denial (with provider-level interest and a
recoupment), then a second file reverses the partial payment and pays the corrected claim. Written to
`PORTAL_FILE_DIR/demo-835/` (never swept: the sweep reads only stored objects); import them in order with
`python -m portal import-835 data/files/demo-835/*.835` or on /staff/remittances."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import Session, col, select

from portal.interop.x12_835_data import Adjustment, ClaimPayment, ProviderAdjustment, Remittance835, ServiceLine
from portal.interop.x12_835_write import write_835
from portal.models import Charge, Claim, ClaimStatus, Coverage, Patient, Payer

PENDING = (ClaimStatus.submitted, ClaimStatus.in_process)


def _lines(charges: list[Charge], *, paid: int, written_off: int, with_control_numbers: bool) -> list[ServiceLine]:
    """Each line split in percent: `paid` by the payer, `written_off` contractual (CO-45), the rest the
    patient's coinsurance (PR-2)."""
    lines = []
    for charge in charges:
        pays, off = charge.amount * paid // 100, charge.amount * written_off // 100
        adjustments = [Adjustment('CO', '45', off)] if off else []
        if charge.amount - pays - off:
            adjustments.append(Adjustment('PR', '2', charge.amount - pays - off))
        lines.append(ServiceLine(line=0, qualifier='HC', code=charge.code, modifiers=tuple(charge.modifier.split()),
                                 billed=charge.amount, paid=pays, units=charge.units,
                                 service_date=charge.date_of_service, adjustments=adjustments,
                                 control_number=str(charge.id) if with_control_numbers else ''))
    return lines


def _claim_payment(claim: Claim, patient: Patient, lines: list[ServiceLine], *, status: str, icn: str,
                   **fields: object) -> ClaimPayment:
    return ClaimPayment(line=0, claim_number=claim.claim_number, status=status,
                        billed=sum(line.billed for line in lines), paid=sum(line.paid for line in lines),
                        patient_responsibility=sum(item.amount for line in lines for item in line.adjustments
                                                   if item.group == 'PR'),
                        payer_claim_number=icn, patient_last=patient.last_name.upper(),
                        patient_first=patient.first_name.upper(), lines=lines, **fields)


def _reversed(payment: ClaimPayment) -> ClaimPayment:
    """CLP02 = 22: the same claim with every amount negated (005010X221A1 section 1.10.2.8)."""
    lines = [ServiceLine(line=0, qualifier=line.qualifier, code=line.code, modifiers=line.modifiers,
                         billed=-line.billed, paid=-line.paid, units=line.units, service_date=line.service_date,
                         control_number=line.control_number,
                         adjustments=[Adjustment(item.group, item.reason, -item.amount) for item in line.adjustments])
             for line in payment.lines]
    return ClaimPayment(line=0, claim_number=payment.claim_number, status='22', billed=-payment.billed,
                        paid=-payment.paid, patient_responsibility=-payment.patient_responsibility,
                        payer_claim_number=payment.payer_claim_number, patient_last=payment.patient_last,
                        patient_first=payment.patient_first, lines=lines)


def _remittance(payer: Payer, trace: str, claims: list[ClaimPayment], plb: list[ProviderAdjustment],
                on: date) -> Remittance835:
    return Remittance835(line=0, control_number='', trace_number=trace, payer_name=payer.name.upper(),
                         payer_ids=[payer.payer_code], payment_date=on, claims=claims, provider_adjustments=plb,
                         amount=sum(claim.paid for claim in claims) - sum(item.amount for item in plb))


def write_demo_remittances(session: Session, /, directory: Path, *, on: date, npi: str) -> list[Path]:
    """Two 835 files about two pending claims of one payer; none when the demo data has no such pair."""
    rows = session.exec(select(Claim, Coverage, Payer).join(Coverage, col(Coverage.id) == Claim.coverage_id)
                        .join(Payer, col(Payer.id) == Coverage.payer_id)
                        .where(col(Claim.status).in_(PENDING), Coverage.priority == 1)
                        .order_by(col(Claim.id)).limit(200)).all()
    by_payer: dict[int, list[tuple[Claim, Payer]]] = {}
    for claim, _coverage, payer in rows:
        by_payer.setdefault(payer.id, []).append((claim, payer))
    pair = next((claims[:2] for claims in by_payer.values() if len(claims) >= 2), None)
    if pair is None:
        return []
    (partial_claim, payer), (denied_claim, _) = pair
    charges = {claim.id: list(session.exec(select(Charge).where(Charge.encounter_id == claim.encounter_id)
                                           .order_by(col(Charge.id))).all()) for claim, _ in pair}
    patients = {claim.id: session.get(Patient, claim.patient_id) for claim, _ in pair}
    partial = _claim_payment(partial_claim, patients[partial_claim.id],
                             _lines(charges[partial_claim.id], paid=60, written_off=20, with_control_numbers=True),
                             status='1', icn='DEMO-ICN-1')
    denied = _claim_payment(denied_claim, patients[denied_claim.id],
                            [ServiceLine(line=0, qualifier='HC', code=c.code, modifiers=tuple(c.modifier.split()),
                                         billed=c.amount, paid=0, units=c.units, service_date=c.date_of_service,
                                         adjustments=[Adjustment('CO', '50', c.amount)])
                             for c in charges[denied_claim.id]], status='4', icn='DEMO-ICN-2')
    plb = [ProviderAdjustment(0, npi, date(on.year, 12, 31), 'L6', 'LATE-CLAIM', -125),
           ProviderAdjustment(0, npi, date(on.year, 12, 31), 'WO', 'OVERPAID-2025', min(2000, partial.paid))]
    corrected = _claim_payment(partial_claim, patients[partial_claim.id],
                               _lines(charges[partial_claim.id], paid=70, written_off=20, with_control_numbers=False),
                               status='1', icn='DEMO-ICN-3', frequency='7', original_reference='DEMO-ICN-1')
    directory.mkdir(parents=True, exist_ok=True)
    first = directory / f'1-{payer.payer_code.lower()}-payments.835'
    second = directory / f'2-{payer.payer_code.lower()}-reversal-and-correction.835'
    first.write_bytes(write_835([_remittance(payer, 'DEMO-EFT-1', [partial, denied], plb, on)], interchange=1,
                                when=on, payee_npi=npi))
    second.write_bytes(write_835([_remittance(payer, 'DEMO-EFT-2', [_reversed(partial), corrected], [], on)],
                                 interchange=2, when=on, payee_npi=npi))
    return [first, second]
