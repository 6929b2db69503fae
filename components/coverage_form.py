"""The coverage form shared by the patient's /insurance and the office's /staff/insurance: inputs for
every field of a `CoverageForm`, and reading them back (a date that is not one is an inline error)."""
from __future__ import annotations

from datetime import date

from nicegui import ui

from components import forms
from portal.services.coverage import MEMBER_ID_MAX, PRIORITIES, RELATIONSHIPS, CoverageForm


class CoverageInputs:
    """Draw the inputs (filled from `current` when given); `read()` is the form or None after marking
    bad dates; `show(errors)` marks the service's field errors."""

    def __init__(self, payers: dict[int, str], current: CoverageForm | None = None) -> None:
        self.payer = ui.select(payers, label='Insurance company', value=current.payer_id if current else None) \
            .props('outlined').classes('w-full').mark('payer')
        self.fields: dict[str, ui.input | ui.select] = {'payer_id': self.payer}
        for name, label, longest in (('plan_name', 'Plan name', 120),
                                     ('member_id', 'Member id (as on the card)', MEMBER_ID_MAX),
                                     ('group_number', 'Group number', 40),
                                     ('subscriber_name', 'Subscriber (who holds the insurance)', 160)):
            element = forms.field(label, max_length=longest, mark=name.replace('_', '-'))
            element.value = getattr(current, name) if current else ''
            self.fields[name] = element
        self.fields['subscriber_relationship'] = ui.select(
            RELATIONSHIPS, label="Patient's relationship to the subscriber",
            value=current.subscriber_relationship if current else 'self').props('outlined').classes('w-full') \
            .mark('relationship')
        self.fields['priority'] = ui.select(PRIORITIES, label='Which insurance pays first',
                                            value=current.priority if current else 1) \
            .props('outlined').classes('w-full').mark('priority')
        with ui.row().classes('w-full gap-3 no-wrap'):
            for name, label in (('effective_from', 'Start date'), ('effective_to', 'End date (if known)')):
                value = getattr(current, name) if current else None
                self.fields[name] = ui.input(label, value=value.isoformat() if value else '') \
                    .props('outlined type=date stack-label').classes('grow').mark(name.replace('_', '-'))

    def show(self, errors: dict[str, str]) -> None:
        for name, element in self.fields.items():
            element.error = errors.get(name)

    def read(self) -> CoverageForm | None:
        dates: dict[str, date | None] = {}
        bad = {}
        for name in ('effective_from', 'effective_to'):
            text = (self.fields[name].value or '').strip()
            try:
                dates[name] = date.fromisoformat(text) if text else None
            except ValueError:
                bad[name] = 'Give a date as on a calendar.'
        self.show(bad)
        if bad:
            return None
        value = {name: self.fields[name].value or '' for name in
                 ('plan_name', 'member_id', 'group_number', 'subscriber_name')}
        return CoverageForm(payer_id=self.payer.value, subscriber_relationship=self.fields['subscriber_relationship']
                            .value or '', priority=int(self.fields['priority'].value or 0), **value, **dates)
