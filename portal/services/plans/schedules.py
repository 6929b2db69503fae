"""Payment-plan arithmetic: pure functions from a balance and a policy to a schedule of installments.

Integers only (minor units). A schedule is a down payment (seq 0, due today, when the policy asks for
one) and monthly installments on a fixed day of the month; every installment but the last is the
same, and the last absorbs the remainder, so they always sum to the financed amount.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.errors import ValidationFailed
from portal.money import format_money

MAX_DAY_OF_MONTH = 28  # every month has it


@dataclass(frozen=True)
class Bounds:
    """The policy's limits, as the arithmetic needs them."""
    min_balance: int
    min_installment: int
    max_months: int
    down_payment_percent: int = 0


@dataclass(frozen=True)
class Installment:
    seq: int  # 0: the down payment
    due_date: date
    amount: int


@dataclass(frozen=True)
class Schedule:
    balance: int
    down_payment: int
    financed: int
    monthly: int  # every installment but possibly the last
    months: int
    day_of_month: int
    installments: tuple[Installment, ...]

    @property
    def total(self) -> int:
        return sum(item.amount for item in self.installments)


def add_months(day: date, months: int, day_of_month: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, day_of_month)


def first_due_date(today: date, day_of_month: int) -> date:
    """The first installment: the next `day_of_month` after today (never today itself)."""
    this_month = date(today.year, today.month, day_of_month)
    return this_month if this_month > today else add_months(today, 1, day_of_month)


def down_payment(balance: int, percent: int) -> int:
    return balance * percent // 100  # rounded down, in the patient's favour


def split_by_amount(financed: int, monthly: int) -> list[int]:
    """Equal installments of `monthly`; the last is what remains (at most `monthly`)."""
    months = -(-financed // monthly)
    return [monthly] * (months - 1) + [financed - monthly * (months - 1)]


def split_by_months(financed: int, months: int) -> list[int]:
    """`months` equal installments, rounded down; the last also takes the cents left over."""
    base = financed // months
    return [base] * (months - 1) + [financed - base * (months - 1)]


def _money(minor: int) -> str:
    return format_money(minor)


def build(*, balance: int, bounds: Bounds, today: date, day_of_month: int, monthly: int | None = None,
          months: int | None = None) -> Schedule:
    """The schedule for a monthly amount OR a number of months; ValidationFailed names what to change."""
    if not 1 <= day_of_month <= MAX_DAY_OF_MONTH:
        raise ValidationFailed(f'Choose a day from 1 to {MAX_DAY_OF_MONTH}.',
                               field_errors={'day_of_month': f'Choose a day from 1 to {MAX_DAY_OF_MONTH}.'})
    if balance <= 0:
        raise ValidationFailed('There is no balance to put on a plan.')
    if balance < bounds.min_balance:
        raise ValidationFailed(f'A payment plan is available when what you owe now is {_money(bounds.min_balance)} '
                               f'or more. What you owe now is {_money(balance)}.')
    down = down_payment(balance, bounds.down_payment_percent)
    financed = balance - down
    if (monthly is None) == (months is None):
        raise ValidationFailed('Choose a monthly amount or a number of months.')
    if monthly is not None:
        amounts = _by_amount(financed, monthly, bounds)
    else:
        assert months is not None
        amounts = _by_months(financed, months, bounds)
    first = first_due_date(today, day_of_month)
    rows = [Installment(seq=0, due_date=today, amount=down)] if down else []
    rows += [Installment(seq=seq, due_date=add_months(first, seq - 1, day_of_month), amount=amount)
             for seq, amount in enumerate(amounts, start=1)]
    return Schedule(balance=balance, down_payment=down, financed=financed, monthly=amounts[0], months=len(amounts),
                    day_of_month=day_of_month, installments=tuple(rows))


def _by_amount(financed: int, monthly: int, bounds: Bounds) -> list[int]:
    floor = min(bounds.min_installment, financed)
    if monthly < floor:
        message = f'The monthly amount must be at least {_money(floor)}.'
        raise ValidationFailed(message, field_errors={'monthly': message})
    monthly = min(monthly, financed)
    months = -(-financed // monthly)
    if months > bounds.max_months:
        needed = -(-financed // bounds.max_months)
        message = (f'At {_money(monthly)} a month the plan would take {months} months; the longest plan is '
                   f'{bounds.max_months} months. Choose at least {_money(needed)} a month.')
        raise ValidationFailed(message, field_errors={'monthly': message})
    return split_by_amount(financed, monthly)


def _by_months(financed: int, months: int, bounds: Bounds) -> list[int]:
    if months < 1 or months > bounds.max_months:
        message = f'Choose from 1 to {bounds.max_months} months.'
        raise ValidationFailed(message, field_errors={'months': message})
    if months > 1 and financed // months < bounds.min_installment:
        most = max(1, financed // bounds.min_installment)
        message = (f'Over {months} months each payment would be {_money(financed // months)}, below the '
                   f'{_money(bounds.min_installment)} minimum. Choose {most} month{"s" if most != 1 else ""} '
                   f'or fewer.')
        raise ValidationFailed(message, field_errors={'months': message})
    return split_by_months(financed, months)


def respread(open_amounts: list[int], new_total: int, min_installment: int) -> list[int]:
    """Spread `new_total` over the plan's open installments (the new-charges rule 'respread', or a balance
    that went down). Keeps the count when it can; drops installments from the end rather than go below the
    minimum; the last absorbs the remainder. Returns the new amounts (zero-length when nothing is owed)."""
    if new_total <= 0 or not open_amounts:
        return []
    count = len(open_amounts)
    while count > 1 and new_total // count < min_installment:
        count -= 1
    return split_by_months(new_total, count)
