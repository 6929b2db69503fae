"""What patients pay and what they are sent: payments (front desk, portal, mail, phone, autopay)
with their allocations to charges (oldest first), payment plans with installments, the ledger
rows themselves and each account's latest statement.

Households pay according to a habit: prompt payers clear each statement, partial payers send a
round amount, slow payers skip months, some never pay, some go on a plan once the balance is large.
"""
from __future__ import annotations

import random
from datetime import date
from operator import itemgetter

from portal.demo.context import Context, Weighted, between, pick
from portal.demo.state import PAYMENT, AccountState
from portal.models import InstallmentStatus, LedgerKind, PaymentStatus, PlanStatus

DESK_METHODS = Weighted((('card', 75), ('cash', 12), ('check', 13)))
PARTIAL_AMOUNTS = (2500, 4000, 5000, 7500, 10000, 15000)
PLAN_THRESHOLD = 20000
DUE_DAYS = 21
LEDGER_REFS = {'charge': 'chg', 'insurance_payment': 'ins', 'contractual_adjustment': 'adj',
               'patient_payment': 'pay', 'write_off': 'wo', 'refund': 'ref', 'correction': 'cor'}


class OpenCharges:
    """Patient shares that have come due, paid oldest date of service first."""

    def __init__(self, owed: list[tuple[int, int, int, int]]) -> None:
        self.events = sorted(owed)
        self.next = 0
        self.items: list[list[int]] = []  # [dos, charge_id, remaining]

    def advance(self, day: int) -> None:
        events, added = self.events, False
        while self.next < len(events) and events[self.next][0] <= day:
            _, dos, charge_id, amount = events[self.next]
            self.items.append([dos, charge_id, amount])
            self.next += 1
            added = True
        if added:
            self.items.sort()

    def total(self) -> int:
        return sum(item[2] for item in self.items)

    def allocate(self, amount: int) -> list[tuple[int, int]]:
        paid: list[tuple[int, int]] = []
        for item in self.items:
            if amount <= 0:
                break
            part = min(amount, item[2])
            item[2] -= part
            amount -= part
            paid.append((item[1], part))
        self.items = [item for item in self.items if item[2] > 0]
        return paid


def record_payment(ctx: Context, st: AccountState, rng: random.Random, day: int, amount: int, *, channel: str,
                   method: str, allocations: list[tuple[int, int]], saved_method_id: int = 0) -> int:
    """A succeeded payment, its allocations and its ledger entry."""
    null = ctx.null
    payment_id = ctx.next_id('payment')
    minute = 15 * 60 + payment_id % 420  # 9am-4pm at the practice, in UTC
    received = ctx.stamp(day, minute)
    intent = null if method in ('cash', 'check') else f'pi_demo_{payment_id:08x}{rng.getrandbits(48):012x}'
    reference = f'Check {between(rng, 1001, 9899)}' if method == 'check' else ''
    staff = pick(rng, ctx.staff_ids) if channel in ('desk', 'mail', 'phone') else null
    payer = st.user_id if channel == 'portal' and st.user_id else null
    settle_days = 3 if method == 'us_bank_account' else (2 if method == 'check' else 0)
    settled = ctx.stamp(day + settle_days, minute + 1) if day + settle_days <= ctx.yesterday else null
    ctx.batch['payment'].append((payment_id, st.account_id, intent, amount, 'USD', method, PaymentStatus.succeeded,
                                 f'R{payment_id:08d}', reference, payer, staff, saved_method_id or null,
                                 received, settled))
    next_allocation = ctx.ids('payment_allocation').__next__
    ctx.batch['payment_allocation'].extend((next_allocation(), payment_id, charge_id, part)
                                           for charge_id, part in allocations)
    st.allocated.extend((day, charge_id, part) for charge_id, part in allocations)
    st.entries.append((day, PAYMENT, minute, 'patient_payment', -amount, null, null, payment_id, null, null, ''))
    return payment_id


def copay_at_desk(ctx: Context, st: AccountState, rng: random.Random, day: int, charge_id: int, amount: int) -> None:
    method = DESK_METHODS.draw(rng)
    record_payment(ctx, st, rng, day, amount, channel='desk', method=method, allocations=[(charge_id, amount)])


