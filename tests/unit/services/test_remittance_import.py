"""835 import: payments post once through the ledger's writer, keyed by payer + trace + claim + line +
group/reason; PR posts nothing; reversals are corrections pointing at what they reverse; PLB is the
practice's money; unmatched claims wait for staff; fatal files post nothing; the statement identity holds."""
from __future__ import annotations

from sqlmodel import col, func, select

from portal.db import read_session, write_session
from portal.models import (
    Claim,
    ClaimAdjustment,
    ClaimStatus,
    ClaimStatusEvent,
    LedgerEntry,
    LedgerKind,
    MatchState,
    ProviderLevelAdjustment,
    Remittance,
    RemittanceClaim,
)
from portal.services import ledger
from portal.services.remittance_import import import_835
from portal.services.statement_run import run_statements
from tests.support.remits import file_of, insured_visit, lab_line, office_line, payment, remit


def _import(data: bytes):  # noqa: ANN202
    with write_session() as session:
        return import_835(session, actor=None, data=data, file_name='era.835')


def _entries(account_id: int) -> list[tuple[str, int, str | None]]:
    with read_session() as session:
        return [(row.kind, row.amount, row.carc_code) for row in session.exec(
            select(LedgerEntry).where(LedgerEntry.account_id == account_id, LedgerEntry.kind != 'charge')
            .order_by(col(LedgerEntry.id))).all()]


def _balance(account_id: int) -> int:
    with read_session() as session:
        return ledger.balance(session, account_id)


def _claim(claim_id: int) -> Claim:
    with read_session() as session:
        return session.get(Claim, claim_id)


def test_a_partial_payment_posts_payment_and_contractual_adjustment_and_leaves_pr_to_the_patient(db: str) -> None:
    visit = insured_visit()
    data = file_of(remit(payment(visit.claim_number, lines=[
        office_line(15000, ('CO', '45', 2000), ('PR', '2', 3000), control='OV-PM-1001'),
        lab_line(2000, ('CO', '45', 200))])))
    report = _import(data)
    assert [(p.matched, p.unmatched, p.already_imported) for p in report.payments] == [(1, 0, False)]
    assert _entries(visit.account_id) == [('insurance_payment', -15000, None), ('contractual_adjustment', -2000, '45'),
                                          ('insurance_payment', -2000, None), ('contractual_adjustment', -200, '45')]
    assert _balance(visit.account_id) == 3000  # the coinsurance is the patient's
    claim = _claim(visit.claim_id)
    assert (claim.status, claim.paid_amount, claim.patient_responsibility) == (ClaimStatus.partially_paid, 17000, 3000)
    with read_session() as session:
        entries = session.exec(select(LedgerEntry).where(LedgerEntry.kind == 'insurance_payment')
                               .order_by(col(LedgerEntry.id))).all()
        assert [entry.charge_id for entry in entries] == [visit.office, visit.lab]
        assert entries[0].external_ref == 'era:ACME:TRC-1:PM-1001:OV-PM-1001:paid'
        assert session.exec(select(ClaimStatusEvent.status).where(ClaimStatusEvent.claim_id == visit.claim_id)).all() \
            == [ClaimStatus.partially_paid]


def test_importing_the_same_file_twice_changes_nothing(db: str) -> None:
    visit = insured_visit()
    data = file_of(remit(payment(visit.claim_number, lines=[office_line(18000, ('CO', '45', 2000)),
                                                            lab_line(2200)])))
    _import(data)
    before = _entries(visit.account_id)
    again = _import(data)
    assert [p.already_imported for p in again.payments] == [True]
    assert _entries(visit.account_id) == before
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(Remittance)).one() == 1
    assert _claim(visit.claim_id).status == ClaimStatus.paid


def test_lines_match_by_code_and_modifiers_when_there_is_no_line_control_number(db: str) -> None:
    visit = insured_visit()
    _import(file_of(remit(payment(visit.claim_number, lines=[lab_line(2200), office_line(20000)]))))
    with read_session() as session:
        by_charge = dict(session.exec(select(LedgerEntry.charge_id, LedgerEntry.amount)
                                      .where(LedgerEntry.kind == 'insurance_payment')).all())
    assert by_charge == {visit.lab: -2200, visit.office: -20000}


