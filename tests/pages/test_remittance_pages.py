"""/staff/remittances: staff upload an 835 (a refused file says line and reason), see past imports, open
one, and match an unmatched claim by hand; patients get the 404 page."""
from __future__ import annotations

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from portal.db import read_session
from portal.models import RemittanceClaim
from portal.services import ledger
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in
from tests.support.remits import paying_a_seeded_claim


async def _upload(user: User, name: str, data: bytes) -> None:
    field = next(iter(user.find(kind=ui.upload, marker='upload-835').elements))
    await field.handle_uploads([ui.upload.SmallFileUpload(name, 'application/octet-stream', data)])


async def _open(user: User) -> None:
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open('/staff/remittances')
    await user.should_see('Insurance remittances')


async def test_a_refused_file_names_line_and_reason_and_lists_nothing(user: User) -> None:
    await _open(user)
    await _upload(user, 'claims.835', b'ISA*00*          *00*' + b'x' * 200)
    await user.should_see('claims.835 was refused; nothing was posted.', retries=100)
    await user.should_see(marker='refusal')
    await user.should_see('No remittances imported yet.')
    with read_session() as session:
        assert session.exec(select(RemittanceClaim)).first() is None


async def test_staff_upload_a_file_and_match_its_unmatched_claim_by_hand(user: User) -> None:
    with read_session() as session:
        data, number, account_id = paying_a_seeded_claim(session, sent_as='MISTYPED-1')
        before = ledger.balance(session, account_id)
    await _open(user)
    await _upload(user, 'era.835', data)
    await user.should_see('imported: 0 of 1 claims matched, 1 not matched', retries=100)  # pyx12 runs first
    table = next(iter(user.find(kind=ui.table, marker='remittances').elements))
    assert [(row['trace'], row['matched'], row['unmatched']) for row in table.rows] == [('PAGE-1', '0 of 1', '1')]
    await user.open(f'/staff/remittances/{table.rows[0]["id"]}')
    await user.should_see('Not matched')
    with read_session() as session:
        row_id = session.exec(select(RemittanceClaim.id).where(RemittanceClaim.claim_number == 'MISTYPED-1')).one()
    user.find(marker=f'match-{row_id}').click()
    await user.should_see('The practice’s claim number')
    user.find(marker='claim-number').type('NO-SUCH-CLAIM')
    user.find(marker='submit').click()
    await user.should_see('There is no claim with that number.')
    user.find(marker='claim-number').clear().type(number)
    user.find(marker='submit').click()
    await user.should_see('Matched and posted.')
    await user.should_see('Matched by hand')
    with read_session() as session:
        assert ledger.balance(session, account_id) < before


async def test_patients_get_the_404_page(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Hi Maria')
    response = await user.http_client.get('/staff/remittances')
    assert response.status_code == 404 and 'Insurance remittances' not in response.text
