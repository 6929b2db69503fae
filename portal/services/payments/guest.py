"""Guest quick pay: the statement's quick-pay code and the date of birth of any patient on it unlock
only a first name, the statement date and the amount due (for an account on a current plan, this month's
installment first, as the signed-in pay page asks: `checkout.amount_for`, then the whole amount due).
Lookups are rate limited per address and every mismatch gets the same message."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from portal.auth import ratelimit
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.errors import ValidationFailed
from portal.models import Notification, Patient, Payment, PaymentAttempt, PaymentStatus, Statement
from portal.services.payments import tokens
from portal.services.payments.attempts import open_attempt, reserve
from portal.services.payments.checkout import amount_for
from portal.services.payments.hosted_checkout import checkout_for_attempt
from portal.services.payments.receipts import receipt_email

GENERIC = 'We could not find a bill with that code and date of birth. Check both and try again.'
CODE_ALPHABET = frozenset('ABCDEFGHJKLMNPQRSTUVWXYZ23456789')
SUPERSEDED_GRACE = timedelta(days=90)
# besides the per-address limit: guesses at one code's date of birth from many addresses get growing
# delays, never a lockout, so the patient's own address can still use the code
GUEST_CODE = ratelimit.Spacing('guest_lookup_code', 20, timedelta(hours=1))  # two addresses' worth
# "email me a receipt" on the guest result page: per payment (any of its links) and per address
RECEIPT_PAYMENT = ratelimit.Policy('guest_receipt_payment', 3, timedelta(hours=1))
RECEIPT_IP = ratelimit.Policy('guest_receipt_ip', 10, timedelta(hours=1))


@dataclass(frozen=True)
class GuestStatement:
    grant: str  # signed, 1 hour: what this lookup unlocked
    first_name: str
    statement_date: date
    amount_due: int  # what is left to pay on the statement
    currency: str
    installment: int = 0  # on a current plan: this month's installment, asked for first (else 0)


def normalize_code(code: str) -> str:
    return ''.join(ch for ch in (code or '').upper() if ch.isalnum())


def _match(session: Session, code: str, date_of_birth: date) -> tuple[Statement, str] | None:
    statement = session.exec(select(Statement).where(Statement.quick_pay_code == code)).first()
    if statement is None or statement.paid_at is not None:
        return None
    if statement.superseded_at is not None and utcnow() - statement.superseded_at > SUPERSEDED_GRACE:
        return None
    first_name = session.exec(select(Patient.first_name).where(Patient.account_id == statement.account_id,
                                                               Patient.date_of_birth == date_of_birth)
                              .order_by(col(Patient.id))).first()
    return (statement, first_name) if first_name else None


def lookup(*, code: str, date_of_birth: date | None, ip: str) -> GuestStatement:
    """Raises RateLimited when the address used up its attempts (or the code is between its growing
    delays, a matter of seconds), ValidationFailed(GENERIC) on any mismatch."""
    cleaned = normalize_code(code)
    with write_session() as session:
        hit_id = ratelimit.GUEST_LOOKUP_IP.hit(session, ip or 'unknown')
        code_hit = GUEST_CODE.hit(session, cleaned) if cleaned else None  # a refusal rolls back both hits
        found = None
        if len(cleaned) == 12 and set(cleaned) <= CODE_ALPHABET and date_of_birth is not None:
            found = _match(session, cleaned, date_of_birth)
        if found is None:
            result = None
        else:
            ratelimit.release(session, hit_id)
            if code_hit is not None:
                ratelimit.release(session, code_hit)
            statement, first_name = found
            amount, _ = _amount(session, statement)
            installment, _ = _amount(session, statement, 'installment')
            result = GuestStatement(grant=tokens.make('guest', statement.id), first_name=first_name,
                                    statement_date=statement.statement_date, amount_due=amount,
                                    currency=statement.currency, installment=installment)
    if result is None:
        raise ValidationFailed(GENERIC)
    return result


GUEST_CHOICES = frozenset({'statement', 'installment'})  # what is left on the statement, the plan's installment


def _amount(session: Session, statement: Statement, choice: str = 'statement') -> tuple[int, str]:
    """(amount, target) of a guest's choice, the signed-in pay page's rule (`checkout.amount_for`); (0, '')
    when nothing is due that way (no plan, nothing left on the statement)."""
    try:
        return amount_for(session, account_id=statement.account_id, choice=choice, statement_id=statement.id)
    except ValidationFailed:
        return 0, ''


def start_guest_payment(*, grant: str, idempotency_key: str, choice: str = 'statement') -> str:
    """The hosted checkout URL for the unlocked statement, or for this month's installment of its account's
    plan (`choice` 'installment') (ValidationFailed, PaymentUnderWay: nothing charged)."""
    statement_id = tokens.read('guest', grant)
    if statement_id is None:
        raise ValidationFailed('This page has expired. Please enter your code again.')
    if choice not in GUEST_CHOICES:
        raise ValidationFailed('Choose how much to pay.')
    with read_session() as session:
        account_id = session.exec(select(Statement.account_id).where(Statement.id == statement_id)).one()

    def store() -> int | None:
        with write_session() as session:
            amount, target = amount_for(session, account_id=account_id, choice=choice,
                                        statement_id=statement_id)
            return open_attempt(session, account_id=account_id, target=target, amount=amount,
                                idempotency_key=idempotency_key).id

    attempt_id = reserve(store, account_id=account_id)
    assert attempt_id is not None
    return checkout_for_attempt(attempt_id)


def email_receipt(*, done_token: str, email: str, ip: str) -> None:
    """Email a guest a link to the receipt (signed, 7 days); no PHI in the message.

    Only for a guest's payment (a signed-in patient's receipt is behind sign-in), to one address per
    payment (asking again for the same address sends nothing new), and rate limited per payment and
    per address, so a result-page link cannot be used to mail strangers."""
    from portal.config import get_settings
    from portal.services.identity.shared import check_email
    attempt_id = tokens.read('done', done_token)
    error, address = check_email(email)
    if error:
        raise ValidationFailed(error, field_errors={'email': error})
    if attempt_id is None:
        raise ValidationFailed('This page has expired.')
    with write_session() as session:  # the hits stay counted when the request is refused
        RECEIPT_IP.hit(session, ip or 'unknown')
        RECEIPT_PAYMENT.hit(session, str(attempt_id))
        payment, refusal = _receipt_payment(session, attempt_id, address)
        if payment is not None:
            link = f'{get_settings().public_base_url}/pay/receipt/{tokens.make("receipt", payment.id)}'
            receipt_email(session, payment, recipient=address, link=link, dedupe_key=f'guest-receipt:{payment.id}')
    if refusal:
        raise ValidationFailed(refusal)


def _receipt_payment(session: Session, attempt_id: int, address: str) -> tuple[Payment | None, str]:
    """(the guest payment whose receipt may go to `address`, '') or (None, why not)."""
    attempt = session.get(PaymentAttempt, attempt_id)
    if attempt is not None and attempt.user_id is not None:
        return None, 'This payment was made while signed in. Sign in to see and download its receipt.'
    payment = session.exec(select(Payment).where(Payment.attempt_id == attempt_id)).first() if attempt else None
    if payment is None or payment.status == PaymentStatus.failed:
        return None, 'There is no receipt for this payment yet.'
    sent_to = session.exec(select(Notification.recipient)
                           .where(Notification.dedupe_key == f'guest-receipt:{payment.id}')).first()
    if sent_to is not None and sent_to != address:
        return None, ('The receipt for this payment was already sent to another address. '
                      'Call the billing office if you need a copy.')
    return payment, ''


def has_receipt(attempt_id: int) -> bool:
    with read_session() as session:
        return session.exec(select(Payment.id).where(Payment.attempt_id == attempt_id,
                                                     Payment.status != PaymentStatus.failed)).first() is not None
