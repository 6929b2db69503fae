"""Importing 835 remittances: `import_835` reads and checks the file (`portal.interop.x12_835`), then, in
the caller's transaction, records each payment (payer + trace number, once), matches its claims and posts
them (`remittance_posting`), and runs the money-moved step for every account it touched.

A file with a fatal finding posts nothing (`Refused835`). Matching (005010X221A1 Loop 2100): CLP01 is
the claim number the practice submitted; together with the payer it finds the claim. CLP02 says which
payer this is for the claim (1/19 primary, 2/20 secondary, 3/21 tertiary): the payer must be the
claim's coverage's payer for a primary, or the patient's coverage of that priority. A claim not found
stays `open` for staff (match by hand, or mark not ours), and so does a claim this payer has already
decided (`already_decided`: a correction comes as a reversal, CLP02 22). A payment already imported (the same payer and
trace number) is skipped whole, and every ledger entry has its own key, so importing twice changes nothing.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_staff
from portal.interop.x12_835 import ClaimPayment, Read835, Remittance835, read_835
from portal.interop.x12_835_envelope import Finding
from portal.models import (
    Charge,
    Claim,
    Coverage,
    MatchState,
    Payer,
    ProviderLevelAdjustment,
    Remittance,
    RemittanceAdjustment,
    RemittanceClaim,
    RemittanceLine,
)
from portal.services.money_moved import account_money_moved
from portal.services.practice import practice, practice_today
from portal.services.remittance_posting import Plan, Posted, post_claim, post_plan, post_reversal

KEPT_FINDINGS = 1000  # findings stored with a remittance; a broken file can carry far more


class Refused835(Exception):
    """The file has fatal findings: nothing was posted."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(f'{len(findings)} fatal finding(s)')
        self.findings = findings


@dataclass(frozen=True)
class ImportedPayment:
    remittance_id: int
    payer: str
    trace_number: str
    amount: int
    claims: int
    matched: int
    unmatched: int
    already_imported: bool


@dataclass(frozen=True)
class Import835Report:
    payments: tuple[ImportedPayment, ...]
    warnings: tuple[str, ...]
    unmatched: tuple[str, ...] = field(default=())  # "claim C123 (line 14): not found for payer ACME"

    def describe(self) -> str:
        lines = [f'{"Already imported" if p.already_imported else "Imported"} payment {p.trace_number} from '
                 f'{p.payer}: {p.amount / 100:,.2f}, {p.matched} of {p.claims} claim(s) matched, {p.unmatched} '
                 f'unmatched.' for p in self.payments]
        lines += [f'Unmatched: {item}' for item in self.unmatched]
        lines += [f'Warning: {item}' for item in self.warnings]
        return '\n'.join(lines)


def _payer(session: Session, remittance: Remittance835) -> Payer | None:
    ids = {value.casefold() for value in (*remittance.payer_ids, remittance.originator) if value}
    payers = session.exec(select(Payer)).all()
    return next((payer for payer in payers if payer.payer_code.casefold() in ids), None) or \
        next((payer for payer in payers if payer.name.casefold() == remittance.payer_name.casefold()), None)


def _chunks(values: list, size: int = 500) -> list[list]:
    return [values[start:start + size] for start in range(0, len(values), size)]


@dataclass
class _Known:
    """What the claims of one remittance refer to, read in a few queries."""
    claims: dict[str, Claim]
    coverages: dict[int, list[Coverage]]  # patient id -> coverages
    charges: dict[int, list[Charge]]  # encounter id -> charges

    @classmethod
    def load(cls, session: Session, numbers: list[str]) -> _Known:
        claims = {claim.claim_number: claim for chunk in _chunks(sorted(set(numbers))) for claim in session.exec(
            select(Claim).where(col(Claim.claim_number).in_(chunk))).all()}
        patients = sorted({claim.patient_id for claim in claims.values()})
        encounters = sorted({claim.encounter_id for claim in claims.values()})
        coverages: dict[int, list[Coverage]] = {}
        for chunk in _chunks(patients):
            for coverage in session.exec(select(Coverage).where(col(Coverage.patient_id).in_(chunk))).all():
                coverages.setdefault(coverage.patient_id, []).append(coverage)
        charges: dict[int, list[Charge]] = {}
        for chunk in _chunks(encounters):
            for charge in session.exec(select(Charge).where(col(Charge.encounter_id).in_(chunk))
                                       .order_by(col(Charge.id))).all():
                charges.setdefault(charge.encounter_id, []).append(charge)
        return cls(claims, coverages, charges)

    def payer_fits(self, claim: Claim, payer: Payer | None, payment: ClaimPayment) -> bool:
        """Primary (CLP02 1/19, or unsaid): the claim's coverage's payer; secondary or tertiary: the patient's
        coverage of that priority with this payer."""
        if payer is None:
            return False
        order = payment.payer_order or 1
        mine = self.coverages.get(claim.patient_id, [])
        if order == 1 and claim.coverage_id is not None:
            return any(coverage.id == claim.coverage_id and coverage.payer_id == payer.id for coverage in mine)
        return any(coverage.payer_id == payer.id and coverage.priority == order for coverage in mine)


