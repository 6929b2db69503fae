"""Security headers on every response (pages, static files, JSON routes, webhooks, 404s and 413s).

NiceGUI needs inline and eval'd script (its page start-up and Vue templates), so the policy's value
lies in what it forbids: being framed (`frame-ancestors 'none'`, X-Frame-Options), plugins, a changed
<base>, forms posting anywhere but the portal and Stripe Checkout, and connections anywhere but the
portal. A response that sets its own Content-Security-Policy (uploaded files: `sandbox`) keeps it.
"""
from __future__ import annotations

from urllib.parse import quote, urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.config import Settings

STRIPE_CHECKOUT = 'https://checkout.stripe.com'
HSTS = 'max-age=31536000; includeSubDomains'


def content_security_policy(settings: Settings) -> str:
    portal = ["'self'"]
    if settings.base_url:  # the socket's ws(s):// address, for browsers whose 'self' does not cover it
        parts = urlsplit(settings.public_base_url)
        portal.append(f'{"wss" if parts.scheme == "https" else "ws"}://{parts.netloc}')
    return '; '.join((
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        f'connect-src {" ".join(portal)}',
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        f"form-action 'self' {STRIPE_CHECKOUT}",
    ))


def headers_for(settings: Settings) -> list[tuple[str, str]]:
    headers = [('Content-Security-Policy', content_security_policy(settings)),
               ('X-Frame-Options', 'DENY'),
               ('Referrer-Policy', 'same-origin'),  # reset and sign-in links carry tokens in the URL
               ('X-Content-Type-Options', 'nosniff')]
    if settings.https:
        headers.append(('Strict-Transport-Security', HSTS))
    return headers


def uploaded_file_headers(filename: str, *, inline: bool = False) -> dict[str, str]:
    """Headers for serving a file someone uploaded (/files): never run, never sniffed, downloaded under
    its (percent-encoded) name, or, for the pictures the file service re-encoded (`inline`), shown."""
    disposition = 'inline' if inline else 'attachment'
    return {'Content-Security-Policy': 'sandbox', 'X-Content-Type-Options': 'nosniff',
            'Content-Disposition': f"{disposition}; filename*=UTF-8''{quote(filename, safe='')}"}


class SecurityHeaders:
    """Outermost layer (see pages.wire): adds the headers to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = headers_for(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message['type'] == 'http.response.start':
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
