"""The statement PDF: practice header, account and dates, the summary with the amount due, the
itemized detail by visit over as many pages as it needs, payments and credits, and a remittance
stub with the quick-pay code and a QR code to /pay."""
from __future__ import annotations

from portal.documents.pdf import FONT, DocumentPDF, qr_png
from portal.money import format_money
from portal.services.statements import StatementDetail

INK = (15, 23, 42)
MUTED = (71, 85, 105)
TEAL = (15, 92, 110)
SHADE = (241, 245, 249)
STUB_HEIGHT = 62


def _date(value) -> str:  # noqa: ANN001
    return f'{value:%B} {value.day}, {value.year}'


class StatementPDF(DocumentPDF):
    def __init__(self, detail: StatementDetail) -> None:
        super().__init__(title=f'Statement {detail.summary.account_number} {detail.summary.statement_date}')
        self.detail = detail
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        practice = self.detail.practice
        phone = practice.phone if practice else ''
        self.cell(0, 5, f'Questions about this statement? Call {phone}.   Page {self.page_no()} of {{nb}}',
                  align='C')


def _wrap(pdf: StatementPDF, text: str, width: float) -> list[str]:
    """Greedy word wrap by measured widths: fpdf2's multi_cell re-measures every prefix of a line,
    which made it most of a statement's render time."""
    if pdf.get_string_width(text) <= width:
        return [text]
    space = pdf.get_string_width(' ')
    lines: list[str] = []
    current, current_width = '', 0.0
    for word in text.split(' '):
        word_width = pdf.get_string_width(word)
        if current and current_width + space + word_width > width:
            lines.append(current)
            current, current_width = word, word_width
        else:
            current, current_width = (f'{current} {word}', current_width + space + word_width) if current \
                else (word, word_width)
    lines.append(current)
    return lines


def _text(pdf: StatementPDF, width: float, height: float, text: str) -> int:
    """Wrapped lines from the current x, leaving the cursor at the same x below them; returns the count."""
    lines = _wrap(pdf, text, width)
    for line in lines:
        pdf.cell(width, height, line, new_x='LEFT', new_y='NEXT')
    return len(lines)


def render_statement(detail: StatementDetail, *, pay_url: str) -> bytes:
    """The PDF for one statement; `pay_url` is {base_url}/pay?code=<quick-pay code>."""
    pdf = StatementPDF(detail)
    pdf.add_page()
    _header(pdf, detail)
    _summary(pdf, detail)
    _visits(pdf, detail)
    _credits(pdf, detail)
    _stub(pdf, detail, pay_url)
    return pdf.output_bytes()


def _money(amount: int, detail: StatementDetail) -> str:
    return format_money(amount, detail.summary.currency)


def _header(pdf: StatementPDF, detail: StatementDetail) -> None:
    practice = detail.practice
    top = pdf.get_y()
    pdf.set_text_color(*TEAL)
    pdf.set_font(FONT, 'B', 15)
    pdf.cell(110, 7, practice.name if practice else '', new_x='LMARGIN', new_y='NEXT')
    pdf.set_text_color(*MUTED)
    pdf.set_font(FONT, size=9)
    for line in (practice.address if practice else '', practice.phone if practice else ''):
        if line:
            pdf.cell(110, 4.5, line, new_x='LMARGIN', new_y='NEXT')
    pdf.ln(5)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, 'B', 10)
    pdf.cell(110, 5, detail.guarantor_name, new_x='LMARGIN', new_y='NEXT')
    pdf.set_font(FONT, size=10)
    for line in detail.guarantor_address:
        pdf.cell(110, 5, line, new_x='LMARGIN', new_y='NEXT')
    bottom = pdf.get_y()
    pdf.set_xy(130, top)
    pdf.set_font(FONT, 'B', 16)
    pdf.cell(70, 8, 'Statement', align='R', new_x='LEFT', new_y='NEXT')
    pdf.set_font(FONT, size=9)
    summary = detail.summary
    for label, value in (('Account number', summary.account_number), ('Statement date', _date(summary.statement_date)),
                         ('Due date', _date(summary.due_date))):
        pdf.set_x(130)
        pdf.set_text_color(*MUTED)
        pdf.cell(32, 5, label)
        pdf.set_text_color(*INK)
        pdf.cell(38, 5, value, align='R', new_x='LMARGIN', new_y='NEXT')
    pdf.set_x(130)
    pdf.set_fill_color(*SHADE)
    pdf.set_font(FONT, 'B', 11)
    pdf.cell(32, 9, 'Amount due', fill=True)
    pdf.set_font(FONT, 'B', 14)
    pdf.cell(38, 9, _money(summary.amount_due, detail), align='R', fill=True, new_x='LMARGIN', new_y='NEXT')
    pdf.set_y(max(bottom, pdf.get_y()) + 6)


