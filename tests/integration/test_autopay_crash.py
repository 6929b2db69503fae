"""The fault test: the autopay sweep runs in a subprocess that is killed with SIGKILL midway (while the
gateway is answering a charge), then started again. Every due installment is paid exactly once: one
charge at the gateway, one payment, one ledger entry; none is missed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import time_machine
from sqlalchemy import func
from sqlmodel import select

from portal.db import dispose_engine, read_session
from portal.models import LedgerEntry, LedgerKind, Payment, PaymentAttempt, PlanInstallment
from tests.support.plans import household, sign
from tests.support.servers import ROOT

PLANS = 12  # three installments due on each: 36 charges
KILL_AFTER = 10


def _run(journal: Path, url: str, delay: float) -> subprocess.Popen:
    env = {**os.environ, 'PORTAL_DATABASE_URL': url, 'PORTAL_ENV': 'test', 'PORTAL_PAYMENTS': 'demo',
           'PORTAL_SCHEDULER': 'off'}
    return subprocess.Popen([sys.executable, '-m', 'tests.support.autopay_runner', str(journal), str(delay)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _charges(journal: Path) -> list[str]:
    if not journal.exists():
        return []
    return [line.split()[1] for line in journal.read_text().splitlines() if line.startswith('charge ')]


def test_a_killed_sweep_restarted_charges_each_installment_once(db: str, tmp_path: Path) -> None:
    with time_machine.travel('2026-08-20 15:00:00+00:00', tick=False):  # due Sep 1, Oct 1, Nov 1
        for _ in range(PLANS):
            sign(household(90_000), months=3, day=1)
    dispose_engine()  # the subprocesses own the database now
    journal = tmp_path / 'gateway.journal'

    first = _run(journal, db, delay=0.2)
    deadline = time.monotonic() + 120
    while len(_charges(journal)) < KILL_AFTER:
        assert first.poll() is None, first.stdout.read().decode()
        assert time.monotonic() < deadline, 'the sweep never got going'
        time.sleep(0.02)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    killed_at = len(_charges(journal))
    with read_session() as session:
        unfinished = session.exec(select(func.count()).select_from(PlanInstallment)
                                  .where(PlanInstallment.status != 'paid')).one()
        in_flight = session.exec(select(func.count()).select_from(PlanInstallment)
                                 .where(PlanInstallment.status == 'processing')).one()
    assert unfinished > 0 and killed_at < PLANS * 3, 'the kill came too late to test anything'
    assert in_flight == 1, 'the kill should land after the gateway charged and before the portal recorded it'

    second = _run(journal, db, delay=0)
    output = second.communicate(timeout=300)[0].decode()
    assert second.returncode == 0, output

    charges = _charges(journal)
    assert len(charges) == len(set(charges)) == PLANS * 3, 'an installment was charged twice or missed'
    with read_session() as session:
        rows = session.exec(select(PlanInstallment)).all()
        assert {row.status for row in rows} == {'paid'} and len(rows) == PLANS * 3
        assert {row.attempts for row in rows} == {1}
        payments = session.exec(select(Payment.id, PaymentAttempt.target)
                                .join(PaymentAttempt, PaymentAttempt.id == Payment.attempt_id)).all()
        assert sorted(target for _, target in payments) == sorted(f'installment:{row.id}:try-1' for row in rows)
        assert {row.payment_id for row in rows} == {payment_id for payment_id, _ in payments}
        posted = session.exec(select(func.count()).select_from(LedgerEntry)
                              .where(LedgerEntry.kind == LedgerKind.patient_payment)).one()
        assert posted == PLANS * 3
    assert 'errors=0' in output
    replays = [line for line in journal.read_text().splitlines() if line.startswith('replay ')]
    assert len(replays) == 1, 'the restart should resume the interrupted attempt with its own key'
