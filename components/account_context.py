"""The account panel beside a thread in the staff queue: guarantor, balance, what is asked for now, plan,
last payments, open flags (a billing dispute and a card chargeback look different) and the linked item.
Drawn from one `AccountContext` view as one HTML block (each element costs every connected client)."""
from __future__ import annotations

from html import escape

from nicegui import ui

from components import chips, forms, theme
from portal.services.messaging.staff_context import AccountContext
from portal.services.payments.receipts import METHOD_LABELS

FLAG_LOOK = {'dispute': 'bg-amber-50 border-amber-300 text-amber-900',
             'chargeback': 'bg-red-50 border-red-300 text-red-900'}


def _row(label: str, value: str, test_id: str = '') -> str:
    marker = f' data-testid="{test_id}"' if test_id else ''
    return (f'<div class="flex justify-between gap-3 py-1"><dt class="text-slate-600">{escape(label)}</dt>'
            f'<dd{marker} class="font-semibold text-slate-900 text-right">{value}</dd></div>')


def context_html(context: AccountContext) -> str:
    money = lambda minor: escape(forms.money(minor, context.currency))  # noqa: E731
    parts = [f'<h2 class="{theme.H2}">{escape(context.guarantor)}</h2>',
             f'<p class="{theme.MUTED}">Account {escape(context.account_number)}'
             + (f' · {escape(context.email)}' if context.email else '')
             + (f' · {escape(context.phone)}' if context.phone else '') + '</p>']
    for flag in context.flags:
        look = FLAG_LOOK.get(str(flag.kind), 'bg-slate-50 border-slate-300 text-slate-900')
        parts.append(f'<p data-testid="context-flag" class="border rounded-lg px-3 py-2 mt-2 {look}">'
                     f'<strong>{escape(flag.label)}</strong> since {escape(forms.short_date(flag.since))}'
                     + (f': {escape(flag.reason)}' if flag.reason else '') + '</p>')
    figures = [_row('Balance', money(context.balance), 'context-balance'),
               _row('Due now', money(context.payable_now), 'context-due-now')]
    if context.processing:
        figures.append(_row('Processing', money(context.processing)))
    if context.waiting:
        figures.append(_row('Waiting for insurance', money(context.waiting)))
    if context.plan is not None:
        plan = context.plan
        next_text = (f'{money(plan.next_amount)} on {escape(forms.short_date(plan.next_date))}'
                     if plan.next_date else 'nothing scheduled')
        figures.append(_row('Plan', chips.status_html(plan.status, chips.PLAN) + ' '
                            + escape(plan.terms(context.currency)), 'context-plan'))
        figures.append(_row('Next installment', next_text))
    else:
        figures.append(_row('Plan', 'none', 'context-plan'))
    parts.append(f'<dl class="mt-2 text-sm">{"".join(figures)}</dl>')
    if context.linked is not None:
        parts.append(f'<p data-testid="context-linked" class="mt-2 text-sm"><span class="text-slate-600">'
                     f'{escape(context.linked.label)}:</span> {escape(context.linked.text)}</p>')
    # on a phone a long line wraps: the amount then goes under the date, still on the right
    payments = ''.join(f'<li class="flex flex-wrap justify-between gap-x-2 py-0.5"><span>'
                       f'{escape(forms.short_date(p.received_on))} · '
                       f'{escape(METHOD_LABELS.get(p.method, p.method.replace("_", " ")))}</span>'
                       f'<span class="ml-auto">{money(p.amount)} · {escape(p.status)}</span></li>'
                       for p in context.payments) or '<li class="text-slate-600">No payments yet</li>'
    parts.append(f'<h3 class="text-sm font-semibold text-slate-900 mt-3">Last payments</h3>'
                 f'<ul data-testid="context-payments" class="text-sm">{payments}</ul>')
    parts.append(f'<p class="mt-3"><a class="{theme.LINK} text-sm" href="/staff/accounts/{context.account_id}">'
                 'Open the account</a></p>')
    return f'<section aria-label="Account" class="{theme.CARD}">{"".join(parts)}</section>'


def panel(context: AccountContext) -> ui.html:
    return ui.html(context_html(context), sanitize=False).classes('w-full').mark('account-context')