def test_a_line_with_other_modifiers_matches_no_charge_and_posts_to_the_claim_with_a_warning(db: str) -> None:
    visit = insured_visit()
    report = _import(file_of(remit(payment(visit.claim_number, lines=[office_line(20000, modifiers=('59',))]))))
    assert any('99213 matches no charge' in warning for warning in report.warnings)
    with read_session() as session:
        assert session.exec(select(LedgerEntry.charge_id).where(LedgerEntry.kind == 'insurance_payment')).all() \
            == [None]


def test_a_denial_posts_the_write_off_and_records_the_denied_status(db: str) -> None:
    visit = insured_visit()
    _import(file_of(remit(payment(visit.claim_number, status='4', lines=[
        office_line(0, ('CO', '50', 20000)), lab_line(0, ('CO', '50', 2200))]))))
    assert _claim(visit.claim_id).status == ClaimStatus.denied
    assert _balance(visit.account_id) == 0


def test_a_claim_the_payer_applied_to_the_deductible_is_not_denied(db: str) -> None:
    visit = insured_visit()  # processed as primary, nothing paid: the allowed amount is the patient's deductible
    _import(file_of(remit(payment(visit.claim_number, lines=[
        office_line(0, ('CO', '45', 5000), ('PR', '1', 15000)), lab_line(0, ('PR', '1', 2200))]))))
    assert _claim(visit.claim_id).status == ClaimStatus.partially_paid
    assert _balance(visit.account_id) == 17200


def test_a_reason_sent_twice_on_a_line_and_a_line_control_number_sent_twice_post_every_amount(db: str) -> None:
    visit = insured_visit()  # deviations real payers send: CAS*CO*45 twice on one line, two lines with one REF*6R
    _import(file_of(remit(payment(visit.claim_number, lines=[
        office_line(10000, ('CO', '45', 1000), ('CO', '45', 1000), control='X-1', billed=12000),
        office_line(8000, ('CO', '45', 2000), control='X-1', billed=10000)]))))
    assert sorted(_entries(visit.account_id)) == sorted([
        ('insurance_payment', -10000, None), ('contractual_adjustment', -1000, '45'),
        ('contractual_adjustment', -1000, '45'), ('insurance_payment', -8000, None),
        ('contractual_adjustment', -2000, '45')])


def _paid_then_reversed_and_corrected(visit):  # noqa: ANN001, ANN202
    """FIRST pays 180.00 + 22.00; SECOND reverses it and pays the corrected claim (150.00 + 22.00, PR-1 30.00)."""
    _import(file_of(remit(payment(visit.claim_number, lines=[office_line(18000, ('CO', '45', 2000)),
                                                            lab_line(2200)]), trace='FIRST')))
    reversal = payment(visit.claim_number, status='22', icn='ICN-1', lines=[
        office_line(-18000, ('CO', '45', -2000)), lab_line(-2200)])
    corrected = payment(visit.claim_number, icn='ICN-2', frequency='7', original_reference='ICN-1', lines=[
        office_line(15000, ('CO', '45', 2000), ('PR', '1', 3000)), lab_line(2200)])
    return _import(file_of(remit(reversal, corrected, trace='SECOND')))


