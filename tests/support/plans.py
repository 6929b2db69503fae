"""Builders for plan tests: an account with a balance, its patient user and a saved card."""
from __future__ import annotations

from dataclasses import dataclass

from portal.auth.permissions import Actor
from portal.db import write_session
from portal.models import PlanPolicy
from portal.services.money_moved import account_money_moved
from portal.services.plans import signing
from tests.factories import make_account, make_charges, make_saved_method, make_user


@dataclass(frozen=True)
class Household:
    account_id: int
    actor: Actor
    method_id: int


def post_charge(account_id: int, amount: int, ref: str = '') -> None:
    """A new charge as the charge import posts one: the ledger entry, then the money-moved step."""
    with write_session() as session:
        make_charges(account_id, [amount], session=session)
        account_money_moved(session, account_id=account_id)


def household(balance: int = 100_000, *, policy: dict | None = None, behaviour: str = 'succeed') -> Household:
    with write_session() as session:
        if session.get(PlanPolicy, 1) is None:
            session.add(PlanPolicy(id=1, **(policy or {})))
    account, _ = make_account(guarantor_first_name='Maria', guarantor_last_name='Álvarez', email='maria@example.com')
    user = make_user(account=account, first_name='Maria', last_name='Álvarez')
    make_charges(account, [balance])
    method = make_saved_method(account, behaviour=behaviour, user_id=user.id)
    return Household(account.id, Actor(user_id=user.id, role='patient', ip='203.0.113.9'), method.id)


def sign(home: Household, *, months: int = 4, autopay: bool = True, day: int = 1, **kwargs) -> int:
    with write_session() as session:
        plan = signing.create(session, home.actor, account_id=home.account_id, day_of_month=day, months=months,
                            signed_name='maria alvarez', consent=True,
                            autopay_method_id=home.method_id if autopay else None, **kwargs)
        return plan.id
