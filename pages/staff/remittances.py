"""/staff/remittances: upload an 835 (refused files say line and reason; nothing is posted), past imports
(payer, trace number, amount, matched and unmatched claims, warnings); /staff/remittances/{id}: one
import's claims (a reversal beside the payment it reverses), provider-level adjustments and findings, with
the unmatched claims first: match one by hand to the practice's claim, or mark it not ours."""
from __future__ import annotations

from nicegui import events, ui

from components import chips, dialogs, forms, page, session, theme
from components.calls import call, read, write
from components.guards import OneAtATime
from components.uploads import named_file_upload
from portal.errors import DomainError
from portal.interop.x12_835 import read_835
from portal.models import MatchState
from portal.services import remittances
from portal.services.remittance_import import Refused835, import_835
from portal.services.remittances import RemittanceClaimView, RemittanceDetail, RemittanceRow

COLUMNS = [
    {'name': 'date', 'label': 'Paid on', 'field': 'date', 'align': 'left'},
    {'name': 'payer', 'label': 'Payer', 'field': 'payer', 'align': 'left'},
    {'name': 'trace', 'label': 'Check or EFT trace', 'field': 'trace', 'align': 'left'},
    {'name': 'amount', 'label': 'Amount', 'field': 'amount'},
    {'name': 'matched', 'label': 'Claims matched', 'field': 'matched'},
    {'name': 'unmatched', 'label': 'Not matched', 'field': 'unmatched'},
    {'name': 'warnings', 'label': 'Warnings', 'field': 'warnings'},
]
TRACE_LINK = ('<q-td :props="props"><a class="text-teal-800 underline" :href="\'/staff/remittances/\' + props.row.id">'
              '{{ props.row.trace }}</a></q-td>')
SHOWN_FINDINGS = 200
STATE_TONES = {MatchState.matched: 'good', MatchState.matched_by_hand: 'good', MatchState.open: 'warn',
               MatchState.not_ours: 'neutral'}


def register() -> None:
    @ui.page('/staff/remittances', response_timeout=60)
    async def remittances_page() -> None:
        await page.show('Remittances', path='/staff/remittances', draw=_list,
                        load=lambda actor: read(remittances.recent_remittances, actor=actor))

    @ui.page('/staff/remittances/{remittance_id}', response_timeout=60)
    async def remittance_page(remittance_id: str) -> None:
        await page.show('Remittance', path='/staff/remittances', draw=_detail,
                        load=lambda actor: write(remittances.remittance_detail, actor=actor,
                                                remittance_id=page.id_of(remittance_id)))


def _rows(items: tuple[RemittanceRow, ...]) -> list[dict]:
    return [{'id': item.id, 'date': forms.short_date(item.payment_date) if item.payment_date else '—',
             'payer': item.payer, 'trace': item.trace_number, 'amount': forms.money(item.amount),
             'matched': f'{item.matched:,} of {item.claims:,}', 'unmatched': f'{item.unmatched:,}',
             'warnings': f'{item.warnings:,}'} for item in items]


