"""A practice with one insured visit, and 835 files about it, for the remittance tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from portal.db import write_session
from portal.interop.x12_835 import Adjustment, ClaimPayment, ProviderAdjustment, Remittance835, ServiceLine
from portal.interop.x12_835_write import write_835
from portal.models import Charge, Claim, Coverage, Payer
from tests.factories import make_account, make_visit

DOS = date(2026, 2, 3)


@dataclass
class Visit:
    account_id: int
    patient_id: int
    claim_id: int
    claim_number: str
    office: int  # charge ids
    lab: int


def insured_visit(number: str = 'PM-1001') -> Visit:
    """Ana's visit on 2026-02-03: 99213-25 for $200.00 (line control number OV-1) and 36415 for $22.00,
    claimed as `number` with Acme Health (primary, payer code ACME); Beta Mutual (BETA) is her secondary."""
    account, patients = make_account(patients=[{'first_name': 'Ana', 'date_of_birth': date(1980, 1, 2)}])
    patient = patients[0]
    office, lab = make_visit(account=account, patient=patient, date_of_service=DOS,
                             lines=[('99213', 'Office visit', 20000), ('36415', 'Blood draw', 2200)])
    with write_session() as session:
        payers = {code: session.exec(select(Payer).where(Payer.payer_code == code)).first()
                  for code in ('ACME', 'BETA')}
        for code, name in (('ACME', 'Acme Health'), ('BETA', 'Beta Mutual')):
            if payers[code] is None:
                payer = Payer(name=name, payer_code=code)
                session.add(payer)
                session.flush()
                payers[code] = payer
        primary = Coverage(patient_id=patient.id, payer_id=payers['ACME'].id, member_id='ACM1',
                           subscriber_name='Ana', priority=1)
        secondary = Coverage(patient_id=patient.id, payer_id=payers['BETA'].id, member_id='BET1',
                             subscriber_name='Ana', priority=2)
        session.add_all([primary, secondary])
        session.flush()
        charge = session.get(Charge, office)
        charge.modifier, charge.external_id = '25', f'OV-{number}'
        session.add(charge)
        claim = Claim(account_id=account.id, patient_id=patient.id, encounter_id=charge.encounter_id,
                      coverage_id=primary.id, claim_number=number, billed_amount=22200)
        session.add(claim)
        session.flush()
        return Visit(account.id, patient.id, claim.id, number, office, lab)


def payment(number: str, *, status: str = '1', lines: list[ServiceLine], icn: str = 'ICN-1',
            **fields: object) -> ClaimPayment:
    """A CLP loop whose CLP03/CLP04/CLP05 are the sums of its lines (billed, paid, PR adjustments)."""
    billed = sum(line.billed for line in lines)
    paid = sum(line.paid for line in lines)
    owed = sum(item.amount for line in lines for item in line.adjustments if item.group == 'PR')
    return ClaimPayment(line=0, claim_number=number, status=status, billed=billed, paid=paid,
                        patient_responsibility=owed, payer_claim_number=icn, patient_last='DOE',
                        patient_first='ANA', patient_id='ACM1', lines=lines, **fields)


def office_line(paid: int, *adjustments: tuple[str, str, int], control: str = '', modifiers: tuple = ('25',),
                billed: int = 20000) -> ServiceLine:
    return ServiceLine(line=0, qualifier='HC', code='99213', modifiers=modifiers, billed=billed, paid=paid, units=1,
                       service_date=DOS, control_number=control,
                       adjustments=[Adjustment(group, reason, amount) for group, reason, amount in adjustments])


def lab_line(paid: int, *adjustments: tuple[str, str, int]) -> ServiceLine:
    return ServiceLine(line=0, qualifier='HC', code='36415', modifiers=(), billed=2200, paid=paid, units=1,
                       service_date=DOS, adjustments=[Adjustment(g, r, a) for g, r, a in adjustments])


def remit(*claims: ClaimPayment, trace: str = 'TRC-1', payer: str = 'ACME', name: str = 'ACME HEALTH',
          plb: tuple[tuple[str, int], ...] = (), amount: int | None = None) -> Remittance835:
    adjustments = [ProviderAdjustment(0, '1234567893', date(2026, 12, 31), reason, 'REF1', value)
                   for reason, value in plb]
    total = sum(claim.paid for claim in claims) - sum(value for _, value in plb)
    return Remittance835(line=0, control_number='', amount=total if amount is None else amount,
                         trace_number=trace, payer_name=name, payer_ids=[payer], payment_date=date(2026, 3, 2),
                         claims=list(claims), provider_adjustments=adjustments)


def file_of(*remittances: Remittance835) -> bytes:
    return write_835(list(remittances))


def paying_a_seeded_claim(session: Session, *, sent_as: str, trace: str = 'PAGE-1') -> tuple[bytes, str, int]:
    """An 835 that pays a demo claim still waiting for its insurer (80%, a CO-45 write-off for the rest of each
    line), with the claim number mistyped as `sent_as`: (file, the real claim number, its account id)."""
    from portal.models import ClaimStatus
    claim = session.exec(select(Claim).where(Claim.status.in_([ClaimStatus.submitted, ClaimStatus.in_process]))
                         .order_by(Claim.id)).first()
    charges = session.exec(select(Charge).where(Charge.encounter_id == claim.encounter_id)).all()
    lines = [ServiceLine(line=0, qualifier='HC', code=charge.code, modifiers=tuple(charge.modifier.split()),
                         billed=charge.amount, paid=charge.amount - charge.amount // 5, units=charge.units,
                         service_date=charge.date_of_service, adjustments=[Adjustment('CO', '45', charge.amount // 5)])
             for charge in charges]
    claim_payment = ClaimPayment(line=0, claim_number=sent_as, status='1', billed=sum(c.amount for c in charges),
                                 paid=sum(line.paid for line in lines), patient_responsibility=0,
                                 payer_claim_number='ICN-PAGE', patient_last='DOE', patient_first='ANA', lines=lines)
    return file_of(remit(claim_payment, trace=trace)), claim.claim_number, claim.account_id
