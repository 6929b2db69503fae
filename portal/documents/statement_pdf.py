"""The statement PDF, laid out as US patient statements are printed and mailed.

Page 1, folded in three for a #10 double-window envelope: the practice's return address and the
guarantor's address sit in the envelope's two windows; beside them the account, dates and amount
due; the middle third has the account summary and how to pay, then the itemized visits begin; the
bottom third is the detachable remittance stub (`remittance.draw_stub`). The visits continue on
the following pages, each with the account number and "Page N of M" and the column headings again,
and, when a visit's lines run over, that visit's heading again marked "(continued)".
"""
from __future__ import annotations

import functools

from fpdf import FPDF

from portal.documents.flow import Column, Flow, Row, Table, title_table
from portal.documents.layout import MUTED, SHADE, TEAL, Box, Style, fill_box, fill_window, text_box, text_height
from portal.documents.pdf import MARGIN, DocumentPDF
from portal.documents.remittance import STUB_TOP, draw_stub, long_date
from portal.money import format_money
from portal.services.statements import StatementDetail, Visit

# Safe areas of a #10 double-window envelope's windows on a letter page folded in three (inches:
# return address 0.5 from the left and top, 3.5 x 0.792; recipient 0.5 from the left and 2.042
# from the top, 3.5 x 0.875), so whatever way the sheet shifts the whole address shows.
RETURN_WINDOW = Box(MARGIN, MARGIN, 88.9, 20.1)
ADDRESS_WINDOW = Box(MARGIN, 51.9, 88.9, 22.2)
FOLD = 279.4 / 3
RIGHT_X = 118.0  # the column beside the windows
BODY_TOP = 24.0  # below the running header of the following pages
BODY_BOTTOM = 279.4 - MARGIN - 8

TITLE = Style(size=16, bold=True, leading=1.2)
LABEL = Style(size=8.5, color=MUTED)
VALUE = Style(size=8.5)
HEADING = Style(size=11.5, bold=True, color=TEAL)
SUMMARY = Style(size=9.5)
SMALL = Style(size=8, color=MUTED)
CELL = Style(size=8.5)
HEAD = Style(size=8, bold=True)
VISIT = Style(size=8.5, bold=True, color=TEAL)
NOTE = Style(size=7.5, color=MUTED, leading=1.25)
COLUMNS = (Column('Code', 16), Column('Service', 62), Column('Billed', 22.5, 'R'),
           Column('Insurance paid', 22.5, 'R'), Column('Adjusted', 22.5, 'R'), Column('You paid', 22.5, 'R'),
           Column('You owe', 22.5, 'R'))
CREDIT_COLUMNS = (Column('Date', 38), Column('What', 117.5), Column('Amount', 35, 'R'))


class StatementPDF(DocumentPDF):
    def __init__(self, detail: StatementDetail) -> None:
        super().__init__(title=f'Statement {detail.summary.account_number} {detail.summary.statement_date}')
        self.detail = detail
        self.alias_nb_pages()


def render_statement(detail: StatementDetail, *, pay_url: str) -> bytes:
    """The PDF for one statement; `pay_url` is {base_url}/pay?code=<quick-pay code>."""
    pdf = StatementPDF(detail)
    pdf.add_page()
    _top_third(pdf, detail)
    draw_stub(pdf, detail, pay_url)
    flow = Flow(pdf, y=FOLD + 3, top=BODY_TOP, bottom=BODY_BOTTOM, first_bottom=STUB_TOP - 4,
                on_new_page=lambda _: _running_header(pdf, detail))
    _summary(flow, detail, pay_url)
    _visits(flow, detail)
    _visits(flow, detail, earlier=True)
    _credits(flow, detail)
    return pdf.output_bytes()


def money(amount: int, detail: StatementDetail) -> str:
    return format_money(amount, detail.summary.currency)


def _page_line(detail: StatementDetail, pdf: FPDF) -> str:
    return f'Account {detail.summary.account_number} · Page {pdf.page_no()} of {{nb}}'