def _list(items: tuple[RemittanceRow, ...]) -> None:
    ui.label('Insurance remittances').classes(theme.H1).props('role=heading aria-level=1')
    with ui.column().classes(theme.CARD + ' gap-2'):
        ui.label('Upload an 835 remittance from a payer. A file that is not a balanced 835 (version 005010X221A1) '
                 'is refused whole and nothing is posted; a payment already imported is not posted again.') \
            .classes('text-slate-700')
        outcome = ui.column().classes('w-full gap-1').mark('import-outcome')

        async def received(event: events.UploadEventArguments) -> None:
            name, data = event.file.name, await event.file.read()
            outcome.clear()
            try:  # read and validated first, outside the write transaction (pyx12 takes seconds on a big file)
                checked = await call(read_835, data)
                report = await write(import_835, actor=session.actor(), data=data, file_name=name, read=checked)
            except Refused835 as refusal:
                with outcome:
                    ui.label(f'{name} was refused; nothing was posted.').classes('text-red-800 font-semibold') \
                        .props('role=alert')
                    for finding in refusal.findings:
                        ui.label(str(finding)).classes('text-red-800 text-sm').mark('refusal')
                return
            finally:
                upload.reset()
            with outcome:
                for payment in report.payments:
                    verb = 'was imported before: nothing posted again' if payment.already_imported else 'imported'
                    with ui.row().classes('items-center gap-2').props('role=status'):
                        ui.link(f'Payment {payment.trace_number} from {payment.payer}',
                                f'/staff/remittances/{payment.remittance_id}').classes(theme.LINK)
                        ui.label(f'{verb}: {payment.matched} of {payment.claims} claims matched, '
                                 f'{payment.unmatched} not matched, {len(report.warnings)} warnings.') \
                            .mark('imported')
            table.rows = _rows(await read(remittances.recent_remittances, actor=session.actor()))
            none_yet.visible, table.visible = not table.rows, bool(table.rows)

        upload = named_file_upload('Upload an 835 file (up to 10 MB)', on_upload=received, mark='upload-835',
                                   kinds='an 835 remittance file')
        upload.classes('settle-photo-upload')  # no file list: the outcome above says what happened
    none_yet = ui.label('No remittances imported yet.').classes('text-slate-700').mark('none-yet')
    none_yet.visible = not items
    table = ui.table(columns=COLUMNS, rows=_rows(items), row_key='id').classes('w-full').mark('remittances')
    table.add_slot('body-cell-trace', TRACE_LINK)
    table.visible = bool(items)


def _detail(detail: RemittanceDetail) -> None:
    row = detail.row
    ui.link('All remittances', '/staff/remittances').classes(theme.LINK)
    ui.label(f'Payment {row.trace_number} from {row.payer}').classes(theme.H1).props('role=heading aria-level=1')
    paid_on = forms.long_date(row.payment_date) if row.payment_date else 'no date given'

    @ui.refreshable
    def claims(current: RemittanceDetail) -> None:
        counts = current.row
        ui.label(f'{forms.money(row.amount)} by {detail.method or "—"}, {paid_on}; imported '
                 f'{forms.date_time(row.imported_at)} by {detail.imported_by} from {detail.file_name or "an upload"}. '
                 f'{counts.matched} of '
                 f'{counts.claims} claims matched, {counts.unmatched} not matched.').classes('text-slate-700') \
            .mark('summary')
        waiting = [claim for claim in current.claims if claim.state == MatchState.open]
        if waiting:
            ui.label('Not matched').classes(theme.H2).props('role=heading aria-level=2')
            for claim in waiting:
                _unmatched(claim, reload)
        ui.label('Claims').classes(theme.H2).props('role=heading aria-level=2')
        for claim in current.claims:
            _claim(claim)

    async def reload() -> None:
        claims.refresh(await write(remittances.remittance_detail, actor=session.actor(), remittance_id=row.id))

    claims(detail)
    if detail.provider_adjustments:
        ui.label('Provider-level adjustments (the practice’s, not a patient’s)').classes(theme.H2) \
            .props('role=heading aria-level=2')
        with ui.column().classes(theme.CARD + ' gap-1').mark('plb'):
            for item in detail.provider_adjustments:
                effect = 'taken off the payment' if item.amount > 0 else 'added to the payment'
                ui.label(f'{item.label} ({item.reason}{" " + item.reference if item.reference else ""}): '
                         f'{forms.money(abs(item.amount))} {effect}')
    ui.label(f'Findings ({row.warnings:,})').classes(theme.H2).props('role=heading aria-level=2')
    with ui.column().classes(theme.CARD + ' gap-1').mark('findings'):
        if not detail.findings:
            ui.label('The file had no warnings.').classes('text-slate-700')
        for finding in detail.findings[:SHOWN_FINDINGS]:
            ui.label(finding).classes('text-sm text-slate-800 break-words')
        if row.warnings > SHOWN_FINDINGS:
            ui.label(f'… and {row.warnings - SHOWN_FINDINGS:,} more (the first {len(detail.findings):,} are kept; '
                     f'import the file from the command line to list them all).').classes(theme.MUTED)


