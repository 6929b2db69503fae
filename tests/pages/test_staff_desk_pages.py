"""The staff account desk's pages (issue 17): search, worklists, the account page, notes, flags,
adjustments and approvals, corrections, new accounts; a patient gets 404 on every one."""
from __future__ import annotations

import asyncio
from datetime import date

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import col, select

from portal.db import read_session, write_session
from portal.models import AccountFlag, AuditEvent, FlagKind, GuarantorAccount, LedgerEntry, LedgerKind, Patient
from portal.models.desk import AccountNote
from portal.services import ledger
from tests.factories import make_account, make_visit
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in


def _sofia() -> tuple[int, int]:
    """An account whose dependent is Mateo, with a $240 visit; returns (account id, charge entry id)."""
    account, patients = make_account(guarantor_first_name='Sofía', guarantor_last_name='Quintanilla', patients=[
        {'first_name': 'Sofía', 'last_name': 'Quintanilla', 'date_of_birth': date(1984, 3, 15)},
        {'first_name': 'Mateo', 'last_name': 'Quintanilla', 'date_of_birth': date(2016, 5, 9),
         'relationship_to_guarantor': 'child'}])
    make_visit(account=account, patient=patients[1], date_of_service=date(2026, 9, 14),
               lines=[('99213', 'Office visit, established patient', 24000)])
    with read_session() as session:
        entry = session.exec(select(LedgerEntry).where(LedgerEntry.account_id == account.id)).one()
    return account.id, entry.id


async def _staff_at(user: User, path: str) -> None:
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open(path)


def _adjust(user: User, amount: str, reason: str) -> None:
    """Open the adjustment dialog, fill it in and submit."""
    user.find(marker='adjust').click()
    user.find(marker='adjust-amount').type(amount)
    user.find(marker='adjust-reason').elements.pop().value = reason
    user.find(marker='submit').click()


async def test_search_finds_a_dependent_without_accents_and_shows_the_account(user: User) -> None:
    account_id, _ = _sofia()
    await _staff_at(user, '/staff/accounts?q=mateo%20quintanilla')
    await user.should_see(marker='hit')
    [hit] = user.find(marker='hit').elements
    assert f'/staff/accounts/{account_id}' in hit.content and 'Mateo Quintanilla' in hit.content
    assert '$240.00' in hit.content


@pytest.mark.parametrize('query', ['%25', '_', '%22', "'", 'a' * 500, '%F0%9F%98%80'])
async def test_search_with_odd_input_says_no_match(user: User, query: str) -> None:
    await _staff_at(user, f'/staff/accounts?q={query}')
    await user.should_see(marker='no-match')


async def test_account_page_explains_the_ledger_in_words(user: User) -> None:
    account_id, _ = _sofia()
    await _staff_at(user, f'/staff/accounts/{account_id}')
    await user.should_see('Due now, and why')
    [row] = user.find(marker='ledger').elements.pop().rows
    assert row['what'] == 'Office visit, established patient (99213)'
    assert (row['patient'], row['kind'], row['balance']) == ('Mateo Quintanilla', 'Charge', '$240.00')
    assert row['provider'] == 'Alicia Moreno, MD' and row['service'] == 'Sep 14, 2026'
    patients = user.find(marker='patients').elements.pop().rows
    assert [p['born'] for p in patients] == ['Mar 15, 1984', 'May 9, 2016']


async def test_a_note_and_a_hold_are_kept_with_who_and_why(user: User) -> None:
    account_id, _ = _sofia()
    await _staff_at(user, f'/staff/accounts/{account_id}')
    user.find(marker='add-note').click()
    user.find(marker='note-body').type('Called about the September visit; will pay Friday.')
    user.find(marker='submit').click()
    await user.should_see('Note added.')
    await user.open(f'/staff/accounts/{account_id}')
    await user.should_see('Called about the September visit; will pay Friday.')
    user.find(marker='add-flag').click()
    user.find(marker='flag-kind').elements.pop().value = str(FlagKind.statement_hold)
    user.find(marker='flag-reason').type('Waiting for the corrected claim')
    user.find(marker='submit').click()
    await user.should_see('Flag added.')
    with read_session() as session:
        note = session.exec(select(AccountNote).where(AccountNote.account_id == account_id)).one()
        flag = session.exec(select(AccountFlag).where(AccountFlag.account_id == account_id)).one()
    assert note.created_by_user_id is not None and flag.kind == FlagKind.statement_hold
    await user.open(f'/staff/accounts/{account_id}')
    shown = [label.text for label in user.find(kind=ui.label, marker='flag').elements]
    assert shown == ['Statement hold: Waiting for the corrected claim']