def _top_third(pdf: StatementPDF, detail: StatementDetail) -> None:
    practice = detail.practice
    if practice:
        fill_box(pdf, RETURN_WINDOW, [practice.name, *(practice.address_lines or [practice.address])],
                 Style(size=9, color=MUTED, leading=1.2), min_size=5)
    fill_window(pdf, ADDRESS_WINDOW, [detail.guarantor_name, *detail.guarantor_address], Style(size=10, leading=1.2),
                top=RETURN_WINDOW.bottom + 3)
    width = pdf.w - MARGIN - RIGHT_X
    summary = detail.summary
    text_box(pdf, RIGHT_X, MARGIN, width, _page_line(detail, pdf), SMALL, 'R')
    y = MARGIN + SMALL.line + 1
    y += text_box(pdf, RIGHT_X, y, width, 'Statement', TITLE, 'R') + 2
    for label, value in (('Account number', summary.account_number),
                         ('Statement date', long_date(summary.statement_date)),
                         ('Due date', long_date(summary.due_date))):
        fill_box(pdf, Box(RIGHT_X, y, 30, LABEL.line), [label], LABEL, one_line=True)
        fill_box(pdf, Box(RIGHT_X + 31, y, width - 31, VALUE.line), [value], VALUE, align='R', one_line=True)
        y += VALUE.line + 0.6
    y += 1.5
    pdf.set_fill_color(*SHADE)
    pdf.rect(RIGHT_X, y, width, 12, style='F')
    fill_box(pdf, Box(RIGHT_X + 2, y + 3, 30, 6), ['Amount due'], Style(size=10.5, bold=True), one_line=True)
    fill_box(pdf, Box(RIGHT_X + 33, y + 1.8, width - 35, 8.5), [money(summary.amount_due, detail)],
             Style(size=16, bold=True, leading=1.2), align='R', one_line=True)
    y += 14
    text_box(pdf, RIGHT_X, y, width, f'Please pay by {long_date(summary.due_date)}.', SMALL, 'R')


def _running_header(pdf: FPDF, detail: StatementDetail) -> None:
    """Every page after the first: who it is from, the account and the page number; and a footer."""
    name = detail.practice.name if detail.practice else ''
    fill_box(pdf, Box(MARGIN, MARGIN, 100, 4.5), [name], Style(size=9, bold=True, color=TEAL), one_line=True)
    text_box(pdf, 118, MARGIN, pdf.w - MARGIN - 118, f'Statement · {_page_line(detail, pdf)}', SMALL, 'R')
    pdf.set_draw_color(*SHADE)
    pdf.line(MARGIN, MARGIN + 6.5, pdf.w - MARGIN, MARGIN + 6.5)
    phone = detail.practice.phone if detail.practice else ''
    text_box(pdf, MARGIN, pdf.h - MARGIN - SMALL.line, pdf.w - 2 * MARGIN,
             f'Questions about this statement? Call {phone}.' if phone else '', SMALL, 'C')


def _summary(flow: Flow, detail: StatementDetail, pay_url: str) -> None:
    pdf, totals, summary = flow.pdf, detail.totals, detail.summary
    rows = [('Previous balance', totals.previous_balance), ('New charges', totals.new_charges)]
    if totals.refunds:
        rows.append(('Refunds to you', totals.refunds))
    rows += [('Paid by insurance', -totals.insurance_payments),
             ('Adjustments (you do not owe these)', -totals.adjustments), ('Your payments', -totals.patient_payments)]
    top, width = flow.y, 100.0
    y = top + text_box(pdf, MARGIN, top, width, 'Account summary', HEADING) + 1
    for label, amount in rows:
        fill_box(pdf, Box(MARGIN, y, 68, SUMMARY.line), [label], SUMMARY, one_line=True)
        fill_box(pdf, Box(MARGIN + 69, y, width - 69, SUMMARY.line), [money(amount, detail)], SUMMARY, align='R',
                 one_line=True)
        y += SUMMARY.line
    pdf.set_draw_color(*MUTED)
    pdf.line(MARGIN, y + 0.4, MARGIN + width, y + 0.4)
    strong = Style(size=10, bold=True)
    fill_box(pdf, Box(MARGIN, y + 1, 68, strong.line), ['New balance'], strong, one_line=True)
    fill_box(pdf, Box(MARGIN + 69, y + 1, width - 69, strong.line), [money(totals.new_balance, detail)], strong,
             align='R', one_line=True)
    y += strong.line + 2
    if summary.waiting_for_insurance:  # new balance - waiting for insurance = amount due
        for label, amount, style in (('Waiting for insurance (not due yet)', -summary.waiting_for_insurance, SUMMARY),
                                     (detail.after_insurance_label, totals.new_balance - summary.waiting_for_insurance,
                                      strong)):
            fill_box(pdf, Box(MARGIN, y, 68, style.line), [label], style, one_line=True)
            fill_box(pdf, Box(MARGIN + 69, y, width - 69, style.line), [money(amount, detail)], style, align='R',
                     one_line=True)
            y += style.line
        y += 2
    if summary.on_plan:
        y += text_box(pdf, MARGIN, y, width, f'You are on a payment plan: pay {money(summary.amount_due, detail)} '
                      f'by {long_date(summary.due_date)}; the rest follows your plan.', Style(size=8.5))
    elif summary.status != 'paid' and summary.amount_due != totals.new_balance - summary.waiting_for_insurance:
        # the amount due above and on the stub is what is left now, as on the statement page
        y += text_box(pdf, MARGIN, y, width, f'Left to pay now: {money(summary.amount_due, detail)}. This statement '
                      f'asked for {money(totals.new_balance - summary.waiting_for_insurance, detail)}, less what you '
                      'paid since and anything not due yet.', Style(size=8.5))
    right = MARGIN + width + 8
    column = pdf.w - MARGIN - right
    side = top + text_box(pdf, right, top, column, 'How to pay', HEADING) + 1
    phone = detail.practice.phone if detail.practice else ''
    for text in (f'Online: {pay_url.split("?")[0]} with the quick-pay code on the stub below, or scan its QR '
                 'code. No sign-in needed.', 'By mail: send the stub below with your check.',
                 f'Questions about your bill? Call {phone}.' if phone else ''):
        if text:
            side += text_box(pdf, right, side, column, text, Style(size=8.5)) + 1.5
    flow.y = max(y, side) + 4


