"""A patient's insurance claims (/claims, /claims/{id}): each claim's timeline, what was billed, allowed
and paid by insurance line by line, every adjustment with the plain meaning of its CARC/RARC codes, what
the patient owes, the payer's claim number, and, for a denied claim, what the patient can do
(`next_step`, the one rule mapping codes to a next step).

Line math, per charge on the claim (minor units): billed − insurance paid − adjustments the patient does
not owe (CO, OA, PI, CR) = what the patient owes (the PR adjustments explain it: deductible, copay, ...).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlmodel import Session, col, or_, select

from portal import audit
from portal.auth.permissions import Actor, account_relationships, require_account
from portal.errors import NotFound
from portal.models import (
    Charge,
    Claim,
    ClaimAdjustment,
    ClaimStatus,
    ClaimStatusEvent,
    Coverage,
    Encounter,
    LedgerEntry,
    LedgerKind,
    Patient,
    Payer,
    Remittance,
    RemittanceClaim,
)
from portal.reference.codes import explain_adjustment, explain_remark
from portal.services.payable import claim_is_pending
from portal.services.person_names import full_name
from portal.services.practice import practice

STATUS_WORDS = {  # what a patient reads for each step of a claim
    ClaimStatus.created: 'Claim created', ClaimStatus.submitted: 'Sent to your insurer',
    ClaimStatus.accepted: 'Accepted by your insurer', ClaimStatus.in_process: 'Your insurer is reviewing it',
    ClaimStatus.paid: 'Paid', ClaimStatus.partially_paid: 'Partly paid', ClaimStatus.denied: 'Denied',
    ClaimStatus.appealed: 'Appealed by our office', ClaimStatus.reprocessed: 'Decided again'}
DEDUCTIBLE = 'deductible'  # a decided claim insurance paid nothing on because it all went to the deductible
DEDUCTIBLE_WORDS = 'Applied to deductible'
DEDUCTIBLE_CARC = '1'
COST_SHARE_CARCS = frozenset({'1', '2', '3'})  # deductible, coinsurance, copay: part of the allowed amount
COVERAGE_ENDED_CARCS = frozenset({'26', '27', '31', '33', '39', '200'})  # insurance on file was not in force
PATIENT_INFO_CARCS = frozenset({'22', '227'})  # other coverage questions; information asked of the patient
PATIENT_INFO_RARCS = frozenset({'N4', 'MA04', 'N479', 'N598', 'MA92'})  # the insurer needs the patient's answer


class NextStepKind(StrEnum):
    update_insurance = 'update_insurance'
    call_insurer = 'call_insurer'
    ask_us = 'ask_us'


PATIENT_CAN_ACT = frozenset({NextStepKind.update_insurance, NextStepKind.call_insurer})  # told by email and badge


@dataclass(frozen=True)
class NextStep:
    kind: NextStepKind
    text: str  # what the patient can do, in plain words
    button: str  # the button's label
    href: str  # where the button goes


@dataclass(frozen=True)
class Adjustment:
    code: str  # 'CO-45', 'PR-27 / N130'
    meaning: str  # the plain meaning of the CARC (and RARC)
    amount: int  # minor units, positive: what it took off the bill (or, for PR, the patient's share)
    patient_owes: bool  # a PR adjustment: part of what the patient owes


@dataclass(frozen=True)
class ClaimLine:
    charge_id: int
    code: str
    description: str
    billed: int
    allowed: int  # insurance paid + the patient's deductible, coinsurance and copay
    insurance_paid: int
    adjustments: tuple[Adjustment, ...]
    patient_owes: int  # billed − insurance_paid − the adjustments the patient does not owe


@dataclass(frozen=True)
class TimelineStep:
    status: ClaimStatus
    label: str
    on: date  # the practice's calendar day
    code: str  # the decision's code when the insurer gave one ('PR-27'), else ''
    meaning: str = ''  # that code in plain words ('Your coverage had ended ...', 'reversed by the insurer'), else ''


@dataclass(frozen=True)
class ClaimSummary:
    id: int
    date_of_service: date
    patient_name: str
    payer_name: str
    claim_number: str  # the practice's claim number, as it submitted the claim
    status: ClaimStatus
    status_label: str
    billed: int
    insurance_paid: int
    patient_owes: int
    pending: bool  # still with the insurer
    needs_you: bool  # denied with something the patient can do (update insurance, call the insurer)
    shown_as: str  # what the status chip says: the status, or DEDUCTIBLE (paid, but nothing, all deductible)
    payer_claim_number: str = ''  # the insurer's own claim number (835 CLP07), to match its Explanation of
    # Benefits; '' until a remittance has carried it


@dataclass(frozen=True)
class ClaimDetail:
    summary: ClaimSummary
    payer_phone: str
    timeline: tuple[TimelineStep, ...]  # oldest first
    lines: tuple[ClaimLine, ...]
    next_step: NextStep | None  # only for a denied claim

    @property
    def allowed(self) -> int:
        return sum(line.allowed for line in self.lines)


def next_step(codes: list[tuple[str, str, str]], *, claim_id: int, payer_name: str = '',
              payer_phone: str = '') -> NextStep:
    """What the patient can do about a denial, from its (group, CARC, RARC) codes: coverage that had ended
    -> update your insurance (/insurance); the insurer needs information from the patient -> call them
    (their phone when known); anything else -> ask us (a new message linked to the claim)."""
    carcs = {carc for _, carc, _ in codes}
    rarcs = {rarc for _, _, rarc in codes if rarc}
    if carcs & COVERAGE_ENDED_CARCS:
        return NextStep(NextStepKind.update_insurance,
                        'Your insurer says your coverage had ended (or was not found) for this visit. If you have '
                        'other or newer insurance, add it and we will bill it.', 'Update your insurance',
                        '/insurance')
    if carcs & PATIENT_INFO_CARCS or ('16' in carcs and rarcs & PATIENT_INFO_RARCS):
        insurer = payer_name or 'your insurer'
        call = f'call them at {payer_phone}' if payer_phone else 'call the number on your insurance card'
        return NextStep(NextStepKind.call_insurer,
                        f'{insurer} needs information from you before it can pay: {call}.',
                        f'Call {payer_phone}' if payer_phone else 'How to reach your insurer',
                        f'tel:{_dialable(payer_phone)}' if payer_phone else '/insurance')
    return NextStep(NextStepKind.ask_us,
                    'Not sure what this means or what to do? Ask us: we will look at this claim with you.',
                    'Ask us about this claim', f'/messages/new?link=claim:{claim_id}')


def _dialable(phone: str) -> str:
    return ''.join(ch for ch in phone if ch.isdigit() or ch == '+')


def list_claims(session: Session, /, *, actor: Actor) -> tuple[ClaimSummary, ...]:
    """Every claim on the accounts this person may see, newest visit first. Views of an account that is not
    their own are audited."""
    relationships = account_relationships(session, actor.user_id)
    for account_id, relationship in relationships.items():
        if relationship != 'self':
            audit.record(session, action='view_claims', actor_user_id=actor.user_id, actor_role=actor.role,
                         entity_type='account', entity_id=account_id, account_id=account_id, source_ip=actor.ip,
                         detail=f'relationship={relationship}')
    if not relationships:
        return ()
    claims = session.exec(select(Claim).where(col(Claim.account_id).in_(list(relationships)))).all()
    return tuple(sorted((_summary(session, claim)[0] for claim in claims),
                        key=lambda item: (item.date_of_service, item.id), reverse=True))


def claim_detail(session: Session, /, *, actor: Actor, claim_id: int) -> ClaimDetail:
    """One claim, explained. Another account's claim (or a made-up id) is NotFound; a refusal is audited."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound()
    require_account(session, actor, claim.account_id, purpose='view_claim')
    summary, payer = _summary(session, claim)
    day = practice(session).day_of
    events = session.exec(select(ClaimStatusEvent).where(ClaimStatusEvent.claim_id == claim.id)
                          .order_by(col(ClaimStatusEvent.at), col(ClaimStatusEvent.id))).all()
    adjustments = session.exec(select(ClaimAdjustment).where(ClaimAdjustment.claim_id == claim.id)
                               .order_by(col(ClaimAdjustment.id))).all()
    timeline = tuple(TimelineStep(event.status, STATUS_WORDS[event.status], day(event.at), event.code,
                                  code_words(event.status, event.code, adjustments)) for event in events)
    if not timeline:
        timeline = (TimelineStep(ClaimStatus.submitted, STATUS_WORDS[ClaimStatus.submitted],
                                 day(claim.submitted_at), ''),)
    return ClaimDetail(summary, payer.phone if payer else '', timeline, _lines(session, claim, adjustments),
                       _step(claim, adjustments, payer))


