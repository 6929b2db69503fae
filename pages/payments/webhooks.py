"""POST /webhooks/stripe: the signature is verified on the raw body (400 otherwise, in every mode)."""
from __future__ import annotations

import logging

from nicegui import app, run
from starlette.requests import Request
from starlette.responses import JSONResponse

from portal.payments.gateway import WebhookRejected
from portal.services.payments.events import handle_webhook

log = logging.getLogger(__name__)
MAX_BODY = 512 * 1024


def register() -> None:
    @app.post('/webhooks/stripe')
    async def stripe_webhook(request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({'error': 'too large'}, status_code=400)
        try:
            outcomes = await run.io_bound(handle_webhook, body, request.headers.get('stripe-signature'))
        except WebhookRejected:
            log.info('webhook refused: bad or missing signature')
            return JSONResponse({'error': 'invalid signature'}, status_code=400)
        return JSONResponse({'received': True, 'outcomes': outcomes})
