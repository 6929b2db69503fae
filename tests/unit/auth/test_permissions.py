"""The `require_*` helpers: one staff guard, one admin guard, one account guard; a refusal is a NotFound
(a 404 on the page) and is audited exactly once, by the helper, even though the use-case rolls back."""
from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from portal.auth.permissions import Actor, Refused, require_account, require_admin, require_staff
from portal.db import read_session, write_session
from portal.errors import NotFound
from portal.models import AuditEvent
from portal.services.plans import policy_card, queues
from tests.factories import make_account, make_user


def _denied(action: str) -> list[AuditEvent]:
    with read_session() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action,
                                                          AuditEvent.outcome == 'denied')).all())


def _count() -> int:
    with read_session() as session:
        return session.exec(select(func.count(AuditEvent.id))).one()


@pytest.mark.parametrize(('guard', 'role'), [(require_staff, 'patient'), (require_admin, 'patient'),
                                             (require_admin, 'staff')])
def test_a_refusal_is_not_found_and_audited_once_after_the_rollback(db: str, guard, role: str) -> None:  # noqa: ANN001
    user = make_user(role=role)
    with pytest.raises(NotFound) as refused, write_session() as session:
        guard(session, Actor(user.id, role, ip='203.0.113.9'), purpose='probe')
    assert isinstance(refused.value, Refused)
    (event,) = _denied('probe')
    assert (event.actor_user_id, event.actor_role, event.source_ip) == (user.id, role, '203.0.113.9')


@pytest.mark.parametrize(('guard', 'role'), [(require_staff, 'staff'), (require_staff, 'admin'),
                                             (require_admin, 'admin')])
def test_the_right_role_passes_without_an_audit_event(db: str, guard, role: str) -> None:  # noqa: ANN001
    user = make_user(role=role)
    before = _count()
    with write_session() as session:
        guard(session, Actor(user.id, role), purpose='probe')
    assert _count() == before


def test_someone_elses_account_is_refused_and_audited_once(db: str) -> None:
    mine, _ = make_account()
    theirs, _ = make_account()
    patient = make_user(account=mine)
    with write_session() as session:
        assert require_account(session, Actor(patient.id, 'patient'), mine.id, purpose='probe') == 'self'
    with pytest.raises(NotFound), write_session() as session:
        require_account(session, Actor(patient.id, 'patient'), theirs.id, purpose='probe')
    (event,) = _denied('probe')
    assert event.entity_type == 'account' and event.entity_id == str(theirs.id)


def test_a_caught_refusal_is_kept_once_by_the_commit(db: str) -> None:
    """A use-case that turns the refusal into None (find_statement_detail and its kind) commits the event."""
    patient = make_user()
    with write_session() as session:
        try:
            require_staff(session, Actor(patient.id, 'patient'), purpose='probe')
        except NotFound:
            pass
    assert len(_denied('probe')) == 1


def test_staff_use_cases_refuse_patients_as_not_found(db: str) -> None:
    patient = Actor(make_user().id, 'patient')
    form = policy_card.PolicyForm('100.00', '30', '18', '10', 'respread')
    for use_case, action in ((lambda session: queues.staff_queues(session, actor=patient), 'view_plan_queues'),
                             (lambda session: policy_card.for_staff(session, actor=patient), 'view_plan_policy'),
                             (lambda session: policy_card.update(session, actor=patient, form=form),
                              'plan_policy_update')):
        with pytest.raises(NotFound), write_session() as session:
            use_case(session)
        assert len(_denied(action)) == 1, action
