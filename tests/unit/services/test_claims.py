"""Insurance claims explained (portal.services.claims): the timeline from status events, the line math
(billed − insurance − adjustments the patient does not owe = what the patient owes), next steps from a
denial's codes, and access (another account's claim is NotFound, audited)."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import func, select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.errors import NotFound
from portal.models import (
    AuditEvent,
    Claim,
    ClaimAdjustment,
    ClaimStatus,
    ClaimStatusEvent,
    Coverage,
    Payer,
)
from portal.services import ledger
from portal.services.claims import DEDUCTIBLE, NextStepKind, claim_detail, list_claims, next_step
from tests.factories import make_account, make_claim, make_user, make_visit

pytestmark = pytest.mark.usefixtures('db')


def _claim(status: ClaimStatus, adjustments: list[tuple[int, str, str, str, int]], paid: dict[int, int],
           phone: str = '(800) 555-0199') -> tuple[Actor, int, list[int]]:
    """A signed-in patient's visit of two lines and its claim; adjustments are (line index, group, CARC, RARC,
    amount); paid maps line index -> what insurance paid."""
    account, (patient,) = make_account()
    user = make_user(account=account)
    charges = make_visit(account=account, patient=patient, date_of_service=date(2026, 3, 2),
                         lines=[('99213', 'Office visit', 18000), ('87880', 'Strep test', 4000)])
    claim_id = make_claim(charges[0], status=status)
    with write_session() as session:
        payer = Payer(name='Blue Prairie Health', payer_code=f'BP{claim_id}', phone=phone)
        session.add(payer)
        session.flush()
        coverage = Coverage(patient_id=patient.id, payer_id=payer.id, member_id='X1', subscriber_name='Maria Lopez')
        session.add(coverage)
        session.flush()
        claim = session.get(Claim, claim_id)
        claim.coverage_id = coverage.id
        for status_at, day in ((ClaimStatus.submitted, 4), (ClaimStatus.accepted, 5), (status, 20)):
            session.add(ClaimStatusEvent(claim_id=claim_id, status=status_at, at=datetime(2026, 3, day, 15, tzinfo=UTC),
                                         code='PR-27' if status_at == ClaimStatus.denied else ''))
        for index, group, carc, rarc, amount in adjustments:
            session.add(ClaimAdjustment(claim_id=claim_id, charge_id=charges[index], group_code=group, carc_code=carc,
                                        rarc_code=rarc, amount=amount))
        for index, amount in paid.items():
            ledger.post(session, account_id=account.id, kind='insurance_payment', amount=-amount,
                        external_ref=f'ins-{claim_id}-{index}', effective_date=date(2026, 3, 20),
                        patient_id=patient.id, charge_id=charges[index], claim_id=claim_id)
    return Actor(user.id, 'patient'), claim_id, charges


def test_paid_claim_timeline_and_line_math() -> None:
    actor, claim_id, charges = _claim(ClaimStatus.partially_paid,
                                      [(0, 'CO', '45', '', 6000), (0, 'PR', '3', '', 2500), (0, 'PR', '1', '', 1500),
                                       (1, 'CO', '97', 'M15', 4000)], {0: 8000})
    with write_session() as session:
        view = claim_detail(session, actor=actor, claim_id=claim_id)
    assert [(step.status, step.on) for step in view.timeline] == [
        (ClaimStatus.submitted, date(2026, 3, 4)), (ClaimStatus.accepted, date(2026, 3, 5)),
        (ClaimStatus.partially_paid, date(2026, 3, 20))]
    visit, strep = view.lines
    assert (visit.billed, visit.allowed, visit.insurance_paid, visit.patient_owes) == (18000, 12000, 8000, 4000)
    assert visit.patient_owes == visit.billed - visit.insurance_paid - sum(
        item.amount for item in visit.adjustments if not item.patient_owes)
    assert [item.code for item in visit.adjustments] == ['CO-45', 'PR-3', 'PR-1']
    assert 'copay' in visit.adjustments[1].meaning
    assert (strep.billed, strep.insurance_paid, strep.patient_owes) == (4000, 0, 0)
    assert strep.adjustments[0].code == 'CO-97 / M15' and 'Billed separately' in strep.adjustments[0].meaning
    assert view.summary.patient_owes == 4000 and view.summary.claim_number.startswith('CLM')
    assert view.next_step is None and view.summary.payer_name == 'Blue Prairie Health'


def test_denied_for_ended_coverage_says_update_your_insurance() -> None:
    actor, claim_id, _ = _claim(ClaimStatus.denied, [(0, 'PR', '27', '', 18000), (1, 'PR', '27', 'N130', 4000)], {})
    with write_session() as session:
        view = claim_detail(session, actor=actor, claim_id=claim_id)
        (summary,) = list_claims(session, actor=actor)
    assert view.next_step.kind == NextStepKind.update_insurance and view.next_step.href == '/insurance'
    assert view.timeline[-1].code == 'PR-27'
    assert [line.patient_owes for line in view.lines] == [18000, 4000]
    assert summary.needs_you and summary.patient_owes == 22000


@pytest.mark.parametrize(('codes', 'kind', 'href'), [
    ([('PR', '27', '')], NextStepKind.update_insurance, '/insurance'),
    ([('CO', '31', '')], NextStepKind.update_insurance, '/insurance'),
    ([('CO', '16', 'N4')], NextStepKind.call_insurer, 'tel:8005550199'),
    ([('PR', '227', '')], NextStepKind.call_insurer, 'tel:8005550199'),
    ([('CO', '16', 'MA130')], NextStepKind.ask_us, '/messages/new?link=claim:7'),  # the office corrects it
    ([('CO', '50', 'N115')], NextStepKind.ask_us, '/messages/new?link=claim:7'),
    ([], NextStepKind.ask_us, '/messages/new?link=claim:7'),
])
def test_next_step_from_codes(codes: list[tuple[str, str, str]], kind: NextStepKind, href: str) -> None:
    step = next_step(codes, claim_id=7, payer_name='Blue Prairie Health', payer_phone='(800) 555-0199')
    assert (step.kind, step.href) == (kind, href)


def test_call_insurer_without_a_phone_points_to_the_card() -> None:
    step = next_step([('CO', '22', '')], claim_id=7, payer_name='Blue Prairie Health')
    assert step.kind == NextStepKind.call_insurer and 'insurance card' in step.text


def test_denied_claim_with_missing_patient_information_gives_the_payer_phone() -> None:
    actor, claim_id, _ = _claim(ClaimStatus.denied, [(0, 'CO', '16', 'N4', 18000), (1, 'CO', '16', 'N4', 4000)], {})
    with write_session() as session:
        view = claim_detail(session, actor=actor, claim_id=claim_id)
    assert view.next_step.kind == NextStepKind.call_insurer and '(800) 555-0199' in view.next_step.text
    assert [line.patient_owes for line in view.lines] == [0, 0]


def test_another_accounts_claim_is_not_found_and_audited() -> None:
    _, claim_id, _ = _claim(ClaimStatus.paid, [], {})
    stranger_account, _ = make_account()
    stranger = Actor(make_user(account=stranger_account).id, 'patient')
    with pytest.raises(NotFound), write_session() as session:
        claim_detail(session, actor=stranger, claim_id=claim_id)
    with pytest.raises(NotFound), write_session() as session:
        claim_detail(session, actor=stranger, claim_id=claim_id + 1000)
    with read_session() as session:
        denied = session.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == 'view_claim', AuditEvent.outcome == 'denied')).one()
        assert denied == 1
    with write_session() as session:
        assert list_claims(session, actor=stranger) == ()


def _outbox() -> list:
    from portal.models import Notification
    with read_session() as session:
        return list(session.exec(select(Notification).where(Notification.template == 'claim_update')).all())


def test_a_denial_the_patient_can_act_on_emails_once_without_phi_and_counts_on_the_badge() -> None:
    from portal.services.claim_updates import claims_needing_you, record_claim_status
    actor, claim_id, _ = _claim(ClaimStatus.in_process, [(0, 'PR', '27', '', 18000), (1, 'PR', '27', '', 4000)], {})
    with write_session() as session:
        assert claims_needing_you(session, actor=actor) == 0
        event = record_claim_status(session, claim_id=claim_id, status=ClaimStatus.denied, code='PR-27')
    (mail,) = _outbox()
    assert mail.dedupe_key == f'claim-update:{event.id}' and '/claims' in mail.context_json
    for phi in ('Office visit', '99213', 'PR-27', 'Blue Prairie', 'CLM', 'Lopez'):
        assert phi not in mail.context_json, phi
    with write_session() as session:
        assert session.get(Claim, claim_id).status == ClaimStatus.denied
        assert claims_needing_you(session, actor=actor) == 1
        assert claim_detail(session, actor=actor, claim_id=claim_id).summary.needs_you


def test_a_denial_the_practice_absorbs_sends_nothing_and_shows_no_badge() -> None:
    from portal.services.claim_updates import claims_needing_you, record_claim_status
    actor, claim_id, _ = _claim(ClaimStatus.in_process, [(0, 'CO', '50', 'N115', 18000)], {})
    with write_session() as session:
        record_claim_status(session, claim_id=claim_id, status=ClaimStatus.denied, code='CO-50')
        assert claims_needing_you(session, actor=actor) == 0
    assert _outbox() == []


def test_a_claim_insurance_paid_nothing_on_because_of_the_deductible_says_so_not_paid() -> None:
    actor, claim_id, _ = _claim(ClaimStatus.paid, [(0, 'CO', '45', '', 6000), (0, 'PR', '1', '', 12000),
                                                   (1, 'PR', '1', '', 4000)], {})
    with write_session() as session:
        (summary,) = list_claims(session, actor=actor)
        view = claim_detail(session, actor=actor, claim_id=claim_id)
    assert (summary.shown_as, summary.status_label) == (DEDUCTIBLE, 'Applied to deductible')
    assert summary.insurance_paid == 0 and summary.patient_owes == 16000
    assert view.summary.shown_as == DEDUCTIBLE and view.summary.status == ClaimStatus.paid


def test_a_claim_insurance_paid_on_keeps_its_paid_chip() -> None:
    actor, _, _ = _claim(ClaimStatus.paid, [(0, 'CO', '45', '', 6000), (0, 'PR', '1', '', 2000)], {0: 10000})
    with write_session() as session:
        (summary,) = list_claims(session, actor=actor)
    assert (summary.shown_as, summary.status_label) == (ClaimStatus.paid, 'Paid')
