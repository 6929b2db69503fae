"""Statements and receipts looked at as a person does, not only as extracted text: no two words or
characters printed over each other, nothing outside the printable margins, the stub's QR code
reads back as the statement's pay address, the quick-pay code and amount due are on page 1, and
no text is cut short. Over the demo household's documents, a 30-line statement of the reference
data's longest services for "Thị Minh Nguyễn", and the bad inputs (200-character provider and
location names, no address, no lines, $999,999.99, right-to-left and combining characters).

The rendered pages are kept as PNGs under test-artifacts/documents/ to look at."""
from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.config import reload_settings
from portal.db import dispose_engine, init_engine, write_session
from portal.documents.receipt_pdf import render_receipt
from portal.documents.remittance import grouped_code
from portal.documents.statement_pdf import ADDRESS_WINDOW, RETURN_WINDOW, render_statement
from portal.models import (
    GuarantorAccount,
    Payment,
    PracticeSettings,
    Refund,
    SavedPaymentMethod,
    Statement,
    User,
)
from portal.money import format_money
from portal.services import statements
from portal.services.payments.allocation import allocate
from portal.services.payments.receipts import receipt_view
from portal.services.seed import seed_database
from portal.services.statement_run import run_statements
from tests.factories import make_account, make_user, make_visit
from tests.support import documents as look
from tests.support.bad_documents import bad_receipts, bad_statements
from tests.support.databases import sqlite_copy

REFERENCE = Path(__file__).resolve().parents[3] / 'portal' / 'reference' / 'procedures.csv'
BASE = 'https://portal.example.com'
DAY = date(2026, 5, 12)


@dataclass
class Document:
    pdf: bytes
    kind: str  # statement, receipt
    page_one: list[str]  # what must be printed on page 1
    whole: list[str] = field(default_factory=list)  # printed somewhere, uncut, words in order
    pay_url: str = ''
    account: str = ''
    detail: statements.StatementDetail | None = None


def _longest_services() -> list[tuple[str, str, int]]:
    with REFERENCE.open(encoding='utf-8') as handle:
        rows = list(csv.DictReader(handle))
    rows.sort(key=lambda row: len(row['description']), reverse=True)
    return [(row['code'], row['description'], int(row['amount'])) for row in rows]


def _statement_document(detail: statements.StatementDetail) -> Document:
    pay_url = f'{BASE}/pay?code={detail.quick_pay_code}'
    texts = [detail.guarantor_name, *detail.guarantor_address]
    for visit in detail.visits:
        texts += [visit.patient_name, visit.provider_name, visit.location_name]
        texts += [line.description for line in visit.lines]
    return Document(render_statement(detail, pay_url=pay_url), 'statement',
                    [grouped_code(detail.quick_pay_code), format_money(detail.summary.amount_due),
                     detail.summary.account_number, 'Amount enclosed'], texts, pay_url,
                    detail.summary.account_number, detail)


def _receipt_document(view) -> Document:  # noqa: ANN001
    texts = [view.payer, view.practice.name, *[part for line in view.lines
                                              for part in (line.patient, line.provider, line.description)]]
    return Document(render_receipt(view), 'receipt', [view.receipt_number, format_money(view.amount)], texts)


def _demo_documents(url: str) -> dict[str, Document]:
    init_engine(url)
    seed_database(patients=60, seed=7, password='demo-password-for-tests')
    with write_session() as session:
        account = session.exec(select(GuarantorAccount).where(GuarantorAccount.account_number == 'A10002026')).one()
        statement_id = session.exec(select(Statement.id).where(Statement.account_id == account.id)
                                    .order_by(Statement.id.desc())).first()
        staff = session.exec(select(User).where(User.role == 'staff')).first()
        detail = statements.statement_detail(session, actor=Actor(user_id=staff.id, role='staff'),
                                             statement_id=statement_id)
        payment = session.exec(select(Payment).where(Payment.account_id == account.id)
                               .order_by(Payment.id.desc())).first()
        receipt = receipt_view(session, payment)
    return {'demo-statement': _statement_document(detail), 'demo-receipt': _receipt_document(receipt)}