def _summary(pdf: StatementPDF, detail: StatementDetail) -> None:
    totals = detail.totals
    rows = [('Previous balance', totals.previous_balance), ('New charges', totals.new_charges)]
    if totals.refunds:
        rows.append(('Refunds to you', totals.refunds))
    rows += [('Paid by insurance', -totals.insurance_payments), ('Adjustments (you do not owe these)',
                                                                 -totals.adjustments),
             ('Your payments', -totals.patient_payments)]
    _heading(pdf, 'Account summary')
    pdf.set_font(FONT, size=10)
    for label, amount in rows:
        pdf.cell(120, 5.5, label)
        pdf.cell(0, 5.5, _money(amount, detail), align='R', new_x='LMARGIN', new_y='NEXT')
    pdf.set_font(FONT, 'B', 10)
    pdf.cell(120, 6.5, 'New balance', border='T')
    pdf.cell(0, 6.5, _money(totals.new_balance, detail), align='R', border='T', new_x='LMARGIN', new_y='NEXT')
    if detail.summary.amount_due != totals.new_balance:
        pdf.set_font(FONT, size=9)
        _text(pdf, pdf.epw, 5, f'You are on a payment plan: pay {_money(detail.summary.amount_due, detail)} by '
              f'{_date(detail.summary.due_date)}; the rest follows your plan.')
    pdf.ln(4)


def _heading(pdf: StatementPDF, text: str) -> None:
    pdf.set_font(FONT, 'B', 12)
    pdf.set_text_color(*TEAL)
    pdf.cell(0, 7, text, new_x='LMARGIN', new_y='NEXT')
    pdf.set_text_color(*INK)


COLUMNS = (16, 68, 25, 25, 25, 25)  # code, service, billed, insurance paid, adjusted, you owe
LINE = 4.6


def _table_heading(pdf: StatementPDF) -> None:
    pdf.set_font(FONT, 'B', 8.5)
    pdf.set_fill_color(*SHADE)
    for width, text, align in zip(COLUMNS, ('Code', 'Service', 'Billed', 'Insurance paid', 'Adjusted', 'You owe'),
                                  'LLRRRR', strict=True):
        pdf.cell(width, 6, text, align=align, fill=True)
    pdf.ln(6)


def _room(pdf: StatementPDF, height: float) -> None:
    """A new page (with the column headings again) when `height` does not fit on this one."""
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
        _table_heading(pdf)


def _visits(pdf: StatementPDF, detail: StatementDetail) -> None:
    """Hand-placed rows rather than fpdf2's table(): it measures every cell twice and costs 30 ms here."""
    if not detail.visits:
        return
    _heading(pdf, 'Charges by visit')
    _table_heading(pdf)
    for visit in detail.visits:
        _room(pdf, 7 + LINE * 2)
        pdf.set_font(FONT, 'B', 9)
        pdf.set_text_color(*TEAL)
        _text(pdf, pdf.epw, 5, f'{_date(visit.date_of_service)} · {visit.patient_name} · {visit.provider_name} · '
              f'{visit.location_name}')
        if visit.insurance_pending:
            pdf.set_font(FONT, size=8)
            pdf.set_text_color(*MUTED)
            pdf.cell(0, 4.5, 'Insurance is still processing this visit: what you owe may go down.',
                     new_x='LMARGIN', new_y='NEXT')
        pdf.set_text_color(*INK)
        for line in visit.lines:
            _charge_row(pdf, detail, line)
        pdf.ln(1.5)
    pdf.ln(3)