REVERSAL = '22'  # CLP02 22: the payer took its decision back (remittance_posting.post_reversal records it)


def code_words(status: ClaimStatus, code: str, adjustments: list[ClaimAdjustment]) -> str:
    """A status event's code in plain words: 'reversed by the insurer' for a reversal, the adjustment reason's
    meaning (portal/reference/codes.py) for 'PR-27', or for a bare reason code the claim's adjustments give a
    group for; '' when there is nothing sure to say (the status words say it)."""
    if not code:
        return ''
    if code == REVERSAL and status == ClaimStatus.in_process:
        return 'reversed by the insurer'
    group, _, carc = code.partition('-')
    if not carc:
        carc = group
        group = next((row.group_code for row in adjustments if row.carc_code == carc), '')
    return explain_adjustment(group, carc.split()[0]) if group and carc.strip() else ''


def _payer_claim_number(session: Session, claim: Claim, payer: Payer | None) -> str:
    """The claim's insurer's own claim number (CLP07) from its latest remittance for the claim that still
    stands (not a reversal, not reversed)."""
    reversed_ids = select(RemittanceClaim.reverses_id).where(col(RemittanceClaim.reverses_id).is_not(None))
    query = select(RemittanceClaim.payer_claim_number).join(
        Remittance, col(Remittance.id) == RemittanceClaim.remittance_id).where(
        RemittanceClaim.claim_id == claim.id, col(RemittanceClaim.posted).is_(True),
        RemittanceClaim.status_code != REVERSAL, RemittanceClaim.payer_claim_number != '',
        col(RemittanceClaim.id).not_in(reversed_ids))
    if payer is not None:
        query = query.where(Remittance.payer_id == payer.id)
    return session.exec(query.order_by(col(RemittanceClaim.id).desc())).first() or ''


