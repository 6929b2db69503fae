"""The layers outside Starlette's middleware stack, outermost first: security headers on every
response, request body limits, then the Stripe webhook's fast path past the page middleware."""
from __future__ import annotations

from nicegui import app
from starlette.types import ASGIApp

from pages.body_limits import BodyLimit
from pages.payments.webhooks import WebhookFastPath
from pages.security_headers import SecurityHeaders
from portal.config import Settings


def register(settings: Settings) -> None:
    # Starlette builds the stack at the first request, after ui.run; wrap the class's builder (not the
    # instance's), so re-running main.py in tests does not stack the layers twice
    build = type(app).build_middleware_stack

    def outer_layers() -> ASGIApp:
        return SecurityHeaders(BodyLimit(WebhookFastPath(build(app))), settings)

    app.build_middleware_stack = outer_layers  # type: ignore[method-assign]
    # Quasar's ajax bar flashes on every fetch (file downloads, pictures) as a progressbar with no
    # accessible name (axe: aria-progressbar-name); pages show their own progress where it matters
    app.config.quasar_config['loadingBar']['skipHijack'] = True


def layers(stack: ASGIApp) -> list[type]:
    """The types of the layers from the outermost inward, as far as they name their inner app `app`."""
    found: list[type] = []
    while stack is not None and len(found) < 50:
        found.append(type(stack))
        stack = getattr(stack, 'app', None)
    return found
