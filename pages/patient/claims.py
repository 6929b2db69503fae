"""/claims: every insurance claim on the person's accounts, newest visit first; /claims/{id}: one claim
explained (timeline, line by line money, codes in plain words, the payer's claim number) and, when it was
denied, what the patient can do with a button for it. Every figure comes from `portal.services.claims`."""
from __future__ import annotations

from html import escape

from nicegui import ui

from components import chips, forms, page, theme
from components.calls import write
from portal.services import claims
from portal.services.claims import ClaimDetail, ClaimLine, ClaimSummary

CLAIM = {'created': ('Created', 'neutral'), 'submitted': ('With your insurer', 'info'),
         'accepted': ('With your insurer', 'info'), 'in_process': ('With your insurer', 'info'),
         'paid': ('Paid', 'good'), 'partially_paid': ('Partly paid', 'warn'), 'denied': ('Denied', 'bad'),
         'appealed': ('Appealed', 'info'), 'reprocessed': ('Decided again', 'neutral'),
         claims.DEDUCTIBLE: (claims.DEDUCTIBLE_WORDS, 'neutral')}  # insurance paid $0: all to the deductible


def register() -> None:
    @ui.page('/claims', response_timeout=60)
    async def claims_page() -> None:
        await page.show('Insurance claims', path='/claims', draw=_list,
                        load=lambda actor: write(claims.list_claims, actor=actor))

    @ui.page('/claims/{claim_id}', response_timeout=60)
    async def claim_page(claim_id: str) -> None:
        await page.show('Insurance claim', path='/claims', draw=_detail,
                        load=lambda actor: write(claims.claim_detail, actor=actor, claim_id=page.id_of(claim_id)))


def _list(items: tuple[ClaimSummary, ...]) -> None:
    ui.html(f'<h1 class="{theme.H1}">Insurance claims</h1><p class="text-slate-700">What we billed your insurer '
            'for each visit, what it paid, and what is left for you. Match the claim number to the Explanation '
            'of Benefits your insurer sends you.</p>', sanitize=False).classes('w-full')
    if not items:
        ui.label('There are no insurance claims on your account yet.').classes('text-slate-700').mark('no-claims')
        return
    rows = ''.join(_row(item) for item in items)
    ui.html(f'<ul class="flex flex-col gap-3 w-full">{rows}</ul>', sanitize=False).classes('w-full').mark('claims')


def _row(item: ClaimSummary) -> str:
    owes = ('<span class="text-slate-700">Waiting for your insurer</span>' if item.pending else
            f'<span class="text-slate-700">You owe</span> <strong>{forms.money(item.patient_owes)}</strong>')
    action = (f'<p class="text-red-900 font-semibold mt-1">{chips.chip_html("Action needed", "bad")} '
              'See what you can do</p>' if item.needs_you else '')
    return (f'<li class="{theme.CARD}"><a class="block" data-testid="claim-{item.id}" href="/claims/{item.id}">'
            f'<div class="flex flex-wrap items-center gap-2"><span class="{theme.H2}">'
            f'{forms.long_date(item.date_of_service)}</span>{chips.status_html(item.shown_as, CLAIM)}</div>'
            f'<p class="text-slate-800">{escape(item.patient_name)} · {escape(item.payer_name)}</p>'
            f'<p class="text-slate-700 text-sm">Claim number {escape(item.claim_number)}</p>'
            f'<p class="mt-1">Billed {forms.money(item.billed)} · Insurance paid {forms.money(item.insurance_paid)}'
            f' · {owes}</p>{action}<span class="{theme.LINK} text-sm">View claim details</span></a></li>')