def _original(session: Session, remittance: Remittance, payment: ClaimPayment) -> RemittanceClaim | None:
    """The posted payment a reversal undoes: same claim number and payer, not reversed yet; the one with
    the same payer claim control number (CLP07) first, else the latest."""
    reversed_ids = select(RemittanceClaim.reverses_id).where(col(RemittanceClaim.reverses_id).is_not(None))
    same_payer = (Remittance.payer_id == remittance.payer_id) if remittance.payer_id is not None else \
        (Remittance.payer_name == remittance.payer_name)
    rows = session.exec(select(RemittanceClaim).join(Remittance, col(Remittance.id) == RemittanceClaim.remittance_id)
                        .where(RemittanceClaim.claim_number == payment.claim_number, same_payer,
                               RemittanceClaim.status_code != '22', col(RemittanceClaim.posted).is_(True),
                               col(RemittanceClaim.id).not_in(reversed_ids))
                        .order_by(col(RemittanceClaim.id).desc())).all()
    return next((row for row in rows if row.payer_claim_number == payment.payer_claim_number), None) or \
        (rows[0] if rows else None)


def already_decided(session: Session, /, *, remittance: Remittance, claim: Claim, claim_number: str) -> str:
    """Why this payer's claim payment must not post ('' when it may): the payer's earlier payment or denial of
    the claim, in another remittance, is posted and no reversal has taken it back. A payer corrects a decision
    by reversing it (CLP02 22) and sending the corrected claim; the same claim sent again under a new trace
    number would post every payment and write-off a second time. Another payer's (a secondary's) is not it."""
    reversed_ids = select(RemittanceClaim.reverses_id).where(col(RemittanceClaim.reverses_id).is_not(None))
    same_payer = (Remittance.payer_id == remittance.payer_id) if remittance.payer_id is not None else \
        (Remittance.payer_name == remittance.payer_name)
    found = session.exec(select(RemittanceClaim, Remittance)
                         .join(Remittance, col(Remittance.id) == RemittanceClaim.remittance_id)
                         .where(RemittanceClaim.claim_id == claim.id, same_payer, Remittance.id != remittance.id,
                                RemittanceClaim.status_code != '22', col(RemittanceClaim.posted).is_(True),
                                col(RemittanceClaim.id).not_in(reversed_ids))
                         .order_by(col(RemittanceClaim.id).desc())).first()
    if found is None:
        return ''
    earlier, paid_in = found
    when = paid_in.payment_date or practice(session).day_of(paid_in.imported_at)
    what = 'denied' if earlier.status_code == '4' or earlier.paid == 0 and earlier.patient_responsibility == 0 \
        else 'paid'
    return (f'claim {claim_number} was already {what} by {paid_in.payer_name} on {when:%b} {when.day}, {when.year} '
            f'(trace {paid_in.trace_number}); nothing posted: a correction comes as a reversal (CLP02 22)')


