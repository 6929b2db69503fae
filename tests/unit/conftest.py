"""Fixtures shared by the unit tests."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from portal.config import reload_settings
from portal.notify import email as email_delivery
from tests.support.payments import demo  # noqa: F401  (the DemoGateway on each test database)


@pytest.fixture
def sent(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict]]:
    """Email on (SMTP faked): the messages the sender handed over, in order."""
    monkeypatch.setenv('PORTAL_SMTP_URL', 'smtp://127.0.0.1:2525')
    reload_settings()
    messages: list[dict] = []
    monkeypatch.setattr(email_delivery, 'send_email', lambda **kwargs: messages.append(kwargs))
    yield messages
    monkeypatch.delenv('PORTAL_SMTP_URL')
    reload_settings()