def _long_documents(url: str) -> dict[str, Document]:
    """30 lines over 10 visits of the longest service descriptions, large amounts, a Vietnamese name;
    and a card payment that paid them all, with a refund."""
    init_engine(url)
    with write_session() as session:
        session.add(PracticeSettings(name='Riverside Family Medicine', phone='(555) 010-4400',
                                     address_line1='1200 S Main St', city='Springfield', state='IL',
                                     postal_code='62704', tax_id='37-1234567', npi='1928374655'))
    services = _longest_services()
    account, patients = make_account(guarantor_first_name='Thị Minh', guarantor_last_name='Nguyễn',
                                     address_line1='4417 Old Jacksonville Rd Apt 12', city='Springfield',
                                     state='IL', postal_code='62704')
    for visit in range(10):
        lines = [(code, description, amount * 37 + 99) for code, description, amount in
                 services[visit * 3 % len(services):][:3]]
        make_visit(account=account, patient=patients[0], date_of_service=date(2026, 1, 5) + timedelta(days=visit * 4),
                   lines=lines)
    user = make_user(account=account)
    run_statements(on=DAY)
    with write_session() as session:
        statement_id = session.exec(select(Statement.id).where(Statement.account_id == account.id)).one()
        detail = statements.statement_detail(session, actor=Actor(user_id=user.id, role='patient'),
                                             statement_id=statement_id)
        card = SavedPaymentMethod(account_id=account.id, gateway='demo', gateway_customer_id='cus_1',
                                  gateway_method_id='pm_long_receipt', kind='card', brand='visa', last4='4242')
        session.add(card)
        session.flush()
        payment = Payment(account_id=account.id, amount=detail.summary.amount_due, method='card', status='succeeded',
                          receipt_number='R260512-00A1B2C3D4', saved_method_id=card.id, payer_user_id=user.id)
        session.add(payment)
        session.flush()
        allocate(session, payment=payment)
        session.add(Refund(payment_id=payment.id, idempotency_key='refund-long-1', amount=2500, reason='Overpaid',
                           status='succeeded'))
        session.flush()
        receipt = receipt_view(session, payment)
    assert sum(len(visit.lines) for visit in detail.visits) == 30
    return {'long-statement': _statement_document(detail), 'long-receipt': _receipt_document(receipt)}


@pytest.fixture(scope='module')
def rendered(sqlite_template_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Document]]:
    folder = tmp_path_factory.mktemp('documents')
    reload_settings()
    try:
        found = _demo_documents(sqlite_copy(sqlite_template_path, folder))
        dispose_engine()
        found |= _long_documents(sqlite_copy(sqlite_template_path, folder))
    finally:
        dispose_engine()
    found |= {name: _statement_document(detail) for name, detail in bad_statements().items()}
    found |= {name: _receipt_document(view) for name, view in bad_receipts().items()}
    yield found


NAMES = ['demo-statement', 'demo-receipt', 'long-statement', 'long-receipt', *bad_statements(), *bad_receipts()]


@pytest.fixture(params=NAMES)
def document(request: pytest.FixtureRequest, rendered: dict[str, Document]) -> tuple[str, Document]:
    return request.param, rendered[request.param]


def test_no_two_words_overlap(document: tuple[str, Document]) -> None:
    name, found = document
    pages = look.look(found.pdf)
    look.keep(found.pdf, name)
    assert [problem for page in pages for problem in look.overlaps(page)] == []


def test_nothing_outside_the_printable_margins(document: tuple[str, Document]) -> None:
    _, found = document
    assert [problem for page in look.look(found.pdf) for problem in look.outside_margins(page)] == []


def test_page_one_carries_what_must_be_read_first(document: tuple[str, Document]) -> None:
    _, found = document
    first = look.normalized(look.look(found.pdf)[0].text)
    assert [text for text in found.page_one if look.normalized(text) not in first] == []


