"""POST /webhooks/sms: inbound texts from the SMS provider (STOP, START, HELP).

The provider must send the shared secret (PORTAL_SMS_WEBHOOK_SECRET) in the X-Settle-Webhook-Secret
header or as ?secret= in the URL; without a configured secret every request is refused. The sender's
number and the text come as form fields From/Body (Twilio's names) or from/body, or as JSON.
"""
from __future__ import annotations

import hmac

from nicegui import app, run
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from portal.config import get_settings
from portal.services.sms_replies import handle_inbound

MAX_BODY_BYTES = 16_384


def _authorized(request: Request) -> bool:
    secret = get_settings().sms_webhook_secret
    given = request.headers.get('x-settle-webhook-secret') or request.query_params.get('secret') or ''
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


async def _fields(request: Request) -> tuple[str, str] | None:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        return None
    if request.headers.get('content-type', '').startswith('application/json'):
        try:
            data = await request.json()
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
    else:
        data = dict(await request.form())
    sender = data.get('From') or data.get('from')
    body = data.get('Body') if 'Body' in data else data.get('body')
    if not isinstance(sender, str) or not isinstance(body, str):
        return None
    return sender, body


def register() -> None:
    @app.post('/webhooks/sms')
    async def inbound_sms(request: Request) -> Response:
        if not _authorized(request):
            return JSONResponse({'error': 'forbidden'}, status_code=403)
        fields = await _fields(request)
        if fields is None:
            return JSONResponse({'error': 'From and Body are required'}, status_code=400)
        sender, body = fields
        reply = await run.io_bound(handle_inbound, from_=sender, body=body)
        return PlainTextResponse(reply)
