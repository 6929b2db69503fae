"""The receipt as a signed-in patient or a guest sees it on a page (the PDF is portal/documents/receipt_pdf.py)."""
from __future__ import annotations

from html import escape

from nicegui import ui

from components import forms, theme
from portal.models import RefundStatus
from portal.services.payments.receipts import ReceiptView


def receipt_block(view: ReceiptView, *, pdf_url: str) -> None:
    money = lambda minor: forms.money(minor, view.currency)  # noqa: E731
    rows = ''.join(
        f'<li class="py-2 border-t border-slate-100"><div class="flex no-wrap justify-between gap-2">'
        f'<span class="min-w-0">{forms.short_date(line.date_of_service)} · {escape(line.description)}</span>'
        f'<span class="font-medium whitespace-nowrap shrink-0">{money(line.amount)}</span></div>'
        f'<div class="text-sm text-slate-600">{escape(line.patient)} · {escape(line.provider)}</div></li>'
        for line in view.lines)
    if view.unapplied > 0:
        rows += (f'<li class="py-2 border-t border-slate-100 flex no-wrap justify-between"><span>Credit on your account'
                 f'</span><span class="font-medium">{money(view.unapplied)}</span></li>')
    refunds = ''.join(
        f'<li class="py-2 border-t border-slate-100"><div class="flex no-wrap justify-between gap-2">'
        f'<span>Refunded to you {forms.long_date(refund.on)}</span><span class="font-medium whitespace-nowrap">'
        f'{money(refund.amount)}</span></div><div class="text-sm text-slate-700">{escape(refund.why)}</div></li>'
        for refund in view.refunds if refund.status == RefundStatus.succeeded)
    if refunds:
        refunds = (f'<h3 class="text-base font-medium text-slate-800 mt-3 mb-1">Refunds</h3>'
                   f'<ul class="list-none p-0 m-0" data-testid="receipt-refunds">{refunds}</ul>')
    ui.html(f'<section class="{theme.CARD}" aria-label="Receipt" data-testid="receipt">'
            f'<h2 class="{theme.H2}">Receipt {escape(view.receipt_number)}</h2>'
            f'<p class="text-slate-700">{forms.long_date(view.paid_on)} · {escape(view.method)} · '
            f'{money(view.amount)}</p><h3 class="text-base font-medium text-slate-800 mt-3 mb-1">What it paid</h3>'
            f'<ul class="list-none p-0 m-0">{rows}</ul>{refunds}</section>', sanitize=False) \
        .classes('w-full max-w-xl').mark('receipt')
    ui.link('Download receipt (PDF)', pdf_url, new_tab=True).classes('text-teal-800 text-base').mark('receipt-pdf')
