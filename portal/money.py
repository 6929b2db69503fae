"""Money: an int of minor units plus an ISO currency code. Never float.

Every money field (pay, plan amounts, refunds, cash and checks, imports) reads typed text with
`parse_amount`: one strict en-US grammar, then Decimal. Anything else (a decimal comma, more than two
decimals, exponents, zero, negative, over the allowed maximum) is refused with a message a patient can
read, and nothing is stored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

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


# en-US only: digits, an optional "." with at most two decimals, commas only between groups of
# three (1,234.56), an optional leading "$". [0-9] rather than \d, which also matches other scripts'
# digits. "4,60" (a decimal comma) must never read as 460, so a comma not followed by exactly three
# digits is refused rather than dropped.
AMOUNT = re.compile(r'(?:\$ ?)?(?P<number>(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{0,2})?|\.[0-9]{1,2})')
LOOKS_LIKE = 'Enter the amount like 4.60.'


def amount_text(minor: int) -> str:
    """123456 -> '1234.56': a field's starting value, which parse_amount reads back (the $ is the field's)."""
    return f'{minor // 100}.{minor % 100:02d}'


def parse_amount(text: str, *, maximum: int | None = None, verb: str = 'pay', currency: str = 'USD') -> int:
    """What a person typed, read as an en-US reader reads it, in minor units: '$1,234.5' -> 123450.

    `maximum` (minor units) is the most allowed here; `verb` names the action in the refusal
    ("The most you can refund here is $5.00."). Raises AmountError with a message fit for the
    field: empty, not written like 4.60 (a decimal comma, spaces or letters inside, exponents,
    more than two decimals, non-ASCII digits), zero or negative, over MAX_AMOUNT or `maximum`.
    """
    cleaned = (text or '').strip()
    if not cleaned:
        raise AmountError('Enter an amount.')
    if len(cleaned) > 20:
        raise AmountError('That amount is too large.')
    if cleaned.startswith('-') and AMOUNT.fullmatch(cleaned[1:].lstrip()):
        raise AmountError('The amount must be more than zero.')
    matched = AMOUNT.fullmatch(cleaned)
    if matched is None:
        raise AmountError(LOOKS_LIKE)
    minor = int(Decimal(matched['number'].replace(',', '').rstrip('.') or '0') * 100)
    if minor <= 0:
        raise AmountError('The amount must be more than zero.')
    if minor > MAX_AMOUNT:
        raise AmountError('That amount is too large.')
    if maximum is not None and minor > maximum:
        raise AmountError(f'The most you can {verb} here is {format_money(maximum, currency)}.')
    return minor