def test_a_reversal_corrects_the_original_entries_and_the_corrected_claim_posts_again(db: str) -> None:
    visit = insured_visit()
    report = _paid_then_reversed_and_corrected(visit)
    assert report.payments[0].matched == 2
    with read_session() as session:
        originals = session.exec(select(LedgerEntry).where(LedgerEntry.memo == 'ERA FIRST')
                                 .order_by(col(LedgerEntry.id))).all()
        corrections = session.exec(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.correction)
                                   .order_by(col(LedgerEntry.id))).all()
        assert [(c.corrects_entry_id, c.corrects_kind, c.amount) for c in corrections] == \
            [(o.id, o.kind, -o.amount) for o in originals]
        rows = session.exec(select(RemittanceClaim).order_by(col(RemittanceClaim.id))).all()
        assert rows[1].reverses_id == rows[0].id and rows[2].reverses_id is None
    assert _balance(visit.account_id) == 3000
    claim = _claim(visit.claim_id)
    assert (claim.status, claim.paid_amount) == (ClaimStatus.reprocessed, 17200)
    with read_session() as session:  # the reasons the patient reads are the corrected claim's only
        assert sorted(session.exec(select(ClaimAdjustment.group_code, ClaimAdjustment.carc_code, ClaimAdjustment.amount)
                                   .where(ClaimAdjustment.claim_id == visit.claim_id)).all()) == \
            [('CO', '45', 2000), ('PR', '1', 3000)]


def test_a_reversal_of_a_payment_never_imported_posts_nothing_and_waits_for_staff(db: str) -> None:
    visit = insured_visit()
    report = _import(file_of(remit(payment(visit.claim_number, status='22', lines=[office_line(-18000)]),
                                   amount=-18000)))
    assert _entries(visit.account_id) == []
    assert report.unmatched and 'reversal' in report.unmatched[0]


def test_plb_interest_and_recoupment_are_recorded_on_the_remittance_not_on_a_patient(db: str) -> None:
    visit = insured_visit()
    report = _import(file_of(remit(payment(visit.claim_number, lines=[office_line(20000), lab_line(2200)]),
                                   plb=(('L6', -150), ('WO', 5000)))))
    with read_session() as session:
        remittance = session.get(Remittance, report.payments[0].remittance_id)
        assert (remittance.amount, remittance.plb_total) == (22200 - 5000 + 150, 4850)
        assert sorted(session.exec(select(ProviderLevelAdjustment.reason_code, ProviderLevelAdjustment.amount)).all()) \
            == [('L6', -150), ('WO', 5000)]
    assert _entries(visit.account_id) == [('insurance_payment', -20000, None), ('insurance_payment', -2200, None)]


def test_a_secondary_payment_matches_through_the_patients_secondary_coverage(db: str) -> None:
    visit = insured_visit()
    _import(file_of(remit(payment(visit.claim_number, lines=[office_line(15000, ('PR', '2', 5000)), lab_line(2200)]))))
    report = _import(file_of(remit(payment(visit.claim_number, status='2', lines=[
        office_line(5000, ('OA', '23', 15000))]), trace='SEC-1', payer='BETA', name='BETA MUTUAL')))
    assert report.payments[0].matched == 1
    assert _balance(visit.account_id) == 0
    assert _claim(visit.claim_id).paid_amount == 22200


def test_a_payer_the_claim_is_not_with_leaves_the_claim_unmatched(db: str) -> None:
    visit = insured_visit()
    report = _import(file_of(remit(payment(visit.claim_number, lines=[office_line(20000)]), payer='BETA',
                                   name='BETA MUTUAL')))
    assert report.payments[0].unmatched == 1 and 'not with Beta Mutual' in report.unmatched[0]
    assert _entries(visit.account_id) == []
    with read_session() as session:
        assert session.exec(select(RemittanceClaim.match_state)).all() == [MatchState.open]


def test_a_payer_repeated_in_one_file_imports_each_payment(db: str) -> None:
    first, second = insured_visit('PM-1'), insured_visit('PM-2')
    report = _import(file_of(remit(payment(first.claim_number, lines=[office_line(20000)]), trace='T-A'),
                             remit(payment(second.claim_number, lines=[office_line(20000)]), trace='T-B')))
    assert [(p.trace_number, p.matched) for p in report.payments] == [('T-A', 1), ('T-B', 1)]