async def test_adjustment_refusals_and_an_under_limit_write_off(user: User) -> None:
    account_id, _ = _sofia()
    await _staff_at(user, f'/staff/accounts/{account_id}')
    _adjust(user, '4,60', 'small_balance')
    await user.should_see('Enter the amount like 4.60.')
    user.find(marker='adjust-amount').clear().type('300')
    user.find(marker='submit').click()
    await user.should_see('The most you can adjust here is $240.00.')
    user.find(marker='adjust-amount').clear().type('12.50')
    user.find(marker='submit').click()
    await user.should_see('Adjustment of $12.50 posted.')
    with read_session() as session:
        assert ledger.balance(session, account_id) == 24000 - 1250
    await user.open(f'/staff/accounts/{account_id}')
    newest = user.find(marker='ledger').elements.pop().rows[0]
    assert (newest['kind'], newest['what'], newest['balance']) == ('Adjustment', 'Small balance', '$227.50')


async def test_staff_over_the_limit_waits_in_the_queue(user: User) -> None:
    account_id, _ = _sofia()
    await _staff_at(user, f'/staff/accounts/{account_id}')
    _adjust(user, '150', 'financial_hardship')
    await user.should_see('waits for an admin')
    with read_session() as session:
        assert ledger.balance(session, account_id) == 24000
    await user.open('/staff/approvals')
    await user.should_see('Financial hardship')
    await user.should_see('Yours: another admin approves it')
    await user.should_not_see(marker='approve')


async def test_correcting_a_charge_voids_it_with_a_new_line(user: User) -> None:
    account_id, entry_id = _sofia()
    await _staff_at(user, f'/staff/accounts/{account_id}')
    user.find(marker='correct').click()
    user.find(marker='correct-line').elements.pop().value = entry_id
    user.find(marker='correct-reason').type('Posted to the wrong account')
    user.find(marker='submit').click()
    await user.should_see('Correction posted.')
    with read_session() as session:
        rows = session.exec(select(LedgerEntry).where(LedgerEntry.account_id == account_id)
                            .order_by(col(LedgerEntry.id))).all()
    assert [(r.kind, r.amount, r.corrects_entry_id) for r in rows] == [
        (LedgerKind.charge, 24000, None), (LedgerKind.correction, -24000, entry_id)]


async def test_reversing_one_line_of_an_adjustment_over_two_charges_reverses_both(user: User) -> None:
    account_id, _ = _sofia()
    with write_session() as session:
        account = session.get(GuarantorAccount, account_id)
        entry = session.exec(select(LedgerEntry).where(LedgerEntry.account_id == account_id)).one()
        patient = session.get(Patient, entry.patient_id)
        make_visit(account=account, patient=patient, date_of_service=date(2026, 9, 1),
                   lines=[('99212', 'Office visit, short', 6000)], session=session)
    await _staff_at(user, f'/staff/accounts/{account_id}')
    _adjust(user, '90.00', 'bad_debt')
    await user.should_see('Adjustment of $90.00 posted.')
    with read_session() as session:
        parts = session.exec(select(LedgerEntry).where(LedgerEntry.account_id == account_id,
                                                       LedgerEntry.kind == LedgerKind.write_off)
                             .order_by(col(LedgerEntry.id))).all()
    assert [part.amount for part in parts] == [-6000, -3000]  # the older visit first, each on its charge
    await user.open(f'/staff/accounts/{account_id}')
    user.find(marker='correct').click()
    user.find(marker='correct-line').elements.pop().value = parts[1].id
    await user.should_see(marker='correct-whole-adjustment')
    user.find(marker='correct-reason').type('Not bad debt')
    user.find(marker='submit').click()
    await user.should_see('Correction posted.')
    with read_session() as session:
        fixes = session.exec(select(LedgerEntry.corrects_entry_id).where(
            LedgerEntry.account_id == account_id, LedgerEntry.kind == LedgerKind.correction)).all()
        assert sorted(fixes) == sorted(part.id for part in parts)
        assert ledger.balance(session, account_id) == 30000


async def test_worklists_open_by_default_and_export_csv(user: User) -> None:
    await _staff_at(user, '/staff/accounts')
    await user.should_see(marker='worklists')
    await user.should_see(marker='list-credits')
    await user.open('/staff/accounts?list=credits&sort=balance')
    await user.should_see('Credit balances:')
    user.find(marker='csv').click()
    for _ in range(50):  # the export runs in a worker thread
        with read_session() as session:
            exported = session.exec(select(AuditEvent).where(AuditEvent.action == 'export_worklist')).first()
        if exported is not None:
            break
        await asyncio.sleep(0.05)
    assert exported is not None and exported.entity_id == 'credits'


async def test_new_account_warns_of_a_duplicate_before_saving(user: User) -> None:
    _sofia()
    await _staff_at(user, '/staff/accounts/new')
    user.find(marker='first-name').type('Sofia')
    user.find(marker='last-name').type('QUINTANILLA')
    user.find(marker='patient-first-0').type('sofia')
    user.find(marker='patient-last-0').type('Quintanilla')
    user.find(marker='patient-dob-0').type('3/15/1984')
    user.find(marker='create').click()
    await user.should_see('already on file')
    with read_session() as session:
        assert len(session.exec(select(GuarantorAccount).where(GuarantorAccount.last_key == 'quintanilla')).all()) == 1
    user.find(marker='create-anyway').click()
    await user.should_see('Guarantor and patients')
    with read_session() as session:
        assert len(session.exec(select(GuarantorAccount).where(GuarantorAccount.last_key == 'quintanilla')).all()) == 2


