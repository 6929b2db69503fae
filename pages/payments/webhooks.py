"""POST /webhooks/stripe: the signature is verified on the raw body (400 otherwise, in every mode).

Stripe's deliveries skip the page middleware (sessions, per-request storage, gzip, redirects): a
webhook needs none of it, and in a burst that stack cost more event-loop time than the handler.
The 200 goes out only after the transaction holding the events has committed.
"""
from __future__ import annotations

import logging

from nicegui import app, run
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from pages.body_limits import BodyTooLarge
from portal.payments.gateway import WebhookRejected
from portal.services.payments.deliveries import handle_webhook

log = logging.getLogger(__name__)
PATH = '/webhooks/stripe'


async def stripe_webhook(request: Request) -> JSONResponse:
    body = await request.body()  # pages.body_limits has refused anything over 512 KiB before this reads it
    try:
        outcomes = await run.io_bound(handle_webhook, payload=body,
                                      signature_header=request.headers.get('stripe-signature'))
    except WebhookRejected:
        log.info('webhook refused: bad or missing signature')
        return JSONResponse({'error': 'invalid signature'}, status_code=400)
    return JSONResponse({'received': True, 'outcomes': outcomes})


class WebhookFastPath:
    """Outermost ASGI layer: POST /webhooks/stripe straight to its handler, everything else on through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] == 'http' and scope['path'] == PATH and scope['method'] == 'POST':
            try:
                response = await stripe_webhook(Request(scope, receive))
            except BodyTooLarge:
                raise  # BodyLimit, outside this layer, answers 413
            except Exception:  # what ServerErrorMiddleware would do: log it, answer 500 (Stripe retries)
                log.exception('webhook failed')
                response = JSONResponse({'error': 'internal error'}, status_code=500)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def register() -> None:
    app.post(PATH)(stripe_webhook)  # the route stays (docs, tests that build their own stack)
    # pages.wire puts WebhookFastPath outside Starlette's middleware stack
