"""Insurance coverage as the patient sees and keeps it: per patient on their accounts, the payer, plan,
member id (masked but for the last 4 until revealed, and the reveal is audited), group, subscriber,
priority, dates, the office's verification and the benefits snapshot (money in minor units), and
photos of the card (front and back) through the file service (owner kind 'coverage_card').

- `coverage_page(session, actor=)` -> (AccountCoverage, ...): every account the actor may act on.
- `reveal_member_id(session, actor=, coverage_id=)` -> str, audited.
- `save_coverage(session, actor=, patient_id=, coverage_id=None, form=)` -> coverage id: add or change;
  bad input is ValidationFailed with field errors and nothing is stored.
- `end_coverage(session, actor=, coverage_id=, end=)`: the coverage ends on `end`.
- `attach_card(session, actor=, coverage_id=, side=, name=, data=)` -> StoredFileView: a card photo,
  replacing that side's earlier one; a refused file is FileRefused and nothing is stored.
Another account's coverage or card is Refused (a NotFound), audited by `require_account`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath

from sqlalchemy import delete
from sqlalchemy.orm import object_session
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, account_relationships, require_account
from portal.clock import utcnow
from portal.errors import NotFound, ValidationFailed
from portal.models import GuarantorAccount, Patient, StoredFile
from portal.models.insurance import Coverage, Payer
from portal.services import file_disk, files
from portal.services.files import StoredFileView
from portal.services.practice import practice

CARD_KIND = 'coverage_card'
SIDES = ('front', 'back')
PRIORITIES = {1: 'Primary', 2: 'Secondary', 3: 'Tertiary'}
RELATIONSHIPS = {'self': 'Self', 'spouse': 'Spouse', 'child': 'Child', 'other': 'Other'}
# 30: the longest US member ids (commercial plans' alphanumeric ids with a prefix) stay under 20, Medicare's
# MBI is 11; 30 leaves room for a suffix and refuses pasted paragraphs. Letters, digits, spaces, hyphens.
MEMBER_ID_MAX = 30
_MEMBER_ID = re.compile(rf'[A-Za-z0-9][A-Za-z0-9 -]{{0,{MEMBER_ID_MAX - 1}}}')
_TEXT = re.compile(r'[^\x00-\x1f\x7f-\x9f]*')  # no control characters in names and numbers


@dataclass(frozen=True)
class CoverageForm:
    payer_id: int | None
    plan_name: str
    member_id: str
    group_number: str
    subscriber_name: str
    subscriber_relationship: str
    priority: int
    effective_from: date | None
    effective_to: date | None


@dataclass(frozen=True)
class Benefits:
    as_of: date
    copay: int | None  # minor units
    deductible_met: int | None
    deductible_remaining: int | None
    out_of_pocket_met: int | None
    out_of_pocket_remaining: int | None


@dataclass(frozen=True)
class CoverageView:
    id: int
    patient_id: int
    payer_name: str
    plan_name: str
    member_id_masked: str  # '•••• 1234'
    group_number: str
    subscriber_name: str
    relationship: str  # 'Self', 'Spouse', ...
    priority: int
    priority_label: str  # 'Primary', ...
    effective_from: date | None
    effective_to: date | None
    verified_on: date | None  # None: "We are checking this"
    corrected_fields: tuple[str, ...]  # labels the office corrected at its last verification
    benefits: Benefits | None
    card_front: StoredFileView | None
    card_back: StoredFileView | None
    form: CoverageForm  # the current values, for the change form (member id masked)


@dataclass(frozen=True)
class PatientCoverage:
    patient_id: int
    name: str
    coverages: tuple[CoverageView, ...]


@dataclass(frozen=True)
class AccountCoverage:
    account_id: int
    account_number: str
    patients: tuple[PatientCoverage, ...]
    payers: dict[int, str] = field(default_factory=dict)  # payer id -> name, for the form


def mask(member_id: str) -> str:
    """All but the last 4 characters hidden: '•••• 1234'."""
    return '•••• ' + member_id[-4:] if len(member_id) > 4 else member_id


def payers(session: Session, /) -> dict[int, str]:
    return {row.id: row.name for row in session.exec(select(Payer).order_by(Payer.name)).all()}


def view(row: Coverage, payer_name: str, cards: list[StoredFileView]) -> CoverageView:
    """The patient-facing view of one coverage row (`cards`: its stored card files)."""
    side = {card.name.split('.')[0].removeprefix('card-'): card for card in cards}
    benefits = None if row.benefits_as_of is None else Benefits(
        row.benefits_as_of, row.copay, row.deductible_met, row.deductible_remaining, row.out_of_pocket_met,
        row.out_of_pocket_remaining)
    form = CoverageForm(row.payer_id, row.plan_name, mask(row.member_id), row.group_number, row.subscriber_name,
                        row.subscriber_relationship, row.priority, row.effective_from, row.effective_to)
    fresh = row.verified_at is not None and (row.changed_at is None or row.changed_at <= row.verified_at)
    return CoverageView(row.id, row.patient_id, payer_name, row.plan_name, mask(row.member_id), row.group_number,
                        row.subscriber_name, RELATIONSHIPS.get(row.subscriber_relationship, 'Other'), row.priority,
                        PRIORITIES.get(row.priority, 'Other'), row.effective_from, row.effective_to,
                        practice(object_session(row)).day_of(row.verified_at) if fresh and row.verified_at else None,
                        tuple(label for label in row.corrected_fields.split(',') if label) if fresh else (),
                        benefits, side.get('front'), side.get('back'), form)


def coverage_page(session: Session, /, *, actor: Actor) -> tuple[AccountCoverage, ...]:
    """The coverage of every patient on the actor's accounts, primary first."""
    names = payers(session)
    found = []
    for account_id in account_relationships(session, actor.user_id):
        require_account(session, actor, account_id, purpose='view_coverage')
        account = session.get(GuarantorAccount, account_id)
        people = session.exec(select(Patient).where(Patient.account_id == account_id).order_by(Patient.id)).all()
        rows = session.exec(select(Coverage).where(col(Coverage.patient_id).in_([p.id for p in people]))
                            .order_by(Coverage.priority, Coverage.id)).all()
        cards = files.files_of(session, owner_kind=CARD_KIND, owner_ids=[row.id for row in rows])
        patients = tuple(PatientCoverage(p.id, f'{p.first_name} {p.last_name}', tuple(
            view(row, names.get(row.payer_id, ''), cards.get(row.id, []))
            for row in rows if row.patient_id == p.id)) for p in people)
        found.append(AccountCoverage(account_id, account.account_number if account else '', patients, names))
    return tuple(found)


