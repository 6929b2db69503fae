"""What the pay page offers and starting a payment: this month's installment (first, for an account on a
plan), the full amount due, one statement (what is left to pay on it), or another amount from $1 up to
what is payable now (payable.py); with a saved method or hosted checkout."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from sqlmodel import Session, col, select

from portal.auth.permissions import Actor, account_relationships, require_account
from portal.db import write_session
from portal.errors import NotFound, ValidationFailed
from portal.models import GuarantorAccount, Statement
from portal.money import AmountError, format_money, parse_amount
from portal.services.attempt_targets import amount_target, plan_pay_target, statement_target
from portal.services.linked_accounts import account_choices
from portal.services.payable import standing
from portal.services.payments.attempts import open_attempt, reserve
from portal.services.payments.core import ChargeOutcome, charge_saved_method
from portal.services.payments.hosted_checkout import checkout_for_attempt
from portal.services.payments.methods import MethodView, list_methods
from portal.services.practice import practice_today
from portal.services.statement_status import PlanDue, paid_since_query, plan_due, standing_of

MINIMUM = 100  # $1.00


@dataclass(frozen=True)
class StatementChoice:
    id: int
    statement_date: date
    amount_due: int


@dataclass(frozen=True)
class PayContext:
    account_id: int
    account_number: str
    currency: str
    balance: int
    processing: int
    payable: int
    statements: list[StatementChoice] = field(default_factory=list)
    methods: tuple[MethodView, ...] = ()
    selected_statement: int | None = None
    accounts: dict[int, str] = field(default_factory=dict)  # every account this person may pay: id -> number
    installment: PlanDue | None = None  # on a plan: its next installment (amount capped by `payable`)
    ceiling: int = 0  # the most "another amount" may be: `payable` plus what is waiting for insurance
    waiting: int = 0  # open on charges still with insurance: not in `payable`


@dataclass(frozen=True)
class PaymentPreview:
    """What a saved method is about to be charged, shown to the patient to confirm first."""
    amount: int  # minor units, as parsed from what was typed (or the amount due chosen)
    currency: str
    method_label: str  # 'Visa ending 4242'

    @property
    def question(self) -> str:
        return f'Pay {format_money(self.amount, self.currency)} with {self.method_label}?'


class ConfirmAmount(ValidationFailed):
    """A saved method is charged only for the amount the patient saw and confirmed."""


@dataclass(frozen=True)
class StartResult:
    redirect_url: str | None = None
    outcome: ChargeOutcome | None = None


def _statements(session: Session, account_id: int, most: int, *, only: int | None = None) -> list[StatementChoice]:
    """The three newest unpaid statements (or just statement `only`) with what is left to pay on each
    (statement_status.standing_of)."""
    query = (select(Statement.id, Statement.statement_date, Statement.due_date, Statement.amount_due,
                    Statement.paid_at, paid_since_query(account_id, Statement.last_entry_id).label('paid_since'))
             .where(Statement.account_id == account_id, col(Statement.paid_at).is_(None))
             .order_by(col(Statement.statement_date).desc()))
    query = query.limit(3) if only is None else query.where(Statement.id == only)
    rows = session.connection().execute(query).all()
    balance = standing(session, account_id).balance
    choices = [(row, standing_of(row, paid_since=int(row.paid_since), balance=balance, payable=most, plan=None,
                                 on=practice_today(session))) for row in rows]
    return [StatementChoice(row.id, row.statement_date, left.left_to_pay) for row, left in choices
            if left.status != 'paid' and left.left_to_pay > 0]


def _installment(session: Session, account_id: int, most: int) -> PlanDue | None:
    plan = plan_due(session, account_id)
    if plan is None or min(plan.amount, most) <= 0:
        return None
    return replace(plan, amount=min(plan.amount, most))


def pay_context(session: Session, /, actor: Actor, *, statement_id: int | None = None,
                account_id: int | None = None) -> PayContext | None:
    """The account to pay (the statement's, or the one chosen, or the first linked), or None."""
    linked = account_relationships(session, actor.user_id)
    if statement_id is not None:
        statement = session.get(Statement, statement_id)
        if statement is None:
            raise NotFound()
        account_id = statement.account_id
    elif account_id is None:
        if not linked:
            return None
        account_id = next(iter(linked))
    require_account(session, actor, account_id, purpose='view_pay')
    account = session.get(GuarantorAccount, account_id)
    if account is None:
        raise NotFound()
    numbers = account_choices(session, linked)
    money = standing(session, account_id)
    most = money.now
    installment = _installment(session, account_id, most)
    return PayContext(account_id=account_id, account_number=account.account_number, currency=account.currency,
                      balance=money.balance, processing=money.processing, payable=most,
                      statements=[] if installment else _statements(session, account_id, most),
                      methods=list_methods(session, actor=actor, account_id=account_id),
                      selected_statement=statement_id, accounts=numbers, installment=installment,
                      waiting=money.waiting, ceiling=money.ceiling)


def amount_for(session: Session, /, *, account_id: int, choice: str, amount_text: str = '',
               statement_id: int | None = None) -> tuple[int, str]:
    """(amount, target) for what the patient chose; ValidationFailed with a readable message otherwise.

    The most is what the account can pay now; attempts in flight elsewhere are the reservation's concern
    (open_attempt), which answers "already under way" rather than "nothing is due"."""
    reading = standing(session, account_id)
    most = reading.now
    if most <= 0 and (choice != 'other' or reading.ceiling <= 0):  # all left waits for insurance: pay ahead
        raise ValidationFailed('Nothing is due right now. Thank you!')
    if choice == 'full':
        return most, 'balance'
    if choice == 'installment':
        installment = _installment(session, account_id, most)
        if installment is None:
            raise ValidationFailed('Nothing is left to pay on your plan.')
        return installment.amount, plan_pay_target(installment.installment_id)
    if choice == 'statement':
        statement = session.get(Statement, statement_id) if statement_id else None
        if statement is None or statement.account_id != account_id:
            raise ValidationFailed('Choose a statement to pay.')
        left = {item.id: item.amount_due for item in _statements(session, account_id, most, only=statement.id)}
        if left.get(statement.id, 0) <= 0:
            raise ValidationFailed('Nothing is due on that statement.')
        return left[statement.id], statement_target(statement.id)
    if choice == 'other':
        try:
            amount = parse_amount(amount_text, maximum=reading.ceiling)
        except AmountError as error:
            raise ValidationFailed(str(error), field_errors={'amount': str(error)}) from None
        least = min(MINIMUM, most if most > 0 else reading.ceiling)
        if amount < least:
            message = f'The least you can pay here is {format_money(least)}.'
            raise ValidationFailed(message, field_errors={'amount': message})
        return amount, amount_target(amount)
    raise ValidationFailed('Choose how much to pay.')


def preview_payment(*, actor: Actor, account_id: int, choice: str, method_id: int, amount_text: str = '',
                    statement_id: int | None = None) -> PaymentPreview:
    """The amount (parsed as start_payment will) and the saved method's label, for "Pay $4.60 with Visa
    ending 4242?". Raises ValidationFailed for a refused amount or a method not on this account."""
    with write_session() as session:  # write: a refused look at another's account is audited
        require_account(session, actor, account_id, purpose='pay')
        amount, _ = amount_for(session, account_id=account_id, choice=choice, amount_text=amount_text,
                               statement_id=statement_id)
        methods = list_methods(session, actor=actor, account_id=account_id)
        method = next((row for row in methods if row.id == method_id), None)
        if method is None:
            raise ValidationFailed('That payment method is not available. Choose another one.')
        currency = session.get(GuarantorAccount, account_id).currency  # type: ignore[union-attr]
    return PaymentPreview(amount=amount, currency=currency, method_label=method.label)


def start_payment(*, actor: Actor, account_id: int, choice: str, idempotency_key: str, amount_text: str = '',
                  statement_id: int | None = None, method_id: int | None = None,
                  save_method: bool = False, confirmed_amount: int | None = None) -> StartResult:
    """Store the attempt (before any gateway call) under the account's cap, then charge the saved method or
    open checkout.

    A saved method is charged at once, so it needs `confirmed_amount`: the minor units the patient
    confirmed (from preview_payment); ConfirmAmount when it is missing or no longer what would be
    charged (the amount due changed meanwhile). Hosted checkout shows the amount on its own page.
    Raises ValidationFailed, ConfirmAmount, PaymentUnderWay (another payment of the account is in flight;
    nothing charged), AttemptChanged or DomainError (the gateway)."""
    def store() -> tuple[int, str, int | None]:
        with write_session() as session:
            require_account(session, actor, account_id, purpose='pay')
            amount, target = amount_for(session, account_id=account_id, choice=choice, amount_text=amount_text,
                                        statement_id=statement_id)
            if method_id is not None and confirmed_amount != amount:
                raise ConfirmAmount(f'Check the amount: this payment would be {format_money(amount)}. '
                                    'Confirm it to pay.')
            attempt_id = None if method_id is not None else open_attempt(
                session, account_id=account_id, target=target, amount=amount, idempotency_key=idempotency_key,
                user_id=actor.user_id).id
        return amount, target, attempt_id

    # a saved-method charge stores its attempt in charge_saved_method, under the same cap
    amount, target, attempt_id = store() if method_id is not None else reserve(store, account_id=account_id)
    if method_id is not None:
        outcome = charge_saved_method(account_id=account_id, method_id=method_id, amount=amount, target=target,
                                      idempotency_key=idempotency_key, user_id=actor.user_id)
        return StartResult(redirect_url=outcome.checkout_url, outcome=outcome)
    assert attempt_id is not None
    return StartResult(redirect_url=checkout_for_attempt(attempt_id, save_method=save_method,
                                                         user_id=actor.user_id))


def load_pay_context(*, actor: Actor, statement_id: int | None = None,
                     account_id: int | None = None) -> PayContext | None:
    """pay_context in its own session (write: views of another's account are audited)."""
    with write_session() as session:
        try:
            return pay_context(session, actor, statement_id=statement_id, account_id=account_id)
        except NotFound:
            pass  # commit the audited refusal, then answer 404
    raise NotFound()
