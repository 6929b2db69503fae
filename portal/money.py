"""Money: an int of minor units plus an ISO currency code. Never float.

User input is parsed with Decimal; anything with more than two decimals, zero, negative,
non-numeric or over the allowed maximum is refused with a message a patient can read.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_AMOUNT = 10_000_000_00  # $10,000,000.00: anything larger is a typo, not a bill
SYMBOLS = {'USD': '$', 'CAD': 'CA$', 'EUR': '€', 'GBP': '£'}


class AmountError(ValueError):
    """The message is fit to show next to the field."""


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str = 'USD'

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError('Money.minor must be an int of minor units')

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f'cannot combine {self.currency} and {other.currency}')

    def __str__(self) -> str:
        return format_money(self.minor, self.currency)


def format_money(minor: int, currency: str = 'USD') -> str:
    """1234567 -> '$12,345.67'; negative amounts get a leading minus: '-$5.00'."""
    sign = '-' if minor < 0 else ''
    whole, cents = divmod(abs(minor), 100)
    return f'{sign}{SYMBOLS.get(currency, currency + " ")}{whole:,}.{cents:02d}'


def parse_amount(text: str, *, maximum: int | None = None, currency: str = 'USD') -> int:
    """Parse what a person typed ('$1,234.5', '20') into minor units, or raise AmountError."""
    cleaned = (text or '').strip().replace(',', '').replace(' ', '')
    symbol = SYMBOLS.get(currency, '')
    if symbol and cleaned.startswith(symbol):
        cleaned = cleaned[len(symbol):]
    if not cleaned:
        raise AmountError('Enter an amount.')
    if len(cleaned) > 20:
        raise AmountError('That amount is too large.')
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise AmountError('Enter the amount as a number, like 25.00.') from None
    if not value.is_finite():
        raise AmountError('Enter the amount as a number, like 25.00.')
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise AmountError('Use at most two decimal places.')
    if value <= 0:
        raise AmountError('The amount must be more than zero.')
    minor = int(value * 100)
    if minor > MAX_AMOUNT:
        raise AmountError('That amount is too large.')
    if maximum is not None and minor > maximum:
        raise AmountError(f'The most you can pay here is {format_money(maximum, currency)}.')
    return minor