def _visits(flow: Flow, detail: StatementDetail, *, earlier: bool = False) -> None:
    """This statement's charges by visit; with `earlier`, the charges billed before and still open."""
    visits = detail.earlier if earlier else detail.visits
    if not visits:
        if not earlier and not detail.credits and not detail.earlier:
            flow.text('There is no new activity on this account since your last statement.', Style(size=9))
        return
    table = Table(flow, COLUMNS, style=CELL, head=HEAD)
    blocks = [_visit_block(table, visit, detail) for visit in visits]
    title = detail.still_open_title if earlier else 'Charges by visit'
    with title_table(table, title, HEADING, keep=blocks[0][0]):  # with the first visit
        for height, header, pending, rows in blocks:
            flow.gap(1.2)
            flow.need(height)
            flow.text(header, VISIT)
            if pending:
                flow.text(pending, NOTE)
            table.continued = functools.partial(_continued, flow, header)
            for row in rows:
                table.row(row)
            table.continued = None
    flow.gap(3)


def _continued(flow: Flow, header: str) -> None:
    """A visit's heading again at the top of the page its lines run onto."""
    flow.gap(1.2)
    flow.text(f'{header} (continued)', VISIT)


def _visit_block(table: Table, visit: Visit, detail: StatementDetail) -> tuple[float, str, str, list[Row]]:
    """A visit's heading, note and measured rows; and the height of its heading with its first row,
    which are kept together on one page."""
    header = f'{long_date(visit.date_of_service)} · {visit.patient_name} · {visit.provider_name} · ' \
             f'{visit.location_name}' + (f' · billed to {" and ".join(visit.payer_names)}' if visit.payer_names else '')
    held = visit.insurance_pending and detail.summary.waiting_for_insurance > 0
    pending = ('Insurance was still processing this visit when this statement was issued and has answered since: '
               'what you owe for it will be on your next statement.' if visit.answered_since else
               'Insurance is still processing this visit: its "You owe" is not due yet (see Waiting for insurance).'
               if held else 'Insurance is still processing this visit: what you owe may go down.'
               if visit.insurance_pending else '')
    rows = []
    for line in visit.lines:
        description = line.description + (f' (x{line.units})' if line.units > 1 else '') \
            + ((' (billed earlier)' if detail.previous_statement_date else ' (charged before this period)')
               if line.billed_earlier else '')
        adjusted = sum(item.amount for item in line.adjustments)
        notes = [f'{item.code} {money(item.amount, detail)}: {item.meaning}'
                 for item in line.adjustments + line.your_share]
        rows.append(table.measure([line.code, description, *(money(amount, detail) for amount in
                                                              (line.billed, line.insurance_paid, adjusted,
                                                               line.paid_by_you, line.patient_owes))],
                                  notes=notes, note_style=NOTE))
    flow = table.flow
    height = text_height(flow.pdf, header, flow.width, VISIT) + (NOTE.line if pending else 0) \
        + (rows[0].height if rows else 0) + 1.2
    return height, header, pending, rows


def _credits(flow: Flow, detail: StatementDetail) -> None:
    if not detail.credits:
        return
    with title_table(Table(flow, CREDIT_COLUMNS, style=CELL, head=HEAD), 'Payments and credits', HEADING,
                     keep=CELL.line * 2) as table:
        for credit in detail.credits:
            table.row([long_date(credit.on), credit.description, money(credit.amount, detail)])