def needs_you(session: Session, /, claim: Claim) -> bool:
    """Is this a denied claim with something the patient can do (update insurance, call the insurer)?"""
    if claim.status != ClaimStatus.denied:
        return False
    coverage = session.get(Coverage, claim.coverage_id) if claim.coverage_id else None
    payer = session.get(Payer, coverage.payer_id) if coverage else None
    adjustments = list(session.exec(select(ClaimAdjustment).where(ClaimAdjustment.claim_id == claim.id)).all())
    step = _step(claim, adjustments, payer)
    return step is not None and step.kind in PATIENT_CAN_ACT


def _step(claim: Claim, adjustments: list[ClaimAdjustment], payer: Payer | None) -> NextStep | None:
    """A denied claim's next step (None for any other status)."""
    if claim.status != ClaimStatus.denied:
        return None
    return next_step([(row.group_code, row.carc_code, row.rarc_code) for row in adjustments],
                     claim_id=int(claim.id), payer_name=payer.name if payer else '',
                     payer_phone=payer.phone if payer else '')


def _summary(session: Session, claim: Claim) -> tuple[ClaimSummary, Payer | None]:
    patient = session.get(Patient, claim.patient_id)
    encounter = session.get(Encounter, claim.encounter_id)
    coverage = session.get(Coverage, claim.coverage_id) if claim.coverage_id else None
    payer = session.get(Payer, coverage.payer_id) if coverage else None
    adjustments = list(session.exec(select(ClaimAdjustment).where(ClaimAdjustment.claim_id == claim.id)).all())
    lines = _lines(session, claim, adjustments)
    step = _step(claim, adjustments, payer)
    pending = claim_is_pending(claim.status)
    insurance_paid = sum(line.insurance_paid for line in lines)
    shown_as = DEDUCTIBLE if _all_to_deductible(claim.status, insurance_paid, adjustments) else claim.status
    summary = ClaimSummary(
        id=int(claim.id), date_of_service=encounter.date_of_service,
        patient_name=full_name(patient.first_name, patient.last_name), payer_name=payer.name if payer else 'Insurance',
        claim_number=claim.claim_number, status=claim.status,
        status_label=DEDUCTIBLE_WORDS if shown_as == DEDUCTIBLE else STATUS_WORDS[claim.status],
        billed=sum(line.billed for line in lines), insurance_paid=insurance_paid,
        patient_owes=0 if pending else sum(line.patient_owes for line in lines), pending=pending,
        needs_you=step is not None and step.kind in PATIENT_CAN_ACT, shown_as=shown_as,
        payer_claim_number=_payer_claim_number(session, claim, payer))
    return summary, payer