def _record_claims(session: Session, remittance: Remittance, payments: list[ClaimPayment]) -> list[RemittanceClaim]:
    """Every claim, line and adjustment as the payer sent it, in three batches."""
    rows = [RemittanceClaim(remittance_id=remittance.id, seq=seq, line=payment.line,
                            claim_number=payment.claim_number[:40], status_code=payment.status[:4],
                            payer_claim_number=payment.payer_claim_number[:50], billed=payment.billed,
                            paid=payment.paid, patient_responsibility=payment.patient_responsibility,
                            patient_name=payment.patient_name[:160], member_id=payment.patient_id[:80],
                            service_date=payment.service_date or next(
                                (line.service_date for line in payment.lines if line.service_date), None),
                            remarks=' '.join(payment.remarks)[:200], corrected=payment.is_corrected,
                            match_state=MatchState.open)
            for seq, payment in enumerate(payments, start=1)]
    session.add_all(rows)
    session.flush()
    connection = session.connection()
    line_rows = [{'remittance_claim_id': row.id, 'seq': number, 'code': service.code[:10],
                  'modifiers': ' '.join(service.modifiers)[:20], 'billed': service.billed, 'paid': service.paid,
                  'units': service.units, 'service_date': service.service_date,
                  'control_number': service.control_number[:50], 'remarks': ' '.join(service.remarks)[:200],
                  'charge_id': None}
                 for row, payment in zip(rows, payments, strict=True)
                 for number, service in enumerate(payment.lines, start=1)]
    for chunk in _chunks(line_rows, 5000):  # Core: building 20,000 model instances costs more than the INSERT
        connection.execute(insert(RemittanceLine), chunk)
    line_ids = {(claim_id, seq): line_id for claim_id, seq, line_id in connection.execute(
        select(RemittanceLine.remittance_claim_id, RemittanceLine.seq, RemittanceLine.id)
        .join(RemittanceClaim, col(RemittanceClaim.id) == RemittanceLine.remittance_claim_id)
        .where(RemittanceClaim.remittance_id == remittance.id)).all()}
    adjustments = [{'remittance_claim_id': row.id, 'remittance_line_id': None, 'group_code': item.group[:2],
                    'reason_code': item.reason[:8], 'amount': item.amount}
                   for row, payment in zip(rows, payments, strict=True) for item in payment.adjustments]
    adjustments += [{'remittance_claim_id': row.id, 'remittance_line_id': line_ids[row.id, number],
                     'group_code': item.group[:2], 'reason_code': item.reason[:8], 'amount': item.amount}
                    for row, payment in zip(rows, payments, strict=True)
                    for number, service in enumerate(payment.lines, start=1) for item in service.adjustments]
    for chunk in _chunks(adjustments, 5000):
        connection.execute(insert(RemittanceAdjustment), chunk)
    return rows


def settle_claim(session: Session, /, plan: Plan, *, remittance: Remittance, row: RemittanceClaim,
                 payment: ClaimPayment, claim: Claim, charges: list[Charge], on: date, claim_key: str = '') -> Posted:
    """Plan the posting of a matched claim (or of a reversal of an earlier one) and link it to the claim.
    `claim_key`: the claim number, made unique within its remittance (a number sent twice gets #seq)."""
    row.claim_id = claim.id
    payer_key = remittance.key.rsplit(':', 1)[0]
    claim_key = claim_key or payment.claim_number
    if payment.is_reversal:
        if plan.entries:
            post_plan(session, plan)  # the original may be in this very file
        original = _original(session, remittance, payment)
        if original is None:
            row.match_state = MatchState.open
            return Posted(warnings=[f'line {payment.line}, CLP02: a reversal of claim {payment.claim_number}, '
                                    f'whose payment Settle has no record of: nothing posted'])
        return post_reversal(session, plan, remittance=remittance, payer_key=payer_key, claim_key=claim_key, row=row,
                             payment=payment, original=original, claim=claim, on=on)
    refused = already_decided(session, remittance=remittance, claim=claim, claim_number=payment.claim_number)
    if refused:
        row.match_state = MatchState.open  # listed for staff, who can mark it not ours once they have looked
        return Posted(warnings=[f'line {payment.line}, CLP01: {refused}'])
    return post_claim(session, plan, remittance=remittance, payer_key=payer_key, claim_key=claim_key, row=row,
                      payment=payment, claim=claim, charges=charges, on=on)


def _already(existing: Remittance, payer_label: str, item: Remittance835) -> ImportedPayment:
    return ImportedPayment(existing.id, payer_label, item.trace_number, item.amount, existing.claims_count,
                           existing.claims_matched, existing.claims_unmatched, True)


