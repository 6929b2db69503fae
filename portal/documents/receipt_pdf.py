"""The payment receipt as a PDF: receipt number, dates of service, providers and amounts, laid out
so a patient can submit it to an HSA or FSA."""
from __future__ import annotations

from portal.documents.pdf import FONT, DocumentPDF
from portal.money import format_money
from portal.services.payments.receipts import ReceiptView


def _date(value) -> str:  # noqa: ANN001
    return f'{value:%b} {value.day}, {value.year}'


def render_receipt(view: ReceiptView) -> bytes:
    money = lambda minor: format_money(minor, view.currency)  # noqa: E731
    pdf = DocumentPDF(title=f'Receipt {view.receipt_number}')
    pdf.add_page()
    pdf.set_font(FONT, 'B', 16)
    pdf.cell(0, 8, view.practice, new_x='LMARGIN', new_y='NEXT')
    pdf.set_font(FONT, '', 10)
    pdf.cell(0, 5, f'Billing office {view.practice_phone}', new_x='LMARGIN', new_y='NEXT')
    pdf.ln(6)
    pdf.set_font(FONT, 'B', 14)
    pdf.cell(0, 8, 'Payment receipt', new_x='LMARGIN', new_y='NEXT')
    pdf.set_font(FONT, '', 10)
    details = [('Receipt number', view.receipt_number), ('Date paid', _date(view.paid_on)),
               ('Paid by', view.payer), ('Account', view.account_number), ('Method', view.method),
               ('Amount paid', money(view.amount)),
               ('Status', {'succeeded': 'Paid', 'processing': 'Processing (bank payment)',
                           'failed': 'Not completed'}.get(view.status, view.status))]
    if view.reference:
        details.append(('Reference', view.reference))
    details += [('Refunded', f'{money(refund.amount)} on {_date(refund.on)}: {refund.why}')
                for refund in view.refunds]
    for label, value in details:
        pdf.set_font(FONT, 'B', 10)
        pdf.cell(40, 6, label)
        pdf.set_font(FONT, '', 10)
        pdf.multi_cell(0, 6, value, new_x='LMARGIN', new_y='NEXT')  # a refund's reason may wrap
    pdf.ln(4)
    pdf.set_font(FONT, 'B', 11)
    pdf.cell(0, 7, 'Services this payment paid for', new_x='LMARGIN', new_y='NEXT')
    widths = (26, 34, 44, 56, 24)
    pdf.set_font(FONT, 'B', 9)
    for width, head in zip(widths, ('Date of service', 'Patient', 'Provider', 'Service', 'Paid'), strict=True):
        pdf.cell(width, 6, head, border='B', align='R' if head == 'Paid' else 'L')
    pdf.ln()
    pdf.set_font(FONT, '', 9)
    for line in view.lines:
        cells = (_date(line.date_of_service), line.patient, line.provider,
                 f'{line.description} ({line.code})', money(line.amount))
        for width, text, align in zip(widths, cells, 'LLLLR', strict=True):
            pdf.cell(width, 6, text[:40], align=align)
        pdf.ln()
    if view.unapplied > 0:
        pdf.cell(sum(widths[:-1]), 6, 'Credit on the account')
        pdf.cell(widths[-1], 6, money(view.unapplied), align='R')
        pdf.ln()
    pdf.ln(6)
    pdf.set_font(FONT, 'I', 9)
    pdf.multi_cell(0, 5, 'Keep this receipt for your records. It lists the dates of service, providers and amounts '
                         'paid, which health savings (HSA) and flexible spending (FSA) accounts ask for.')
    return pdf.output_bytes()
