"""What a payment attempt pays for, written into `PaymentAttempt.target` and read back in one place:

    'balance'                     the account's balance
    'statement:<id>'              one statement (also the pay page's choice of it)
    'amount:<minor units>'        an amount the patient typed
    'plan-pay:<installment id>'   an installment paid by hand
    'installment:<id>:try-<n>'    an installment charged by autopay, n-th try
    'setup'                       saving a method, no money
"""
from __future__ import annotations

from dataclasses import dataclass

BALANCE = 'balance'
SETUP = 'setup'
STATEMENT = 'statement'
AMOUNT = 'amount'
PLAN_PAY = 'plan-pay'
INSTALLMENT = 'installment'
# the targets whose money counts against what the account can pay now (payable.py)
OF_THE_BALANCE = (STATEMENT, AMOUNT, INSTALLMENT, PLAN_PAY)


@dataclass(frozen=True)
class Target:
    kind: str  # one of the names above ('balance', 'statement', ...); the text before the first ':'
    number: int | None = None  # the statement, installment or amount; None without one


def statement_target(statement_id: int | None) -> str:
    return f'{STATEMENT}:{statement_id}'


def amount_target(amount: int) -> str:
    return f'{AMOUNT}:{amount}'


def plan_pay_target(installment_id: int) -> str:
    return f'{PLAN_PAY}:{installment_id}'


def installment_target(installment_id: int, attempt: int) -> str:
    return f'{INSTALLMENT}:{installment_id}:try-{attempt}'


def prefix(kind: str) -> str:
    """'statement:' for 'statement': what every target of that kind starts with (for SQL LIKE)."""
    return f'{kind}:'


def parse_target(target: str | None) -> Target:
    """'statement:12' -> Target('statement', 12); 'installment:7:try-2' -> Target('installment', 7);
    'balance' -> Target('balance'); a number that is not one (or None) -> Target(kind, None)."""
    kind, _, rest = (target or '').partition(':')
    number = rest.partition(':')[0]
    return Target(kind, int(number) if number.isdigit() else None)


def statement_of(target: str | None) -> int | None:
    """The statement a target pays, or None when it pays something else."""
    parsed = parse_target(target)
    return parsed.number if parsed.kind == STATEMENT else None
