"""Adjustments and write-offs a clerk posts with a reason code, never more than the open balance.

Up to the practice's `adjustment_approval_limit` (minor units) one posts at once. Above it the request waits
in the approval queue (/staff/approvals) for an admin other than the requester. A practice with one admin:
that admin's own request over the limit posts only after a second confirmation with a typed reason, and
the audit log marks it (`adjustment_self_approved`).

Posting applies the adjustment to the account's open charges, so each charge's balance and the dashboard's
A/R follow it (`_split`): charges the patient is asked for now first, then charges still held for
insurance, each group oldest date of service first (then oldest charge), never more than a charge's open
amount. Patient-first keeps the patient's due-now exactly what a whole-account write-off gave (it lowers
the balance and leaves what waits for insurance alone). Only what no open charge can take (a balance not on
any charge) stays one entry on the account. Each part is a `write_off` ledger entry whose memo is the
reason code (shown in words), keyed `adjustment:<request id>:charge:<charge id>` (the account-level part
`adjustment:<request id>:account`): all share the prefix `adjustment:<request id>`, so a retry posts nothing
twice. Then the money-moved step. Reversing any of them reverses them all (corrections.reverse_write_off)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from portal import audit
from portal.auth.permissions import Actor, require_account, require_admin, require_staff
from portal.clock import utcnow
from portal.errors import NotFound, ValidationFailed
from portal.models import Charge, GuarantorAccount, LedgerEntry, LedgerKind, PracticeSettings, Role, User
from portal.models.desk import AdjustmentReason, AdjustmentRequest, AdjustmentStatus
from portal.money import AmountError, format_money, parse_amount
from portal.services import ledger
from portal.services.money_moved import account_money_moved
from portal.services.payable import open_on_charges, pending_charge_ids
from portal.services.payments.attempts import lock_account
from portal.services.person_names import full_name, guarantor_name
from portal.services.practice import practice_today

REASONS = {reason.value: reason.label for reason in AdjustmentReason}


class NeedsSecondConfirmation(ValidationFailed):
    """The practice's only admin, over the limit: confirm again with a typed reason."""


@dataclass(frozen=True)
class AdjustmentOutcome:
    request_id: int
    posted: bool  # False: waiting for another admin
    message: str


@dataclass(frozen=True)
class ApprovalItem:
    id: int
    account_id: int
    account_number: str
    guarantor: str
    amount: int
    currency: str
    reason: str
    note: str
    requested_by: str
    requested_at: datetime
    mine: bool  # the viewer asked for it: they may not approve it


def _amount(text: str, *, balance: int, currency: str) -> int:
    if balance <= 0:
        raise ValidationFailed('Nothing is owed on this account: there is nothing to adjust.',
                               field_errors={'amount': 'Nothing is owed on this account.'})
    try:
        return parse_amount(text, maximum=balance, verb='adjust', currency=currency)
    except AmountError as error:
        raise ValidationFailed(str(error), field_errors={'amount': str(error)}) from None


def _reason(value: str) -> AdjustmentReason:
    if value not in REASONS:
        raise ValidationFailed('Choose a reason.', field_errors={'reason': 'Choose a reason.'})
    return AdjustmentReason(value)


DEFAULT_LIMIT = 10_000


def approval_limit(session: Session, /) -> int:
    """The practice's adjustment_approval_limit (minor units); the default without a settings row."""
    limit = session.connection().execute(select(PracticeSettings.adjustment_approval_limit)
                                         .order_by(col(PracticeSettings.id)).limit(1)).scalar()
    return DEFAULT_LIMIT if limit is None else int(limit)


def admin_count(session: Session, /) -> int:
    return int(session.connection().execute(select(func.count()).select_from(User).where(
        User.role == Role.admin, col(User.is_active).is_(True))).scalar_one())


def request_adjustment(session: Session, /, *, actor: Actor, account_id: int, amount_text: str, reason: str,
                       note: str = '', self_approval_reason: str | None = None) -> AdjustmentOutcome:
    """Post now (up to the limit), queue for another admin (over it), or, for a practice's only admin,
    post after the second confirmation (`self_approval_reason`, typed); NeedsSecondConfirmation asks for it."""
    require_staff(session, actor, purpose='request_adjustment')
    require_account(session, actor, account_id, purpose='request_adjustment')
    account = session.get(GuarantorAccount, account_id)
    assert account is not None
    why = _reason(reason)
    lock_account(session, account_id)  # two clerks at once cannot both take the same balance off (PostgreSQL)
    amount = _amount(amount_text, balance=ledger.balance(session, account_id), currency=account.currency)
    text = (note or '').strip()[:200]
    limit = approval_limit(session)
    over = amount > limit
    alone = over and actor.role == Role.admin and admin_count(session) <= 1
    if alone and not (self_approval_reason or '').strip():
        raise NeedsSecondConfirmation(
            f'{format_money(amount, account.currency)} is over the approval limit of '
            f'{format_money(limit, account.currency)}, and you are the practice\'s only admin. Type why you are '
            'approving your own adjustment to post it.', field_errors={'self_reason': 'Type why.'})
    request = AdjustmentRequest(account_id=account_id, amount=amount, currency=account.currency, reason=why,
                                note=text, status=AdjustmentStatus.pending, requested_by_user_id=actor.user_id)
    session.add(request)
    session.flush()
    if over and not alone:
        audit.record(session, action='adjustment_requested', actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='adjustment_request', entity_id=request.id, account_id=account_id,
                     source_ip=actor.ip, detail=f'amount={amount} reason={why}')
        return AdjustmentOutcome(request.id, False, f'{format_money(amount, account.currency)} is over the limit of '
                                 f'{format_money(limit, account.currency)}: it waits for an admin\'s approval.')
    if alone:
        request.self_approved = True
        request.decision_note = (self_approval_reason or '').strip()[:200]
    _post(session, request, decided_by=actor, action='adjustment_self_approved' if alone else 'adjustment_posted')
    return AdjustmentOutcome(request.id, True, f'Adjustment of {format_money(amount, account.currency)} posted.')


