"""Practice-wide demo rows: payers, providers and their weekly hours, locations, billing staff,
practice settings, the plan policy and the statement runs. Rows that already exist (same payer
code, NPI, location name, staff email; any settings or policy row) are reused, not duplicated."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Connection

from portal.config import Settings
from portal.demo.context import Context
from portal.demo.practice import (
    CLINIC_WEEK,
    LOCATIONS,
    PAYERS,
    PLAN_TERMS,
    PRACTICE_ADDRESS,
    PRACTICE_NPI,
    PRACTICE_TAX_ID,
    PROVIDERS,
    STAFF,
)
from portal.demo.schedule import HOLIDAY_STATE, add_closed_day, add_visit_types
from portal.demo.showcase import DEMO_ADMIN_EMAIL, DEMO_STAFF_EMAIL

# the billing office's own texts, with placeholders filled from the account at the moment of replying
SAVED_REPLIES = (
    ('Balance and due date', 'Thank you for your message. Your balance today is {balance}, due by {due_date}. '
     'You can pay it any time under Pay in the portal.\n\n{practice_name} billing office'),
    ('Payment plan terms', 'Thank you for asking about a payment plan. Your plan: {plan_terms}. You can see every '
     'payment and change your payment day under Plans.\n\n{practice_name} billing office'),
    ('Claim still with insurance', 'Your insurance is still processing this visit, so we have not asked you to pay '
     'it yet. Once it pays its part, what is left will be on your next statement.\n\n{practice_name} billing '
     'office'),
)

def _existing(connection: Connection, sql: str) -> dict[str, int]:
    return {str(key): int(row_id) for key, row_id in connection.exec_driver_sql(sql).all()}


def add_reference(ctx: Context, connection: Connection, settings: Settings, *, staff_hash: str,
                  shared_hash: str) -> None:
    batch, null = ctx.batch, ctx.null
    created = ctx.stamp(ctx.today_ord - 800, 15 * 60)
    payers = _existing(connection, 'SELECT payer_code, id FROM payer')
    for payer in PAYERS:
        if payer.code not in payers:
            payers[payer.code] = ctx.next_id('payer')
            batch['payer'].append((payers[payer.code], payer.name, payer.code, payer.phone))
    ctx.payer_ids = payers

    locations = _existing(connection, 'SELECT name, id FROM location')
    for name, address, city, state, postal_code, phone in LOCATIONS:
        if name not in locations:
            locations[name] = ctx.next_id('location')
            batch['location'].append((locations[name], name, address, city, state, postal_code, phone,
                                      settings.practice_timezone))
    ctx.location_ids = [locations[location[0]] for location in LOCATIONS]

    providers = _existing(connection, 'SELECT npi, id FROM provider')
    for index, (npi, first, last, credentials, specialty) in enumerate(PROVIDERS):
        if npi in providers:
            continue
        providers[npi] = ctx.next_id('provider')
        batch['provider'].append((providers[npi], npi, first, last, credentials, specialty))
        for weekday, start, end in CLINIC_WEEK:
            location = ctx.location_ids[(index + weekday) % len(LOCATIONS)]
            batch['provider_availability'].append((ctx.next_id('provider_availability'), providers[npi], location,
                                                   weekday, f'{start:02d}:00:00.000000', f'{end:02d}:00:00.000000',
                                                   30))
    ctx.provider_ids = [providers[provider[0]] for provider in PROVIDERS]
    add_visit_types(ctx, _existing(connection, 'SELECT name, id FROM visit_type'))
    add_closed_day(ctx)

    users = _existing(connection, 'SELECT email, id FROM "user"')
    for email, first, last in STAFF:
        if email not in users:
            demo = email in (DEMO_STAFF_EMAIL, DEMO_ADMIN_EMAIL)  # the documented sign-ins
            users[email] = ctx.next_id('user')
            role = 'admin' if email.startswith('priya.') else 'staff'
            batch['user'].append((users[email], email, staff_hash if demo else shared_hash, role, first, last, 1,
                                  int(demo), 0, created, created, null))
    ctx.staff_ids = [users[email] for email, _, _ in STAFF]

    policy = connection.exec_driver_sql('SELECT MIN(id) FROM plan_policy').scalar()
    if policy is None:
        policy = ctx.next_id('plan_policy')
        batch['plan_policy'].append((policy, 5000, 2500, 12, 0, 'separate', '2026-01', PLAN_TERMS, created))
    ctx.policy_id = int(policy)

    if connection.exec_driver_sql('SELECT COUNT(*) FROM saved_reply').scalar() == 0:
        for title, body in SAVED_REPLIES:
            batch['saved_reply'].append((ctx.next_id('saved_reply'), title, body, created))

    if connection.exec_driver_sql('SELECT COUNT(*) FROM practice_settings').scalar() == 0:
        batch['practice_settings'].append((
            ctx.next_id('practice_settings'), settings.practice_name, '', settings.practice_timezone,
            settings.practice_phone, settings.mail_from, *PRACTICE_ADDRESS,
            settings.practice_tax_id or PRACTICE_TAX_ID, settings.practice_npi or PRACTICE_NPI, 28, 21, '30,60,90',
            HOLIDAY_STATE, created))

    this_month = date(ctx.today.year, ctx.today.month, 1)
    for first_day in (ctx.add_months(this_month, -1, 1), this_month):
        period = f'{first_day.year}-{first_day.month:02d}'
        run_id = ctx.run_ids[period] = ctx.next_id('statement_run')
        last_day = ctx.add_months(first_day, 1, 1).toordinal() - 1
        started = ctx.stamp(min(first_day.toordinal(), ctx.yesterday), 11 * 60)
        finished = ctx.stamp(min(last_day, ctx.yesterday), 23 * 60)
        batch['statement_run'].append((run_id, period, ctx.staff_ids[0], started, finished, 'finished', 0, 0, 0,
                                       0, 0))
