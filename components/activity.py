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
    parts = [(since.charges, f'+{money(since.charges)} new charges'),
             (since.refunds, f'{money(since.refunds)} refunded to you (added to your balance)'),
             (since.payments, f'−{money(since.payments)} your payments'),
             (since.credits, f'−{money(since.credits)} insurance and adjustments'),
             (since.insurance_reversed, f'{"+" if since.insurance_reversed > 0 else "−"}'
                                        f'{money(abs(since.insurance_reversed))} insurance payments reversed by '
                                        f'your insurer'),
             (since.corrections, f'{"+" if since.corrections > 0 else "−"}{money(abs(since.corrections))} corrections')]
    account = f' (account {escape(since.account_number)})' if several else ''
    return (f'<p class="text-slate-800" data-testid="since-statement">Since your statement of '
            f'{forms.long_date(since.statement_date)}{account}: '
            f'{escape(" · ".join(text for amount, text in parts if amount))}.'
            + (f' <a href="/payments#since" class="{theme.LINK}">See the details</a>' if link else '') + '</p>')


def refund_words(amount: str) -> str:
    """How a refund's amount reads wherever refunds are listed: '$20.00 back to you'."""
    return f'{amount} back to you'
