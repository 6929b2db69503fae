"""Run the autopay sweep in its own process against PORTAL_DATABASE_URL, through a DemoGateway that writes
every charge it really makes to a journal (fsynced) and answers slowly, so a test can kill the process
between "the gateway charged" and "the portal recorded it".

The journal also makes the gateway's idempotency survive the kill, as Stripe's does: a key seen before
answers with the same intent and is logged as a replay, not as a second charge.

    python -m tests.support.autopay_runner JOURNAL DELAY_SECONDS
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from portal.payments.demo_gateway import DemoGateway
from portal.payments.gateway import IntentState, OffSessionCharge


class JournalingGateway(DemoGateway):
    def __init__(self, journal: Path, delay: float) -> None:
        super().__init__(base_url='http://127.0.0.1:8080', webhook_secret='whsec_test')
        self.journal, self.delay = journal, delay
        self.seen = {line.split()[1] for line in journal.read_text().splitlines() if line.startswith('charge ')} \
            if journal.exists() else set()

    def _write(self, line: str) -> None:
        with self.journal.open('a') as handle:
            handle.write(line + '\n')
            handle.flush()
            os.fsync(handle.fileno())

    def charge_off_session(self, charge: OffSessionCharge) -> IntentState:
        kind = 'replay' if charge.idempotency_key in self.seen else 'charge'
        state = super().charge_off_session(charge)
        if kind == 'charge':
            self.seen.add(charge.idempotency_key)
        self._write(f'{kind} {charge.idempotency_key} {charge.amount}')
        time.sleep(self.delay)  # the slow answer: a kill now leaves a charge the portal has not recorded
        return state


def main() -> None:
    journal, delay = Path(sys.argv[1]), float(sys.argv[2])
    from portal.payments.registry import set_gateway
    from portal.services import autopay
    set_gateway(JournalingGateway(journal, delay))
    result = autopay.sweep()
    print(f'charged={result.charged} failed={result.failed} errors={result.errors}', flush=True)


if __name__ == '__main__':
    main()
