"""Payment pages: pay (signed in and guest), the result and receipts, the payment history, saved methods, the demo
gateway's hosted checkout, and the Stripe webhook route."""
from __future__ import annotations


def register() -> None:
    from pages.payments import demo_checkout, done, history, methods, pay, webhooks
    webhooks.register()
    pay.register()
    done.register()
    history.register()
    methods.register()
    demo_checkout.register()
