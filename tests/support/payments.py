"""Payment test helpers: a gateway built afresh for each test (settings differ between tests)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

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
