"""Corrections (issue 17, item 4): voiding or re-pointing a charge and reversing a write-off add
`correction` entries that point at what they correct; no entry is ever changed or removed, and the
statements issued afterwards keep the statement identity."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.errors import NotFound, ValidationFailed
from portal.models import Charge, LedgerEntry, LedgerKind, Statement
from portal.services import ledger
from portal.services.desk import adjustments, corrections
from portal.services.statement_run import run_statements
from tests.factories import make_account, make_user, make_visit


@pytest.fixture
def visit(db: str) -> dict:
    account, patients = make_account(patients=[
        {'first_name': 'Ana', 'date_of_birth': date(1980, 1, 2)},
        {'first_name': 'Leo', 'date_of_birth': date(2015, 4, 5), 'relationship_to_guarantor': 'child'}])
    [charge_id] = make_visit(account=account, patient=patients[0], date_of_service=date(2026, 1, 10),
                             lines=[('99213', 'Office visit', 24000)])
    with read_session() as session:
        entry = session.exec(select(LedgerEntry).where(LedgerEntry.charge_id == charge_id)).one()
    return {'account': account.id, 'entry': entry.id, 'charge': charge_id, 'leo': patients[1].id,
            'staff': Actor(make_user(role='staff').id, 'staff')}


def _rows(account_id: int) -> list[tuple]:
    with read_session() as session:
        return [(e.id, e.kind, e.amount, e.charge_id, e.corrects_entry_id, e.corrects_kind, e.effective_date)
                for e in session.exec(select(LedgerEntry).where(LedgerEntry.account_id == account_id)
                                      .order_by(col(LedgerEntry.id)))]


def test_voiding_a_charge_appends_a_correction_and_changes_nothing_before_it(visit: dict) -> None:
    before = _rows(visit['account'])
    with write_session() as session:
        corrections.void_charge(session, actor=visit['staff'], entry_id=visit['entry'], reason='Wrong account')
    after = _rows(visit['account'])
    assert after[:len(before)] == before
    [(_, kind, amount, charge_id, corrects, corrects_kind, _)] = after[len(before):]
    assert (kind, amount, charge_id, corrects, corrects_kind) == (
        LedgerKind.correction, -24000, visit['charge'], visit['entry'], LedgerKind.charge)
    with pytest.raises(ValidationFailed, match='already corrected'), write_session() as session:
        corrections.void_charge(session, actor=visit['staff'], entry_id=visit['entry'], reason='Again')


def test_repointing_posts_the_right_code_patient_and_amount_as_a_new_charge(visit: dict) -> None:
    with write_session() as session:
        new_id = corrections.repoint_charge(session, actor=visit['staff'], entry_id=visit['entry'],
                                            reason='Billed to the wrong child', code='99214',
                                            patient_id=visit['leo'], amount_text='180.00')
    with read_session() as session:
        new = session.get(LedgerEntry, new_id)
        charge = session.get(Charge, new.charge_id)
        assert ledger.balance(session, visit['account']) == 18000
        old = session.get(Charge, visit['charge'])
    assert (new.kind, new.amount, charge.code, charge.patient_id) == (LedgerKind.charge, 18000, '99214', visit['leo'])
    assert (old.code, old.amount) == ('99213', 24000)  # the wrong charge is kept as it was
    assert charge.date_of_service == date(2026, 1, 10)


@pytest.mark.parametrize(('fields', 'message'), [
    ({'code': 'XYZ'}, 'Use a CPT or HCPCS code'),
    ({'amount_text': '4,60'}, 'Enter the amount like 4.60.'),
    ({'reason': ''}, 'Say what was wrong'),
    ({'code': '99213', 'amount_text': '240.00', 'patient_id': None}, 'Nothing changed'),
])
def test_a_bad_repoint_changes_nothing(visit: dict, fields: dict, message: str) -> None:
    before = _rows(visit['account'])
    values = {'reason': 'Wrong code', 'code': '99214', 'amount_text': '180', 'patient_id': visit['leo'], **fields}
    if values['patient_id'] is None:
        with read_session() as session:
            values['patient_id'] = session.get(Charge, visit['charge']).patient_id
    with pytest.raises(ValidationFailed, match=message), write_session() as session:
        corrections.repoint_charge(session, actor=visit['staff'], entry_id=visit['entry'], **values)
    assert _rows(visit['account']) == before


def test_reversing_a_mistaken_write_off_puts_it_back(visit: dict) -> None:
    with write_session() as session:
        outcome = adjustments.request_adjustment(session, actor=visit['staff'], account_id=visit['account'],
                                                 amount_text='40', reason='bad_debt')
        [write_off] = [entry.id for entry in adjustments.entries_of(session, outcome.request_id)]
    with write_session() as session:
        corrections.reverse_write_off(session, actor=visit['staff'], entry_id=write_off, reason='Posted by mistake')
        assert ledger.balance(session, visit['account']) == 24000
        last = session.exec(select(LedgerEntry).order_by(col(LedgerEntry.id).desc())).first()
    assert (last.kind, last.amount, last.corrects_entry_id, last.corrects_kind) == (
        LedgerKind.correction, 4000, write_off, LedgerKind.write_off)
    with pytest.raises(ValidationFailed), write_session() as session:  # a charge is not a write-off
        corrections.reverse_write_off(session, actor=visit['staff'], entry_id=visit['entry'], reason='x')


def test_a_patient_cannot_correct(visit: dict) -> None:
    patient = Actor(make_user(role='patient').id, 'patient')
    with pytest.raises(NotFound), write_session() as session:
        corrections.void_charge(session, actor=patient, entry_id=visit['entry'], reason='x')


def test_statements_after_corrections_keep_the_identity(visit: dict) -> None:
    day = date(2026, 2, 1)
    run_statements(on=day)
    with write_session() as session:
        corrections.repoint_charge(session, actor=visit['staff'], entry_id=visit['entry'], reason='Wrong code',
                                   code='99214', patient_id=visit['leo'], amount_text='180.00')
        outcome = adjustments.request_adjustment(session, actor=visit['staff'], account_id=visit['account'],
                                                 amount_text='30', reason='prompt_pay_discount')
        [write_off] = [entry.id for entry in adjustments.entries_of(session, outcome.request_id)]
        corrections.reverse_write_off(session, actor=visit['staff'], entry_id=write_off, reason='Not eligible')
    run_statements(on=day + timedelta(days=35))
    with read_session() as session:
        statements = session.exec(select(Statement).where(Statement.account_id == visit['account'])
                                  .order_by(col(Statement.id))).all()
        assert len(statements) == 2
        for statement in statements:
            assert statement.new_balance == (statement.previous_balance + statement.new_charges + statement.refunds
                                             - statement.insurance_payments - statement.adjustments
                                             - statement.patient_payments)
        assert statements[1].previous_balance == statements[0].new_balance == 24000
        assert statements[1].new_balance == ledger.balance(session, visit['account']) == 18000
        assert statements[1].new_charges == 18000 - 24000  # the void falls in the charges' line
        assert statements[1].adjustments == 0  # the write-off and its reversal cancel out


def test_clerks_re_pointing_the_same_charge_at_once_post_one_correction(visit: dict) -> None:
    from concurrent.futures import ThreadPoolExecutor
    clerks = [Actor(make_user(role='staff').id, 'staff') for _ in range(4)]

    def attempt(args: tuple[Actor, str]) -> str:
        clerk, amount = args
        try:
            with write_session() as session:
                corrections.repoint_charge(session, actor=clerk, entry_id=visit['entry'], reason='Wrong amount',
                                           code='99213', patient_id=visit['leo'], amount_text=amount)
        except ValidationFailed as refused:
            return refused.message
        return 'posted'

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(attempt, zip(clerks, ('100.00', '110.00', '120.00', '130.00'), strict=True)))
    assert outcomes == ['This line was already corrected.'] * 3 + ['posted']
    with read_session() as session:
        charges = session.exec(select(Charge).where(Charge.account_id == visit['account'])).all()
    assert len(charges) == 2  # the wrong one and one right one, no stray charge without a ledger line
    assert [kind for _, kind, *_ in _rows(visit['account'])] == [LedgerKind.charge, LedgerKind.correction,
                                                                  LedgerKind.charge]
