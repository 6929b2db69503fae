"""Every response carries the security headers; HSTS when the portal's address is https."""
from __future__ import annotations

import pytest
from nicegui.testing import User

from pages.security_headers import uploaded_file_headers

FIFTY_MIB = 50 * 1024 * 1024


def assert_security_headers(response, *, hsts: bool) -> None:  # noqa: ANN001
    csp = response.headers['content-security-policy']
    for directive in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'",
                      "form-action 'self' https://checkout.stripe.com", "connect-src 'self'"):
        assert directive in csp, (response.request.url, directive)
    assert response.headers['x-frame-options'] == 'DENY'
    assert response.headers['referrer-policy'] == 'same-origin'
    assert response.headers['x-content-type-options'] == 'nosniff'
    assert ('strict-transport-security' in response.headers) is hsts


async def every_kind_of_response(user: User) -> list:
    client = user.http_client
    return [await client.get('/'), await client.get('/pay'), await client.get('/healthz'),
            await client.get('/favicon.ico'), await client.get('/statements', follow_redirects=False),
            await client.get('/assets/no-such-file.css'), await client.post('/webhooks/stripe', content=b'{}'),
            await client.post('/webhooks/stripe', content=b'x', headers={'Content-Length': str(FIFTY_MIB)})]


async def test_every_response_carries_the_security_headers(user: User) -> None:
    responses = await every_kind_of_response(user)
    assert {response.status_code for response in responses} >= {200, 307, 400, 404, 413}
    for response in responses:
        assert_security_headers(response, hsts=False)


@pytest.fixture
def https_portal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('PORTAL_BASE_URL', 'https://portal.example.com')
    monkeypatch.setenv('PORTAL_DEMO', '1')  # a demo behind https must be asked for by name


async def test_an_https_portal_adds_strict_transport_security(https_portal: None, user: User) -> None:
    for response in await every_kind_of_response(user):
        assert_security_headers(response, hsts=True)
    csp = (await user.http_client.get('/')).headers['content-security-policy']
    assert "connect-src 'self' wss://portal.example.com;" in csp


def test_uploaded_files_are_sandboxed_and_downloaded() -> None:
    headers = uploaded_file_headers('scan "1".pdf')
    assert headers['Content-Security-Policy'] == 'sandbox'
    assert headers['X-Content-Type-Options'] == 'nosniff'
    assert headers['Content-Disposition'] == "attachment; filename*=UTF-8''scan%20%221%22.pdf"
