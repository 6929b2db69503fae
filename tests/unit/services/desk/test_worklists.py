"""Worklists (issue 17, item 2) checked against hand-made accounts: who is on each list and who is not,
aging buckets, sorting and paging; the CSV export escapes formulas and is audited; new accounts warn of a
duplicate (name + date of birth, accents and case ignored) before saving."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.errors import NotFound
from portal.models import (
    AccountFlag,
    AuditEvent,
    FlagKind,
    GuarantorAccount,
    LedgerEntry,
    MessageThread,
    PaymentPlan,
    PlanStatus,
    Statement,
    ThreadCategory,
    ThreadStatus,
)
from portal.services import ledger
from portal.services.desk import new_accounts, worklists
from portal.services.practice import practice_today
from tests.factories import make_account, make_user


def _account(name: str, balance: int = 0) -> int:
    account, _ = make_account(guarantor_last_name=name)
    if balance:
        with write_session() as session:
            ledger.post(session, account_id=account.id, kind='charge' if balance > 0 else 'patient_payment',
                        amount=balance, external_ref=f'wl-{account.id}', effective_date=date(2026, 1, 1))
    return account.id


def _statement(account_id: int, due: date, amount: int = 10_000) -> None:
    with write_session() as session:
        session.add(Statement(account_id=account_id, period=f'{due:%Y-%m}', statement_date=due - timedelta(days=21),
                              due_date=due, new_balance=amount, amount_due=amount,
                              quick_pay_code=f'WL{account_id:010d}'))


@pytest.fixture
def world(db: str) -> dict:
    with read_session() as session:
        today = practice_today(session)
    ids = {name: _account(name, balance) for name, balance in (
        ('Fortyfive', 10_000), ('Hundred', 20_000), ('Future', 10_000), ('Settled', 0), ('Credit', -5_000),
        ('Plan', 30_000), ('Held', 1_000), ('Expired', 1_000), ('Cleared', 1_000), ('Asking', 0),
        ('Answered', 0), ('Disputing', 2_000))}
    _statement(ids['Fortyfive'], today - timedelta(days=45))
    _statement(ids['Hundred'], today - timedelta(days=100))
    _statement(ids['Future'], today + timedelta(days=5))
    _statement(ids['Settled'], today - timedelta(days=10))
    with write_session() as session:
        session.add(PaymentPlan(account_id=ids['Plan'], total_amount=30_000, installment_amount=10_000, months=3,
                                status=PlanStatus.delinquent, signed_name='P', signed_at=utcnow(), terms_version='1'))
        session.add(AccountFlag(account_id=ids['Held'], kind=FlagKind.statement_hold, reason='=HYPERLINK("x")'))
        session.add(AccountFlag(account_id=ids['Expired'], kind=FlagKind.collections_hold, reason='old',
                                expires_on=today - timedelta(days=1)))
        session.add(AccountFlag(account_id=ids['Cleared'], kind=FlagKind.statement_hold, reason='done',
                                cleared_at=utcnow()))
        session.add(AccountFlag(account_id=ids['Disputing'], kind=FlagKind.dispute, reason='charge 9'))
        session.add(MessageThread(account_id=ids['Asking'], subject='What is this $240?',
                                  category=ThreadCategory.billing_question, status=ThreadStatus.open))
        session.add(MessageThread(account_id=ids['Answered'], subject='Thanks', status=ThreadStatus.resolved,
                                  category=ThreadCategory.billing_question))
    return {**ids, 'staff': Actor(make_user(role='staff').id, 'staff')}


def _list(world: dict, name: str, sort: str = 'since') -> worklists.Worklist:
    with write_session() as session:
        return worklists.worklist(session, actor=world['staff'], name=name, sort=sort)


def _members(world: dict, name: str) -> dict[int, str]:
    return {row.account_id: row.what for row in _list(world, name).rows}


def test_past_due_holds_owing_accounts_with_an_overdue_statement_by_aging_bucket(world: dict) -> None:
    assert _members(world, 'past_due') == {world['Fortyfive']: '31–60 days past due',
                                           world['Hundred']: 'Over 90 days past due'}


def test_questions_credits_plans_and_holds(world: dict) -> None:
    assert _members(world, 'questions') == {world['Asking']: 'What is this $240?',
                                            world['Disputing']: 'Billing dispute: charge 9'}
    assert _members(world, 'credits') == {world['Credit']: 'Credit: a refund is due'}
    assert [row.since for row in _list(world, 'credits').rows] == [date(2026, 1, 1)]  # its last movement
    assert _members(world, 'plans') == {world['Plan']: 'Plan past due'}
    assert _members(world, 'holds') == {world['Held']: 'Statement hold'}


def test_sorted_by_oldest_by_balance_and_by_name(world: dict) -> None:
    oldest = [row.account_id for row in _list(world, 'past_due').rows]
    assert oldest == [world['Hundred'], world['Fortyfive']]
    largest = [row.balance for row in _list(world, 'past_due', 'balance').rows]
    assert largest == [20_000, 10_000]
    names = [row.guarantor for row in _list(world, 'past_due', 'name').rows]
    assert names == ['Maria Fortyfive', 'Maria Hundred']


def test_counts_and_paging(world: dict) -> None:
    view = _list(world, 'past_due')
    assert view.counts == {'past_due': 2, 'questions': 2, 'credits': 1, 'plans': 1, 'holds': 1}
    assert (view.page, view.pages, view.total) == (1, 1, 2)
    with read_session() as session:  # a staff view of patients' names and balances is audited
        assert session.exec(select(AuditEvent.entity_id).where(AuditEvent.action == 'view_worklist')).all() == \
            ['past_due']
    with write_session() as session:
        beyond = worklists.worklist(session, actor=world['staff'], name='past_due', page=99)
    assert beyond.page == 1 and len(beyond.rows) == 2


def test_csv_escapes_formulas_and_the_export_is_audited(world: dict) -> None:
    with write_session() as session:
        session.get(GuarantorAccount, world['Hundred']).guarantor_first_name = '=cmd|calc'
    with write_session() as session:
        filename, text = worklists.worklist_csv(session, actor=world['staff'], name='past_due')
    lines = text.splitlines()
    assert filename.startswith('past_due-') and lines[0] == 'Account,Guarantor,Balance (cents),Currency,What,Since'
    assert "'=cmd|calc Hundred" in lines[1] and ',20000,USD,' in lines[1]
    with read_session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == 'export_worklist')).one()
    assert (event.entity_id, event.detail) == ('past_due', '2 rows')


def test_a_patient_sees_no_worklist(world: dict) -> None:
    patient = Actor(make_user(role='patient').id, 'patient')
    with pytest.raises(NotFound), write_session() as session:
        worklists.worklist_csv(session, actor=patient, name='past_due')


def test_a_new_account_is_stopped_by_a_possible_duplicate_until_confirmed(db: str) -> None:
    make_account(guarantor_first_name='José', guarantor_last_name='Peña',
                 patients=[{'first_name': 'José', 'last_name': 'Peña', 'date_of_birth': date(1990, 2, 3)}])
    staff = Actor(make_user(role='staff').id, 'staff')
    form = new_accounts.NewAccountForm(first_name='Jose', last_name='PENA', phone='(512) 555-0100',
                                       patients=(new_accounts.NewPatient('jose', 'pena', date(1990, 2, 3)),
                                                 new_accounts.NewPatient('Ana', 'Pena', date(2018, 1, 1), 'child')))
    with pytest.raises(new_accounts.PossibleDuplicates) as stopped, write_session() as session:
        new_accounts.create_account(session, actor=staff, form=form)
    assert [d.name for d in stopped.value.found] == ['José Peña']
    with write_session() as session:
        account_id = new_accounts.create_account(session, actor=staff, form=form, confirmed=True)
    with read_session() as session:
        account = session.get(GuarantorAccount, account_id)
        assert (account.phone_key, account.last_key) == ('5125550100', 'pena')
        assert session.exec(select(AuditEvent).where(AuditEvent.action == 'account_created',
                                                     AuditEvent.account_id == account_id)).one()


def test_a_new_account_needs_names_and_real_dates_of_birth(db: str) -> None:
    staff = Actor(make_user(role='staff').id, 'staff')
    bad = new_accounts.NewAccountForm(first_name='', last_name='Lee',
                                      patients=(new_accounts.NewPatient('Sam', 'Lee', None),))
    with pytest.raises(new_accounts.ValidationFailed) as refused, write_session() as session:
        new_accounts.create_account(session, actor=staff, form=bad)
    assert set(refused.value.field_errors) == {'first_name', 'patient_0'}
    with read_session() as session:
        assert session.exec(select(LedgerEntry)).first() is None


def test_a_statement_hold_holds_until_its_expiry_day(db: str) -> None:
    from portal.services.statement_run import run_statements
    held, _ = make_account()
    expired, _ = make_account()
    for account in (held, expired):
        with write_session() as session:
            ledger.post(session, account_id=account.id, kind='charge', amount=5000, external_ref=f'hold-{account.id}',
                        effective_date=date(2026, 1, 2))
    on = date(2026, 2, 1)
    with write_session() as session:
        session.add(AccountFlag(account_id=held.id, kind=FlagKind.statement_hold, reason='x', expires_on=on))
        session.add(AccountFlag(account_id=expired.id, kind=FlagKind.statement_hold, reason='x',
                                expires_on=on - timedelta(days=1)))
    run_statements(on=on)
    with read_session() as session:
        stated = set(session.exec(select(Statement.account_id)).all())
    assert stated == {expired.id}


def test_a_dispute_past_its_expiry_day_leaves_the_questions_list(world: dict) -> None:
    with read_session() as session:
        today = practice_today(session)
    lapsed = _account('Lapsed', 3_000)
    with write_session() as session:
        session.add(AccountFlag(account_id=lapsed, kind=FlagKind.dispute, reason='until yesterday',
                                expires_on=today - timedelta(days=1)))
    assert lapsed not in _members(world, 'questions')
    assert world['Disputing'] in _members(world, 'questions')