def owned(session: Session, /, actor: Actor, coverage_id: int, *, purpose: str,
          audit_view: bool = True) -> tuple[Coverage, int]:
    """The coverage row and its account id, once the actor may act on that account (else Refused);
    `audit_view` as for `require_account`."""
    row = session.get(Coverage, coverage_id)
    patient = session.get(Patient, row.patient_id) if row is not None else None
    if row is None or patient is None:
        raise NotFound()
    require_account(session, actor, patient.account_id, purpose=purpose, audit_view=audit_view)
    return row, patient.account_id


def reveal_member_id(session: Session, /, *, actor: Actor, coverage_id: int) -> str:
    """The whole member id; every reveal is audited."""
    row, account_id = owned(session, actor, coverage_id, purpose='reveal_member_id')
    audit.record(session, action='reveal_member_id', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='coverage', entity_id=row.id, account_id=account_id, source_ip=actor.ip)
    return row.member_id


def clean(session: Session, /, form: CoverageForm, *, patient_id: int, coverage_id: int | None) -> dict[str, object]:
    """The form's values ready to store; ValidationFailed naming each bad field otherwise."""
    errors: dict[str, str] = {}
    member_id = form.member_id.strip()
    if not _TEXT.fullmatch(form.member_id):
        errors['member_id'] = 'The member id has characters that cannot be in one. Type it as it is on the card.'
    elif len(member_id) > MEMBER_ID_MAX:
        errors['member_id'] = f'A member id has at most {MEMBER_ID_MAX} characters. Type it as it is on the card.'
    elif not _MEMBER_ID.fullmatch(member_id):
        errors['member_id'] = 'Type the member id as it is on the card: letters, digits, spaces and hyphens.'
    if form.payer_id is None or session.get(Payer, form.payer_id) is None:
        errors['payer_id'] = 'Choose your insurance company from the list.'
    texts = {'plan_name': (form.plan_name, 120), 'group_number': (form.group_number, 40),
             'subscriber_name': (form.subscriber_name, 160)}
    for name, (text, longest) in texts.items():
        if not _TEXT.fullmatch(text) or len(text.strip()) > longest:
            errors[name] = f'Use at most {longest} letters, digits and spaces.'
    if not form.subscriber_name.strip() and 'subscriber_name' not in errors:
        errors['subscriber_name'] = 'Give the name of the person who holds this insurance.'
    if form.subscriber_relationship not in RELATIONSHIPS:
        errors['subscriber_relationship'] = 'Choose how the patient is related to the subscriber.'
    if form.priority not in PRIORITIES:
        errors['priority'] = 'Choose primary, secondary or tertiary.'
    if form.effective_from and form.effective_to and form.effective_to < form.effective_from:
        errors['effective_to'] = 'The end date is before the start date.'
    elif form.priority in PRIORITIES and _overlapping(session, form, patient_id=patient_id, coverage_id=coverage_id):
        label = PRIORITIES[form.priority].lower()
        errors['priority'] = f'This patient already has {label} insurance for these dates. End that one first, ' \
                             'or choose another priority.'
    if errors:
        raise ValidationFailed('Check the highlighted fields: nothing was saved.', field_errors=errors)
    return {'payer_id': form.payer_id, 'plan_name': form.plan_name.strip(), 'member_id': member_id,
            'group_number': form.group_number.strip(), 'subscriber_name': form.subscriber_name.strip(),
            'subscriber_relationship': form.subscriber_relationship, 'priority': form.priority,
            'effective_from': form.effective_from, 'effective_to': form.effective_to}