@pytest.mark.parametrize('path', ['/staff/accounts', '/staff/accounts?q=alvarez', '/staff/accounts/1',
                                  '/staff/accounts/new', '/staff/approvals'])
async def test_a_patient_gets_not_found(user: User, path: str) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    response = await user.http_client.get(path, follow_redirects=False)
    assert response.status_code == 404
    assert 'Guarantor and patients' not in response.text and 'Worklists' not in response.text


async def test_a_statement_is_resent_by_email_from_the_account(user: User) -> None:
    from portal.models import Notification
    with read_session() as session:
        account = session.exec(select(GuarantorAccount).where(GuarantorAccount.account_number == 'A10002026')).one()
    await _staff_at(user, f'/staff/accounts/{account.id}')
    await user.should_see(marker='resend')
    assert len(user.find(marker='resend').elements) == 1  # the demo account has one statement
    user.find(marker='resend').click()
    await user.should_see('Statement emailed to patient@example.com.')
    with read_session() as session:
        sent = session.exec(select(Notification).where(Notification.account_id == account.id,
                                                       col(Notification.dedupe_key).startswith('statement-resent:'))).one()
    assert (sent.template, sent.recipient) == ('statement_ready', 'patient@example.com')


async def test_the_only_admin_posts_an_over_limit_adjustment_after_a_second_confirmation(user: User) -> None:
    from portal.models import AuditEvent as Event
    from tests.factories import STRONG_PASSWORD, make_user
    account_id, _ = _sofia()
    from portal.models import User as UserRow
    admin = make_user(role='admin', email='only-admin@example.com', mfa_exempt=True)
    with write_session() as session:  # the demo practice's own admins leave: this one is alone
        for other in session.exec(select(UserRow).where(UserRow.role == 'admin', UserRow.id != admin.id)):
            other.is_active = False
    await sign_in(user, admin.email, STRONG_PASSWORD)
    await user.should_see('Collections dashboard')
    await user.open(f'/staff/accounts/{account_id}')
    _adjust(user, '150', 'bad_debt')
    await user.should_see('you are the practice\'s only admin')
    with read_session() as session:
        assert ledger.balance(session, account_id) == 24000
    user.find(marker='adjust-confirm').click()  # without a reason: still asked
    await user.should_see('Type why you approve your own adjustment.')
    user.find(marker='adjust-self-reason').type('Collections agency returned it as uncollectable')
    user.find(marker='adjust-confirm').click()
    await user.should_see('Adjustment of $150.00 posted.')
    with read_session() as session:
        assert ledger.balance(session, account_id) == 9000
        assert session.exec(select(Event).where(Event.action == 'adjustment_self_approved',
                                                Event.account_id == account_id)).one()


async def test_a_hold_until_a_day_written_with_a_two_digit_year_is_kept_until_that_day(user: User) -> None:
    account_id, _ = _sofia()
    next_year = date.today().year + 1
    await _staff_at(user, f'/staff/accounts/{account_id}')
    user.find(marker='add-flag').click()
    user.find(marker='flag-kind').elements.pop().value = str(FlagKind.statement_hold)
    user.find(marker='flag-reason').type('Caller disputes the September visit')
    user.find(marker='flag-until').type(f'12/31/{next_year % 100:02d}')
    user.find(marker='submit').click()
    await user.should_see('Flag added.')
    with read_session() as session:
        flag = session.exec(select(AccountFlag).where(AccountFlag.account_id == account_id)).one()
    assert flag.expires_on == date(next_year, 12, 31)


async def test_a_double_click_on_resend_sends_one_email(user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    """The clicks may straddle a second (the outbox's dedupe key has one-second steps): the button must hold."""
    from datetime import datetime, timedelta

    from portal.models import Notification
    from portal.services.desk import resend as resend_service
    ticks = iter(datetime(2026, 11, 30, 15, 0, 0) + timedelta(seconds=n) for n in range(100))
    monkeypatch.setattr(resend_service, 'utcnow', lambda: next(ticks))
    with read_session() as session:
        account = session.exec(select(GuarantorAccount).where(GuarantorAccount.account_number == 'A10002026')).one()
    await _staff_at(user, f'/staff/accounts/{account.id}')
    await user.should_see(marker='resend')
    user.find(marker='resend').click()
    user.find(marker='resend').click()
    await user.should_see('Statement emailed to patient@example.com.')
    await asyncio.sleep(0.5)
    with read_session() as session:
        sent = session.exec(select(Notification).where(Notification.account_id == account.id,
                                                       col(Notification.dedupe_key).startswith('statement-resent:'))).all()
    assert len(sent) == 1