def ref_prefix(request_id: int) -> str:
    """What every ledger entry of one adjustment's external reference starts with."""
    return f'adjustment:{request_id}'


def entries_of(session: Session, /, request_id: int) -> list[LedgerEntry]:
    """The ledger entries one adjustment posted, oldest first (before per-charge posting: the one entry
    keyed `adjustment:<id>`)."""
    prefix = ref_prefix(request_id)
    return list(session.execute(select(LedgerEntry).where(
        (col(LedgerEntry.external_ref) == prefix) | col(LedgerEntry.external_ref).startswith(f'{prefix}:'))
        .order_by(col(LedgerEntry.id))).scalars())


def _split(session: Session, account_id: int, amount: int) -> list[tuple[int | None, int | None, int]]:
    """(charge id, patient id, part) for each part of an adjustment of `amount` (see the module's rule):
    charges asked for now before charges held for insurance, oldest date of service first, each taking at
    most its open amount; what is left (a balance on no charge) is (None, None, rest)."""
    open_rows = open_on_charges(select(Charge.id).where(Charge.account_id == account_id), account_id)
    rows = session.execute(
        select(Charge.id, Charge.patient_id, Charge.date_of_service, open_rows.c.open)
        .join(open_rows, open_rows.c.charge_id == Charge.id).where(open_rows.c.open > 0)).all()
    held = set(session.execute(pending_charge_ids(account_id)).scalars())
    parts: list[tuple[int | None, int | None, int]] = []
    left = amount
    for charge_id, patient_id, _, open_amount in sorted(rows, key=lambda row: (row[0] in held, row[2], row[0])):
        if left <= 0:
            break
        take = min(left, int(open_amount))
        parts.append((charge_id, patient_id, take))
        left -= take
    if left > 0:
        parts.append((None, None, left))
    return parts


def _post(session: Session, request: AdjustmentRequest, *, decided_by: Actor, action: str) -> None:
    entries = entries_of(session, request.id)  # posted already (a retry): nothing is posted twice
    if not entries:
        prefix, today = ref_prefix(request.id), practice_today(session)
        for charge_id, patient_id, part in _split(session, request.account_id, request.amount):
            entry, _ = ledger.post(session, account_id=request.account_id, kind=LedgerKind.write_off, amount=-part,
                                   external_ref=f'{prefix}:charge:{charge_id}' if charge_id else f'{prefix}:account',
                                   effective_date=today, currency=request.currency, charge_id=charge_id,
                                   patient_id=patient_id, memo=str(request.reason),
                                   created_by_user_id=decided_by.user_id)
            entries.append(entry)
        session.flush()
    request.status, request.ledger_entry_id = AdjustmentStatus.posted, entries[0].id
    request.decided_at, request.decided_by_user_id = utcnow(), decided_by.user_id
    audit.record(session, action=action, actor_user_id=decided_by.user_id, actor_role=decided_by.role,
                 entity_type='adjustment_request', entity_id=request.id, account_id=request.account_id,
                 source_ip=decided_by.ip, detail=f'amount={request.amount} reason={request.reason} '
                 f'entries={len(entries)}' + (' self-approved, second confirmation' if request.self_approved else ''))
    account_money_moved(session, account_id=request.account_id)


