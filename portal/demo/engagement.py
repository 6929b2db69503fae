"""The portal side of a household: its user and access, a saved card, appointments (past and
booked) and secure-message threads with the billing office."""
from __future__ import annotations

import random
from datetime import date, timedelta

from portal.clock import add_business_days
from portal.demo.context import Context, between, pick
from portal.demo.practice import ADULT_PROVIDERS, PEDIATRIC_PROVIDERS, TEST_CARDS, THREADS
from portal.demo.schedule import Placer
from portal.demo.state import AccountState
from portal.models import PracticeSettings, ThreadCategory, ThreadStatus

DURATIONS = {'Annual physical': 40, 'Annual wellness visit': 40, 'Well-child visit': 40, 'New patient visit': 45,
             'Telehealth visit': 20, 'Lab visit': 15, 'Vaccines': 15}
FUTURE_VISITS = ('Follow-up visit', 'Office visit', 'Annual physical', 'Lab visit', 'Telehealth visit')
APPOINTMENT_HISTORY_DAYS = 120
REPLY_DAYS = PracticeSettings.model_fields['reply_business_days'].default  # the demo practice keeps the default


def add_user(ctx: Context, st: AccountState, *, email: str, password_hash: str, first: str, last: str,
             created: int, last_sign_in: int | None) -> int:
    user_id = ctx.next_id('user')
    at = ctx.stamp(created, 18 * 60)
    signed_in = ctx.stamp(last_sign_in, 19 * 60) if last_sign_in else ctx.null
    ctx.batch['user'].append((user_id, email, password_hash, 'patient', first, last, 1, 0, 0, at, at, signed_in))
    ctx.batch['account_access'].append((ctx.next_id('account_access'), user_id, st.account_id, 'self', at))
    st.user_id = user_id
    return user_id


def add_card(ctx: Context, st: AccountState, rng: random.Random, *, created: int,
             card: tuple[str, str, int, int] | None = None) -> int:
    """A saved card: the gateway's reference, brand and last four of a Stripe test card. Never a number."""
    if card is None:
        brand, last4 = pick(rng, TEST_CARDS)
        card = (brand, last4, between(rng, 1, 12), ctx.today.year + between(rng, 1, 4))
    brand, last4, month, year = card
    card_id = ctx.next_id('saved_payment_method')
    ctx.batch['saved_payment_method'].append((
        card_id, st.account_id, st.user_id or ctx.null, 'demo', f'cus_demo_{st.account_id:08d}',
        f'pm_demo_{card_id:08x}{rng.getrandbits(48):012x}', 'card', brand, last4, month, year, '', 1,
        ctx.stamp(created, 18 * 60 + 5)))
    st.card_id = card_id
    return card_id


def _weekday(day: date) -> date:
    return day + timedelta(days=7 - day.weekday()) if day.weekday() >= 5 else day


def _slot(rng: random.Random, day: date) -> tuple[int, int]:
    last_hour = 11 if day.weekday() == 4 else 16
    return between(rng, 8, last_hour), pick(rng, (0, 15, 30, 45))


def add_appointments(ctx: Context, st: AccountState, rng: random.Random) -> None:
    """Completed visits of the last months, a few missed ones, and booked visits ahead."""
    rows = ctx.batch['appointment']
    next_id = ctx.ids('appointment').__next__
    recent = ctx.today_ord - APPOINTMENT_HISTORY_DAYS
    for dos, patient_id, provider, location, visit_type in st.visits:
        if dos < recent:
            continue
        day = date.fromordinal(dos)
        hour, minute = _slot(rng, day)
        rows.append((next_id(), st.account_id, patient_id, ctx.provider_ids[provider], ctx.location_ids[location],
                     ctx.local_stamp(day, hour, minute), DURATIONS.get(visit_type, 30), visit_type, 'completed',
                     ctx.stamp(dos - between(rng, 1, 30), 16 * 60), ctx.visit_type_ids.get(visit_type, ctx.null)))
    household = st.household
    placer = ctx.placer if ctx.placer is not None else Placer(ctx)
    ctx.placer = placer
    if household.appointments is not None:
        for person, days_ahead, hour, minute, provider, visit_type in household.appointments:
            day = _weekday(ctx.today + timedelta(days=days_ahead))
            while not placer.book(appointment_id=next_id(), account_id=st.account_id,
                                  patient_id=st.patient_ids[person], provider=provider, day=day,
                                  minute=hour * 60 + minute, visit_type=visit_type,
                                  duration=DURATIONS.get(visit_type, 30),
                                  created=ctx.stamp(ctx.yesterday - 3, 17 * 60)):
                day += timedelta(days=1)  # the provider is elsewhere or away that day: the next one
        return
    for index, patient_id in enumerate(st.patient_ids):
        child = household.people[index].relationship == 'child'
        provider = pick(rng, PEDIATRIC_PROVIDERS if child else ADULT_PROVIDERS)
        draw = rng.random()
        if draw < 0.05:  # a visit they missed or called off
            day = date.fromordinal(ctx.yesterday - between(rng, 1, APPOINTMENT_HISTORY_DAYS))
            if day.weekday() < 5:
                hour, minute = _slot(rng, day)
                rows.append((next_id(), st.account_id, patient_id, ctx.provider_ids[provider],
                             ctx.location_ids[household.home_location], ctx.local_stamp(day, hour, minute), 30,
                             'Office visit', pick(rng, ('no_show', 'cancelled')),
                             ctx.stamp(day.toordinal() - between(rng, 2, 20), 16 * 60),
                             ctx.visit_type_ids.get('Office visit', ctx.null)))
        if draw < 0.27:  # a booked visit ahead, where the schedule has room (else none)
            day = _weekday(ctx.today + timedelta(days=between(rng, 1, 75)))
            hour, minute = _slot(rng, day)
            visit_type = pick(rng, FUTURE_VISITS)
            placer.book(appointment_id=next_id(), account_id=st.account_id, patient_id=patient_id, provider=provider,
                        day=day, minute=hour * 60 + minute, visit_type=visit_type,
                        duration=DURATIONS.get(visit_type, 30),
                        created=ctx.stamp(ctx.yesterday - between(rng, 0, 40), 16 * 60))


