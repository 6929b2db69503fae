"""Payment history (/payments): every payment and refund, one card per row (no wide table on a
phone), each opening its signed-in receipt (/payments/{id}, access-checked: others get a 404,
audited); and the "Since your statement of ..." line that home and the statements page show."""
from __future__ import annotations

import asyncio
from html import escape

from nicegui import ui

from components import chips, forms, page, theme
from components.activity import refund_words, since_html
from components.calls import call
from components.receipts import receipt_block
from portal.services import payment_history
from portal.services.payment_history import HistoryItem, PaidFor, SinceStatement, Status
from portal.services.payments import receipts

STATUS = {  # status -> (words, chip tone)
    Status.succeeded: ('Paid', 'good'),
    Status.processing: ('Processing', 'warn'),
    Status.failed: ('Failed', 'bad'),
    Status.refunded: ('Refunded', 'neutral'),
    Status.partly_refunded: ('Partly refunded', 'neutral'),
}
STATUS_NOTE = {
    Status.processing: 'Your bank is still sending this payment. It usually takes a few business days; '
                       'this page shows Paid once it arrives.',
    Status.failed: 'This payment did not go through, so it paid nothing. Your balance shows what you owe.',
}
REFUND_STATUS = {Status.succeeded: 'Refunded', Status.processing: 'Refund on its way', Status.failed: 'Refund failed'}
LINK = theme.LINK


def register() -> None:
    @ui.page('/payments', response_timeout=60)
    async def history_page() -> None:
        async def load(actor):  # noqa: ANN001, ANN202
            return await asyncio.gather(call(payment_history.load_payment_history, actor=actor),
                                        call(payment_history.load_activity_since, actor=actor, lines=True))
        await page.show('Payment history', path='/payments', load=load, draw=_history)

    @ui.page('/payments/{payment_id}', response_timeout=60)
    async def receipt_page(payment_id: str) -> None:
        await page.show('Receipt', path='/payments', draw=_receipt,
                        load=lambda actor: call(receipts.load_receipt, actor=actor,
                                                payment_id=page.id_of(payment_id)))


def _history(loaded: tuple[payment_history.PaymentHistory, list[SinceStatement]]) -> None:
    history, since = loaded
    with ui.column().classes('w-full max-w-3xl gap-3'):
        _html(f'<h1 class="{theme.H1}">Payment history</h1>')
        for item in since:
            _html(_since_card(item, several=len(since) > 1))
        if not history.items:
            _html(f'<section class="{theme.CARD}" data-testid="history-empty"><h2 class="{theme.H2}">'
                  f'No payments yet</h2><p class="text-slate-700 mt-1">When you pay a bill, the payment and its '
                  f'receipt show here. Refunds show here too.</p><p class="mt-2"><a href="/statements" '
                  f'class="{LINK}">See your statements</a></p></section>')
            return
        _html(f'<h2 class="{theme.H2} mt-2">Payments and refunds</h2>'
              f'<p class="text-slate-700">Every payment and refund, newest first. Open one for its receipt.</p>'
              f'<ul class="list-none p-0 m-0 flex flex-col gap-3" data-testid="history">'
              f'{"".join(_item(item, several=history.several_accounts) for item in history.items)}</ul>')


def _receipt(view: receipts.ReceiptView) -> None:
    with ui.column().classes('w-full max-w-xl gap-3'):
        _html(f'<a href="/payments" class="{LINK} flex items-center gap-1 py-2" data-testid="back-to-history">'
              f'<i class="q-icon material-icons text-base" aria-hidden="true">chevron_left</i>'
              f'Payment history</a><h1 class="{theme.H1}">Receipt</h1>')
        status = _status(view)
        _html(f'<p class="flex items-center gap-2 text-slate-800" data-testid="receipt-status">Status '
              f'{chips.chip_html(*STATUS[status])}</p>' + (f'<p class="text-slate-800">{STATUS_NOTE[status]}</p>'
                                                           if status in STATUS_NOTE else ''))
        receipt_block(view, pdf_url=f'/documents/receipts/{view.payment_id}.pdf')


def _status(view: receipts.ReceiptView) -> Status:
    if view.status == Status.succeeded and view.refunded:
        return Status.refunded if view.refunded >= view.amount else Status.partly_refunded
    return Status(view.status) if view.status in Status.__members__ else Status.processing