def _overlapping(session: Session, form: CoverageForm, *, patient_id: int, coverage_id: int | None) -> bool:
    """Another coverage of this patient with the same priority over any of the same days (None: open)."""
    for other in session.exec(select(Coverage).where(Coverage.patient_id == patient_id,
                                                     Coverage.priority == form.priority)).all():
        if other.id == coverage_id:
            continue
        starts_before_other_ends = other.effective_to is None or form.effective_from is None \
            or form.effective_from <= other.effective_to
        ends_after_other_starts = other.effective_from is None or form.effective_to is None \
            or form.effective_to >= other.effective_from
        if starts_before_other_ends and ends_after_other_starts:
            return True
    return False


def save_coverage(session: Session, /, *, actor: Actor, patient_id: int, form: CoverageForm,
                  coverage_id: int | None = None) -> int:
    """Add (coverage_id None) or change a patient's coverage; it goes to the office's queue. A member id
    left masked ('•••• 1234') keeps the stored one. Returns the coverage id."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound()
    require_account(session, actor, patient.account_id, purpose='change_coverage')
    row = None
    if coverage_id is not None:
        row, _account = owned(session, actor, coverage_id, purpose='change_coverage')
        if row.patient_id != patient_id:
            raise NotFound()
        if form.member_id == mask(row.member_id):
            form = CoverageForm(**{**form.__dict__, 'member_id': row.member_id})
    values = clean(session, form, patient_id=patient_id, coverage_id=coverage_id)
    if row is None:
        row = Coverage(patient_id=patient_id, **values)  # type: ignore[arg-type]
    else:
        for name, value in values.items():
            setattr(row, name, value)
    row.changed_at = utcnow()
    row.corrected_fields = ''
    session.add(row)
    session.flush()
    audit.record(session, action='change_coverage' if coverage_id else 'add_coverage', actor_user_id=actor.user_id,
                 actor_role=actor.role, entity_type='coverage', entity_id=row.id, account_id=patient.account_id,
                 source_ip=actor.ip)
    return int(row.id)  # type: ignore[arg-type]


def end_coverage(session: Session, /, *, actor: Actor, coverage_id: int, end: date | None) -> None:
    """The coverage ends on `end` (on or after its start); it goes to the office's queue."""
    row, account_id = owned(session, actor, coverage_id, purpose='change_coverage')
    if end is None:
        raise ValidationFailed('Give the last day of this coverage.', field_errors={'end': 'Give a date.'})
    if row.effective_from and end < row.effective_from:
        raise ValidationFailed('The end date is before the start date.', field_errors={'end': 'Before the start.'})
    row.effective_to, row.changed_at, row.corrected_fields = end, utcnow(), ''
    session.add(row)
    audit.record(session, action='end_coverage', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='coverage', entity_id=row.id, account_id=account_id, source_ip=actor.ip)


def attach_card(session: Session, /, *, actor: Actor, coverage_id: int, side: str, name: str,
                data: bytes) -> StoredFileView:
    """Keep a photo of the card's `side` ('front' or 'back'), replacing the earlier one."""
    if side not in SIDES:
        raise ValidationFailed('Choose the front or the back of the card.')
    row, account_id = owned(session, actor, coverage_id, purpose='change_coverage')
    files.check_upload(name, data)  # refused with the patient's own file name in the message
    earlier = session.exec(select(StoredFile).where(StoredFile.owner_kind == CARD_KIND,
                                                    StoredFile.owner_id == coverage_id)).all()
    for old in earlier:
        if old.name.startswith(f'card-{side}.'):
            file_disk.remove_later(session, old.storage_key)
            session.execute(delete(StoredFile).where(StoredFile.id == old.id))
    stored = files.store(session, owner_kind=CARD_KIND, owner_id=coverage_id,
                         name=f'card-{side}{PurePath(name).suffix[:8]}', data=data, uploaded_by=actor.user_id)
    row.changed_at = utcnow()
    session.add(row)
    audit.record(session, action='attach_coverage_card', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='coverage', entity_id=row.id, account_id=account_id, source_ip=actor.ip,
                 detail=f'side={side}')
    return stored


def _may_see_card(session: Session, actor: Actor, coverage_id: int) -> int:
    """The coverage's account id, for whoever may act on it (refusals audited); the file service audits the view."""
    return owned(session, actor, coverage_id, purpose='view_coverage_card', audit_view=False)[1]


def _present(session: Session, ids: list[int]) -> set[int]:
    return set(session.exec(select(Coverage.id).where(col(Coverage.id).in_(ids))).all())  # type: ignore[arg-type]


files.register_access(CARD_KIND, _may_see_card, owners_present=_present)

