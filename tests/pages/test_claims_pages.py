"""/claims (in the navigation; every claim of the account with its payer claim number, the denied one marked)
and /claims/{id} (timeline, line by line, the next step of a denial with its button; "Ask us" opens a new
message linked to the claim); another account's claim is a 404, audited."""
from __future__ import annotations

from nicegui.testing import User
from sqlmodel import func, select

from portal.db import read_session, write_session
from portal.models import AuditEvent, Claim, ClaimAdjustment, ClaimStatus, GuarantorAccount, MessageThread
from tests.pages.conftest import DEMO_PATIENT, sign_in

DEMO_ACCOUNT = 'A10002026'


def _demo_claims() -> tuple[Claim, list[Claim], int]:
    """The demo household's denied claim, all its claims, and a claim of another account."""
    with read_session() as session:
        account_id = session.exec(select(GuarantorAccount.id)
                                  .where(GuarantorAccount.account_number == DEMO_ACCOUNT)).one()
        own = session.exec(select(Claim).where(Claim.account_id == account_id)).all()
        other = session.exec(select(Claim.id).where(Claim.account_id != account_id)).first()
    denied = [claim for claim in own if claim.status == ClaimStatus.denied]
    assert len(denied) == 1 and other is not None
    return denied[0], list(own), other


async def test_claims_list_and_a_denied_claim_with_its_next_step(user: User) -> None:
    denied, own, _ = _demo_claims()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.should_see('>Claims<span')  # in the navigation, with the badge of claims needing the patient
    await user.should_see('aria-label="1 need your attention">1</span>')
    await user.open('/claims')
    await user.should_see('Match the claim number')
    listing = next(iter(user.find(marker='claims').elements)).content
    assert all(claim.claim_number in listing for claim in own)
    assert f'href="/claims/{denied.id}"' in listing and 'Action needed' in listing
    await user.open(f'/claims/{denied.id}')
    await user.should_see(denied.claim_number)
    await user.should_see('What you can do')
    await user.should_see('coverage had ended')
    timeline = next(iter(user.find(marker='timeline').elements)).content
    assert 'Sent to your insurer' in timeline and 'Denied' in timeline and 'coverage had ended' in timeline
    assert 'PR-27' not in timeline  # the code in plain words; the line by line shows the code
    lines = next(iter(user.find(marker='lines').elements)).content
    assert 'PR-27' in lines and 'Your coverage had ended' in lines and 'You owe' in lines
    await user.should_see('Update your insurance')


async def test_ask_us_opens_a_message_linked_to_the_claim(user: User) -> None:
    denied, _, _ = _demo_claims()
    with write_session() as session:  # a denial the practice absorbs: nothing to update, so "ask us"
        for row in session.exec(select(ClaimAdjustment).where(ClaimAdjustment.claim_id == denied.id)):
            row.group_code, row.carc_code, row.rarc_code = 'CO', '50', 'N115'
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open(f'/claims/{denied.id}')
    await user.should_see('Ask us about this claim')
    user.find(marker='next-step-button').click()
    await user.should_see('What is it about?')
    assert next(iter(user.find(marker='link').elements)).value == f'claim:{denied.id}'
    next(iter(user.find(marker='category').elements)).value = 'billing_question'
    user.find(marker='subject').type('Denied claim')
    user.find(marker='body').type('What does this denial mean for me?')
    user.find(marker='submit').click()
    await user.should_see('Expected reply by')
    with read_session() as session:
        thread = session.exec(select(MessageThread).where(MessageThread.subject == 'Denied claim')).one()
    assert thread.claim_id == denied.id


async def test_another_accounts_claim_is_not_found_and_audited(user: User) -> None:
    _, _, other = _demo_claims()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    assert (await user.http_client.get(f'/claims/{other}')).status_code == 404
    assert (await user.http_client.get('/claims/12x')).status_code == 404
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == 'view_claim', AuditEvent.outcome == 'denied')).one() == 1


async def test_a_claim_that_all_went_to_the_deductible_is_not_shown_as_paid(user: User) -> None:
    from datetime import date

    from portal.models import Patient
    from tests.factories import make_claim, make_visit
    with write_session() as session:
        account = session.exec(select(GuarantorAccount).where(GuarantorAccount.account_number == DEMO_ACCOUNT)).one()
        patient = session.exec(select(Patient).where(Patient.account_id == account.id)).first()
        (charge,) = make_visit(account=account, patient=patient, date_of_service=date(2026, 11, 2),
                               lines=[('99213', 'Office visit', 18000)], session=session)
        claim_id = make_claim(charge, status=ClaimStatus.paid, session=session)
        session.add(ClaimAdjustment(claim_id=claim_id, charge_id=charge, group_code='CO', carc_code='45', amount=6000))
        session.add(ClaimAdjustment(claim_id=claim_id, charge_id=charge, group_code='PR', carc_code='1', amount=12000))
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open('/claims')
    await user.should_see('Match the claim number')
    listing = next(iter(user.find(marker='claims').elements)).content
    row = listing.split(f'data-testid="claim-{claim_id}"')[1].split('</li>')[0]
    assert '>Applied to deductible</span>' in row and '>Paid</span>' not in row
    await user.open(f'/claims/{claim_id}')
    await user.should_see('Applied to deductible')
