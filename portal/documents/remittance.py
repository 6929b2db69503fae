"""The remittance stub: the bottom third of a statement's first page, torn off and mailed back with
a check in a #9 reply envelope, or used to pay online with its quick-pay code or QR code.

The remit-to address sits where a #9 single-window reply envelope's window shows it (the window:
4.5 x 1.125 in, 7/8 in from the left and 1/2 in from the bottom; kept 1/8 in inside it, and clear
of the 3/8 in the stub can slide sideways in the envelope).
"""
from __future__ import annotations

from datetime import date

from fpdf import FPDF

from portal.documents.layout import MUTED, Box, Style, fill_box, text_box
from portal.documents.pdf import MARGIN, MONO, qr_image
from portal.money import format_money
from portal.services.statements import StatementDetail

STUB_TOP = 279.4 * 2 / 3  # the second fold of a letter page folded in three
REMIT_WINDOW = Box(25.4, 241.3, 98.4, 22.2)
QR_SIZE = 30.0
FIELD_LABEL = Style(size=8.5, color=MUTED)
FIELD = Style(size=9.5)
CODE = Style(size=15, family=MONO, leading=1.25)


def long_date(value: date) -> str:
    return f'{value:%B} {value.day}, {value.year}'


def grouped_code(code: str) -> str:
    """'ABCDEFGHJKLM' -> 'ABCD EFGH JKLM': read and typed in fours (/pay ignores the spaces)."""
    return ' '.join(code[index:index + 4] for index in range(0, len(code), 4))


def draw_stub(pdf: FPDF, detail: StatementDetail, pay_url: str) -> None:
    summary, practice = detail.summary, detail.practice
    right = pdf.w - MARGIN
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.25)
    pdf.set_dash_pattern(dash=1.5, gap=1.2)
    pdf.line(MARGIN, STUB_TOP, right, STUB_TOP)
    pdf.set_dash_pattern()
    payee = f' Make checks payable to {practice.name}.' if practice else ''
    fill_box(pdf, Box(MARGIN, STUB_TOP + 1.2, right - MARGIN, 6.6),
             [f'Please detach and return this part with your payment.{payee}'], Style(size=7.5, color=MUTED),
             min_size=4.5)

    y = STUB_TOP + 9
    money = format_money(summary.amount_due, summary.currency)
    for label, value, style in (('Account number', summary.account_number, FIELD),
                                ('Patient / guarantor', detail.guarantor_name, FIELD),
                                ('Statement date', long_date(summary.statement_date), FIELD),
                                ('Due date', long_date(summary.due_date), FIELD),
                                ('Amount due', money, Style(size=11, bold=True))):
        fill_box(pdf, Box(MARGIN, y + 0.6, 33, FIELD_LABEL.line), [label], FIELD_LABEL, one_line=True)
        fill_box(pdf, Box(MARGIN + 34, y, 62, style.line), [value], style, one_line=True, min_size=4.5)
        y += 5.6
    fill_box(pdf, Box(MARGIN, y + 2.4, 33, FIELD_LABEL.line), ['Amount enclosed'], FIELD_LABEL, one_line=True)
    pdf.set_draw_color(*MUTED)
    pdf.rect(MARGIN + 34, y + 0.5, 46, 8)
    text_box(pdf, MARGIN + 35.5, y + 2.2, 5, '$', FIELD)

    column_x, qr_x = 118.0, right - QR_SIZE
    column = qr_x - 3 - column_x
    code_y = STUB_TOP + 9
    code_y += text_box(pdf, column_x, code_y, column, 'Pay online, no sign-in needed', Style(size=9.5, bold=True))
    code_y += text_box(pdf, column_x, code_y + 0.8, column, 'Quick-pay code', FIELD_LABEL) + 1
    code_y += fill_box(pdf, Box(column_x, code_y, column, CODE.line), [grouped_code(detail.quick_pay_code)], CODE,
                       one_line=True, min_size=9) + 1.2
    text_box(pdf, column_x, code_y, column, f'Scan the code or go to {pay_url.split("?")[0]} and enter it.',
             Style(size=8))
    pdf.image(qr_image(pay_url), x=qr_x, y=STUB_TOP + 8.5, w=QR_SIZE, h=QR_SIZE)

    fill_box(pdf, Box(REMIT_WINDOW.x, REMIT_WINDOW.y - 4.4, REMIT_WINDOW.w, 3.6), ['Mail to'], FIELD_LABEL,
             one_line=True)
    if practice:
        fill_box(pdf, REMIT_WINDOW, [practice.name, *(practice.address_lines or [practice.address])],
                 Style(size=10, leading=1.2), min_size=5)
    note = Box(REMIT_WINDOW.right + 6, REMIT_WINDOW.y, right - REMIT_WINDOW.right - 6, REMIT_WINDOW.h)
    fill_box(pdf, note, [f'Write account number {summary.account_number} on your check.'], Style(size=8, color=MUTED))
