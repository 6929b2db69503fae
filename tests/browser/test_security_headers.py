"""The security headers as a browser applies them: portal pages cannot be framed by another site, and
the console check every journey runs (tests/browser/conftest.py) does catch a policy violation."""
from __future__ import annotations

import pytest

from tests.browser.conftest import watch_csp
from tests.browser.test_journeys import wait_connected

pytestmark = pytest.mark.browser


def test_the_console_check_sees_a_connection_to_another_origin(chromium, portal_server) -> None:  # noqa: ANN001
    context = chromium.new_context(base_url=portal_server.base_url)
    try:
        page = context.new_page()
        violations: list[str] = []
        watch_csp(page, violations)
        page.goto('/pay')
        wait_connected(page)
        assert violations == []  # the page itself stays inside the policy
        with page.expect_console_message(lambda message: 'Content Security Policy' in message.text):
            directive = page.evaluate('''() => new Promise(resolve => {
                document.addEventListener('securitypolicyviolation', e => resolve(e.effectiveDirective), {once: true});
                fetch('http://localhost:9/elsewhere').catch(() => null);
            })''')
        assert directive == 'connect-src'
        assert any('connect-src' in violation for violation in violations), violations
    finally:
        context.close()


def test_another_site_cannot_frame_the_pay_page(chromium, portal_server) -> None:  # noqa: ANN001
    context = chromium.new_context()
    try:
        page = context.new_page()
        with page.expect_console_message(lambda message: 'frame-ancestors' in message.text):
            page.set_content(f'<iframe src="{portal_server.url("/pay")}" width="600" height="400"></iframe>')
        assert page.frame_locator('iframe').get_by_text('Pay your bill').count() == 0
    finally:
        context.close()
