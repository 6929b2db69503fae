"""Payment pages: pay (signed in and guest), the result and receipts, saved methods, the demo
gateway's hosted checkout, and the Stripe webhook route."""
from __future__ import annotations


def register() -> None:
    from pages.payments import demo_checkout, done, methods, pay, webhooks
    webhooks.register()
    pay.register()
    done.register()
    methods.register()
    demo_checkout.register()
