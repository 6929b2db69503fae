"""Every staff view of patient data is audited once per view (not per row shown): a remittance's claims,
the dashboard's drill-down lists, the approvals queue and the staff schedule; and an invitation that a
newer one to the same email replaces is audited as revoked."""
from __future__ import annotations

from datetime import date

from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.models import AuditEvent, PracticeSettings
from portal.services import dashboard_drill, dashboard_payments, remittances
from portal.services.appointments import staff as schedule
from portal.services.dashboard import Filters
from portal.services.desk import adjustments
from portal.services.identity import staff as identity_staff
from portal.services.remittance_import import import_835
from tests.factories import make_account, make_charges, make_user
from tests.support.remits import file_of, insured_visit, lab_line, office_line, payment, remit


def _events(action: str) -> list[AuditEvent]:
    with read_session() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _staff(role: str = 'staff') -> Actor:
    return Actor(make_user(role=role).id, role, ip='203.0.113.7')


def test_viewing_a_remittance_is_audited_once_per_view(db: str) -> None:
    actor = _staff()
    visit = insured_visit()
    with write_session() as session:
        remittance_id = import_835(session, actor=actor, data=file_of(remit(payment(
            visit.claim_number, lines=[office_line(20000), lab_line(2200)])))).payments[0].remittance_id
    with write_session() as session:
        remittances.remittance_detail(session, actor=actor, remittance_id=remittance_id)
    events = _events('view_remittance')
    assert [(e.actor_user_id, e.entity_type, e.entity_id, e.source_ip) for e in events] == \
        [(actor.user_id, 'remittance', str(remittance_id), '203.0.113.7')]


def test_viewing_the_dashboard_drill_down_lists_is_audited_once_per_page(db: str) -> None:
    actor = _staff()
    for _ in range(3):
        account, _ = make_account()
        make_charges(account, [12000])
    with write_session() as session:
        dashboard_drill.ar_drill(session, actor=actor, filters=Filters(), responsibility='patient')
    with write_session() as session:
        dashboard_payments.payments_drill(session, actor=actor, source='patient', start=date(2026, 1, 1),
                                          end=date(2026, 1, 31))
    assert [(e.actor_user_id, e.entity_id) for e in _events('view_ar_drill')] == [(actor.user_id, 'patient:all')]
    assert [(e.actor_user_id, e.entity_id) for e in _events('view_payments_drill')] == \
        [(actor.user_id, 'patient:2026-01-01:2026-01-31')]


def test_viewing_the_approvals_queue_is_audited_once_however_many_wait(db: str) -> None:
    with write_session() as session:
        settings = session.exec(select(PracticeSettings)).first() or PracticeSettings(name='Test practice')
        settings.adjustment_approval_limit = 1000
        session.add(settings)
    asker = _staff()
    for _ in range(2):
        account, _ = make_account()
        make_charges(account, [24000])
        with write_session() as session:
            adjustments.request_adjustment(session, actor=asker, account_id=account.id, amount_text='200.00',
                                           reason='financial_hardship')
    viewer = _staff()
    with write_session() as session:
        assert len(adjustments.approval_queue(session, actor=viewer)) == 2
    assert [(e.actor_user_id, e.detail) for e in _events('view_approvals')] == [(viewer.user_id, '2 waiting')]


def test_viewing_the_staff_schedule_is_audited_once_per_view(db: str) -> None:
    actor = _staff()
    with write_session() as session:
        schedule.schedule(session, actor=actor, first_day=date(2026, 3, 2), week=True)
    assert [(e.actor_user_id, e.detail) for e in _events('view_staff_schedule')] == \
        [(actor.user_id, '2026-03-02, 7 day(s), 0 visits')]


def test_a_second_invitation_to_the_same_email_audits_the_revocation_of_the_first(db: str) -> None:
    admin = _staff('admin')
    with write_session() as session:
        first = identity_staff.invite_staff(session, actor=admin, email='casey@example.com', role='staff')
    assert _events('staff_invite_revoked') == []
    with write_session() as session:
        second = identity_staff.invite_staff(session, actor=admin, email='casey@example.com', role='admin')
    revoked = _events('staff_invite_revoked')
    assert [(e.actor_user_id, e.entity_type, e.entity_id) for e in revoked] == \
        [(admin.user_id, 'staff_invite', str(first.id))]
    assert str(second.id) != revoked[0].entity_id
