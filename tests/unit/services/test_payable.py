"""One cap per account across payment targets, on both databases, with a gateway that answers after 1 s:
two payments for different targets of one account (two tabs, two guardians, autopay) never take more than
is owed together. The second is refused ("already under way", nothing charged) unless both fit; an
unpaid hosted checkout of the account is closed to make room; autopay waits for the next sweep."""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import func, select

from portal.db import read_session, write_session
from portal.errors import DomainError
from portal.models import Payment, PaymentAttempt, PlanInstallment, Statement
from portal.payments.demo_gateway import DemoGateway
from portal.payments.gateway import GatewayError
from portal.payments.registry import reset_gateway, set_gateway
from portal.services import autopay, ledger
from portal.services.payments import new_key, process_events
from portal.services.payments.attempts import UNDER_WAY
from portal.services.plans import paying, signing
from portal.services.statement_run import quick_pay_code
from tests.support.payments import confirm_and_pay
from tests.support.plans import Household, household

OWED = 48020  # $480.20
INSTALLMENT = 30000  # the plan's first installment: any two targets together ask for more than is owed
TARGETS = ('full', 'statement', 'amount', 'plan', 'autopay')


class SlowGateway(DemoGateway):
    """The demo gateway answering after 1 s, like a Stripe round trip. `hold(account)` keeps the next charge
    or checkout for that account from answering until the test lets it go: a payment truly in flight."""

    def __init__(self, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.holds: dict[str, tuple[threading.Event, threading.Event]] = {}

    def hold(self, account_id: int) -> tuple[threading.Event, threading.Event]:
        """(in flight: set once the call has begun, release: set it to let the call answer)."""
        held = self.holds[str(account_id)] = (threading.Event(), threading.Event())
        return held

    def _answer_later(self, metadata: dict[str, str]) -> None:
        held = self.holds.pop(metadata.get('account_id', ''), None)
        if held is not None:
            held[0].set()
            assert held[1].wait(timeout=120), 'the test never released the held call'
        time.sleep(1)

    def ensure_customer(self, **kwargs: str) -> str:
        time.sleep(1)
        return super().ensure_customer(**kwargs)

    def charge_off_session(self, charge):  # noqa: ANN001, ANN201
        self._answer_later(charge.metadata)
        return super().charge_off_session(charge)

    def start_checkout(self, request):  # noqa: ANN001, ANN201
        self._answer_later(request.metadata)
        return super().start_checkout(request)

    def expire_checkout(self, session_id: str) -> None:
        time.sleep(1)
        super().expire_checkout(session_id)


@pytest.fixture
def slow(db: str) -> Iterator[SlowGateway]:
    gateway = SlowGateway(base_url='http://127.0.0.1:8080', webhook_secret='whsec_test')
    set_gateway(gateway)
    yield gateway
    reset_gateway()


@dataclass(frozen=True)
class Payer:
    """An account owing $480.20 with a saved card, a statement for all of it and a plan on autopay."""
    home: Household
    statement_id: int
    plan_id: int
    installment_id: int
    due: date


def _payer() -> Payer:
    home = household(OWED)
    with write_session() as session:
        statement = Statement(account_id=home.account_id, period='2026-11', statement_date=date(2026, 11, 1),
                              due_date=date(2026, 11, 25), new_balance=OWED, amount_due=OWED,
                              quick_pay_code=quick_pay_code())
        session.add(statement)
        plan = signing.create(session, home.actor, account_id=home.account_id, day_of_month=1, monthly=INSTALLMENT,
                            signed_name='maria alvarez', consent=True, autopay_method_id=home.method_id)
        session.flush()
        first = session.exec(select(PlanInstallment).where(PlanInstallment.plan_id == plan.id)
                             .order_by(PlanInstallment.seq)).first()
        assert first is not None and first.amount == INSTALLMENT
        return Payer(home, statement.id, plan.id, first.id, first.due_date)  # type: ignore[arg-type]


def _request(payer: Payer, target: str) -> Callable[[], object]:
    """What one person (or the autopay sweep) does to pay that target: a saved card, or a hosted checkout."""
    home = payer.home
    card = {'actor': home.actor, 'account_id': home.account_id, 'idempotency_key': new_key(),
            'method_id': home.method_id}
    return {
        'full': lambda: confirm_and_pay(choice='full', **card),
        'statement': lambda: confirm_and_pay(choice='statement', statement_id=payer.statement_id, **card),
        'amount': lambda: confirm_and_pay(choice='other', amount_text='480.20', **card),
        'plan': lambda: paying.pay_next_now(actor=home.actor, plan_id=payer.plan_id),
        'autopay': lambda: autopay.process(payer.installment_id, payer.due),
    }[target]


def _run(request: Callable[[], object]) -> object:
    try:
        return request()
    except DomainError as refused:
        return refused


PLAN_ENDED = 'This plan has ended.'  # the other payment paid the whole balance first, which ended the plan


def _refused(result: object) -> bool:
    """Refused with nothing sent to the gateway: the message (or, for a plan installment, the plan that
    the other payment has just paid off), or autopay leaving the installment for later."""
    return isinstance(result, DomainError) and result.message in (UNDER_WAY, PLAN_ENDED) \
        or result == autopay.UNDER_WAY


def _settle(gateway: SlowGateway, result: object) -> None:
    """A hosted checkout handed out is paid with 4242 if it can still take a payment."""
    if isinstance(result, str) and '/demo-checkout/' in result:
        try:
            paid = gateway.submit_card(result.rsplit('/', 1)[1], '4242424242424242')
        except GatewayError:  # closed to make room for the other payment
            return
        process_events(events=list(paid.events), gateway_name='demo')


def _paid(account_id: int) -> tuple[int, int]:
    """(sum of payments that took money, the account's balance)."""
    with read_session() as session:
        total = session.exec(select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.account_id == account_id, Payment.status != 'failed')).one()
        return int(total), ledger.balance(session, account_id)


