"""What an attempt pays for is written and read in one module (services.attempt_targets)."""
from __future__ import annotations

from portal.services import payable
from portal.services.attempt_targets import (
    Target,
    amount_target,
    installment_target,
    parse_target,
    plan_pay_target,
    statement_of,
    statement_target,
)


def test_every_target_reads_back_as_written() -> None:
    assert parse_target(statement_target(12)) == Target('statement', 12)
    assert parse_target(amount_target(460)) == Target('amount', 460)
    assert parse_target(plan_pay_target(7)) == Target('plan-pay', 7)
    assert parse_target(installment_target(7, 2)) == Target('installment', 7)
    assert installment_target(7, 2) == 'installment:7:try-2'
    assert parse_target('balance') == Target('balance') and parse_target(None) == Target('')
    assert parse_target('statement:x') == Target('statement', None)


def test_only_a_statement_target_names_a_statement() -> None:
    assert statement_of(statement_target(12)) == 12
    assert statement_of(plan_pay_target(12)) is None and statement_of('full') is None and statement_of(None) is None


def test_every_money_target_counts_against_what_can_be_paid() -> None:
    for target in ('balance', statement_target(1), amount_target(100), plan_pay_target(1), installment_target(1, 1)):
        assert payable.cap_of(target) == 'balance', target