def _import_payment(session: Session, actor: Actor | None, item: Remittance835, file_name: str, file_hash: str,
                    warnings: list[str], unmatched: list[str], touched: set[int]) -> ImportedPayment:
    unmatched_before = len(unmatched)
    payer = _payer(session, item)
    # the payer as the file names it (N104, else TRN03, else its name), never Settle's payer table: a payer
    # renamed or added in Settle later must not make the same payment a new one (and post it again)
    payer_key = (item.payer_ids or [item.originator or item.payer_name])[0][:40]
    key = f'{payer_key}:{item.trace_number}'[:120]
    payer_label = payer.name if payer else item.payer_name
    existing = session.exec(select(Remittance).where(Remittance.key == key)).first()
    if existing is not None:
        return _already(existing, payer_label, item)
    remittance = Remittance(key=key, payer_id=payer.id if payer else None, payer_name=payer_label[:120],
                            trace_number=item.trace_number[:50], amount=item.amount, method=item.method[:8],
                            payment_date=item.payment_date, file_name=file_name[:200], file_hash=file_hash,
                            imported_by_user_id=actor.user_id if actor else None,
                            plb_total=item.provider_adjustment_total, claims_count=len(item.claims))
    try:
        with session.begin_nested():  # another import of this payment may have committed since we looked
            session.add(remittance)
            session.flush()
    except IntegrityError:
        return _already(session.exec(select(Remittance).where(Remittance.key == key)).one(), payer_label, item)
    for plb in item.provider_adjustments:
        session.add(ProviderLevelAdjustment(remittance_id=remittance.id, provider_id=plb.provider_id[:50],
                                            fiscal_date=plb.fiscal_date, reason_code=plb.reason[:4],
                                            reference=plb.reference[:50], amount=plb.amount))
    on = item.payment_date or practice_today(session)
    known = _Known.load(session, [payment.claim_number for payment in item.claims])
    plan = Plan()
    seen: set[str] = set()
    for row, payment in zip(_record_claims(session, remittance, item.claims), item.claims, strict=True):
        claim_key = payment.claim_number if payment.claim_number not in seen else f'{payment.claim_number}#{row.seq}'
        seen.add(payment.claim_number)
        claim = known.claims.get(payment.claim_number)
        if claim is None or not known.payer_fits(claim, payer, payment):
            why = 'no such claim' if claim is None else f'the claim is not with {payer_label}'
            unmatched.append(f'claim {payment.claim_number} (line {payment.line}): {why}')
            continue
        row.match_state = MatchState.matched
        posted = settle_claim(session, plan, remittance=remittance, row=row, payment=payment, claim=claim,
                              charges=known.charges.get(claim.encounter_id, []), on=on, claim_key=claim_key)
        warnings.extend(posted.warnings)
        if posted.account_id is not None:
            touched.add(posted.account_id)
        if row.match_state == MatchState.open:
            why = 'reversal without its original' if payment.is_reversal else 'already decided by this payer'
            unmatched.append(f'claim {payment.claim_number} (line {payment.line}): {why}')
    post_plan(session, plan)
    remittance.claims_unmatched = len(unmatched) - unmatched_before
    remittance.claims_matched = remittance.claims_count - remittance.claims_unmatched
    audit.record(session, action='remittance_imported', actor_user_id=actor.user_id if actor else None,
                 actor_role=actor.role if actor else 'command_line', entity_type='remittance',
                 entity_id=remittance.id, source_ip=actor.ip if actor else '',
                 detail=f'claims={remittance.claims_count} matched={remittance.claims_matched}')
    return ImportedPayment(remittance.id, payer_label, item.trace_number, item.amount, remittance.claims_count,
                           remittance.claims_matched, remittance.claims_unmatched, False)


def import_835(session: Session, /, *, actor: Actor | None, data: bytes, file_name: str = '',
               read: Read835 | None = None) -> Import835Report:
    """Read, check and post one 835 file in the caller's transaction. `actor` None: the command line (the
    server's operator); otherwise staff only. Raises Refused835 (nothing written) on a fatal finding."""
    if actor is not None:
        require_staff(session, actor, purpose='import_835')
    read = read or read_835(data)
    if read.fatal:
        raise Refused835(read.fatal)
    file_hash = hashlib.sha256(data).hexdigest()
    warnings = [str(finding) for finding in read.warnings]
    unmatched: list[str] = []
    touched: set[int] = set()
    payments = [_import_payment(session, actor, item, file_name, file_hash, warnings, unmatched, touched)
                for item in read.remittances]
    for payment in payments:
        remittance = session.get(Remittance, payment.remittance_id)
        if remittance is not None and not payment.already_imported:
            remittance.findings = '\n'.join(warnings[:KEPT_FINDINGS])  # the count says how many there were
            remittance.warnings_count = len(warnings)
    for account_id in sorted(touched):
        account_money_moved(session, account_id=account_id)
    session.flush()
    return Import835Report(tuple(payments), tuple(warnings), tuple(unmatched))

