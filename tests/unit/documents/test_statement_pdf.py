"""Statement detail and PDF: itemized by visit, text a PDF reader can extract (including names
with letters outside Latin-1), several pages when needed, the remittance stub with the quick-pay
code; another account's statement is NotFound and the refusal audited."""
from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.documents.remittance import grouped_code
from portal.documents.statement_pdf import render_statement
from portal.errors import NotFound
from portal.models import AuditEvent, Statement
from portal.services import statements
from portal.services.statement_run import run_statements
from tests.factories import make_account, make_user, make_visit

DAY = date(2026, 5, 12)


def _statement_for(**account_fields) -> tuple[Actor, int]:  # noqa: ANN003
    account, patients = make_account(**account_fields)
    for week in range(8):  # enough lines for more than one page
        make_visit(account=account, patient=patients[0], date_of_service=date(2026, 3, 2 + week * 3),
                   lines=[('99213', 'Office visit, established patient, 20-29 minutes', 15500),
                          ('36415', 'Blood draw', 2200), ('83036', 'Hemoglobin A1c (average blood sugar)', 4500)])
    user = make_user(account=account)
    run_statements(on=DAY)
    with read_session() as session:
        statement_id = session.exec(select(Statement.id).where(Statement.account_id == account.id)).one()
    return Actor(user_id=user.id, role='patient'), statement_id


def test_detail_groups_lines_by_visit(db: str) -> None:
    actor, statement_id = _statement_for()
    with write_session() as session:
        detail = statements.statement_detail(session, actor=actor, statement_id=statement_id)
    assert len(detail.visits) == 8 and [len(visit.lines) for visit in detail.visits] == [3] * 8
    assert detail.totals.new_charges == 8 * (15500 + 2200 + 4500) == detail.summary.amount_due
    line = detail.visits[0].lines[0]
    assert (line.code, line.billed, line.insurance_paid, line.patient_owes) == ('99213', 15500, 0, 15500)
    with write_session() as session:
        listed = statements.list_statements(session, actor=actor)
    assert [(item.id, item.status) for item in listed] == [(statement_id, 'due')] or listed[0].status == 'overdue'


def test_pdf_text_has_the_names_amounts_and_quick_pay_code(db: str) -> None:
    actor, statement_id = _statement_for(guarantor_first_name='Thị Minh', guarantor_last_name='Nguyễn',
                                         account_number='A77001122')
    with write_session() as session:
        detail = statements.statement_detail(session, actor=actor, statement_id=statement_id)
    pdf = render_statement(detail, pay_url=f'https://portal.example.com/pay?code={detail.quick_pay_code}')
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    text = '\n'.join(page.extract_text() for page in reader.pages)
    for expected in ('Thị Minh Nguyễn', 'A77001122', 'Amount due', '$1,776.00', 'Charges by visit', '99213',
                     'Blood draw', 'Quick-pay code', grouped_code(detail.quick_pay_code), 'Amount enclosed',
                     'Page 2 of'):
        assert expected in text, expected
    assert any(page.images for page in reader.pages), 'the QR code'


def test_another_accounts_statement_is_not_found_and_audited(db: str) -> None:
    _, statement_id = _statement_for()
    stranger = make_user(account=make_account()[0])
    actor = Actor(user_id=stranger.id, role='patient')
    with write_session() as session:
        assert statements.find_statement_detail(session, actor=actor, statement_id=statement_id) is None
    with pytest.raises(NotFound), write_session() as session:  # raising rolls back: hence find_statement_detail
        statements.statement_detail(session, actor=actor, statement_id=statement_id)
    with read_session() as session:
        denied = session.exec(select(AuditEvent).where(AuditEvent.actor_user_id == stranger.id,
                                                       AuditEvent.outcome == 'denied')).all()
    assert [event.action for event in denied] == ['view_statement']


def test_staff_views_are_audited(db: str) -> None:
    _, statement_id = _statement_for()
    staff = make_user(role='staff')
    with write_session() as session:
        statements.statement_detail(session, actor=Actor(user_id=staff.id, role='staff'), statement_id=statement_id)
    with read_session() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.actor_user_id == staff.id)).all()
    assert [(event.action, event.outcome) for event in events] == [('view_statement', 'ok')]
