"""Money: integer minor units, strict parsing of what people type, formatting."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.money import MAX_AMOUNT, AmountError, Money, format_money, parse_amount


@pytest.mark.parametrize(('text', 'minor'), [
    ('20', 2000), ('20.5', 2050), ('20.05', 2005), ('$1,234.56', 123456), (' 0.01 ', 1), ('1e2', 10000),
])
def test_parses_what_people_type(text: str, minor: int) -> None:
    assert parse_amount(text) == minor


@pytest.mark.parametrize(('text', 'message'), [
    ('', 'Enter an amount.'),
    ('abc', 'Enter the amount as a number, like 25.00.'),
    ('NaN', 'Enter the amount as a number, like 25.00.'),
    ('Infinity', 'Enter the amount as a number, like 25.00.'),
    ('1.234', 'Use at most two decimal places.'),
    ('0', 'The amount must be more than zero.'),
    ('-5', 'The amount must be more than zero.'),
    ('99999999999', 'That amount is too large.'),
    ('1' * 40, 'That amount is too large.'),
])
def test_refuses_bad_amounts_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(AmountError, match=message.replace('.', r'\.')):
        parse_amount(text)


def test_refuses_more_than_the_maximum_allowed() -> None:
    with pytest.raises(AmountError, match=r'The most you can pay here is \$50\.00\.'):
        parse_amount('50.01', maximum=5000)
    assert parse_amount('50', maximum=5000) == 5000


@pytest.mark.parametrize(('minor', 'text'), [(0, '$0.00'), (5, '$0.05'), (123456789, '$1,234,567.89'),
                                             (-500, '-$5.00')])
def test_formats_minor_units(minor: int, text: str) -> None:
    assert format_money(minor) == text


@given(st.integers(min_value=1, max_value=MAX_AMOUNT))
def test_format_then_parse_round_trips(minor: int) -> None:
    assert parse_amount(format_money(minor)) == minor


def test_money_is_never_a_float_and_never_mixes_currencies() -> None:
    with pytest.raises(TypeError):
        Money(1.5)  # type: ignore[arg-type]
    assert Money(150) + Money(50) == Money(200)
    assert str(Money(150) - Money(200)) == '-$0.50'
    with pytest.raises(ValueError, match='cannot combine'):
        Money(1, 'USD') + Money(1, 'EUR')
