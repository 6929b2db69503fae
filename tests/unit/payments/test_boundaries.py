"""Payments' boundaries: only portal/payments/stripe_gateway.py imports stripe (tests aside), and the
demo checkout page is the only page with a card number field."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
IMPORTS_STRIPE = re.compile(r'^\s*(import stripe\b|from stripe\b)', re.MULTILINE)


def test_only_the_stripe_gateway_imports_stripe() -> None:
    sources = [*ROOT.glob('portal/**/*.py'), *ROOT.glob('pages/**/*.py'), *ROOT.glob('components/**/*.py'),
               ROOT / 'main.py']
    importing = sorted(str(path.relative_to(ROOT)) for path in sources if IMPORTS_STRIPE.search(path.read_text()))
    assert importing == ['portal/payments/stripe_gateway.py']


def test_only_the_demo_checkout_asks_for_a_card_number() -> None:
    asking = sorted(str(path.relative_to(ROOT)) for path in [*ROOT.glob('pages/**/*.py'),
                                                               *ROOT.glob('components/**/*.py')]
                    if "'Card number'" in path.read_text())
    assert asking == ['pages/payments/demo_checkout.py']
