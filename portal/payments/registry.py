"""Which gateway this process uses: built once from settings (demo or stripe); tests swap it."""
from __future__ import annotations

import threading

from portal.config import get_settings
from portal.payments.gateway import PaymentGateway

_lock = threading.Lock()
_gateway: PaymentGateway | None = None
_override: PaymentGateway | None = None


def gateway() -> PaymentGateway:
    global _gateway
    if _override is not None:
        return _override
    with _lock:
        if _gateway is None:
            _gateway = _build()
        return _gateway


def _build() -> PaymentGateway:
    settings = get_settings()
    if settings.payments_mode == 'stripe':
        from portal.payments.stripe_gateway import StripeGateway
        return StripeGateway(secret_key=settings.stripe_secret_key, webhook_secret=settings.stripe_webhook_secret,
                             api_base=settings.stripe_api_base)
    from portal.payments.demo_gateway import DemoGateway
    return DemoGateway(base_url=settings.public_base_url, webhook_secret=settings.stripe_webhook_secret)


def set_gateway(chosen: PaymentGateway) -> None:
    """Use `chosen` until reset_gateway() (tests)."""
    global _override
    _override = chosen


def reset_gateway() -> None:
    """Forget the override and the built gateway (settings may have changed)."""
    global _override, _gateway
    with _lock:
        _override = None
        _gateway = None


def demo_gateway():  # noqa: ANN201  (DemoGateway | None: the demo checkout page exists only with one)
    from portal.payments.demo_gateway import DemoGateway
    settings = get_settings()
    current = gateway()
    if settings.production or settings.payments_mode != 'demo' or not isinstance(current, DemoGateway):
        return None
    return current
