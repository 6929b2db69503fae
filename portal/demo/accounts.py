"""Turn one household plan into rows: the account, its patients and coverage, a user and card,
visits and claims, payments, the ledger, the latest statement, appointments and messages."""
from __future__ import annotations

import random

from portal.demo.claims import bill_visit
from portal.demo.collections import collect, issue_statement, post_ledger
from portal.demo.context import Context, between, pick
from portal.demo.engagement import add_appointments, add_card, add_threads, add_user
from portal.demo.households import Household
from portal.demo.people import ascii_fold
from portal.demo.practice import ADULT_PROVIDERS, PEDIATRIC_PROVIDERS, SPORTS_PROVIDER
from portal.demo.state import AccountState
from portal.demo.visits import age_group, plan_visit
from portal.models.accounts import phone_key, search_key

HISTORY_DAYS = 540  # about 18 months of visits
VISITS_PER_PERSON = {'infant': 6.5, 'child': 3.6, 'adult': 4.0, 'senior': 6.2}

# (person, dos, visit type, provider, location, lines, outcome, copay at visit, lags)
Visit = tuple[int, int, str, int, int, list, str | None, bool | None, tuple[int, int] | None]


def build_household(ctx: Context, household: Household, rng: random.Random, *, password_hash: str) -> AccountState:
    account_id = ctx.next_id('guarantor_account')
    st = AccountState(household, account_id)
    visits = _explicit_visits(ctx, household) if household.visits is not None else _random_visits(ctx, household, rng)
    first_day = visits[0][1] if visits else ctx.today_ord - between(rng, 30, HISTORY_DAYS)
    created = first_day - between(rng, 1, 60)
    created_at = ctx.stamp(created, 16 * 60)
    email = household.email
    if email and '@' not in email:  # random households carry only the domain: make the address unique
        email = f'{ascii_fold(household.first).lower()}.{ascii_fold(household.last).lower()}.{account_id}@{email}'
    null, batch = ctx.null, ctx.batch
    batch['guarantor_account'].append((
        account_id, household.account_number or ctx.account_number(account_id), household.first, household.last,
        email or null, household.phone or null, household.address1, household.address2, household.city,
        household.state, household.postal_code, 'USD', int(household.paperless), 'active', created_at,
        search_key(household.first), search_key(household.last), phone_key(household.phone)))
    for person in household.people:
        patient_id = ctx.next_id('patient')
        st.patient_ids.append(patient_id)
        batch['patient'].append((patient_id, account_id, person.mrn or ctx.mrn(patient_id), person.first, person.last,
                                 person.dob.isoformat(), person.sex, person.relationship, created_at,
                                 search_key(person.first), search_key(person.last)))
        covered = []
        for spec in person.coverages:
            coverage_id = ctx.next_id('coverage')
            covered.append((coverage_id, spec))
            batch['coverage'].append((coverage_id, patient_id, ctx.payer_ids[spec.payer_code], spec.plan.name,
                                      spec.member_id, spec.group_number, spec.subscriber_name,
                                      spec.subscriber_relationship, spec.priority, spec.effective_from.isoformat(),
                                      'active', created_at, created_at))  # verified by the office when recorded
        st.coverages.append(covered)
    if household.has_user and email:
        registered = min(ctx.yesterday, created + between(rng, 0, 30))
        recent = max(registered, ctx.yesterday - between(rng, 0, 60)) if rng.random() < 0.7 else None
        add_user(ctx, st, email=email, password_hash=password_hash, first=household.first, last=household.last,
                 created=registered, last_sign_in=recent)
    if household.saved_card:  # an autopay card exists before any plan is signed
        saved = created + 1 if household.behavior == 'plan' else created + between(rng, 1, 90)
        add_card(ctx, st, rng, created=min(ctx.yesterday, saved), card=household.card)
    for person, dos, visit_type, provider, location, lines, outcome, copay, lags in visits:
        bill_visit(ctx, st, rng, person=person, dos=dos, visit_type=visit_type, provider=provider,
                   location=location, lines=lines, outcome=outcome, copay_at_visit=copay, lags=lags)
    collect(ctx, st, rng)
    posted = post_ledger(ctx, st)
    issue_statement(ctx, st, rng, posted)
    add_appointments(ctx, st, rng)
    add_threads(ctx, st, rng)
    return st


def _explicit_visits(ctx: Context, household: Household) -> list[Visit]:
    visits = [(v.person, ctx.today_ord - v.days_ago, v.visit_type, v.provider, v.location, v.lines, v.outcome,
               v.copay_at_visit, (v.submit_lag, v.adjudicate_lag)) for v in household.visits or ()]
    return sorted(visits, key=lambda visit: (visit[1], visit[0]))


def _random_visits(ctx: Context, household: Household, rng: random.Random) -> list[Visit]:
    visits: list[Visit] = []
    window = ctx.today_ord - HISTORY_DAYS
    for index, person in enumerate(household.people):
        dob = person.dob.toordinal()
        age = (ctx.today_ord - dob) // 365
        group = age_group(age)
        mean = VISITS_PER_PERSON[group]
        count = int(rng.triangular(0, 2 * mean, mean) + 0.5)
        start = max(window, dob + 3)
        if count == 0 or start > ctx.yesterday:
            continue
        days = sorted(between(rng, start, ctx.yesterday) for _ in range(count))
        child = group in ('infant', 'child')
        doctor = pick(rng, PEDIATRIC_PROVIDERS if child else ADULT_PROVIDERS)
        medicare = bool(person.coverages) and person.coverages[0].payer_code == 'MCR'
        new_patient = rng.random() < 0.25
        for number, dos in enumerate(days):
            month = int(ctx.iso[dos][5:7])
            visit_type, lines = plan_visit(rng, age=(dos - dob) // 365, sex=person.sex, month=month,
                                           medicare=medicare, first_visit=new_patient and number == 0)
            provider = doctor if rng.random() < 0.85 else pick(rng, PEDIATRIC_PROVIDERS if child else ADULT_PROVIDERS)
            if any(code == '20610' for code, _, _ in lines):
                provider = SPORTS_PROVIDER
            location = household.home_location if rng.random() < 0.85 else rng.randrange(3)
            visits.append((index, dos, visit_type, provider, location, lines, None, None, None))
    visits.sort(key=lambda visit: (visit[1], visit[0]))
    return visits

