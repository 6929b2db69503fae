"""A patient's billing dispute and a card chargeback are separate flag kinds (issue 11, item 4): the
gateway's dispute raises a chargeback, a disputed statement line a billing dispute, and resolving one
kind leaves the other open. Migration 0009 splits the flags stored before."""
from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import col, select

from portal.auth.permissions import Actor
from portal.db import alembic_config, read_session, write_session
from portal.errors import NotFound
from portal.models import AccountFlag, AuditEvent, FlagKind, PaymentAttempt, Statement
from portal.payments.demo_gateway import DemoGateway
from portal.payments.gateway import GatewayEvent
from portal.services import account_flags
from portal.services.messaging import compose
from portal.services.payments import charge_saved_method, new_key, process_events
from tests.factories import make_account, make_charges, make_saved_method, make_user


def _disputed_both_ways() -> int:
    """An account whose card payment the holder disputed with the bank and whose patient disputed a
    statement line; returns the account id."""
    account, _ = make_account()
    [charge_id] = make_charges(account, [8000])
    patient = make_user(account=account)
    with write_session() as session:
        statement = Statement(account_id=account.id, period='2026-02', statement_date=date(2026, 2, 1),
                              due_date=date(2026, 2, 22), new_charges=8000, new_balance=8000, amount_due=8000,
                              quick_pay_code=f'FLAGS{account.id:07d}')
        session.add(statement)
        session.flush()
        statement_id = statement.id
    paid = charge_saved_method(account_id=account.id, method_id=make_saved_method(account).id, amount=3000,
                               target='balance', idempotency_key=new_key(), user_id=patient.id)
    with read_session() as session:
        intent_id = session.get(PaymentAttempt, paid.attempt_id).gateway_intent_id
    dispute = GatewayEvent(event_id=f'evt_dp_{account.id}', kind='dispute_opened', intent_id=intent_id,
                           metadata={'dispute_id': 'dp_1'})
    assert process_events(events=[dispute], gateway_name='demo') == ('flagged',)
    with write_session() as session:
        compose.ask_about_charge(session, actor=Actor(patient.id, 'patient'), statement_id=statement_id,
                                 charge_id=charge_id, body='I was never seen that day.', category='dispute_charge')
    return account.id


def _open_kinds(account_id: int) -> list[str]:
    with read_session() as session:
        return sorted(session.exec(select(AccountFlag.kind).where(AccountFlag.account_id == account_id,
                                                                  col(AccountFlag.cleared_at).is_(None))).all())


@pytest.mark.parametrize('resolved, left', [(FlagKind.chargeback, FlagKind.dispute),
                                            (FlagKind.dispute, FlagKind.chargeback)])
def test_resolving_one_kind_leaves_the_other_open(demo: DemoGateway, resolved: FlagKind, left: FlagKind) -> None:
    account_id = _disputed_both_ways()
    assert _open_kinds(account_id) == ['chargeback', 'dispute']
    staff = make_user(role='staff')
    with write_session() as session:
        assert account_flags.resolve_flags(session, actor=Actor(staff.id, 'staff'), account_id=account_id,
                                           kind=resolved) == 1
    assert _open_kinds(account_id) == [left]
    with read_session() as session:
        cleared = session.exec(select(AccountFlag).where(AccountFlag.account_id == account_id,
                                                         AccountFlag.kind == resolved)).one()
    assert cleared.cleared_by_user_id == staff.id and cleared.cleared_at is not None


def test_a_patient_cannot_resolve_a_flag(demo: DemoGateway) -> None:
    account_id = _disputed_both_ways()
    patient = make_user(account=account_id)
    with write_session() as session, pytest.raises(NotFound):
        account_flags.resolve_flags(session, actor=Actor(patient.id, 'patient'), account_id=account_id,
                                    kind=FlagKind.dispute)
    assert _open_kinds(account_id) == ['chargeback', 'dispute']
    with read_session() as session:  # refused by the one staff guard, which audits it once
        refusals = session.exec(select(AuditEvent.actor_user_id).where(AuditEvent.action == 'resolve_flag',
                                                                       AuditEvent.outcome == 'denied')).all()
    assert refusals == [patient.id]


def test_the_migration_splits_card_disputes_from_billing_disputes_and_back(demo: DemoGateway, db: str) -> None:
    account_id = _disputed_both_ways()
    staff = make_user(role='staff')
    with write_session() as session:  # a flag staff wrote by hand with the gateway's wording stays theirs
        session.add(AccountFlag(account_id=account_id, kind=FlagKind.dispute, created_by_user_id=staff.id,
                                reason='Card dispute reported by phone'))
    command.downgrade(alembic_config(db), '0009_pending_insurance_setting')

    def stored() -> list[str]:  # in the order written: the gateway's, the patient's, staff's
        with read_session() as session:
            return list(session.connection().execute(text(
                'SELECT kind FROM account_flag WHERE account_id = :id ORDER BY id'), {'id': account_id}).scalars())

    assert stored() == ['dispute'] * 3  # as main stored them
    command.upgrade(alembic_config(db), 'head')
    assert stored() == ['chargeback', 'dispute', 'dispute']
    command.downgrade(alembic_config(db), '0009_pending_insurance_setting')
    assert stored() == ['dispute'] * 3
    command.upgrade(alembic_config(db), 'head')
