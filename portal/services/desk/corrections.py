"""Corrections, never edits: a charge posted with the wrong code, patient or amount is voided (and, to
re-point it, posted again right), and a mistaken write-off is reversed, each as a `correction` ledger entry
that names the entry it corrects (`corrects_entry_id`) and its kind (`corrects_kind`), so statements put
it in that kind's line and the statement identity stays true. A line is corrected at most once. A desk
adjustment posted as one write-off per charge (desk/adjustments.py) is reversed whole: every one of its
entries gets its own correction on the same charge, so each charge's balance gets back what it lost."""
from __future__ import annotations

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_account, require_staff
from portal.errors import NotFound, ValidationFailed
from portal.models import Charge, Encounter, LedgerEntry, LedgerKind, Patient
from portal.money import AmountError, parse_amount
from portal.reference.codes import procedures
from portal.services import ledger
from portal.services.desk import adjustments
from portal.services.money_moved import account_money_moved
from portal.services.payments.attempts import lock_account
from portal.services.practice import practice_today


def _entry(session: Session, actor: Actor, entry_id: int, kind: LedgerKind) -> LedgerEntry:
    require_staff(session, actor, purpose='post_correction')
    entry = session.get(LedgerEntry, entry_id)
    if entry is None:
        raise NotFound()
    require_account(session, actor, entry.account_id, purpose='post_correction')
    lock_account(session, entry.account_id)  # two clerks correcting the same line at once: one goes through
    if entry.kind != kind:
        raise ValidationFailed('This line cannot be corrected this way.')
    already = session.exec(select(LedgerEntry.id).where(LedgerEntry.account_id == entry.account_id,
                                                        LedgerEntry.corrects_entry_id == entry.id)).first()
    if already is not None:
        raise ValidationFailed('This line was already corrected.')
    return entry


def _why(reason: str) -> str:
    text = (reason or '').strip()
    if not text:
        raise ValidationFailed('Say what was wrong (no health details).',
                               field_errors={'reason': 'Say what was wrong.'})
    return text[:200]


def _correct(session: Session, actor: Actor, entry: LedgerEntry, why: str) -> LedgerEntry:
    correction, _ = ledger.post(session, account_id=entry.account_id, kind=LedgerKind.correction, amount=-entry.amount,
                                external_ref=f'correction:{entry.id}', effective_date=practice_today(session),
                                currency=entry.currency, corrects_entry_id=entry.id, corrects_kind=entry.kind,
                                charge_id=entry.charge_id, patient_id=entry.patient_id, memo=why,
                                created_by_user_id=actor.user_id)
    session.flush()
    audit.record(session, action='correction_posted', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='ledger_entry', entity_id=correction.id, account_id=entry.account_id, source_ip=actor.ip,
                 detail=f'corrects={entry.id} kind={entry.kind}')
    return correction


def void_charge(session: Session, /, *, actor: Actor, entry_id: int, reason: str) -> int:
    """Take a wrongly posted charge off the account; returns the correction's id."""
    entry = _entry(session, actor, entry_id, LedgerKind.charge)
    correction = _correct(session, actor, entry, _why(reason))
    account_money_moved(session, account_id=entry.account_id)
    return correction.id


def reverse_write_off(session: Session, /, *, actor: Actor, entry_id: int, reason: str) -> int:
    """Put a mistaken write-off (adjustment) back on the account; returns the correction's id."""
    entry = _entry(session, actor, entry_id, LedgerKind.write_off)
    why = _why(reason)
    correction = _correct(session, actor, entry, why)
    for sibling in _same_adjustment(session, entry):
        _correct(session, actor, sibling, why)
    account_money_moved(session, account_id=entry.account_id)
    return correction.id


def _same_adjustment(session: Session, entry: LedgerEntry) -> list[LedgerEntry]:
    """The other, still uncorrected write-offs of the desk adjustment `entry` belongs to (none for others)."""
    parts = (entry.external_ref or '').split(':')
    if len(parts) < 2 or parts[0] != 'adjustment' or not parts[1].isdigit():
        return []
    siblings = [row for row in adjustments.entries_of(session, int(parts[1]))
                if row.id != entry.id and row.account_id == entry.account_id and row.kind == LedgerKind.write_off]
    if not siblings:
        return []
    corrected = set(session.exec(select(LedgerEntry.corrects_entry_id).where(
        LedgerEntry.account_id == entry.account_id,
        col(LedgerEntry.corrects_entry_id).in_([row.id for row in siblings]))))
    return [row for row in siblings if row.id not in corrected]


def repoint_charge(session: Session, /, *, actor: Actor, entry_id: int, reason: str, code: str, patient_id: int,
                   amount_text: str) -> int:
    """Void a charge posted with the wrong code, patient or amount and post it again as it should have been
    (same visit date and provider); returns the new charge's ledger entry id."""
    entry = _entry(session, actor, entry_id, LedgerKind.charge)
    why = _why(reason)
    old = session.get(Charge, entry.charge_id) if entry.charge_id else None
    if old is None:
        raise ValidationFailed('This charge has no visit to post again: void it instead.')
    wanted = (code or '').strip().upper()
    procedure = procedures().get(wanted)
    if procedure is None:
        raise ValidationFailed('Use a CPT or HCPCS code from the list.', field_errors={'code': 'Unknown code.'})
    patient = session.get(Patient, patient_id)
    if patient is None or patient.account_id != entry.account_id:
        raise ValidationFailed('Choose a patient on this account.', field_errors={'patient': 'Not on this account.'})
    try:
        amount = parse_amount(amount_text, verb='charge', currency=entry.currency)
    except AmountError as error:
        raise ValidationFailed(str(error), field_errors={'amount': str(error)}) from None
    if (wanted, patient.id, amount) == (old.code, old.patient_id, old.amount):
        raise ValidationFailed('Nothing changed: change the code, the patient or the amount.')
    _correct(session, actor, entry, why)
    encounter = session.get(Encounter, old.encounter_id)
    assert encounter is not None
    if patient.id != encounter.patient_id:  # the visit was someone else's: the same visit, for the right patient
        encounter = Encounter(account_id=entry.account_id, patient_id=patient.id, provider_id=encounter.provider_id,
                              location_id=encounter.location_id, date_of_service=encounter.date_of_service,
                              visit_type=encounter.visit_type)
        session.add(encounter)
        session.flush()
    charge = Charge(encounter_id=encounter.id, account_id=entry.account_id, patient_id=patient.id, code=wanted,
                    code_system=procedure.system,
                    description=procedure.description, amount=amount, currency=entry.currency,
                    date_of_service=old.date_of_service)
    session.add(charge)
    session.flush()
    new_entry, _ = ledger.post(session, account_id=entry.account_id, kind=LedgerKind.charge, amount=amount,
                               external_ref=f'repointed:{entry.id}', effective_date=practice_today(session),
                               currency=entry.currency, charge_id=charge.id, patient_id=patient.id,
                               memo=why, created_by_user_id=actor.user_id)
    session.flush()
    account_money_moved(session, account_id=entry.account_id)
    return new_entry.id


def correctable_codes() -> dict[str, str]:
    """code -> 'code · description' for the re-point dialog."""
    return {code: f'{code} · {p.description}' for code, p in sorted(procedures().items())}

