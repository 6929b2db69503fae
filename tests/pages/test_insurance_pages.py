"""/insurance for the demo patient and /staff/insurance for the demo staff member: coverage shown with
the member id masked until revealed, bad input told on the page with nothing stored, and the queue
round trip (the patient changes, staff verify, the patient sees "Verified")."""
from __future__ import annotations

from nicegui.testing import User
from sqlmodel import func, select

from portal.db import read_session
from portal.models import AuditEvent, GuarantorAccount, Patient
from portal.models.insurance import Coverage
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in


def _value(user: User, marker: str, value: object) -> None:
    for element in user.find(marker=marker).elements:
        element.value = value


def _demo_coverage() -> list[Coverage]:
    with read_session() as session:
        return list(session.exec(select(Coverage).join(Patient, Patient.id == Coverage.patient_id)
                                 .join(GuarantorAccount, GuarantorAccount.id == Patient.account_id)
                                 .where(GuarantorAccount.account_number == 'A10002026').order_by(Coverage.id)).all())


async def _open(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Hi Maria')
    await user.open('/insurance')
    await user.should_see('Primary: Blue Prairie Health')


async def test_the_patient_sees_masked_coverage_and_reveals_the_member_id(user: User) -> None:
    await _open(user)
    first = _demo_coverage()[0]
    await user.should_see(f'•••• {first.member_id[-4:]}')
    await user.should_not_see(first.member_id)
    await user.should_see('Verified by our office on')
    user.find(marker=f'reveal-{first.id}').click()
    await user.should_see(first.member_id)
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == 'reveal_member_id')).one() == 1


async def test_the_navigation_leads_to_insurance(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Hi Maria')
    await user.should_see('Insurance')


async def test_a_bad_member_id_and_a_second_primary_are_told_and_nothing_is_stored(user: User) -> None:
    await _open(user)
    before = len(_demo_coverage())
    patient_id = _demo_coverage()[0].patient_id
    user.find(marker=f'add-{patient_id}').click()
    await user.should_see('Add insurance for')
    _value(user, 'payer', _demo_coverage()[0].payer_id)
    _value(user, 'member-id', 'X' * 200)
    _value(user, 'subscriber-name', 'Maria Alvarez')
    user.find(marker='submit').click()
    await user.should_see('nothing was saved')
    await user.should_see('at most 30')
    _value(user, 'member-id', 'NEW123')
    user.find(marker='submit').click()
    await user.should_see('already has primary insurance')
    _value(user, 'effective-from', '2026-05-01')
    _value(user, 'effective-to', '2026-04-01')
    user.find(marker='submit').click()
    await user.should_see('The end date is before the start date.')
    assert len(_demo_coverage()) == before


async def test_round_trip_patient_changes_staff_verify_patient_sees_it(user: User) -> None:
    await _open(user)
    first = _demo_coverage()[0]
    user.find(marker=f'change-{first.id}').click()
    await user.should_see('Change insurance for')
    _value(user, 'plan-name', 'Gold HMO')
    user.find(marker='submit').click()
    await user.should_see('Our office will check it')
    await user.should_see('We are checking this')
    user.find('Sign out').click()
    await user.should_see('Sign in')
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Insurance queue')
    await user.open('/staff/insurance')
    await user.should_see('Insurance verification')
    await user.should_see('Gold HMO')
    user.find(marker=f'verify-{first.id}').click()
    await user.should_see('Nothing waiting')
    assert _demo_coverage()[0].verified_at is not None and _demo_coverage()[0].member_id == first.member_id


async def test_patients_cannot_open_the_queue(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Hi Maria')
    response = await user.http_client.get('/staff/insurance')
    assert response.status_code == 404 and 'Insurance verification' not in response.text


async def test_a_bad_card_photo_is_told_and_a_good_one_is_shown(user: User) -> None:
    from nicegui import ui
    from nicegui.elements.upload_files import SmallFileUpload

    from portal.models import StoredFile
    from tests.support import uploads

    await _open(user)
    first = _demo_coverage()[0]
    (field,) = user.find(marker=f'upload-front-{first.id}').elements
    assert isinstance(field, ui.upload) and field.props['capture'] == 'environment'

    def cards() -> list[tuple[str, str]]:  # the demo household's seeded pictures, then what was stored
        with read_session() as session:
            return [tuple(row) for row in session.exec(select(StoredFile.name, StoredFile.sha256).where(
                StoredFile.owner_kind == 'coverage_card', StoredFile.owner_id == first.id)
                .order_by(StoredFile.name)).all()]

    seeded = cards()
    assert [name for name, _ in seeded] == ['card-back.png', 'card-front.png']
    for name, data, words in (('card.jpg', uploads.executable(), 'is not a PDF, JPEG, PNG or HEIC'),
                              ('card.png', b'', 'is empty'),
                              ('huge.png', uploads.png_bomb(), 'too large')):
        await field.handle_uploads([SmallFileUpload(name, 'image/png', data)])
        await user.should_see(words)
    assert cards() == seeded  # nothing stored
    await field.handle_uploads([SmallFileUpload('IMG_0001.png', 'image/png', uploads.png())])
    await user.should_see('Saved the front of the card.')
    await user.should_see('Replace a photo of the front')
    back, front = cards()
    assert back == seeded[0] and front[0] == 'card-front.png' and front != seeded[1]  # the front replaced


async def test_staff_enter_benefits_correct_and_ask_from_the_queue(user: User) -> None:
    from portal.db import write_session
    first = _demo_coverage()[0]
    with write_session() as session:
        row = session.get(Coverage, first.id)
        row.verified_at = None
        session.add(row)
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Insurance queue')
    await user.open('/staff/insurance')
    await user.should_see('waiting since')
    user.find(marker=f'benefits-{first.id}').click()
    await user.should_see('Benefits for')
    _value(user, 'copay', '-5')
    _value(user, 'deductible-remaining', '1,000.50')
    user.find(marker='submit').click()
    await user.should_see('The amount must be more than zero.')
    _value(user, 'copay', '25')
    user.find(marker='submit').click()
    await user.should_see('Benefits saved')
    user.find(marker=f'correct-{first.id}').click()
    await user.should_see('Correct coverage for')
    _value(user, 'group-number', '40211-999')
    user.find(marker='submit').click()
    await user.should_see('Corrected and verified: group number.')
    stored = _demo_coverage()[0]
    assert (stored.copay, stored.deductible_remaining, stored.group_number) == (2500, 100050, '40211-999')
    assert stored.verified_at is not None and stored.corrected_fields == 'group number'