def _figures(claim: RemittanceClaimView) -> str:
    when = forms.short_date(claim.service_date) if claim.service_date else 'no date'
    return (f'{claim.patient_name or "No patient named"} · seen {when} · billed {forms.money(claim.billed)} · '
            f'paid {forms.money(claim.paid)} · patient owes {forms.money(claim.patient_responsibility)}')


def _claim(claim: RemittanceClaimView) -> None:
    with ui.column().classes(theme.CARD + ' gap-1').mark(f'claim-{claim.id}'):
        with ui.row().classes('w-full items-center gap-2'):
            ui.label(f'Claim {claim.claim_number}').classes('font-semibold')
            ui.html(chips.chip_html(claim.state_label, STATE_TONES[claim.state]), sanitize=False)
            ui.label(claim.status + (' (corrected claim)' if claim.corrected else '')).classes(theme.MUTED)
        ui.label(_figures(claim)).classes('text-slate-800 break-words')
        if claim.pairing:
            ui.label(claim.pairing).classes('text-slate-800 font-medium').mark('pairing')
        if claim.matched_claim_number and claim.matched_claim_number != claim.claim_number:
            ui.label(f'Posted to the practice’s claim {claim.matched_claim_number}').classes('text-slate-800')
        if claim.account_id:
            ui.link('Open the account', f'/staff/accounts/{claim.account_id}').classes(theme.LINK)


def _unmatched(claim: RemittanceClaimView, reload) -> None:  # noqa: ANN001
    with ui.column().classes(theme.CARD + ' gap-2').mark(f'unmatched-{claim.id}'):
        ui.label(f'Claim {claim.claim_number}: {claim.status}').classes('font-semibold')
        ui.label(_figures(claim)).classes('text-slate-800 break-words')
        with ui.row().classes('gap-2 flex-wrap'):
            ui.button('Match by hand', on_click=lambda: _match(claim, reload)).props('unelevated no-caps') \
                .mark(f'match-{claim.id}')
            ui.button('Not ours', on_click=lambda: _not_ours(claim, reload)).props('outline no-caps') \
                .mark(f'not-ours-{claim.id}')


def _match(claim: RemittanceClaimView, reload) -> None:  # noqa: ANN001
    with dialogs.dialog(f'Match claim {claim.claim_number}') as dialog:
        ui.label('Which of the practice’s claims did the payer pay? Its payment and adjustments post to that '
                 'claim’s account.').classes('text-slate-700')
        error = forms.error_message()
        number = ui.input('The practice’s claim number').props('outlined').classes('w-full').mark('claim-number')

        @OneAtATime
        async def save() -> None:
            try:
                warnings = await write(remittances.match_by_hand, actor=session.actor(),
                                       remittance_claim_id=claim.id, claim_number=number.value or '')
            except DomainError as failure:
                number.error = failure.field_errors.get('claim_number')
                forms.set_error(error, failure.message)
                return
            dialog.close()
            ui.notify('Matched and posted.' + (f' {len(warnings)} warning(s): ' + ' '.join(warnings)
                                               if warnings else ''))
            await reload()
        save.disables(dialogs.actions(dialog, 'Match and post', save))
    dialog.open()


def _not_ours(claim: RemittanceClaimView, reload) -> None:  # noqa: ANN001
    with dialogs.dialog(f'Claim {claim.claim_number} is not ours?') as dialog:
        ui.label('Nothing is posted for it, and it leaves the list of claims to match.').classes('text-slate-700')
        error = forms.error_message()

        @OneAtATime
        async def save() -> None:
            try:
                await write(remittances.mark_not_ours, actor=session.actor(), remittance_claim_id=claim.id)
            except DomainError as failure:
                forms.set_error(error, failure.message)
                return
            dialog.close()
            ui.notify('Marked not ours.')
            await reload()
        save.disables(dialogs.actions(dialog, 'Mark not ours', save))
    dialog.open()
