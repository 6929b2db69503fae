"""Payment test helpers: a gateway built afresh for each test (settings differ between tests), and a card
entered on the demo checkout page."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from nicegui.testing import User

from portal.payments.demo_gateway import DemoGateway
from portal.payments.registry import reset_gateway, set_gateway


@pytest.fixture(autouse=True)
def fresh_gateway() -> Iterator[None]:
    """Import into a test module to use: `from tests.support.payments import fresh_gateway  # noqa: F401`."""
    reset_gateway()
    yield
    reset_gateway()


@pytest.fixture
def demo(db: str) -> Iterator[DemoGateway]:
    """The DemoGateway, on each test database (`db`). Import into a test module to use:
    `from tests.support.payments import demo  # noqa: F401`."""
    gateway = DemoGateway(base_url='http://127.0.0.1:8080', webhook_secret='whsec_test')
    set_gateway(gateway)
    yield gateway
    reset_gateway()


def confirm_and_pay(**request: object) -> object:
    """checkout.start_payment as the pay page calls it: a saved method is charged with the amount the
    patient was shown and confirmed (preview_payment), a hosted checkout as it is."""
    from portal.services.payments import checkout
    if request.get('method_id') is not None and 'confirmed_amount' not in request:
        shown = {name: request[name] for name in ('actor', 'account_id', 'choice', 'method_id', 'amount_text',
                                                  'statement_id') if name in request}
        request['confirmed_amount'] = checkout.preview_payment(**shown).amount  # type: ignore[arg-type]
    return checkout.start_payment(**request)  # type: ignore[arg-type]


async def checkout_with(user: User, number: str) -> None:
    """On the demo checkout page (NiceGUI user fixture): enter a card and pay."""
    await user.should_see(marker='card-number')
    user.find(marker='card-number').type(number)
    user.find(marker='card-expiry').type('12/30')
    user.find(marker='card-cvc').type('123')
    user.find(marker='pay-card').click()