def test_the_statement_identity_holds_after_an_import(db: str) -> None:
    visit = insured_visit()
    _import(file_of(remit(payment(visit.claim_number, lines=[
        office_line(15000, ('CO', '45', 2000), ('PR', '2', 3000)), lab_line(2200)]))))
    from datetime import date
    run_statements(on=date(2026, 3, 10))
    from portal.models import Statement
    with read_session() as session:
        statement = session.exec(select(Statement).where(Statement.account_id == visit.account_id)).one()
    assert statement.new_balance == 3000 == (statement.previous_balance + statement.new_charges + statement.refunds
                                             - statement.insurance_payments - statement.adjustments
                                             - statement.patient_payments)
    assert (statement.insurance_payments, statement.adjustments) == (17200, 2000)


def test_after_a_reversal_and_its_corrected_claim_the_patients_claim_page_shows_the_corrected_money(db: str) -> None:
    from portal.auth.permissions import Actor
    from portal.services.claims import claim_detail
    from tests.factories import make_user
    visit = insured_visit()
    _paid_then_reversed_and_corrected(visit)
    patient = Actor(make_user(account=visit.account_id).id, 'patient')
    with write_session() as session:
        summary = claim_detail(session, actor=patient, claim_id=visit.claim_id).summary
    assert (summary.insurance_paid, summary.patient_owes) == (17200, 3000)  # the reversed 202.00 is not counted


def test_two_imports_of_one_file_at_the_same_time_post_it_once_and_the_second_says_already_imported(db: str) -> None:
    import threading

    from portal.interop.x12_835 import read_835
    visit = insured_visit()
    era = file_of(remit(payment(visit.claim_number, lines=[office_line(18000, ('CO', '45', 2000)), lab_line(2200)])))
    second: list[object] = []

    def import_too() -> None:
        try:
            second.append(_import(era))
        except Exception as error:  # noqa: BLE001  (what the test checks)
            second.append(error)

    with write_session() as session:  # the first import's transaction is open while the second one runs
        first = import_835(session, actor=None, data=era, read=read_835(era))
        other = threading.Thread(target=import_too)
        other.start()
        other.join(2)  # gives the second import time to reach the payment's row, which waits for this commit
    other.join()
    assert not first.payments[0].already_imported
    assert [type(outcome).__name__ for outcome in second] == ['Import835Report']  # not a unique-key error
    assert second[0].payments[0].already_imported
    assert _balance(visit.account_id) == 0


def test_charge_balances_follow_an_import_and_its_reversal(db: str) -> None:
    """The dashboard's per-charge open amounts (charge_balance) agree with the ledger after a payment, its
    reversal and the corrected claim: a reversal's corrections give back what they reverse."""
    from portal.models import ChargeBalance

    visit = insured_visit()
    _paid_then_reversed_and_corrected(visit)
    with read_session() as session:
        rows = {row.charge_id: row for row in session.exec(
            select(ChargeBalance).where(ChargeBalance.account_id == visit.account_id))}
        assert sum(row.open_amount for row in rows.values()) == ledger.balance(session, visit.account_id) == 3000
        assert (rows[visit.office].insurance_paid, rows[visit.office].adjusted) == (15000, 2000)
        assert (rows[visit.lab].insurance_paid, rows[visit.lab].open_amount) == (2200, 0)


def test_an_import_keeps_the_dashboards_ledger_days_as_a_rebuild_makes_them(db: str) -> None:
    """ledger_day (collections by day) counts each entry the import posts, its reversal's corrections too,
    without waiting for `python -m portal rebuild-balances`."""
    from portal.models import LedgerDay
    from portal.services import receivables

    def days() -> dict:
        with read_session() as session:
            return {(row.day, row.kind, row.method, row.channel): (row.entries, row.amount)
                    for row in session.exec(select(LedgerDay)) if row.kind != 'charge'}

    visit = insured_visit()
    _paid_then_reversed_and_corrected(visit)
    kept = days()
    assert kept  # the import's payments and adjustments are there
    with write_session() as session:
        receivables.rebuild(session.connection())
    assert days() == kept


