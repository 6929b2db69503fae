"""Staff's remittance work: past imports and an import's detail (a reversal paired with its original),
matching an unmatched claim by hand (it posts then, once), marking one not ours; staff only."""
from __future__ import annotations

import pytest
from sqlmodel import select

from portal.auth.permissions import Actor, Refused
from portal.db import read_session, write_session
from portal.errors import ValidationFailed
from portal.models import LedgerEntry, MatchState
from portal.services import ledger, remittances
from portal.services.remittance_import import import_835
from tests.factories import make_user
from tests.support.remits import file_of, insured_visit, lab_line, office_line, payment, remit


def _staff() -> Actor:
    return Actor(make_user(role='staff').id, 'staff')


def _import(data: bytes) -> int:
    with write_session() as session:
        return import_835(session, actor=_staff(), data=data).payments[0].remittance_id


def _detail(remittance_id: int) -> remittances.RemittanceDetail:
    with read_session() as session:
        return remittances.remittance_detail(session, actor=_staff(), remittance_id=remittance_id)


def test_an_unmatched_claim_matched_by_hand_posts_once(db: str) -> None:
    visit = insured_visit()
    remittance_id = _import(file_of(remit(payment('TYPO-1001', lines=[office_line(18000, ('CO', '45', 2000)),
                                                                      lab_line(2200)]))))
    detail = _detail(remittance_id)
    [claim] = detail.claims
    assert (claim.state, claim.claim_number, detail.imported_by) == (MatchState.open, 'TYPO-1001', 'Pat Lee')
    staff = _staff()
    with write_session() as session, pytest.raises(ValidationFailed):
        remittances.match_by_hand(session, actor=staff, remittance_claim_id=claim.id, claim_number='NOPE')
    with write_session() as session:
        remittances.match_by_hand(session, actor=staff, remittance_claim_id=claim.id, claim_number=visit.claim_number)
    with write_session() as session, pytest.raises(ValidationFailed):
        remittances.match_by_hand(session, actor=staff, remittance_claim_id=claim.id, claim_number=visit.claim_number)
    detail = _detail(remittance_id)
    assert (detail.claims[0].state, detail.claims[0].account_id, detail.row.matched, detail.row.unmatched) == \
        (MatchState.matched_by_hand, visit.account_id, 1, 0)
    with read_session() as session:
        assert ledger.balance(session, visit.account_id) == 0
        assert sorted(session.exec(select(LedgerEntry.charge_id).where(LedgerEntry.kind == 'insurance_payment'))
                      .all()) == sorted([visit.office, visit.lab])


def test_a_claim_marked_not_ours_leaves_the_unmatched_list_and_posts_nothing(db: str) -> None:
    visit = insured_visit()
    remittance_id = _import(file_of(remit(payment('ELSEWHERE-9', lines=[office_line(20000)]))))
    with write_session() as session:
        remittances.mark_not_ours(session, actor=_staff(), remittance_claim_id=_detail(remittance_id).claims[0].id)
    detail = _detail(remittance_id)
    assert (detail.claims[0].state_label, detail.row.unmatched) == ('Not ours', 0)
    with read_session() as session:
        assert ledger.balance(session, visit.account_id) == 22200


def test_a_reversal_is_shown_paired_with_its_original(db: str) -> None:
    visit = insured_visit()
    first = _import(file_of(remit(payment(visit.claim_number, lines=[office_line(20000), lab_line(2200)]),
                                  trace='FIRST')))
    second = _import(file_of(remit(payment(visit.claim_number, status='22', lines=[office_line(-20000),
                                                                                    lab_line(-2200)]),
                                   trace='SECOND', amount=-22200)))
    assert _detail(second).claims[0].pairing == 'Reverses the payment of 222.00 in FIRST (claim PM-1001, line 13)'
    assert _detail(first).claims[0].pairing == 'Reversed by the payment SECOND (line 13)'


def test_patients_may_not_see_remittances(db: str) -> None:
    patient = make_user()
    with read_session() as session, pytest.raises(Refused):
        remittances.recent_remittances(session, actor=Actor(patient.id, 'patient'))


def test_a_payment_matched_by_hand_is_not_posted_again_once_settle_knows_its_payer_by_name(db: str) -> None:
    from portal.models import Payer
    visit = insured_visit()
    era = file_of(remit(payment(visit.claim_number, lines=[office_line(18000, ('CO', '45', 2000)), lab_line(2200)]),
                        payer='ACME-EDI', name='ACME HEALTH CO'))  # the payer's own id and name, unknown to Settle
    [claim] = _detail(_import(era)).claims
    with write_session() as session:
        remittances.match_by_hand(session, actor=_staff(), remittance_claim_id=claim.id,
                                  claim_number=visit.claim_number)
    with write_session() as session:  # staff name the payer as its 835s do: now Settle finds it by name
        payer = session.exec(select(Payer).where(Payer.payer_code == 'ACME')).one()
        payer.name = 'Acme Health Co'
        session.add(payer)
    with write_session() as session:
        again = import_835(session, actor=_staff(), data=era).payments[0]
    with read_session() as session:
        assert (again.already_imported, ledger.balance(session, visit.account_id)) == (True, 0)


def test_matching_by_hand_onto_a_claim_the_payer_already_paid_is_refused_and_posts_nothing(db: str) -> None:
    from portal.models import Claim, ClaimStatus
    visit = insured_visit()
    lines = [office_line(18000, ('CO', '45', 2000)), lab_line(2200)]
    _import(file_of(remit(payment(visit.claim_number, lines=lines), trace='TRC-1')))
    remittance_id = _import(file_of(remit(payment('TYPO-1001', lines=lines), trace='TRC-2')))
    [claim] = _detail(remittance_id).claims
    with write_session() as session, pytest.raises(ValidationFailed) as refused:
        remittances.match_by_hand(session, actor=_staff(), remittance_claim_id=claim.id,
                                  claim_number=visit.claim_number)
    assert refused.value.message == (f'Claim {visit.claim_number} was already paid by Acme Health on Mar 2, 2026 '
                                     '(trace TRC-1); nothing posted: a correction comes as a reversal (CLP02 22).')
    assert _detail(remittance_id).claims[0].state == MatchState.open
    with read_session() as session:
        assert ledger.balance(session, visit.account_id) == 0
        assert session.get(Claim, visit.claim_id).status == ClaimStatus.paid