def _html(html: str) -> ui.html:
    return ui.html(html, sanitize=False).classes('w-full')


def paid_for_words(item: HistoryItem) -> str:
    """What a payment was for, in words: 'Statement of November 7, 2026', 'Plan installment due ...'."""
    when = forms.long_date(item.for_date) if item.for_date else ''
    if item.paid_for == PaidFor.statement:
        return f'Statement of {when}' if when else 'A statement'
    if item.paid_for == PaidFor.installment:
        return f'Plan installment due {when}' if when else 'Plan installment'
    return {PaidFor.amount: 'An amount you chose', PaidFor.office: 'Paid at the billing office'} \
        .get(item.paid_for, 'Toward your balance')


def _paid_back(item: HistoryItem) -> str:
    """Where a refund went: back to the card or bank account paid with; cash or a check taken at the desk is
    paid back by the office (it read "To Check")."""
    return 'Paid back by the billing office' if item.paid_for == PaidFor.office else f'To {item.method}'


def _item(item: HistoryItem, *, several: bool) -> str:
    money = forms.money(item.amount, item.currency)
    if item.refund:
        words = REFUND_STATUS[item.status] if item.status in REFUND_STATUS else 'Refund'
        chip = chips.chip_html(words, STATUS[Status.refunded if item.status == Status.succeeded else item.status][1])
        title, amount = 'Refund to you', refund_words(money)
        detail = (f'<p class="text-slate-800 mt-1" data-testid="refund-why">{escape(item.why)}</p>'
                  f'<p class="{theme.MUTED}">{escape(_paid_back(item))} · from receipt '
                  f'{escape(item.receipt_number)}</p>')
    else:
        chip = chips.chip_html(*STATUS[item.status])
        title, amount = 'Payment', money
        detail = (f'<p class="text-slate-800 mt-1">{escape(paid_for_words(item))}</p>'
                  f'<p class="{theme.MUTED}">{escape(item.method)} · receipt {escape(item.receipt_number)}</p>')
    account = f'<p class="{theme.MUTED}">Account {escape(item.account_number)}</p>' if several else ''
    return (f'<li><a href="/payments/{item.payment_id}" data-testid="history-item" class="no-underline text-inherit '
            f'block {theme.CARD} hover:border-teal-700 focus-visible:outline focus-visible:outline-2 '
            f'focus-visible:outline-teal-800"><div class="flex no-wrap items-start justify-between gap-3">'
            f'<div class="min-w-0"><p class="text-base font-semibold text-slate-900">{forms.long_date(item.on)}</p>'
            f'<p class="text-slate-700 flex flex-wrap items-center gap-2">{title} {chip}</p></div>'
            f'<span class="text-xl font-bold text-slate-900 whitespace-nowrap">{amount}</span></div>'
            f'{detail}{account}<span class="flex items-center gap-1 text-teal-800 text-sm font-medium mt-2">'
            f'View receipt<i class="q-icon material-icons text-base" aria-hidden="true">chevron_right</i></span>'
            f'</a></li>')


def _since_card(since: SinceStatement, *, several: bool) -> str:
    """The details behind the home page's "Since your statement" line: each movement since it."""
    if not since.anything:
        return ''
    signed = lambda minor: ('+' if minor > 0 else '−') + forms.money(abs(minor), since.currency)  # noqa: E731
    money = lambda line: refund_words(forms.money(abs(line.amount), since.currency)) if line.refund \
        else signed(line.amount)  # noqa: E731
    rows = ''.join(
        f'<li class="py-2 border-t border-slate-100 flex no-wrap justify-between gap-3"><span class="min-w-0">'
        f'{forms.short_date(line.on)} · {escape(line.what)}{" (added to your balance)" if line.refund else ""}'
        f'</span><span class="font-medium whitespace-nowrap">{money(line)}</span></li>' for line in since.lines)
    return (f'<section id="since" class="{theme.CARD} scroll-mt-20 flex flex-col gap-1" '
            f'aria-label="Since your statement">'
            f'<h2 class="{theme.H2}">Since your statement</h2>{since_html(since, several=several, link=False)}'
            f'<ul class="list-none p-0 m-0 mt-1" data-testid="since-lines">{rows}</ul>'
            f'<p class="mt-1"><a href="/statements/{since.statement_id}" class="{LINK}">View that statement</a></p>'
            f'</section>')
