"""Money: integer minor units, strict parsing of what people type, formatting."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.money import MAX_AMOUNT, AmountError, Money, format_money, parse_amount


@pytest.mark.parametrize(('text', 'minor'), [
    ('20', 2000), ('20.5', 2050), ('20.05', 2005), ('$1,234.56', 123456), (' 0.01 ', 1), ('4.60', 460),
    ('$4.60', 460), ('$ 4.60', 460), ('4.', 400), ('.5', 50), ('1,234', 123400), ('1,000,000', 100000000),
    ('007', 700),
])
def test_parses_what_people_type(text: str, minor: int) -> None:
    assert parse_amount(text) == minor


@pytest.mark.parametrize('text', [
    '4,60', '4,6', '1,23', '1,2345', '12,34,567', ',123', '0,460', '1,234,56', '1 234', '4 .60', '$4 60',
    '1e2', '1E2', '4.6e1', '1_000', '٤٫٦٠', '４.６０', '४.60', 'abc', 'NaN', 'Infinity', '4.60 USD', 'USD 4.60',
    '<b>4</b>', '4.60;', '0x10', '1.234', '4..6', '$$4', '4$', '+4', '(4.60)', '.', '$', '€4.60',
])
def test_refuses_anything_an_en_us_reader_would_not_read_as_an_amount(text: str) -> None:
    with pytest.raises(AmountError, match=r'^Enter the amount like 4\.60\.$'):
        parse_amount(text)


@pytest.mark.parametrize(('text', 'message'), [
    ('', 'Enter an amount.'),
    ('   ', 'Enter an amount.'),
    ('0', 'The amount must be more than zero.'),
    ('0.00', 'The amount must be more than zero.'),
    ('-5', 'The amount must be more than zero.'),
    ('-$5.00', 'The amount must be more than zero.'),
    ('99999999999', 'That amount is too large.'),
    ('1' * 40, 'That amount is too large.'),
])
def test_refuses_bad_amounts_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(AmountError, match='^' + message.replace('.', r'\.') + '$'):
        parse_amount(text)


def test_refuses_more_than_the_maximum_naming_the_action() -> None:
    with pytest.raises(AmountError, match=r'The most you can pay here is \$50\.00\.'):
        parse_amount('50.01', maximum=5000)
    with pytest.raises(AmountError, match=r'The most you can refund here is \$50\.00\.'):
        parse_amount('50.01', maximum=5000, verb='refund')
    assert parse_amount('50', maximum=5000) == 5000


@pytest.mark.parametrize(('minor', 'text'), [(0, '$0.00'), (5, '$0.05'), (123456789, '$1,234,567.89'),
                                             (-500, '-$5.00')])
def test_formats_minor_units(minor: int, text: str) -> None:
    assert format_money(minor) == text


def _en_us_ways(minor: int) -> list[str]:
    """How an en-US reader writes an amount: with or without $, thousands commas and cents."""
    whole, cents = divmod(minor, 100)
    fractions = [f'.{cents:02d}'] + ([f'.{cents // 10}'] if cents % 10 == 0 else []) + (['', '.'] if not cents else [])
    wholes = [str(whole), f'{whole:,}'] if whole else ['0', '']
    return [f'{dollar}{number}{fraction}' for dollar in ('', '$') for number in wholes for fraction in fractions
            if number or fraction not in ('', '.')]


@given(st.integers(min_value=1, max_value=MAX_AMOUNT))
def test_every_way_an_en_us_reader_writes_an_amount_round_trips(minor: int) -> None:
    ways = _en_us_ways(minor)
    assert format_money(minor) in ways
    for text in ways:
        assert parse_amount(text) == minor, text


def _en_us_reading(text: str) -> Decimal | None:
    """An independent en-US reading (no regular expression): None when a reader would not read the
    text as an amount; commas must separate groups of exactly three digits."""
    text = text.strip().removeprefix('$').lstrip(' ') if text.strip().startswith('$') else text.strip()
    whole, dot, fraction = text.partition('.')
    if not set(whole + fraction) <= set('0123456789,') or ',' in fraction or len(fraction) > 2:
        return None
    if not (whole.replace(',', '') or fraction):
        return None
    groups = whole.split(',')
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or groups[0].startswith('0')
                            or any(len(group) != 3 for group in groups[1:])):
        return None
    return Decimal((whole.replace(',', '') or '0') + '.' + (fraction or '0'))


AMOUNTISH = st.text(alphabet=st.sampled_from(list('0123456789,.$ -+eE_') + ['٤', '４', '\u00a0', 'a']), max_size=14)


@given(st.one_of(AMOUNTISH, st.text(max_size=20)))
def test_whatever_the_parser_accepts_means_what_an_en_us_reader_reads(text: str) -> None:
    try:
        minor = parse_amount(text)
    except AmountError:
        return
    reading = _en_us_reading(text)
    assert reading is not None, text
    assert Decimal(minor) == reading * 100, text


@given(st.integers(min_value=0, max_value=999_999), st.integers(min_value=1, max_value=99))
def test_a_decimal_comma_is_never_read_as_thousands(whole: int, cents: int) -> None:
    for text in (f'{whole},{cents:02d}', f'{whole},{cents}', f'${whole},{cents:02d}'):
        with pytest.raises(AmountError, match='like 4.60'):
            parse_amount(text)


def test_money_is_never_a_float_and_never_mixes_currencies() -> None:
    with pytest.raises(TypeError):
        Money(1.5)  # type: ignore[arg-type]
    assert Money(150) + Money(50) == Money(200)
    assert str(Money(150) - Money(200)) == '-$0.50'
    with pytest.raises(ValueError, match='cannot combine'):
        Money(1, 'USD') + Money(1, 'EUR')
