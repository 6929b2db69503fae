"""Adjustments with approval (issue 17, item 4): reason codes through the one amount parser, never more
than the open balance; over the practice's limit, an admin other than the requester approves; a practice
with one admin posts its own only after a second confirmation with a typed reason, marked in the audit."""
from __future__ import annotations

import pytest
from sqlmodel import col, select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.errors import NotFound, ValidationFailed
from portal.models import AuditEvent, LedgerEntry, LedgerKind, PracticeSettings
from portal.models.desk import AdjustmentRequest, AdjustmentStatus
from portal.services import ledger
from portal.services.desk import adjustments
from tests.factories import make_account, make_charges, make_user


@pytest.fixture
def owing(db: str) -> int:
    """An account owing $240.00, in a practice whose approval limit is $100.00."""
    account, _ = make_account()
    make_charges(account, [24000])
    with write_session() as session:
        settings = session.exec(select(PracticeSettings)).first()
        if settings is None:
            session.add(PracticeSettings(name='Test practice', adjustment_approval_limit=10_000))
        else:
            settings.adjustment_approval_limit = 10_000
    return account.id


def _actor(role: str) -> Actor:
    return Actor(make_user(role=role).id, role)


def _request(actor: Actor, account_id: int, amount: str, reason: str = 'financial_hardship', **extra) -> \
        adjustments.AdjustmentOutcome:
    with write_session() as session:
        return adjustments.request_adjustment(session, actor=actor, account_id=account_id, amount_text=amount,
                                              reason=reason, **extra)


def _balance(account_id: int) -> int:
    with read_session() as session:
        return ledger.balance(session, account_id)


def test_under_the_limit_posts_at_once_as_a_write_off_with_its_reason(owing: int) -> None:
    outcome = _request(_actor('staff'), owing, '25.00', 'small_balance')
    assert outcome.posted and _balance(owing) == 24000 - 2500
    with read_session() as session:
        entry = session.exec(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.write_off)).one()
    assert (entry.amount, entry.memo) == (-2500, 'small_balance')
    assert entry.charge_id is not None  # on the charge, so its balance and the dashboard's A/R follow
    assert entry.external_ref == f'adjustment:{outcome.request_id}:charge:{entry.charge_id}'


@pytest.mark.parametrize(('amount', 'reason', 'message'), [
    ('0', 'small_balance', 'The amount must be more than zero.'),
    ('-5', 'small_balance', 'The amount must be more than zero.'),
    ('4,60', 'small_balance', 'Enter the amount like 4.60.'),
    ('240.01', 'small_balance', 'The most you can adjust here is $240.00.'),
    ('10', '', 'Choose a reason.'),
    ('10', 'because', 'Choose a reason.'),
])
def test_bad_adjustments_are_refused_and_change_nothing(owing: int, amount: str, reason: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _request(_actor('staff'), owing, amount, reason)
    assert refused.value.message == message
    assert _balance(owing) == 24000


def test_over_the_limit_waits_and_its_requester_cannot_approve_it(owing: int) -> None:
    first, second = _actor('admin'), _actor('admin')
    outcome = _request(first, owing, '150.00')
    assert not outcome.posted and _balance(owing) == 24000
    with pytest.raises(ValidationFailed, match='another admin must approve'), write_session() as session:
        adjustments.approve(session, actor=first, request_id=outcome.request_id)
    with write_session() as session:
        adjustments.approve(session, actor=second, request_id=outcome.request_id)
    assert _balance(owing) == 24000 - 15000
    with read_session() as session:
        request = session.get(AdjustmentRequest, outcome.request_id)
        assert (request.status, request.decided_by_user_id) == (AdjustmentStatus.posted, second.user_id)
    with pytest.raises(ValidationFailed, match='already decided'), write_session() as session:
        adjustments.approve(session, actor=second, request_id=outcome.request_id)


def test_staff_cannot_approve_and_a_patient_cannot_ask(owing: int) -> None:
    outcome, clerk = _request(_actor('staff'), owing, '150.00'), _actor('staff')
    with pytest.raises(NotFound), write_session() as session:
        adjustments.approve(session, actor=clerk, request_id=outcome.request_id)
    with pytest.raises(NotFound):
        _request(_actor('patient'), owing, '10.00')


def test_approval_is_refused_when_the_balance_has_fallen_below_it(owing: int) -> None:
    requester, approver = _actor('staff'), _actor('admin')
    outcome = _request(requester, owing, '150.00')
    _request(requester, owing, '100.00')  # at the limit: posts at once, leaving $140.00
    with pytest.raises(ValidationFailed, match='now owes'), write_session() as session:
        adjustments.approve(session, actor=approver, request_id=outcome.request_id)
    assert _balance(owing) == 14000


def test_a_single_admin_confirms_a_second_time_with_a_reason_and_the_audit_says_so(owing: int) -> None:
    only = _actor('admin')
    with pytest.raises(adjustments.NeedsSecondConfirmation):
        _request(only, owing, '150.00')
    with pytest.raises(adjustments.NeedsSecondConfirmation):
        _request(only, owing, '150.00', self_approval_reason='   ')
    assert _balance(owing) == 24000
    outcome = _request(only, owing, '150.00', self_approval_reason='Hardship agreed with the doctor')
    assert outcome.posted and _balance(owing) == 9000
    with read_session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == 'adjustment_self_approved')).one()
        request = session.get(AdjustmentRequest, outcome.request_id)
    assert event.account_id == owing and 'self-approved' in event.detail
    assert request.self_approved and request.decided_by_user_id == only.user_id


