"""Statement PDF: a visit whose lines run onto the next page has its heading repeated there, marked
"(continued)", below the column headings."""
from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.documents.statement_pdf import render_statement
from portal.models import Statement
from portal.services import statements
from portal.services.statement_run import run_statements
from tests.factories import make_account, make_user, make_visit

DAY = date(2026, 5, 12)


def test_a_visit_running_onto_the_next_page_repeats_its_heading_marked_continued(db: str) -> None:
    account, patients = make_account()
    make_visit(account=account, patient=patients[0], date_of_service=date(2026, 3, 2),
               lines=[('99213', f'Office visit, established patient, part {n}', 1500) for n in range(1, 61)])
    make_visit(account=account, patient=patients[0], date_of_service=date(2026, 3, 9),
               lines=[('36415', 'Blood draw', 2200)])
    user = make_user(account=account)
    run_statements(on=DAY)
    with read_session() as session:
        statement_id = session.exec(select(Statement.id).where(Statement.account_id == account.id)).one()
    with write_session() as session:
        detail = statements.statement_detail(session, actor=Actor(user_id=user.id, role='patient'),
                                             statement_id=statement_id)
    reader = PdfReader(io.BytesIO(render_statement(detail, pay_url='https://portal.example.com/pay')))
    pages = [' '.join(page.extract_text().split()) for page in reader.pages]
    assert len(pages) >= 3
    first = 'March 2, 2026 ·'
    for text in pages[1:]:
        if 'part 60' in text or any(f'part {n} ' in text for n in range(2, 60)):  # the long visit goes on here
            assert text.count(first) == 1 and '(continued)' in text.split(first, 1)[1].split('99213')[0], text[:400]
    later = next(text for text in pages if 'March 9, 2026 ·' in text)
    assert 'March 9, 2026 ·' in later and later.count('(continued)') <= 1