def _channel(st: AccountState, rng: random.Random) -> tuple[str, str, bool]:
    """(channel, method, with the saved card) for a payment the patient makes on their own."""
    draw = rng.random()
    if st.user_id:
        if draw < 0.7:
            method = 'us_bank_account' if rng.random() < 0.2 else 'card'
            return 'portal', method, method == 'card' and bool(st.card_id) and rng.random() < 0.6
        return ('mail', 'check', False) if draw < 0.9 else ('phone', 'card', False)
    return ('mail', 'check', False) if draw < 0.55 else ('phone', 'card', False)


def collect(ctx: Context, st: AccountState, rng: random.Random) -> None:
    """The household's payments over time, by habit (or as listed for the showcase household)."""
    household, open_charges = st.household, OpenCharges(st.owed)
    if household.payments is not None:
        for days_ago, amount, method in household.payments:
            day = ctx.today_ord - days_ago
            open_charges.advance(day)
            amount = min(amount, open_charges.total())
            if amount > 0:
                record_payment(ctx, st, rng, day, amount, channel='portal', method=method,
                               allocations=open_charges.allocate(amount),
                               saved_method_id=st.card_id if method == 'card' else 0)
        return
    if not open_charges.events:
        return
    start = date.fromordinal(open_charges.events[0][0])
    cycle = date(start.year, start.month, household.cycle_day)
    habit = household.behavior
    while cycle.toordinal() <= ctx.yesterday:
        day = cycle.toordinal()
        open_charges.advance(day)
        due = open_charges.total()
        if habit == 'plan' and due >= PLAN_THRESHOLD and day >= ctx.yesterday - 400:
            _payment_plan(ctx, st, rng, open_charges, cycle, due)
            return
        pay = 0
        if due > 0:
            draw = rng.random()
            if habit == 'prompt' and draw < 0.93:
                pay, lag = due, between(rng, 2, 20)
            elif habit == 'partial' and draw < 0.75:
                pay, lag = min(due, pick(rng, PARTIAL_AMOUNTS)), between(rng, 4, 24)
            elif habit in ('slow', 'plan') and draw < 0.4:
                pay, lag = (due if rng.random() < 0.6 else max(1000, due // 2)), between(rng, 8, 26)
            elif habit == 'none' and draw < 0.06:
                pay, lag = min(due, 2500), between(rng, 5, 25)
        if pay and day + lag <= ctx.yesterday:
            open_charges.advance(day + lag)
            pay = min(pay, open_charges.total())
            channel, method, with_card = _channel(st, rng)
            record_payment(ctx, st, rng, day + lag, pay, channel=channel, method=method,
                           allocations=open_charges.allocate(pay), saved_method_id=st.card_id if with_card else 0)
        cycle = ctx.add_months(cycle, 1, household.cycle_day)


def _payment_plan(ctx: Context, st: AccountState, rng: random.Random, open_charges: OpenCharges, cycle: date,
                  total: int) -> None:
    """A signed plan for the balance, paid by autopay from the saved card on the same day each month."""
    null, household = ctx.null, st.household
    months = max(3, min(12, total // 5000))
    installment = -(-total // months)
    signed = ctx.add_months(cycle, 0, min(28, cycle.day + 3))
    signed_at = ctx.stamp(signed.toordinal(), 17 * 60 + between(rng, 0, 300))
    plan_id = ctx.next_id('payment_plan')
    rows, paid_all = [], True
    for seq in range(1, months + 1):
        due = ctx.add_months(signed, seq, signed.day)
        day = due.toordinal()
        amount = installment if seq < months else total - installment * (months - 1)
        row_id = ctx.next_id('plan_installment')
        if day > ctx.yesterday:
            rows.append((row_id, plan_id, seq, ctx.iso[day], amount, InstallmentStatus.scheduled, 0, null, null, null))
            st.installments.append((day, amount, InstallmentStatus.scheduled))
            paid_all = False
            continue
        attempted = ctx.stamp(day, 14 * 60)
        if day >= ctx.yesterday - 2 and rng.random() < 0.15:  # a recent decline: retried in three days
            rows.append((row_id, plan_id, seq, ctx.iso[day], amount, InstallmentStatus.failed, 1, attempted,
                         ctx.iso[day + 3], null))
            st.installments.append((day, amount, InstallmentStatus.failed))
            paid_all = False
            continue
        open_charges.advance(day)
        pay = min(amount, open_charges.total())
        payment_id = null
        if pay > 0:
            payment_id = record_payment(ctx, st, rng, day, pay, channel='autopay', method='card',
                                        allocations=open_charges.allocate(pay), saved_method_id=st.card_id)
        rows.append((row_id, plan_id, seq, ctx.iso[day], amount, InstallmentStatus.paid, 1, attempted, null,
                     payment_id))
        st.installments.append((day, amount, InstallmentStatus.paid))
    ctx.batch['payment_plan'].append((
        plan_id, st.account_id, ctx.policy_id, total, 0, installment, months, signed.day, 'USD',
        PlanStatus.completed if paid_all else PlanStatus.active, st.card_id or null,
        f'{household.first} {household.last}',
        signed_at, f'203.0.113.{between(rng, 2, 250)}', '2026-01', st.user_id or null, signed_at))
    ctx.batch['plan_installment'].extend(rows)


def post_ledger(ctx: Context, st: AccountState) -> list[tuple[int, int, int, str, int]]:
    """Give the account's entries ids in the order they happened; returns (id, day, minute, kind, amount)."""
    st.entries.sort(key=itemgetter(0, 1, 2))
    next_entry = ctx.ids('ledger_entry').__next__
    rows = ctx.batch['ledger_entry']
    account_id, refs, iso, times = st.account_id, LEDGER_REFS, ctx.iso, ctx.times
    posted = []
    for day, _rank, minute, kind, amount, patient_id, charge_id, payment_id, claim_id, carc, memo in st.entries:
        entry_id = next_entry()
        day_text = iso[day]
        rows.append((entry_id, account_id, patient_id, charge_id, kind, amount, 'USD', day_text,
                     day_text + times[minute], f'seed:{refs[kind]}:{entry_id}', payment_id, claim_id, carc, memo))
        posted.append((entry_id, day, minute, kind, amount))
    return posted


def statement_day(ctx: Context, st: AccountState) -> date:
    household = st.household
    if household.statement_days_ago is not None:
        return ctx.days_ago(household.statement_days_ago)
    yesterday = date.fromordinal(ctx.yesterday)
    day = date(yesterday.year, yesterday.month, household.cycle_day)
    return day if day <= yesterday else ctx.add_months(day, -1, household.cycle_day)


def issue_statement(ctx: Context, st: AccountState, rng: random.Random,
                    posted: list[tuple[int, int, int, str, int]]) -> int:
    """The latest statement, for an account that owed money on its statement day; returns its id or 0."""
    issued = statement_day(ctx, st)
    cutoff, previous_cutoff = issued.toordinal(), ctx.add_months(issued, -1, issued.day).toordinal()
    first_id = last_id = previous = 0
    sums = dict.fromkeys(LEDGER_REFS, 0)
    for entry_id, day, _minute, kind, amount in posted:
        if day <= previous_cutoff:
            previous += amount
            first_id = last_id = entry_id
        elif day <= cutoff:
            sums[kind] += amount
            last_id = entry_id
        else:
            break
    new_balance = previous + sum(sums.values())
    # what is still open on charges still with insurance (payable.waiting_query's rule): their ledger lines
    # less what patients paid on them by the statement day
    waiting = min(new_balance, max(0, sum(entry[4] for entry in st.entries
                                           if entry[6] in st.pending_charges and entry[0] <= cutoff)
                                   - sum(part for day, charge_id, part in st.allocated
                                         if charge_id in st.pending_charges and day <= cutoff)))
    if new_balance - waiting <= 0:
        return 0
    amount_due = new_balance - waiting
    upcoming = [amount for day, amount, status in st.installments if day > cutoff or status == InstallmentStatus.failed]
    if upcoming:  # on a current plan the amount due is the next installment
        amount_due = min(amount_due, upcoming[0])
    paid_at, paid = ctx.null, 0
    for _entry_id, day, minute, kind, amount in posted:
        if day > cutoff and kind == LedgerKind.patient_payment:
            paid -= amount
            if paid >= amount_due:
                paid_at = ctx.stamp(day, minute)
                break
    period = f'{issued.year}-{issued.month:02d}'
    statement_id = ctx.next_id('statement')
    ctx.run_counts[period] += 1
    ctx.batch['statement'].append((
        statement_id, st.account_id, ctx.run_ids[period], period, issued.isoformat(),
        ctx.iso[cutoff + DUE_DAYS], ctx.stamp(cutoff, 11 * 60), first_id, last_id, previous, sums['charge'],
        sums['refund'], -sums['insurance_payment'], -(sums['contractual_adjustment'] + sums['write_off']),
        -sums['patient_payment'], new_balance, waiting, amount_due, 'USD', ctx.quick_pay_code(rng), paid_at,
        'email' if st.household.paperless else 'paper'))
    return statement_id
