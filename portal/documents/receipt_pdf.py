"""The payment receipt as a PDF, fit for an HSA or FSA claim: the practice's name, address, phone,
tax id and NPI; the receipt number, the day paid (the practice's calendar day), payer and method;
each service paid with its date of service, patient, provider, CPT/HCPCS code and full
description; and any refunds against the payment. After a refund each service shows what was
refunded of it and what stays paid, so the lines add up to the net paid. Long tables run onto more
pages, headings and all."""
from __future__ import annotations

from datetime import date

from fpdf import FPDF

from portal.documents.flow import Column, Flow, Table, title_table
from portal.documents.layout import MUTED, SHADE, TEAL, Box, Style, fill_box, text_box
from portal.documents.pdf import MARGIN, DocumentPDF
from portal.money import format_money
from portal.services.payments.receipts import ReceiptView

RIGHT_X = 118.0
STATUS = {'succeeded': 'Paid', 'processing': 'Processing (bank payment)', 'failed': 'Not completed'}
REFUND_STATUS = {'succeeded': 'Refunded', 'pending': 'Refund in progress', 'failed': 'Refund failed'}
SMALL = Style(size=8, color=MUTED)
HEADING = Style(size=11.5, bold=True, color=TEAL)
CELL = Style(size=8.5)
HEAD = Style(size=8, bold=True)
SERVICES = (Column('Date of service', 22), Column('Patient', 30), Column('Provider', 36), Column('Code', 14),
            Column('Service', 64.5), Column('Paid', 24, 'R'))
# after a refund: what was paid, refunded and stays paid per service (amounts up to -$999,999.99 fit)
SERVICES_REFUNDED = (Column('Date of service', 21), Column('Patient', 26), Column('Provider', 30), Column('Code', 13),
                     Column('Service', 37.5), Column('Paid', 21, 'R'), Column('Refunded', 21, 'R'),
                     Column('Net paid', 21, 'R'))
REFUNDS = (Column('Date', 26), Column('Refund', 34), Column('Why', 95.5), Column('Amount', 35, 'R'))


def _date(value: date) -> str:
    return f'{value:%b} {value.day}, {value.year}'


def render_receipt(view: ReceiptView) -> bytes:
    """The receipt PDF (bytes) for one payment."""
    money = lambda minor: format_money(minor, view.currency)  # noqa: E731
    pdf = DocumentPDF(title=f'Receipt {view.receipt_number}')
    pdf.alias_nb_pages()
    pdf.add_page()
    top = _header(pdf, view, money)
    flow = Flow(pdf, y=top + 6, top=MARGIN + 11, bottom=pdf.h - MARGIN - 2,
                on_new_page=lambda page: _running_header(page, view))
    with Table(flow, (Column('', 40), Column('', 150.5)), style=Style(size=9.5), head=None) as details:
        for label, value in _details(view, money):
            details.row([label, value], rule=False)
    flow.gap(4)
    refunded = refunded_by_line(view)
    columns = SERVICES_REFUNDED if view.refunded else SERVICES
    with title_table(Table(flow, columns, style=CELL, head=HEAD), 'Services this payment paid for', HEADING,
                     keep=CELL.line * 3) as services:
        rows = [[_date(line.date_of_service), line.patient, line.provider, line.code, line.description, line.amount]
                for line in view.lines]
        if view.unapplied > 0:
            rows.append(['', 'Credit on the account (not yet applied to a service)', '', '', '', view.unapplied])
        for row, back in zip(rows, refunded, strict=True):
            amount = row.pop()
            services.row([*row, money(amount), *((money(-back), money(amount - back)) if view.refunded else ())])
        if view.refunded:
            services.row(['', '', '', '', 'Total', money(view.amount), money(-view.refunded),
                          money(view.amount - view.refunded)], style=Style(size=8.5, bold=True), rule=False)
    if view.refunds:
        flow.gap(4)
        with title_table(Table(flow, REFUNDS, style=CELL, head=HEAD), 'Refunds of this payment', HEADING,
                         keep=CELL.line * 2) as refunds:
            for refund in view.refunds:
                refunds.row([_date(refund.on), REFUND_STATUS.get(refund.status, refund.status), refund.why,
                             money(-refund.amount)])
    flow.gap(5)
    flow.text('Keep this receipt for your records. It lists the dates of service, providers, services and '
              'amounts paid, which health savings (HSA) and flexible spending (FSA) accounts ask for.',
              Style(size=8.5, italic=True, color=MUTED))
    return pdf.output_bytes()