def _all_to_deductible(status: ClaimStatus, insurance_paid: int, adjustments: list[ClaimAdjustment]) -> bool:
    """Decided as paid, yet insurance paid nothing because the patient's share went to the deductible (PR-1):
    'Paid' would tell the patient the insurer paid something."""
    return status in (ClaimStatus.paid, ClaimStatus.partially_paid) and insurance_paid == 0 and any(
        row.group_code == 'PR' and row.carc_code == DEDUCTIBLE_CARC for row in adjustments)


def _lines(session: Session, claim: Claim, adjustments: list[ClaimAdjustment]) -> tuple[ClaimLine, ...]:
    by_charge: dict[int | None, list[ClaimAdjustment]] = defaultdict(list)
    for row in adjustments:
        by_charge[row.charge_id].append(row)
    paid: dict[int, int] = defaultdict(int)
    for charge_id, amount in session.connection().execute(  # a reversed payment's correction takes it back
            select(LedgerEntry.charge_id, LedgerEntry.amount).where(
                LedgerEntry.claim_id == claim.id,
                or_(LedgerEntry.kind == LedgerKind.insurance_payment,
                    (LedgerEntry.kind == LedgerKind.correction)
                    & (LedgerEntry.corrects_kind == LedgerKind.insurance_payment)))):
        paid[charge_id] -= amount
    charge_ids = {row.charge_id for row in adjustments if row.charge_id} | set(paid)
    query = select(Charge).where(Charge.encounter_id == claim.encounter_id)
    if charge_ids:  # a secondary claim covers only the lines it was sent for
        query = query.where(col(Charge.id).in_(sorted(charge_ids)))
    lines = []
    for charge in session.exec(query.order_by(col(Charge.id))).all():
        explained = tuple(_adjustment(row) for row in by_charge[charge.id])
        insurance = paid[charge.id]
        share = sum(row.amount for row in by_charge[charge.id]
                    if row.group_code == 'PR' and row.carc_code in COST_SHARE_CARCS)
        lines.append(ClaimLine(
            charge_id=int(charge.id), code=charge.code, description=charge.description, billed=charge.amount,
            allowed=insurance + share, insurance_paid=insurance, adjustments=explained,
            patient_owes=charge.amount - insurance - sum(item.amount for item in explained if not item.patient_owes)))
    return tuple(lines)


def _adjustment(row: ClaimAdjustment) -> Adjustment:
    meaning = explain_adjustment(row.group_code, row.carc_code)
    remark = explain_remark(row.rarc_code) if row.rarc_code else ''
    code = f'{row.group_code}-{row.carc_code}' + (f' / {row.rarc_code}' if row.rarc_code else '')
    return Adjustment(code, f'{meaning} {remark}'.strip(), row.amount, row.group_code == 'PR')
