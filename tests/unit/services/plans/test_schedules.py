"""Plan arithmetic: installments sum to what is financed, respect the policy, and the last takes the rest."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from portal.errors import ValidationFailed
from portal.services.plans.schedules import Bounds, Schedule, add_months, build, first_due_date, respread

TODAY = date(2026, 11, 29)
bounds_strategy = st.builds(Bounds, min_balance=st.integers(0, 50_000), min_installment=st.integers(100, 20_000),
                            max_months=st.integers(1, 60), down_payment_percent=st.integers(0, 50))


def _check(schedule, bounds: Bounds, balance: int) -> None:  # noqa: ANN001
    monthly = [item for item in schedule.installments if item.seq > 0]
    assert schedule.total == balance
    assert sum(item.amount for item in monthly) == schedule.financed
    assert len(monthly) == schedule.months <= bounds.max_months
    assert all(item.amount > 0 for item in schedule.installments)
    assert all(item.amount >= min(bounds.min_installment, schedule.financed) for item in monthly[:-1])
    assert [item.seq for item in monthly] == list(range(1, len(monthly) + 1))
    assert all(a.due_date < b.due_date for a, b in zip(monthly, monthly[1:], strict=False))
    assert all(item.due_date.day == schedule.day_of_month for item in monthly)


def _built_when(allowed: bool, **request: object) -> Schedule:
    """The schedule when the policy allows the request; a refusal (with a message) when it does not,
    and then the example is discarded so that hypothesis keeps looking for schedules to check."""
    if allowed:
        return build(today=TODAY, **request)
    with pytest.raises(ValidationFailed) as refused:
        build(today=TODAY, **request)
    assert refused.value.message
    reject()


@given(balance=st.integers(1, 10_000_000), bounds=bounds_strategy, monthly=st.integers(1, 5_000_000),
       day=st.integers(1, 28))
def test_by_amount_sums_to_the_balance_within_the_policy(balance: int, bounds: Bounds, monthly: int, day: int) -> None:
    financed = balance - balance * bounds.down_payment_percent // 100
    allowed = (balance >= bounds.min_balance and monthly >= min(bounds.min_installment, financed)
               and -(-financed // min(monthly, financed)) <= bounds.max_months)
    schedule = _built_when(allowed, balance=balance, bounds=bounds, day_of_month=day, monthly=monthly)
    _check(schedule, bounds, balance)
    assert all(item.amount == min(monthly, schedule.financed)
               for item in schedule.installments[:-1] if item.seq > 0)


@given(balance=st.integers(1, 10_000_000), bounds=bounds_strategy, months=st.integers(1, 60), day=st.integers(1, 28))
def test_by_months_sums_to_the_balance_within_the_policy(balance: int, bounds: Bounds, months: int, day: int) -> None:
    financed = balance - balance * bounds.down_payment_percent // 100
    allowed = (balance >= bounds.min_balance and months <= bounds.max_months
               and (months == 1 or financed // months >= bounds.min_installment))
    schedule = _built_when(allowed, balance=balance, bounds=bounds, day_of_month=day, months=months)
    _check(schedule, bounds, balance)
    assert schedule.months == months


@given(amounts=st.lists(st.integers(100, 100_000), min_size=1, max_size=24), total=st.integers(1, 5_000_000),
       floor=st.integers(100, 10_000))
def test_respread_keeps_the_total(amounts: list[int], total: int, floor: int) -> None:
    spread = respread(amounts, total, floor)
    assert sum(spread) == total
    assert 1 <= len(spread) <= len(amounts)
    assert all(amount >= floor for amount in spread[:-1]) or len(spread) == 1


def test_an_example_schedule() -> None:
    bounds = Bounds(min_balance=5000, min_installment=2500, max_months=12, down_payment_percent=10)
    schedule = build(balance=100_001, bounds=bounds, today=TODAY, day_of_month=15, months=4)
    assert schedule.down_payment == 10_000
    assert [(item.seq, item.due_date, item.amount) for item in schedule.installments] == [
        (0, TODAY, 10_000), (1, date(2026, 12, 15), 22_500), (2, date(2027, 1, 15), 22_500),
        (3, date(2027, 2, 15), 22_500), (4, date(2027, 3, 15), 22_501)]
    by_amount = build(balance=10_000, bounds=Bounds(5000, 2500, 12),
                      today=TODAY, day_of_month=1, monthly=3000)
    assert [item.amount for item in by_amount.installments] == [3000, 3000, 3000, 1000]


@pytest.mark.parametrize(('kwargs', 'field', 'words'), [
    ({'monthly': 2000}, 'monthly', 'at least $25.00'),
    ({'monthly': 2500}, 'monthly', 'longest plan is 12 months'),
    ({'months': 13}, 'months', 'from 1 to 12'),
    ({'months': 12, 'balance': 20_000}, 'months', 'below the $25.00 minimum'),
])
def test_each_bound_gives_a_clear_message(kwargs: dict, field: str, words: str) -> None:
    balance = kwargs.pop('balance', 100_000)
    with pytest.raises(ValidationFailed) as failure:
        build(balance=balance, bounds=Bounds(5000, 2500, 12), today=TODAY, day_of_month=1, **kwargs)
    assert words in failure.value.field_errors[field]


def test_a_balance_under_the_minimum_does_not_qualify() -> None:
    with pytest.raises(ValidationFailed, match='what you owe now is \\$50.00 or more'):
        build(balance=4999, bounds=Bounds(5000, 2500, 12), today=TODAY, day_of_month=1, months=2)


def test_dates() -> None:
    assert first_due_date(date(2026, 11, 29), 1) == date(2026, 12, 1)
    assert first_due_date(date(2026, 11, 2), 15) == date(2026, 11, 15)
    assert first_due_date(date(2026, 11, 15), 15) == date(2026, 12, 15)
    assert add_months(date(2026, 11, 15), 14, 28) == date(2028, 1, 28)