def test_a_claim_the_payer_already_paid_sent_again_under_a_new_trace_posts_nothing_and_is_listed(db: str) -> None:
    visit = insured_visit()
    paid = payment(visit.claim_number, lines=[office_line(18000, ('CO', '45', 2000)), lab_line(2200)])
    _import(file_of(remit(paid, trace='TRC-1')))
    before = _entries(visit.account_id)
    report = _import(file_of(remit(paid, trace='TRC-2')))
    assert _entries(visit.account_id) == before and _balance(visit.account_id) == 0  # not adjusted twice
    assert (report.payments[0].matched, report.payments[0].unmatched) == (0, 1)
    assert any(f'claim {visit.claim_number} was already paid by Acme Health on Mar 2, 2026 (trace TRC-1); nothing '
               'posted: a correction comes as a reversal (CLP02 22)' in warning for warning in report.warnings)
    assert 'already decided' in report.unmatched[0]
    assert _claim(visit.claim_id).status == ClaimStatus.paid
    with read_session() as session:
        assert session.exec(select(ClaimStatusEvent.status).where(ClaimStatusEvent.claim_id == visit.claim_id)).all() \
            == [ClaimStatus.paid]


def test_a_claim_the_payer_denied_sent_again_under_a_new_trace_number_writes_nothing_off_twice(db: str) -> None:
    visit = insured_visit()
    denial = payment(visit.claim_number, status='4', lines=[office_line(0, ('CO', '50', 20000)),
                                                             lab_line(0, ('CO', '50', 2200))])
    _import(file_of(remit(denial, trace='D-1', amount=0)))
    report = _import(file_of(remit(denial, trace='D-2', amount=0)))
    assert _balance(visit.account_id) == 0
    assert any('already denied by Acme Health' in warning for warning in report.warnings)


def test_the_patients_claim_page_shows_the_insurers_claim_number_and_the_timeline_in_plain_words(db: str) -> None:
    from portal.auth.permissions import Actor
    from portal.services.claims import claim_detail
    from tests.factories import make_user
    visit = insured_visit()
    _paid_then_reversed_and_corrected(visit)  # FIRST: ICN-1; SECOND reverses it, the corrected claim is ICN-2
    patient = Actor(make_user(account=visit.account_id).id, 'patient')
    with write_session() as session:
        view = claim_detail(session, actor=patient, claim_id=visit.claim_id)
    assert (view.summary.payer_claim_number, view.summary.claim_number) == ('ICN-2', visit.claim_number)
    assert [(step.label, step.meaning) for step in view.timeline] == [
        ('Paid', 'Charge exceeds the contracted fee: you do not owe this.'),
        ('Your insurer is reviewing it', 'reversed by the insurer'),
        ('Decided again', 'Charge exceeds the contracted fee: you do not owe this.')]


def test_since_the_statement_a_reversal_reads_as_insurance_payment_reversed_not_corrections(db: str) -> None:
    """Home's 'Since your statement' line: a payer's reversal adds back what it had paid; it is not a new
    charge nor a bare 'corrections'."""
    from datetime import date

    from components.activity import since_html
    from portal.services.payment_history import activity_since_statements
    visit = insured_visit()
    _import(file_of(remit(payment(visit.claim_number, lines=[
        office_line(15000, ('CO', '45', 2000), ('PR', '2', 3000)), lab_line(2200)]), trace='FIRST')))
    run_statements(on=date(2026, 3, 10))
    _import(file_of(remit(payment(visit.claim_number, status='22', lines=[
        office_line(-15000, ('CO', '45', -2000), ('PR', '2', -3000)), lab_line(-2200)]), trace='SECOND')))
    with read_session() as session:
        [since] = activity_since_statements(session, [visit.account_id], lines=True)
    assert (since.insurance_reversed, since.corrections, since.change) == (19200, 0, 19200)
    assert {line.what for line in since.lines} == {'Insurance payment reversed', 'Insurance discount reversed'}
    words = since_html(since, several=False)
    assert '+$192.00</span> insurance payments reversed by your insurer' in words and 'corrections' not in words
