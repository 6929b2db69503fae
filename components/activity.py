"""The "Since your statement" line shown on home, the statements list and the payment history."""
from __future__ import annotations

from html import escape

from components import forms, theme
from portal.services.payment_history import SinceStatement


def since_html(since: SinceStatement, *, several: bool, link: bool = True) -> str:
    """'Since your statement of November 7, 2026: +$92.00 new charges · −$50.00 your payments', with a
    link to the details on the payment history page; '' when nothing moved. Money sent back to the
    patient is never signed (a "+" beside "refunded to you" reads as money in hand, a "−" as a cut in
    the balance): it reads '$20.00 refunded to you (added to your balance)' here and '$20.00 back to
    you' in the lists (refund_words)."""
    if not since.anything:
        return ''
    money = lambda minor: forms.money(minor, since.currency)  # noqa: E731
    sign = lambda signed: ('+' if signed > 0 else '−') + money(abs(signed))  # noqa: E731
    parts = [(since.charges, f'+{money(since.charges)}', 'new charges'),
             (since.refunds, money(since.refunds), 'refunded to you (added to your balance)'),
             (since.payments, f'−{money(since.payments)}', 'your payments'),
             (since.credits, f'−{money(since.credits)}', 'insurance and adjustments'),
             (since.insurance_reversed, sign(since.insurance_reversed), 'insurance payments reversed by your insurer'),
             (since.corrections, sign(since.corrections), 'corrections')]
    account = f' (account {escape(since.account_number)})' if several else ''
    # the sign stays on the amount's line: at 390 px a bare "−" ended one line and "$240.44" began the next
    moved = ' · '.join(f'<span class="whitespace-nowrap">{escape(figure)}</span> {escape(words)}'
                       for amount, figure, words in parts if amount)
    return (f'<p class="text-slate-800" data-testid="since-statement">Since your statement of '
            f'{forms.long_date(since.statement_date)}{account}: {moved}.'
            + (f' <a href="/payments#since" class="{theme.LINK}">See the details</a>' if link else '') + '</p>')


def refund_words(amount: str) -> str:
    """How a refund's amount reads wherever refunds are listed: '$20.00 back to you'."""
    return f'{amount} back to you'
