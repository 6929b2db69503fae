"""The statement run as a scheduled sweep: every morning, claimed once per day (JobRun job
'statement_run', key YYYY-MM-DD). Each account still gets at most one statement per calendar
month, at least 28 days apart; a daily sweep (rather than one run on the 1st) means an account
whose last statement was 20 days before the 1st gets this month's a week later instead of
skipping a month. A missed or failed day is caught up by the next one."""
from __future__ import annotations

import logging

from portal.jobs.runs import claimed_run
from portal.services.practice import load_practice_today
from portal.services.statement_run import run_statements

log = logging.getLogger(__name__)


def run() -> None:
    today = load_practice_today()
    with claimed_run('statement_run', today.isoformat()) as handle:
        if handle is None:
            return
        result = run_statements(on=today)
        handle.items = result.statements_created
        log.info('statement run %s: %d statements issued', today, result.statements_created)
