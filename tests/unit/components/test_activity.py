"""The "Since your statement" line (components.activity.since_html): each amount keeps its sign on its own
line (at 390 px a bare "−" ended one line and "$240.44" began the next), and every part reads as before."""
from __future__ import annotations

import re
from datetime import date

from components.activity import since_html
from portal.services.payment_history import SinceStatement


def _since(**moved: int) -> SinceStatement:
    amounts = {'charges': 0, 'payments': 0, 'credits': 0, 'refunds': 0, 'corrections': 0, **moved}
    return SinceStatement(account_number='A100004', currency='USD', statement_id=1,
                          statement_date=date(2026, 10, 26), **amounts)


def _text(html: str) -> str:
    return re.sub(r'<[^>]+>', '', html)


def test_each_amount_keeps_its_sign_on_its_line() -> None:
    html = since_html(_since(charges=9200, payments=24044, refunds=2000, credits=1500, corrections=-300,
                             insurance_reversed=19200), several=False, link=False)
    held = re.findall(r'<span class="whitespace-nowrap">([^<]+)</span>', html)
    assert held == ['+$92.00', '$20.00', '−$240.44', '−$15.00', '+$192.00', '−$3.00']
    assert _text(html) == ('Since your statement of October 26, 2026: +$92.00 new charges · $20.00 refunded to you '
                           '(added to your balance) · −$240.44 your payments · −$15.00 insurance and adjustments · '
                           '+$192.00 insurance payments reversed by your insurer · −$3.00 corrections.')


def test_only_what_moved_is_said_and_the_account_is_named_when_there_are_several() -> None:
    html = since_html(_since(payments=24044), several=True)
    assert _text(html).startswith('Since your statement of October 26, 2026 (account A100004): −$240.44 your '
                                  'payments. See the details')
    assert since_html(_since(), several=False) == ''