def test_no_text_is_cut(document: tuple[str, Document]) -> None:
    """Every name and description is printed whole: its words in order (wrapped lines of one column
    may have other columns' words between them)."""
    _, found = document
    pages = look.look(found.pdf)
    words = [word.text for page in pages for word in page.words]
    for text in found.whole:
        if not look.ARABIC.search(text):
            assert look.in_order(text, words), f'{text!r} is not printed whole'
    # joined Arabic letters cannot be read back as text: count that every one was drawn
    letters = sum(1 for text in found.whole for char in text if look.ARABIC.search(char))
    assert sum(look.arabic_glyphs(page) for page in pages) >= letters


def test_statement_qr_code_reads_back_as_the_pay_address(document: tuple[str, Document]) -> None:
    _, found = document
    if found.kind != 'statement':
        pytest.skip('statements only')
    first = look.render(found.pdf, dpi=200)[0]
    assert look.qr_codes(first) == [found.pay_url]


def test_the_guarantor_address_shows_in_the_envelope_window_at_a_readable_size(
        document: tuple[str, Document]) -> None:
    """Never below 8 pt; the city, state and ZIP line (what USPS reads first) inside the #10 window
    whole. An address too long for the window runs above it, never over the return address."""
    _, found = document
    if found.kind != 'statement':
        pytest.skip('statements only')
    window, above = ADDRESS_WINDOW, RETURN_WINDOW.bottom
    pt = look.PT_PER_MM
    address = [(char, size, box) for char, size, box in look.sized_chars(found.pdf)
               if box.x1 <= window.right * pt and above * pt < box.top and box.bottom <= window.bottom * pt + 1]
    assert address and min(size for _, size, _ in address) >= 8
    shown = ''.join(char for char, _, box in address if box.top >= window.y * pt - 0.5)
    last = (found.detail.guarantor_address or [found.detail.guarantor_name])[-1]
    assert look.normalized(shown).endswith(''.join(look.normalized(last).split()))


def test_long_statement_runs_over_pages_with_the_account_and_page_number_on_each(
        rendered: dict[str, Document]) -> None:
    found = rendered['long-statement']
    pages = look.look(found.pdf)
    assert len(pages) >= 2
    for page in pages:
        text = look.normalized(page.text)
        assert f'Page {page.number} of {len(pages)}' in text and found.account in text
    for page in pages[1:]:  # the table's headings are repeated on every page of detail
        assert 'Insurance paid' in page.text and 'You owe' in page.text


def test_statement_pdf_figures_are_the_statements_and_keep_the_identity(rendered: dict[str, Document]) -> None:
    """previous + new charges + refunds - insurance - adjustments - payments = new balance, as printed."""
    for name in ('demo-statement', 'long-statement', 'bad-long-names-most-money'):
        found = rendered[name]
        figures = look.statement_figures(found.pdf)
        totals = found.detail.totals
        expected = {'Previous balance': totals.previous_balance, 'New charges': totals.new_charges,
                    'Paid by insurance': -totals.insurance_payments, 'Adjustments': -totals.adjustments,
                    'Your payments': -totals.patient_payments, 'New balance': totals.new_balance,
                    'Amount due': found.detail.summary.amount_due}
        if totals.refunds:
            expected['Refunds to you'] = totals.refunds
        assert figures == expected, name
        assert sum(amount for label, amount in figures.items() if label not in ('New balance', 'Amount due')) \
            == figures['New balance']


def test_receipt_carries_what_an_hsa_or_fsa_claim_asks_for(rendered: dict[str, Document]) -> None:
    """From stored data: the practice's address, phone, tax id and NPI, the card's brand and last 4,
    each service's date, code and patient, and the refund against the payment."""
    text = look.normalized(' '.join(page.text for page in look.look(rendered['long-receipt'].pdf)))
    for expected in ('Tax ID (EIN): 37-1234567', 'NPI: 1928374655', '1200 S Main St', 'Springfield, IL 62704',
                     'Billing office (555) 010-4400', 'Visa ending 4242', 'Paid by Pat Lee', 'Jan 5, 2026',
                     '80053', 'Thị Minh Nguyễn', 'Refunds of this payment', 'Refunded -$25.00'):
        assert expected in text, expected
