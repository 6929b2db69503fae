"""Payment test helpers: a gateway built afresh for each test (settings differ between tests)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from portal.payments.registry import reset_gateway


@pytest.fixture(autouse=True)
def fresh_gateway() -> Iterator[None]:
    """Import into a test module to use: `from tests.support.payments import fresh_gateway  # noqa: F401`."""
    reset_gateway()
    yield
    reset_gateway()