def _charge_row(pdf: StatementPDF, detail: StatementDetail, line) -> None:  # noqa: ANN001
    pdf.set_font(FONT, size=8.5)
    description = line.description + (f' (x{line.units})' if line.units > 1 else '') \
        + (' (billed earlier)' if line.billed_earlier else '')
    wrapped = _wrap(pdf, description, COLUMNS[1] - 2)
    notes = [f'{item.code} {_money(item.amount, detail)}: {item.meaning}'
             for item in line.adjustments + line.your_share]
    _room(pdf, LINE * len(wrapped) + 4 * len(notes))
    top = pdf.get_y()
    pdf.cell(COLUMNS[0], LINE, line.code)
    for line_text in wrapped:
        pdf.cell(COLUMNS[1], LINE, line_text, new_x='LEFT', new_y='NEXT')
    pdf.set_xy(pdf.l_margin + COLUMNS[0] + COLUMNS[1], top)
    adjusted = sum(item.amount for item in line.adjustments)
    for width, amount in zip(COLUMNS[2:], (line.billed, line.insurance_paid, adjusted, line.patient_owes),
                             strict=True):
        pdf.cell(width, LINE, _money(amount, detail), align='R')
    pdf.set_xy(pdf.l_margin + COLUMNS[0], top + LINE * len(wrapped))
    pdf.set_font(FONT, size=7.5)
    pdf.set_text_color(*MUTED)
    for note in notes:
        _text(pdf, sum(COLUMNS[1:]), 3.8, note)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(226, 232, 240)
    pdf.line(pdf.l_margin, pdf.get_y() + 0.8, pdf.w - pdf.r_margin, pdf.get_y() + 0.8)
    pdf.set_xy(pdf.l_margin, pdf.get_y() + 1.6)


def _credits(pdf: StatementPDF, detail: StatementDetail) -> None:
    if not detail.credits:
        return
    _heading(pdf, 'Payments and credits')
    pdf.set_font(FONT, size=9.5)
    for credit in detail.credits:
        pdf.cell(40, 5.5, _date(credit.on))
        pdf.cell(100, 5.5, credit.description)
        pdf.cell(0, 5.5, _money(credit.amount, detail), align='R', new_x='LMARGIN', new_y='NEXT')
    pdf.ln(3)


def _stub(pdf: StatementPDF, detail: StatementDetail, pay_url: str) -> None:
    """Remittance stub at the foot of the last page (a new page when the detail filled this one)."""
    top = pdf.h - pdf.b_margin - STUB_HEIGHT
    if pdf.get_y() > top:
        pdf.add_page()
    summary = detail.summary
    pdf.set_draw_color(*MUTED)
    pdf.set_dash_pattern(dash=1.5, gap=1.2)
    pdf.line(pdf.l_margin, top, pdf.w - pdf.r_margin, top)
    pdf.set_dash_pattern()
    pdf.set_xy(pdf.l_margin, top + 1.5)
    pdf.set_font(FONT, size=7.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 4, 'Please detach and return this part with a check, or pay online.', new_x='LMARGIN', new_y='NEXT')
    pdf.ln(1)
    pdf.set_text_color(*INK)
    for label, value in (('Account number', summary.account_number), ('Patient / guarantor', detail.guarantor_name),
                         ('Statement date', _date(summary.statement_date)), ('Due date', _date(summary.due_date)),
                         ('Amount due', _money(summary.amount_due, detail)), ('Amount enclosed', '$ ______________')):
        pdf.set_font(FONT, 'B' if label == 'Amount due' else '', 9.5)
        pdf.cell(38, 5.5, label)
        pdf.cell(60, 5.5, value, new_x='LMARGIN', new_y='NEXT')
    practice = detail.practice
    if practice:
        pdf.set_font(FONT, size=8.5)
        _text(pdf, 98, 4.2, f'Make checks payable to {practice.name}. {practice.address}')
    qr_size = 34
    qr_x = pdf.w - pdf.r_margin - qr_size
    pdf.image(qr_png(pay_url), x=qr_x, y=top + 6, w=qr_size, h=qr_size)
    pdf.set_xy(118, top + 7)
    pdf.set_font(FONT, 'B', 10)
    pdf.cell(44, 5, 'Pay online', new_x='LEFT', new_y='NEXT')
    pdf.set_font(FONT, size=8.5)
    _text(pdf, 44, 4.2, 'Scan the code, or go to the address below and enter your quick-pay code.')
    pdf.ln(1)
    pdf.set_font(FONT, size=8)
    pdf.cell(44, 4.5, 'Quick-pay code', new_x='LEFT', new_y='NEXT')
    pdf.set_font(FONT, 'B', 12)
    pdf.cell(44, 6, detail.quick_pay_code, new_x='LEFT', new_y='NEXT')
    pdf.set_xy(118, top + 6 + qr_size + 3)
    pdf.set_font(FONT, size=7.5)
    _text(pdf, pdf.w - pdf.r_margin - 118, 4, pay_url.split('?')[0])