def refunded_by_line(view: ReceiptView) -> list[int]:
    """What the payment's refunds took back (minor units) from each of `view.lines`, then from its
    credit on the account (the last item, 0 when it has none). The rule of
    `portal.services.payments.allocation.paid_on_charges`: a refund comes first out of the credit,
    then off the services newest first (the lines are in the order the payment was applied)."""
    left = view.refunded
    from_credit = min(left, max(view.unapplied, 0))
    left -= from_credit
    taken = []
    for line in reversed(view.lines):
        taken.append(min(line.amount, left))
        left -= taken[-1]
    return [*reversed(taken), *([from_credit] if view.unapplied > 0 else [])]


def _details(view: ReceiptView, money) -> list[tuple[str, str]]:  # noqa: ANN001
    details = [('Paid by', view.payer), ('Account number', view.account_number), ('Method', view.method),
               ('Status', STATUS.get(view.status, view.status))]
    if view.reference:
        details.append(('Reference', view.reference))
    if view.refunded:
        details += [('Refunded', money(-view.refunded)), ('Net paid', money(view.amount - view.refunded))]
    return details


def _header(pdf: FPDF, view: ReceiptView, money) -> float:  # noqa: ANN001
    """The practice (left) and the receipt's number, day and amount (right); returns the bottom."""
    practice = view.practice
    width = RIGHT_X - 6 - MARGIN
    y = MARGIN + text_box(pdf, MARGIN, MARGIN, width, practice.name, Style(size=14, bold=True, color=TEAL,
                                                                           leading=1.2)) + 1
    for line in (*practice.address_lines, f'Billing office {practice.phone}' if practice.phone else '',
                 f'Tax ID (EIN): {practice.tax_id}' if practice.tax_id else '',
                 f'NPI: {practice.npi}' if practice.npi else ''):
        if line:
            y += text_box(pdf, MARGIN, y, width, line, Style(size=9))
    column = pdf.w - MARGIN - RIGHT_X
    right = MARGIN + text_box(pdf, RIGHT_X, MARGIN, column, f'Receipt · Page {pdf.page_no()} of {{nb}}', SMALL, 'R')
    right += text_box(pdf, RIGHT_X, right + 1, column, 'Payment receipt', Style(size=16, bold=True, leading=1.2),
                      'R') + 3
    for label, value in (('Receipt number', view.receipt_number), ('Date paid', _date(view.paid_on))):
        fill_box(pdf, Box(RIGHT_X, right, 32, 4.2), [label], Style(size=8.5, color=MUTED), one_line=True)
        fill_box(pdf, Box(RIGHT_X + 33, right, column - 33, 4.2), [value], Style(size=8.5), align='R',
                 one_line=True)
        right += 4.8
    pdf.set_fill_color(*SHADE)
    pdf.rect(RIGHT_X, right + 1, column, 11, style='F')
    fill_box(pdf, Box(RIGHT_X + 2, right + 3.8, 30, 5), ['Amount paid'], Style(size=10, bold=True), one_line=True)
    fill_box(pdf, Box(RIGHT_X + 33, right + 2.4, column - 35, 8), [money(view.amount)],
             Style(size=15, bold=True, leading=1.2), align='R', one_line=True)
    return max(y, right + 12)


def _running_header(pdf: FPDF, view: ReceiptView) -> None:
    fill_box(pdf, Box(MARGIN, MARGIN, 100, 4.5), [view.practice.name], Style(size=9, bold=True, color=TEAL),
             one_line=True)
    text_box(pdf, RIGHT_X, MARGIN, pdf.w - MARGIN - RIGHT_X,
             f'Receipt {view.receipt_number} · Page {pdf.page_no()} of {{nb}}', SMALL, 'R')
    pdf.set_draw_color(*SHADE)
    pdf.line(MARGIN, MARGIN + 6.5, pdf.w - MARGIN, MARGIN + 6.5)