def spread_account_level(session: Session, /) -> int:
    """Repair adjustments posted before they were spread over charges (one `write_off` on no charge, keyed
    `adjustment:<request id>`): their charges' balances and the dashboard's A/R never took them. Each still
    standing is corrected (`correction:<entry id>`, as reversing it would be) and posted again split over the
    account's open charges by today's rule (`_split`), on its own effective day, so the account's balance
    and the ledger by day are unchanged. Idempotent: a corrected line is left alone. Returns how many were
    spread. `python -m portal rebuild-balances` runs it first."""
    corrected = select(LedgerEntry.corrects_entry_id).where(col(LedgerEntry.corrects_entry_id).is_not(None))
    candidates = session.execute(select(LedgerEntry).where(
        LedgerEntry.kind == LedgerKind.write_off, col(LedgerEntry.charge_id).is_(None),
        col(LedgerEntry.external_ref).startswith('adjustment:'),  # today's form ends ':account' here
        col(LedgerEntry.id).not_in(corrected))  # accounts locked in id order, as every multi-account writer should
        .order_by(col(LedgerEntry.account_id), col(LedgerEntry.id))).scalars().all()
    spread = 0
    for entry in candidates:
        prefix = entry.external_ref
        if not prefix.removeprefix('adjustment:').isdigit():
            continue
        lock_account(session, entry.account_id)
        ledger.post(session, account_id=entry.account_id, kind=LedgerKind.correction, amount=-entry.amount,
                    external_ref=f'correction:{entry.id}', effective_date=entry.effective_date, currency=entry.currency,
                    corrects_entry_id=entry.id, corrects_kind=entry.kind, memo=entry.memo)
        for charge_id, patient_id, part in _split(session, entry.account_id, -entry.amount):
            ledger.post(session, account_id=entry.account_id, kind=LedgerKind.write_off, amount=-part,
                        external_ref=f'{prefix}:charge:{charge_id}' if charge_id else f'{prefix}:account',
                        effective_date=entry.effective_date, currency=entry.currency, charge_id=charge_id,
                        patient_id=patient_id, memo=entry.memo, created_by_user_id=entry.created_by_user_id)
        audit.record(session, action='adjustment_spread', actor_role='system', entity_type='ledger_entry',
                     entity_id=entry.id, account_id=entry.account_id, detail=f'amount={-entry.amount}')
        account_money_moved(session, account_id=entry.account_id)
        spread += 1
    return spread


def _pending(session: Session, request_id: int) -> AdjustmentRequest:
    request = session.get(AdjustmentRequest, request_id)
    if request is None:
        raise NotFound()
    if request.status != AdjustmentStatus.pending:
        raise ValidationFailed('This request was already decided.')
    return request


def approve(session: Session, /, *, actor: Actor, request_id: int) -> str:
    """Another admin posts a waiting adjustment (still no more than what is owed now)."""
    require_admin(session, actor, purpose='approve_adjustment')
    request = _pending(session, request_id)
    if request.requested_by_user_id == actor.user_id:
        raise ValidationFailed('You asked for this adjustment: another admin must approve it.')
    lock_account(session, request.account_id)
    session.refresh(request)  # decided meanwhile by another admin: refused, never approved twice
    if request.status != AdjustmentStatus.pending:
        raise ValidationFailed('This request was already decided.')
    balance = ledger.balance(session, request.account_id)
    if request.amount > balance:
        raise ValidationFailed(f'The account now owes {format_money(max(0, balance), request.currency)}, less than '
                               'this adjustment: decline it and ask again.')
    _post(session, request, decided_by=actor, action='adjustment_approved')
    return f'Approved: {format_money(request.amount, request.currency)} posted.'


def decline(session: Session, /, *, actor: Actor, request_id: int, note: str = '') -> str:
    require_admin(session, actor, purpose='decline_adjustment')
    request = _pending(session, request_id)
    request.status, request.decided_at, request.decided_by_user_id = AdjustmentStatus.declined, utcnow(), actor.user_id
    request.decision_note = (note or '').strip()[:200]
    audit.record(session, action='adjustment_declined', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='adjustment_request', entity_id=request.id, account_id=request.account_id,
                 source_ip=actor.ip)
    return 'Declined.'


def approval_queue(session: Session, /, *, actor: Actor) -> tuple[ApprovalItem, ...]:
    """Adjustments waiting for an admin, oldest first (staff see the queue; only admins act on it)."""
    require_staff(session, actor, purpose='approval_queue')
    rows = session.execute(
        select(AdjustmentRequest, GuarantorAccount.account_number, GuarantorAccount.guarantor_first_name,
               GuarantorAccount.guarantor_last_name, User.first_name, User.last_name)
        .join(GuarantorAccount, GuarantorAccount.id == AdjustmentRequest.account_id)
        .join(User, User.id == AdjustmentRequest.requested_by_user_id)
        .where(AdjustmentRequest.status == AdjustmentStatus.pending)
        .order_by(col(AdjustmentRequest.requested_at), col(AdjustmentRequest.id)).limit(200)).all()
    items = []
    for row in rows:
        request = row[0]
        items.append(ApprovalItem(
            id=request.id, account_id=request.account_id, account_number=row.account_number,
            guarantor=guarantor_name(row), amount=request.amount, currency=request.currency,
            reason=REASONS[str(request.reason)], note=request.note,
            requested_by=full_name(row.first_name, row.last_name), requested_at=request.requested_at,
            mine=request.requested_by_user_id == actor.user_id))
    audit.record(session, action='view_approvals', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='adjustment_request', source_ip=actor.ip, detail=f'{len(items)} waiting')
    return tuple(items)
