"""/staff/remittances: staff upload an 835 (a refused file says line and reason), see past imports, open
one, and match an unmatched claim by hand; patients get the 404 page."""
from __future__ import annotations

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from components.uploads import UPLOAD_MAX_FILE_BYTES
from portal.db import read_session, write_session
from portal.interop.x12_835 import MAX_BYTES
from portal.models import RemittanceClaim
from portal.services import ledger
from portal.services.remittance_import import import_835
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in
from tests.support.remits import file_of, insured_visit, lab_line, office_line, paying_a_seeded_claim, payment, remit


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
    field = next(iter(user.find(kind=ui.upload, marker='upload-835').elements))
    assert field.props['max-file-size'] == UPLOAD_MAX_FILE_BYTES == MAX_BYTES  # the browser refuses bigger files
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
    await user.should_see(kind=ui.table, marker='remittances')  # shown once the list is read again, just after
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


async def test_a_reversal_is_shown_beside_the_payment_it_reverses(user: User) -> None:
    visit = insured_visit('PM-REV-1')
    ids = []
    for claims, trace in (([payment(visit.claim_number, lines=[office_line(20000), lab_line(2200)])], 'ERA-A'),
                          ([payment(visit.claim_number, status='22', lines=[office_line(-20000), lab_line(-2200)]),
                            payment(visit.claim_number, icn='ICN-2', frequency='7',
                                    lines=[office_line(18000, ('CO', '45', 2000)), lab_line(2200)])], 'ERA-B')):
        with write_session() as session:
            ids.append(import_835(session, actor=None, data=file_of(remit(*claims, trace=trace))).payments[0]
                       .remittance_id)
    await _open(user)
    await user.open(f'/staff/remittances/{ids[1]}')
    await user.should_see('Reverses the payment of 222.00 in ERA-A (claim PM-REV-1, line 13)')
    await user.should_see('Reversal of an earlier payment')
    await user.should_see('(corrected claim)')
    await user.open(f'/staff/remittances/{ids[0]}')
    await user.should_see('Reversed by the payment ERA-B (line 13)')
