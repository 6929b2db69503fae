"""Fixtures shared by the unit tests."""
from tests.support.payments import demo  # noqa: F401  (the DemoGateway on each test database)