def test_the_queue_lists_waiting_requests_marking_the_viewers_own(owing: int) -> None:
    requester, admin = _actor('staff'), _actor('admin')
    _request(requester, owing, '150.00')
    with write_session() as session:
        [item] = adjustments.approval_queue(session, actor=requester)
        assert item.mine and item.amount == 15000 and item.reason == 'Financial hardship'
        [other] = adjustments.approval_queue(session, actor=admin)
        assert not other.mine


def test_declining_posts_nothing(owing: int) -> None:
    outcome, admin = _request(_actor('staff'), owing, '150.00'), _actor('admin')
    with write_session() as session:
        adjustments.decline(session, actor=admin, request_id=outcome.request_id, note='Not eligible')
    assert _balance(owing) == 24000
    with read_session() as session:
        assert session.exec(select(AdjustmentRequest.status).where(
            col(AdjustmentRequest.id) == outcome.request_id)).one() == AdjustmentStatus.declined


def test_nothing_owed_nothing_to_adjust(db: str) -> None:
    account, _ = make_account()
    with pytest.raises(ValidationFailed, match='Nothing is owed'):
        _request(_actor('staff'), account.id, '1.00')


def test_clerks_adjusting_at_once_never_take_off_more_than_is_owed(owing: int) -> None:
    """Eight clerks each write $60.00 off a $240.00 balance at the same moment: four go through."""
    from collections import Counter
    from concurrent.futures import ThreadPoolExecutor
    clerks = [_actor('staff') for _ in range(8)]

    def attempt(clerk: Actor) -> str:
        try:
            return 'posted' if _request(clerk, owing, '60.00', reason='small_balance').posted else 'queued'
        except ValidationFailed:
            return 'refused'

    with ThreadPoolExecutor(8) as pool:
        outcomes = Counter(pool.map(attempt, clerks))
    assert outcomes == Counter(posted=4, refused=4)
    assert _balance(owing) == 0


def test_two_admins_approving_at_once_post_it_once(owing: int) -> None:
    from concurrent.futures import ThreadPoolExecutor
    request = _request(_actor('staff'), owing, '150.00')
    approvers = [_actor('admin') for _ in range(4)]

    def attempt(admin: Actor) -> str:
        try:
            with write_session() as session:
                return adjustments.approve(session, actor=admin, request_id=request.request_id)
        except ValidationFailed as refused:
            return refused.message

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(attempt, approvers))
    assert outcomes == ['Approved: $150.00 posted.'] + ['This request was already decided.'] * 3
    with read_session() as session:
        approved = session.exec(select(AuditEvent).where(AuditEvent.action == 'adjustment_approved')).all()
    assert len(approved) == 1 and _balance(owing) == 9000