def _detail(view: ClaimDetail) -> None:
    item = view.summary
    ui.html(f'<p><a class="{theme.LINK}" href="/claims">All claims</a></p>'
            f'<div class="flex flex-wrap items-center gap-2 mt-2"><h1 class="{theme.H1}">Visit of '
            f'{forms.long_date(item.date_of_service)}</h1>{chips.status_html(item.shown_as, CLAIM, test_id="status")}'
            f'</div><p class="text-slate-800">{escape(item.patient_name)} · {escape(item.payer_name)}</p>'
            f'{_numbers(item)}', sanitize=False).classes('w-full')
    if view.next_step is not None:
        step = view.next_step
        with ui.column().classes(theme.CARD + ' gap-2 border-red-300') \
                .props('role=region aria-label="What you can do"'):
            ui.html(f'<h2 class="{theme.H2}">What you can do</h2><p class="text-slate-900" data-testid="next-step">'
                    f'{escape(step.text)}</p>', sanitize=False).classes('w-full')
            ui.button(step.button, on_click=lambda: ui.navigate.to(step.href)) \
                .props('unelevated no-caps color=primary').classes('text-base').mark('next-step-button')
    with ui.column().classes(theme.CARD + ' gap-2'):
        ui.html(f'<h2 class="{theme.H2}">What happened</h2>{_timeline(view)}', sanitize=False) \
            .classes('w-full').mark('timeline')
    with ui.column().classes(theme.CARD + ' gap-2'):
        owes = ('Waiting for your insurer' if item.pending else f'You owe {forms.money(item.patient_owes)}')
        ui.html(f'<h2 class="{theme.H2}">Line by line</h2><p class="text-slate-800" data-testid="totals">Billed '
                f'{forms.money(item.billed)} · Allowed {forms.money(view.allowed)} · Insurance paid '
                f'{forms.money(item.insurance_paid)} · <strong>{owes}</strong></p>'
                f'{"".join(_line(line, item.pending) for line in view.lines)}', sanitize=False) \
            .classes('w-full').mark('lines')


def _numbers(item: ClaimSummary) -> str:
    """The insurer's own claim number once a remittance has carried it (what its Explanation of Benefits
    shows), and the number our office sent the claim under."""
    ours = (f'<p class="text-slate-800">Our claim number: <strong data-testid="our-claim-number">'
            f'{escape(item.claim_number)}</strong></p>')
    if not item.payer_claim_number:
        return ours
    return (f'<p class="text-slate-800">Your insurer\'s claim number: <strong data-testid="claim-number">'
            f'{escape(item.payer_claim_number)}</strong></p>{ours}')


def _meaning(words: str) -> str:
    return f'<span class="block text-slate-700">{escape(words)}</span>' if words else ''


def _timeline(view: ClaimDetail) -> str:
    steps = ''.join(f'<li class="flex flex-nowrap gap-3"><span class="text-slate-700 w-28 shrink-0">'
                    f'{forms.short_date(step.on)}</span><span class="text-slate-900 flex-1 min-w-0">'
                    f'{escape(step.label)}{_meaning(step.meaning)}</span></li>' for step in view.timeline)
    return f'<ol class="flex flex-col gap-1">{steps}</ol>'


def _line(line: ClaimLine, pending: bool) -> str:
    adjustments = ''.join(
        f'<li><span class="font-semibold">{escape(item.code)}</span> {forms.money(item.amount)}'
        f'{" (your share)" if item.patient_owes else ""}: {escape(item.meaning)}</li>' for item in line.adjustments)
    owes = 'Waiting for your insurer' if pending else f'You owe {forms.money(line.patient_owes)}'
    return (f'<div class="border-t border-slate-200 pt-2 mt-2" data-testid="line-{line.charge_id}">'
            f'<p class="font-semibold text-slate-900">{escape(line.description)} ({escape(line.code)})</p>'
            f'<dl class="grid grid-cols-2 gap-x-4 text-slate-800 max-w-md">'
            f'<dt>Billed</dt><dd class="text-right">{forms.money(line.billed)}</dd>'
            f'<dt>Allowed by your plan</dt><dd class="text-right">{forms.money(line.allowed)}</dd>'
            f'<dt>Paid by insurance</dt><dd class="text-right">{forms.money(line.insurance_paid)}</dd></dl>'
            f'{_list_html(adjustments)}'
            f'<p class="font-semibold text-slate-900 mt-1">{owes}</p></div>')


def _list_html(items: str) -> str:
    return f'<ul class="list-disc pl-5 text-slate-800">{items}</ul>' if items else ''
