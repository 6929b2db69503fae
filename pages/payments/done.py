"""The pay result page (/pay/done), receipts: the guest's signed link (/pay/receipt/{token}) and the
PDF behind sign-in (/documents/receipts/{id}.pdf, access-checked: others get a 404, audited)."""
from __future__ import annotations

from nicegui import app, ui
from starlette.requests import Request
from starlette.responses import Response

from components import forms, not_found, session, theme
from components.calls import call
from components.frame import frame, signed_out_card
from components.page import parse_id
from components.receipts import receipt_block
from portal.documents.receipt_pdf import render_receipt
from portal.errors import DomainError
from portal.services.payments import done, guest, receipts
from portal.services.payments.done import DoneView
from portal.services.payments.receipts import ReceiptView

ICONS = {'succeeded': ('check_circle', 'text-green-700'), 'processing': ('schedule', 'text-amber-700'),
         'pending': ('hourglass_top', 'text-slate-600'), 'failed': ('error', 'text-red-700')}
TITLES = {'succeeded': 'Payment received', 'processing': 'Payment processing', 'pending': 'Confirming your payment',
          'failed': 'Payment not completed'}


def register() -> None:
    @ui.page('/pay/done', response_timeout=60)
    async def done_page(t: str = '') -> None:
        auth = session.current_auth()
        signed_in = auth is not None and auth.get('mfa_ok')
        actor = session.actor() if signed_in else None
        view = await call(done.done_view, token=t[:300], actor=actor)
        if signed_in:
            with frame('Payment', auth=auth, path='/pay'):
                _done(view, token=t)
        else:
            with signed_out_card('Payment'):
                _done(view, token=t)

    @ui.page('/pay/receipt/{token}')
    async def guest_receipt(token: str) -> None:
        view = await call(receipts.receipt_by_token, token=token[:300])
        if view is None and not receipts.receipt_link_expired(token[:300]):
            not_found.content()  # a mistyped or forged link: the one 404 page
            return
        with signed_out_card('Receipt'):
            if view is None:  # ours, but older than 7 days: 410 Gone, and what to do instead
                ui.status_code(410)
                ui.label('This receipt link has expired. Call the billing office for a copy.') \
                    .classes('text-slate-800').mark('receipt-expired')
                return
            receipt_block(view, pdf_url=f'/pay/receipt/{token}/pdf')

    @app.get('/pay/receipt/{token}/pdf')
    async def guest_receipt_pdf(request: Request, token: str) -> Response:
        view = await call(receipts.receipt_by_token, token=token[:300])
        if view is None:
            return not_found.response(request)
        return _pdf(await call(render_receipt, view), view)

    @app.get('/documents/receipts/{payment_id}.pdf')
    async def receipt_pdf(request: Request, payment_id: str) -> Response:
        auth = session.current_auth()
        wanted = parse_id(payment_id)
        if auth is None or wanted is None:
            return not_found.response(request)
        view = await call(receipts.load_receipt, actor=session.actor(), payment_id=wanted)
        if view is None:
            return not_found.response(request)
        return _pdf(await call(render_receipt, view), view)


def _pdf(body: bytes, view: ReceiptView) -> Response:
    return Response(body, media_type='application/pdf', headers={
        'Content-Disposition': f'inline; filename="receipt-{view.receipt_number}.pdf"',
        'Cache-Control': 'private, no-store'})


def _done(view: DoneView | None, *, token: str) -> None:
    if view is None:
        ui.label('This page has expired. Your payment, if you made one, is on your account.') \
            .classes('text-slate-800')
        return
    icon, colour = ICONS[view.status]
    with ui.column().classes(theme.CARD + ' gap-2 max-w-xl').mark('result'):
        with ui.row().classes('items-center no-wrap gap-2'):
            ui.icon(icon).classes(f'text-3xl {colour}')
            ui.label(TITLES[view.status]).classes(theme.H2).props('role=heading aria-level=2').mark('status')
        ui.label(view.message).classes('text-slate-800').props('role=status')
        if view.balance is not None:
            ui.html(f'<p class="text-slate-800">Your balance is now <strong data-testid="balance-after">'
                    f'{forms.money(view.balance, view.currency)}</strong>.</p>', sanitize=False)
        if view.status == 'pending':
            ui.timer(3, lambda: ui.navigate.reload(), once=True)
        if view.status == 'failed':
            ui.link('Try again', '/pay').classes('text-teal-800 text-base')
        _demo_settle(view)
    if view.receipt is not None:
        receipt_block(view.receipt, pdf_url=f'/documents/receipts/{view.receipt.payment_id}.pdf')
    elif view.guest and view.status in ('succeeded', 'processing'):
        _email_receipt(token)
    ui.link('Back to home', '/').classes('text-teal-800')


def _demo_settle(view: DoneView) -> None:
    """Demo mode only: let the test bank pay out now (otherwise the reconciliation job settles it)."""
    from portal.payments.registry import demo_gateway
    demo = demo_gateway()
    if demo is None or view.status != 'processing' or not view.intent_id:
        return
    intent_id = view.intent_id

    async def settle() -> None:
        from portal.services.payments.deliveries import process_events
        events = demo.settle(intent_id)
        await call(process_events, events=events, gateway_name='demo')
        ui.navigate.reload()

    ui.button('Demo: the bank settles now', on_click=settle).props('outline no-caps').mark('settle')


def _email_receipt(token: str) -> None:
    with ui.column().classes(theme.CARD + ' gap-2 max-w-xl'):
        ui.label('Email me a receipt').classes(theme.H2)
        ui.label('We will send a link that opens your receipt for 7 days.').classes(theme.MUTED)
        error = forms.error_message()
        email = forms.field('Email', max_length=254, kind='email', autocomplete='email', mark='receipt-email',
                            required='Enter your email address.')
        sent = ui.label('').classes('hidden text-green-800').props('role=status')

        async def send() -> None:
            forms.set_error(error, '')
            if not email.validate():
                return
            try:
                await call(guest.email_receipt, done_token=token, email=email.value, ip=session.client_ip())
            except DomainError as failure:
                forms.set_error(error, failure.message)
                return
            sent.text = 'Sent. Check your inbox for the receipt link.'
            sent.classes(remove='hidden')

        ui.button('Send receipt', on_click=send).props('unelevated no-caps').mark('send-receipt')
