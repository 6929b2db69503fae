"""Remittances for staff (/staff/remittances): past imports, one import's findings, claims and provider-level
adjustments, a reversal paired with the payment it reverses, and the hand work on claims the import could
not match: match one to a claim by its number (it posts then, as at import), or mark it not ours."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_staff
from portal.clock import utcnow
from portal.errors import NotFound, ValidationFailed
from portal.interop.x12_835 import Adjustment, ClaimPayment, ServiceLine
from portal.models import (
    Charge,
    Claim,
    MatchState,
    ProviderLevelAdjustment,
    Remittance,
    RemittanceAdjustment,
    RemittanceClaim,
    RemittanceLine,
    User,
)
from portal.services.money_moved import account_money_moved
from portal.services.practice import practice_today
from portal.services.remittance_import import already_decided, settle_claim
from portal.services.remittance_posting import Plan, post_plan

STATUS_LABELS = {'1': 'Processed as primary', '2': 'Processed as secondary', '3': 'Processed as tertiary',
                 '4': 'Denied', '19': 'Primary, forwarded', '20': 'Secondary, forwarded',
                 '21': 'Tertiary, forwarded', '22': 'Reversal of an earlier payment', '23': 'Not our claim, forwarded',
                 '25': 'Predetermination'}
STATE_LABELS = {MatchState.matched: 'Matched', MatchState.open: 'Not matched',
                MatchState.matched_by_hand: 'Matched by hand', MatchState.not_ours: 'Not ours'}
PLB_LABELS = {'L6': 'Interest', 'WO': 'Overpayment recovery', 'FB': 'Forwarding balance', '72': 'Authorized return',
              'CS': 'Adjustment', 'J1': 'Non-reimbursable', 'IR': 'Internal Revenue Service withholding'}


@dataclass(frozen=True)
class RemittanceRow:
    id: int
    payer: str
    trace_number: str
    amount: int
    payment_date: date | None
    imported_at: datetime
    claims: int
    matched: int
    unmatched: int
    warnings: int


@dataclass(frozen=True)
class RemittanceClaimView:
    id: int
    claim_number: str
    status: str
    patient_name: str
    service_date: date | None
    billed: int
    paid: int
    patient_responsibility: int
    state: MatchState
    state_label: str
    claim_id: int | None
    account_id: int | None
    pairing: str  # "Reverses the payment in TRC-1 (line 12)" / "Reversed by the payment in TRC-2" / ''
    corrected: bool
    matched_claim_number: str  # the practice's claim it posted to ('' when none)


@dataclass(frozen=True)
class ProviderAdjustmentView:
    reason: str
    label: str
    reference: str
    amount: int  # as in the file: positive was taken off the payment


@dataclass(frozen=True)
class RemittanceDetail:
    row: RemittanceRow
    method: str
    file_name: str
    imported_by: str  # the staff member's name, or 'the command line'
    findings: tuple[str, ...]
    claims: tuple[RemittanceClaimView, ...]
    provider_adjustments: tuple[ProviderAdjustmentView, ...]


def _row(remittance: Remittance) -> RemittanceRow:
    return RemittanceRow(remittance.id, remittance.payer_name, remittance.trace_number, remittance.amount,
                         remittance.payment_date, remittance.imported_at, remittance.claims_count,
                         remittance.claims_matched, remittance.claims_unmatched, remittance.warnings_count)


def recent_remittances(session: Session, /, *, actor: Actor, limit: int = 100) -> tuple[RemittanceRow, ...]:
    """Past imports, newest first."""
    require_staff(session, actor, purpose='view_remittances')
    return tuple(_row(row) for row in session.exec(select(Remittance).order_by(col(Remittance.id).desc())
                                                   .limit(limit)).all())


def remittance_detail(session: Session, /, *, actor: Actor, remittance_id: int) -> RemittanceDetail:
    require_staff(session, actor, purpose='view_remittances')
    remittance = session.get(Remittance, remittance_id)
    if remittance is None:
        raise NotFound()
    rows = session.exec(select(RemittanceClaim).where(RemittanceClaim.remittance_id == remittance_id)
                        .order_by(col(RemittanceClaim.seq))).all()
    ids = [row.id for row in rows]
    reversed_by = {row.reverses_id: row for row in session.exec(select(RemittanceClaim).where(
        col(RemittanceClaim.reverses_id).in_(ids))).all()}
    originals = {row.id: row for row in session.exec(select(RemittanceClaim).where(
        col(RemittanceClaim.id).in_([row.reverses_id for row in rows if row.reverses_id]))).all()}
    traces = {r.id: r.trace_number for r in session.exec(select(Remittance).where(col(Remittance.id).in_(
        {row.remittance_id for row in (*reversed_by.values(), *originals.values())}))).all()}
    matched = {claim_id: (account_id, number) for claim_id, account_id, number in session.exec(
        select(Claim.id, Claim.account_id, Claim.claim_number).where(
            col(Claim.id).in_([row.claim_id for row in rows if row.claim_id]))).all()}
    claims = []
    for row in rows:
        pairing = ''
        if row.reverses_id in originals:
            original = originals[row.reverses_id]
            pairing = (f'Reverses the payment of {original.paid / 100:,.2f} in {traces[original.remittance_id]} '
                       f'(claim {original.claim_number}, line {original.line})')
        elif row.id in reversed_by:
            reversal = reversed_by[row.id]
            pairing = f'Reversed by the payment {traces[reversal.remittance_id]} (line {reversal.line})'
        claims.append(RemittanceClaimView(row.id, row.claim_number, STATUS_LABELS.get(row.status_code, row.status_code),
                                          row.patient_name, row.service_date, row.billed, row.paid,
                                          row.patient_responsibility, row.match_state, STATE_LABELS[row.match_state],
                                          row.claim_id, matched.get(row.claim_id, (None, ''))[0], pairing,
                                          row.corrected, matched.get(row.claim_id, (None, ''))[1]))
    plb = [ProviderAdjustmentView(item.reason_code, PLB_LABELS.get(item.reason_code, 'Provider adjustment'),
                                  item.reference, item.amount)
           for item in session.exec(select(ProviderLevelAdjustment).where(
               ProviderLevelAdjustment.remittance_id == remittance_id).order_by(col(ProviderLevelAdjustment.id))).all()]
    findings = tuple(line for line in remittance.findings.split('\n') if line)
    importer = session.get(User, remittance.imported_by_user_id) if remittance.imported_by_user_id else None
    imported_by = f'{importer.first_name} {importer.last_name}'.strip() if importer else 'the command line'
    audit.record(session, action='view_remittance', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='remittance', entity_id=remittance_id, source_ip=actor.ip, detail=f'{len(claims)} claims')
    return RemittanceDetail(_row(remittance), remittance.method, remittance.file_name, imported_by, findings,
                            tuple(claims), tuple(plb))


def _open_row(session: Session, remittance_claim_id: int) -> RemittanceClaim:
    # locked (PostgreSQL; SQLite's write transaction is already alone): two staff matching one claim at once
    # post once, the second is told it has been dealt with
    row = session.exec(select(RemittanceClaim).where(RemittanceClaim.id == remittance_claim_id)
                       .with_for_update()).first()
    if row is None:
        raise NotFound()
    if row.match_state != MatchState.open:
        raise ValidationFailed('This claim has been dealt with already.')
    return row


def _payment_of(session: Session, row: RemittanceClaim) -> ClaimPayment:
    """The claim payment as it was read, rebuilt from what the import stored."""
    adjustments = session.exec(select(RemittanceAdjustment).where(
        RemittanceAdjustment.remittance_claim_id == row.id).order_by(col(RemittanceAdjustment.id))).all()
    payment = ClaimPayment(line=row.line, claim_number=row.claim_number, status=row.status_code, billed=row.billed,
                           paid=row.paid, patient_responsibility=row.patient_responsibility,
                           payer_claim_number=row.payer_claim_number, service_date=row.service_date,
                           frequency='7' if row.corrected else '')
    payment.adjustments = [Adjustment(a.group_code, a.reason_code, a.amount, line=row.line) for a in adjustments
                           if a.remittance_line_id is None]
    for line in session.exec(select(RemittanceLine).where(RemittanceLine.remittance_claim_id == row.id)
                             .order_by(col(RemittanceLine.seq))).all():
        payment.lines.append(ServiceLine(line=row.line, qualifier='HC', code=line.code,
                                         modifiers=tuple(line.modifiers.split()), billed=line.billed, paid=line.paid,
                                         units=line.units, service_date=line.service_date,
                                         control_number=line.control_number,
                                         adjustments=[Adjustment(a.group_code, a.reason_code, a.amount, line=row.line)
                                                      for a in adjustments if a.remittance_line_id == line.id]))
    return payment


def _recount(session: Session, remittance: Remittance) -> None:
    states = session.exec(select(RemittanceClaim.match_state).where(
        RemittanceClaim.remittance_id == remittance.id)).all()
    remittance.claims_unmatched = sum(1 for state in states if state == MatchState.open)
    remittance.claims_matched = sum(1 for state in states if state in (MatchState.matched, MatchState.matched_by_hand))
    session.add(remittance)


def match_by_hand(session: Session, /, *, actor: Actor, remittance_claim_id: int, claim_number: str) -> tuple[str, ...]:
    """Match an unmatched claim payment to the practice's claim with this number and post it, as the import
    would have; returns the posting's warnings."""
    require_staff(session, actor, purpose='match_remittance')
    row = _open_row(session, remittance_claim_id)
    claim = session.exec(select(Claim).where(Claim.claim_number == claim_number.strip())).first()
    if claim is None:
        raise ValidationFailed('There is no claim with that number.',
                               field_errors={'claim_number': 'There is no claim with that number.'})
    remittance = session.get(Remittance, row.remittance_id)
    if row.status_code != '22':
        refused = already_decided(session, remittance=remittance, claim=claim, claim_number=claim.claim_number)
        if refused:
            raise ValidationFailed(refused[0].upper() + refused[1:] + '.', field_errors={'claim_number': refused})
    row.match_state, row.matched_by_user_id, row.matched_at = MatchState.matched_by_hand, actor.user_id, utcnow()
    plan = Plan()
    charges = list(session.exec(select(Charge).where(Charge.encounter_id == claim.encounter_id)
                                .order_by(col(Charge.id))).all())
    posted = settle_claim(session, plan, remittance=remittance, row=row, payment=_payment_of(session, row),
                          claim=claim, charges=charges, on=remittance.payment_date or practice_today(session),
                          claim_key=f'{row.claim_number}#{row.seq}')
    post_plan(session, plan)
    if row.match_state == MatchState.open:  # a reversal with nothing to reverse
        raise ValidationFailed(posted.warnings[0] if posted.warnings else 'Nothing could be posted for this claim.')
    session.add(row)
    _recount(session, remittance)
    account_money_moved(session, account_id=claim.account_id)
    audit.record(session, action='remittance_claim_matched', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='remittance_claim', entity_id=row.id, account_id=claim.account_id, source_ip=actor.ip)
    return tuple(posted.warnings)


def mark_not_ours(session: Session, /, *, actor: Actor, remittance_claim_id: int) -> None:
    """The payer sent a claim that is not this practice's: nothing posts, and it leaves the unmatched list."""
    require_staff(session, actor, purpose='match_remittance')
    row = _open_row(session, remittance_claim_id)
    row.match_state, row.matched_by_user_id, row.matched_at = MatchState.not_ours, actor.user_id, utcnow()
    session.add(row)
    _recount(session, session.get(Remittance, row.remittance_id))
    audit.record(session, action='remittance_claim_not_ours', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='remittance_claim', entity_id=row.id, source_ip=actor.ip)