def _in_threads(jobs: list[Callable[[], None]]) -> None:
    errors: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as error:  # noqa: BLE001  (reported below, with the pair)
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def test_a_second_target_while_the_first_is_at_the_gateway(slow: SlowGateway) -> None:
    """Every ordered pair of targets, each on its own account, all pairs at once: the second payment comes
    while the first one's gateway call is under way."""
    pairs = list(itertools.permutations(TARGETS, 2))
    payers = {pair: _payer() for pair in pairs}
    seen: dict[tuple[str, str], tuple[object, object]] = {}

    def race(pair: tuple[str, str]) -> None:
        payer = payers[pair]
        in_flight, release = slow.hold(payer.home.account_id)
        first: list[object] = []
        thread = threading.Thread(target=lambda: first.append(_run(_request(payer, pair[0]))))
        thread.start()
        try:
            assert in_flight.wait(timeout=120), f'{pair}: the first payment never reached the gateway'
            second = _run(_request(payer, pair[1]))
        finally:
            release.set()
            thread.join()
        seen[pair] = (first[0], second)

    _in_threads([lambda pair=pair: race(pair) for pair in pairs])
    for pair, (first, second) in seen.items():
        for result in (first, second):
            _settle(slow, result)
        total, balance = _paid(payers[pair].home.account_id)
        assert total <= OWED and balance == OWED - total >= 0, pair
        assert not _refused(first), (pair, first)
        assert total in (OWED, INSTALLMENT), pair
        if not _refused(second):
            # with autopay holding installment 1 ($300.00), a plan payment by hand may be for the rest only,
            # which fits beside it; every other second payment would take more than is owed
            assert pair == ('autopay', 'plan') and total == OWED, (pair, second)


def test_two_targets_at_the_same_moment(slow: SlowGateway) -> None:
    """Every pair of targets sent at the same instant (no ordering): never more than is owed, and what was
    not paid was refused cleanly (or, coming after the other was paid, found less or nothing left to pay)."""
    pairs = list(itertools.combinations(TARGETS, 2))
    payers = {pair: _payer() for pair in pairs}
    seen: dict[tuple[str, str], list[object]] = {pair: [] for pair in pairs}
    barriers = {pair: threading.Barrier(2) for pair in pairs}

    def one(pair: tuple[str, str], target: str) -> None:
        request = _request(payers[pair], target)
        barriers[pair].wait(timeout=60)
        seen[pair].append(_run(request))

    _in_threads([lambda pair=pair, target=target: one(pair, target) for pair in pairs for target in pair])
    for pair, results in seen.items():
        for result in results:
            _settle(slow, result)
            # came after the other one was paid: less or nothing left to pay, said so
            late = isinstance(result, DomainError) and any(
                words in result.message for words in ('Nothing is due', 'Nothing is left', 'most you can pay'))
            assert not isinstance(result, DomainError) or _refused(result) or late, (pair, result)
        total, balance = _paid(payers[pair].home.account_id)
        assert 0 < total <= OWED and balance == OWED - total, (pair, results)


