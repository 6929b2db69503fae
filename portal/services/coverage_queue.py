"""The office's coverage verification queue: coverage the patient added or changed since it was last
verified, oldest first. Staff verify it, correct it (the patient sees which fields changed), enter the
benefits snapshot (money in minor units), or ask the patient through a staff-started message thread
(which emails them without PHI and counts on their Messages badge). Every change is audited.

- `queue(session, actor=, limit=50)` -> (QueueItem, ...)
- `verify(session, actor=, coverage_id=)`
- `correct(session, actor=, coverage_id=, form=)` -> the labels of the fields that changed
- `record_benefits(session, actor=, coverage_id=, benefits=)`
- `ask_patient(session, actor=, coverage_id=, body=)` -> thread id
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_staff
from portal.clock import utcnow
from portal.errors import ValidationFailed
from portal.models import GuarantorAccount, Patient
from portal.models.insurance import Coverage, Payer
from portal.services import coverage, files
from portal.services.coverage import Benefits, CoverageForm, CoverageView
from portal.services.messaging.staff_threads import start_thread
from portal.services.practice import practice_today

_LABELS = {'payer_id': 'insurance company', 'plan_name': 'plan', 'member_id': 'member id',
           'group_number': 'group number', 'subscriber_name': 'subscriber', 'subscriber_relationship': 'relationship',
           'priority': 'priority', 'effective_from': 'start date', 'effective_to': 'end date'}
MAX_MONEY = 10_000_000_00  # minor units: no benefit figure is above $10 million


@dataclass(frozen=True)
class QueueItem:
    coverage: CoverageView
    account_id: int
    account_number: str
    patient_name: str
    waiting_since: datetime  # UTC: the patient's change, or when the coverage was recorded
    is_new: bool  # never verified


def queue(session: Session, /, *, actor: Actor, limit: int = 50) -> tuple[QueueItem, ...]:
    """Coverage waiting for the office, oldest first."""
    require_staff(session, actor, purpose='coverage_queue')
    since = func.coalesce(Coverage.changed_at, Coverage.created_at)
    rows = session.exec(
        select(Coverage, Patient, GuarantorAccount, Payer)
        .join(Patient, col(Patient.id) == Coverage.patient_id)
        .join(GuarantorAccount, col(GuarantorAccount.id) == Patient.account_id)
        .join(Payer, col(Payer.id) == Coverage.payer_id)
        .where(or_(col(Coverage.verified_at).is_(None), col(Coverage.changed_at) > Coverage.verified_at))
        .order_by(since, Coverage.id).limit(limit)).all()
    cards = files.files_of(session, owner_kind=coverage.CARD_KIND, owner_ids=[row.id for row, *_ in rows])
    return tuple(QueueItem(coverage.view(row, payer.name, cards.get(row.id, [])), account.id,
                           account.account_number, f'{patient.first_name} {patient.last_name}',
                           row.changed_at or row.created_at, row.verified_at is None)
                 for row, patient, account, payer in rows)


def _mark_verified(session: Session, actor: Actor, row: Coverage, *, corrected: str) -> None:
    row.verified_at, row.verified_by_user_id, row.corrected_fields = utcnow(), actor.user_id, corrected
    session.add(row)


def verify(session: Session, /, *, actor: Actor, coverage_id: int) -> None:
    """The office checked this coverage with the payer: the patient sees "Verified on <date>"."""
    require_staff(session, actor, purpose='verify_coverage')
    row, account_id = coverage.owned(session, actor, coverage_id, purpose='verify_coverage')
    _mark_verified(session, actor, row, corrected='')
    audit.record(session, action='verify_coverage', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='coverage', entity_id=row.id, account_id=account_id, source_ip=actor.ip)


def correct(session: Session, /, *, actor: Actor, coverage_id: int, form: CoverageForm) -> tuple[str, ...]:
    """Store the office's corrected values and verify; the patient sees the labels of what changed.
    Same rules as the patient's form (ValidationFailed, nothing stored)."""
    require_staff(session, actor, purpose='correct_coverage')
    row, account_id = coverage.owned(session, actor, coverage_id, purpose='correct_coverage')
    if form.member_id == coverage.mask(row.member_id):
        form = CoverageForm(**{**form.__dict__, 'member_id': row.member_id})
    values = coverage.clean(session, form, patient_id=row.patient_id, coverage_id=row.id)
    changed = tuple(_LABELS[name] for name, value in values.items() if getattr(row, name) != value)
    for name, value in values.items():
        setattr(row, name, value)
    _mark_verified(session, actor, row, corrected=','.join(changed))
    audit.record(session, action='correct_coverage', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='coverage', entity_id=row.id, account_id=account_id, source_ip=actor.ip,
                 detail='fields=' + ','.join(name for name, value in values.items() if name in _LABELS)[:180]
                 if changed else 'no change')
    return changed


def record_benefits(session: Session, /, *, actor: Actor, coverage_id: int, benefits: Benefits) -> None:
    """The benefits snapshot the office read from the payer (each figure None or 0..MAX_MONEY minor units)."""
    require_staff(session, actor, purpose='record_benefits')
    row, account_id = coverage.owned(session, actor, coverage_id, purpose='record_benefits')
    amounts = {'copay': benefits.copay, 'deductible_met': benefits.deductible_met,
               'deductible_remaining': benefits.deductible_remaining,
               'out_of_pocket_met': benefits.out_of_pocket_met,
               'out_of_pocket_remaining': benefits.out_of_pocket_remaining}
    errors = {name: 'Give an amount from 0 to $10,000,000.' for name, value in amounts.items()
              if value is not None and not 0 <= value <= MAX_MONEY}
    if benefits.as_of > practice_today(session):  # the practice's calendar day, not the UTC one
        errors['as_of'] = 'The date cannot be in the future.'
    if errors:
        raise ValidationFailed('Check the highlighted fields: nothing was saved.', field_errors=errors)
    row.benefits_as_of = benefits.as_of
    for name, value in amounts.items():
        setattr(row, name, value)
    session.add(row)
    audit.record(session, action='record_benefits', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='coverage', entity_id=row.id, account_id=account_id, source_ip=actor.ip)


def ask_patient(session: Session, /, *, actor: Actor, coverage_id: int, body: str) -> int:
    """Start a message thread to the patient's account about this coverage; returns the thread id."""
    require_staff(session, actor, purpose='ask_about_coverage')
    row, account_id = coverage.owned(session, actor, coverage_id, purpose='ask_about_coverage')
    thread_id = start_thread(session, actor=actor, account_id=account_id, category='insurance_update',
                             subject='A question about your insurance', body=body,
                             idempotency_key=None)
    audit.record(session, action='ask_about_coverage', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='coverage', entity_id=row.id, account_id=account_id, source_ip=actor.ip,
                 detail=f'thread={thread_id}')
    return thread_id