def add_threads(ctx: Context, st: AccountState, rng: random.Random) -> None:
    """Message threads for households that use the portal; the last staff reply is sometimes unread."""
    if not st.user_id:
        return
    plans = st.household.threads
    if plans is None:
        draw = rng.random()
        if draw >= 0.15:
            return
        plans = []
        for _ in range(2 if draw < 0.03 else 1):
            template = rng.randrange(len(THREADS))
            gaps = tuple(between(rng, 0, 3) for _ in THREADS[template][2])
            plans.append((template, between(rng, 2, 150), gaps, rng.random() < 0.55))
    for template, days_ago, gaps, last_read in plans:
        _thread(ctx, st, rng, template, days_ago, gaps, last_read)


def _thread(ctx: Context, st: AccountState, rng: random.Random, template: int, days_ago: int,
            gaps: tuple[int, ...], last_read: bool) -> None:
    null = ctx.null
    subject, kind, bodies = THREADS[template]
    thread_id = ctx.next_id('message_thread')
    staff = ctx.staff_ids[thread_id % len(ctx.staff_ids)]
    day, minute, stamps = ctx.today_ord - days_ago, 15 * 60 + between(rng, 0, 360), []
    last_day = day
    for index, gap in enumerate(gaps):
        day += gap if index else 0
        if day > ctx.yesterday:
            break
        stamps.append(ctx.stamp(day, minute))
        last_day = day
        minute = min(minute + between(rng, 20, 90), 23 * 60)
    messages, read_upto = ctx.batch['message'], {}
    for index, at in enumerate(stamps):
        from_patient = index % 2 == 0
        message_id = ctx.next_id('message')
        messages.append((message_id, thread_id, st.user_id if from_patient else staff,
                         'patient' if from_patient else 'staff', bodies[index], 0, at))
        # each side has read its own messages and what came before; the last reply may still be unread
        last = index + 1 == len(stamps)
        unread = last and (not last_read if not from_patient else rng.random() < 0.5)
        reader = staff if from_patient else st.user_id
        read_upto[st.user_id if from_patient else staff] = message_id
        if not unread:
            read_upto[reader] = message_id
    for user_id, upto in read_upto.items():
        ctx.batch['thread_read'].append((ctx.next_id('thread_read'), thread_id, user_id, upto, stamps[-1]))
    closed = len(stamps) % 2 == 0 and last_read and days_ago > 30
    charge = pick(rng, st.charge_ids) if kind == ThreadCategory.billing_question and st.charge_ids else null
    status = (ThreadStatus.resolved if closed
              else ThreadStatus.waiting_on_patient if len(stamps) % 2 == 0 else ThreadStatus.open)
    # an open thread ends with the patient's unanswered message: the office owes a reply by this day
    # (stamps are afternoons in UTC, so the practice's day is the stamp's)
    expected = ctx.iso[add_business_days(date.fromordinal(last_day), REPLY_DAYS).toordinal()] \
        if status == ThreadStatus.open else null
    ctx.batch['message_thread'].append((thread_id, st.account_id, subject, kind, status, charge, st.user_id, staff,
                                        expected, stamps[0], stamps[-1]))
