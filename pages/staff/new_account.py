"""A new guarantor account and its patients (/staff/accounts/new), for a walk-in or a phone call. People
already on file with the same name and date of birth are shown before anything is saved."""
from __future__ import annotations

from html import escape

from nicegui import ui

from components import forms, page, session, theme
from components.calls import write
from components.guards import OneAtATime
from portal.errors import DomainError
from portal.services.desk import new_accounts
from portal.services.desk.search import parse_birth_date

WARNING = 'w-full text-amber-900 bg-amber-50 border border-amber-200 rounded-lg px-3 py-2 gap-2'


def register() -> None:
    @ui.page('/staff/accounts/new', response_timeout=60)
    async def new_account_page() -> None:
        await page.show('New account', path='/staff/accounts', draw=lambda _: _form(),
                        load=lambda actor: write(new_accounts.may_open_account, actor=actor))


def _form() -> None:
    ui.label('New account').classes(theme.H1).props('role=heading aria-level=1')
    error = forms.error_message()
    with ui.column().classes(theme.CARD + ' gap-2 max-w-3xl'):
        ui.label('Guarantor (who pays)').classes(theme.H2)
        with ui.element('div').classes('w-full grid grid-cols-1 sm:grid-cols-2 gap-2'):
            first = forms.field('First name', max_length=80, mark='first-name')
            last = forms.field('Last name', max_length=80, mark='last-name')
            email = forms.field('Email', max_length=254, kind='email', mark='email-address')
            phone = forms.field('Phone', max_length=32, kind='tel', mark='phone')
            address = forms.field('Street address', max_length=120, mark='address')
            city = forms.field('City', max_length=80, mark='city')
            state = forms.field('State', max_length=2, mark='state')
            postal = forms.field('ZIP code', max_length=10, mark='postal-code')
    people: list[dict] = []
    with ui.column().classes(theme.CARD + ' gap-2 max-w-3xl'):
        ui.label('Patients').classes(theme.H2)
        rows = ui.column().classes('w-full gap-2')

        def add_patient(relationship: str = 'self') -> None:
            index = len(people)
            with rows, ui.element('div').classes('w-full grid grid-cols-1 sm:grid-cols-4 gap-2'):
                person = {'first': forms.field('First name', max_length=80, mark=f'patient-first-{index}'),
                          'last': forms.field('Last name', max_length=80, mark=f'patient-last-{index}'),
                          'dob': forms.field('Date of birth', max_length=20, mark=f'patient-dob-{index}')
                          .props('placeholder=MM/DD/YYYY'),
                          'relationship': ui.select(new_accounts.RELATIONSHIPS, value=relationship,
                                                    label='Relationship').props('outlined')
                          .mark(f'patient-relationship-{index}')}
            people.append(person)

        add_patient()
        ui.button('Add a patient', icon='person_add', on_click=lambda: add_patient('child')) \
            .props('flat no-caps').mark('add-patient')
    with ui.column().classes(WARNING + ' hidden max-w-3xl').props('role=alert') as warning:
        warning_text = ui.label()
        found = ui.html('', sanitize=False).mark('duplicates')
        ui.button('Create a new account anyway', on_click=lambda: submit(confirmed=True)) \
            .props('unelevated no-caps color=warning').mark('create-anyway')

    def form() -> new_accounts.NewAccountForm:
        patients = tuple(new_accounts.NewPatient(p['first'].value or '', p['last'].value or '',
                                                 parse_birth_date(p['dob'].value or ''), p['relationship'].value)
                         for p in people if any((p['first'].value, p['last'].value, p['dob'].value)))
        return new_accounts.NewAccountForm(first_name=first.value or '', last_name=last.value or '',
                                           email=email.value or '', phone=phone.value or '',
                                           address_line1=address.value or '', city=city.value or '',
                                           state=state.value or '', postal_code=postal.value or '', patients=patients)

    @OneAtATime
    async def submit(confirmed: bool = False) -> None:
        forms.set_error(error, '')
        fields = {'first_name': first, 'last_name': last, 'email': email, 'state': state,
                  **{f'patient_{i}': p['first'] for i, p in enumerate(people)}}
        forms.clear_errors(fields)
        try:
            account_id = await write(new_accounts.create_account, actor=session.actor(), form=form(),
                                     confirmed=confirmed)
        except new_accounts.PossibleDuplicates as duplicates:
            warning_text.text = duplicates.message
            found.content = '<ul class="list-disc pl-5">' + ''.join(
                f'<li><a class="{theme.LINK}" href="/staff/accounts/{d.account_id}">{escape(d.name)}, born '
                f'{forms.short_date(d.date_of_birth)} · account {escape(d.account_number)}</a></li>'
                for d in duplicates.found) + '</ul>'
            warning.classes(remove='hidden')
            return
        except DomainError as failure:
            forms.show_errors(fields, failure.field_errors)
            forms.set_error(error, failure.message)
            return
        ui.notify('Account created.')
        ui.navigate.to(f'/staff/accounts/{account_id}')

    submit.disables(ui.button('Create account', icon='check', on_click=lambda: submit())
                    .props('unelevated no-caps size=lg').mark('create'))