def test_autopay_waits_for_a_payment_under_way_and_the_next_sweep_charges(slow: SlowGateway) -> None:
    payer = _payer()
    in_flight, release = slow.hold(payer.home.account_id)
    patient: list[object] = []
    thread = threading.Thread(target=lambda: patient.append(confirm_and_pay(
        actor=payer.home.actor, account_id=payer.home.account_id, choice='other', amount_text='250.00',
        idempotency_key=new_key(), method_id=payer.home.method_id)))
    thread.start()
    try:
        assert in_flight.wait(timeout=120)
        result = autopay.sweep(today=payer.due, plan_id=payer.plan_id)  # $300 does not fit beside $250
    finally:
        release.set()
        thread.join()
    assert (result.waiting, result.charged, result.failed) == (1, 0, 0)
    with read_session() as session:
        row = session.get(PlanInstallment, payer.installment_id)
        assert (row.status, row.attempts, row.claimed_amount) == ('scheduled', 0, None)  # as if never claimed
        assert session.exec(select(func.count(PaymentAttempt.id))
                            .where(PaymentAttempt.target.startswith('installment:'))).one() == 0
    assert patient[0].outcome.status == 'succeeded'
    later = autopay.sweep(today=payer.due, plan_id=payer.plan_id)  # the next sweep looks again
    assert later.charged == 1
    # $230.20 left; installment 2 holds $180.20, so installment 1 still needed $50.00
    assert _paid(payer.home.account_id) == (25000 + 5000, OWED - 30000)


def _hosted(payer: Payer, amount_text: str = '480.20') -> str:
    """Tab A: another amount on the hosted checkout page (not paid yet); its URL."""
    started = confirm_and_pay(actor=payer.home.actor, account_id=payer.home.account_id, choice='other',
                                     amount_text=amount_text, idempotency_key=new_key())
    assert started.redirect_url and '/demo-checkout/' in started.redirect_url
    return started.redirect_url.rsplit('/', 1)[1]


def test_a_new_payment_closes_the_accounts_unpaid_checkout_first(slow: SlowGateway) -> None:
    payer = _payer()
    open_checkout = _hosted(payer)
    paid = confirm_and_pay(actor=payer.home.actor, account_id=payer.home.account_id, choice='full',
                                  idempotency_key=new_key(), method_id=payer.home.method_id)  # tab B
    assert paid.outcome is not None and paid.outcome.status == 'succeeded'
    assert slow.checkout_state(open_checkout) == 'expired'
    with pytest.raises(GatewayError):
        slow.submit_card(open_checkout, '4242424242424242')
    assert _paid(payer.home.account_id) == (OWED, 0)


def test_a_checkout_that_fits_beside_the_new_payment_stays_open(slow: SlowGateway) -> None:
    payer = _payer()
    open_checkout = _hosted(payer, '100.00')
    paid = confirm_and_pay(actor=payer.home.actor, account_id=payer.home.account_id, choice='other',
                                  amount_text='380.20', idempotency_key=new_key(), method_id=payer.home.method_id)
    assert paid.outcome is not None and paid.outcome.status == 'succeeded'
    assert slow.checkout_state(open_checkout) == 'open'
    process_events(events=list(slow.submit_card(open_checkout, '4242424242424242').events), gateway_name='demo')
    assert _paid(payer.home.account_id) == (OWED, 0)


def test_a_checkout_paid_but_not_yet_reported_refuses_the_new_payment(slow: SlowGateway) -> None:
    payer = _payer()
    open_checkout = _hosted(payer)
    events = slow.submit_card(open_checkout, '4242424242424242').events  # its webhooks are not here yet
    with pytest.raises(DomainError) as refused:
        confirm_and_pay(actor=payer.home.actor, account_id=payer.home.account_id, choice='full',
                               idempotency_key=new_key(), method_id=payer.home.method_id)
    assert refused.value.message == UNDER_WAY
    assert 'charge' not in slow.calls
    process_events(events=list(events), gateway_name='demo')
    assert _paid(payer.home.account_id) == (OWED, 0)


def test_the_check_and_the_reservation_are_one_step_per_account(slow: SlowGateway,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Two reservations for different targets, each pausing between reading the cap and storing: the
    account's lock (PostgreSQL) or the write lock (SQLite) lets only one of them through."""
    from portal.services.payments import attempts, open_attempt
    payer = _payer()
    read = attempts.standing

    def slow_read(*args: object, **kwargs: object) -> object:  # widen the window between check and insert
        reading = read(*args, **kwargs)
        time.sleep(0.5)
        return reading

    monkeypatch.setattr(attempts, 'standing', slow_read)
    barrier, outcomes = threading.Barrier(2), []

    def store(target: str) -> None:
        barrier.wait(timeout=60)
        try:
            with write_session() as session:
                outcomes.append(open_attempt(session, account_id=payer.home.account_id, target=target,
                                             amount=OWED, idempotency_key=new_key()).target)
        except DomainError as refused:
            outcomes.append(refused.message)

    _in_threads([lambda: store('balance'), lambda: store(f'statement:{payer.statement_id}')])
    assert len(outcomes) == 2 and outcomes.count(UNDER_WAY) == 1, outcomes
    with read_session() as session:
        assert session.exec(select(func.count(PaymentAttempt.id))).one() == 1
