"""The seeder writes 835 files about its own pending claims (a partial payment, a denial, PLB interest and a
recoupment, then a reversal with its corrected claim) and importing them matches and posts every claim,
once (the statement identity after an import: test_remittance_import)."""
from __future__ import annotations

from pathlib import Path

from sqlmodel import col, func, select

from portal.db import read_session, write_session
from portal.interop.x12_835 import read_835
from portal.models import (
    Claim,
    ClaimStatus,
    LedgerEntry,
    LedgerKind,
    ProviderLevelAdjustment,
    RemittanceClaim,
    Statement,
)
from portal.services.remittance_import import import_835
from portal.services.seed import seed_database
from portal.services.statement_run import run_statements


def _counts() -> tuple[int, int]:
    with read_session() as session:
        return (session.exec(select(func.count()).select_from(LedgerEntry)).one(),
                session.exec(select(func.count()).select_from(RemittanceClaim)).one())


def test_the_demo_835s_match_and_post_once(db: str) -> None:
    summary = seed_database(patients=60, seed=7, password='demo-password-for-tests')
    files = [Path(name) for name in summary.remittance_files]
    assert [path.name.split('-')[0] for path in files] == ['1', '2']
    assert 'Demo 835 remittances to import' in summary.describe()
    for path in files:
        assert read_835(path.read_bytes()).fatal == []
    with read_session() as session:
        before = session.exec(select(func.count()).select_from(LedgerEntry)).one()
    reports = []
    for path in files:
        with write_session() as session:
            reports.append(import_835(session, actor=None, data=path.read_bytes(), file_name=path.name))
    assert [(p.claims, p.matched, p.unmatched) for r in reports for p in r.payments] == [(2, 2, 0), (2, 2, 0)]
    assert not any('matches no charge' in warning for report in reports for warning in report.warnings)
    with read_session() as session:
        statuses = session.exec(select(Claim.claim_number, Claim.status).where(col(Claim.id).in_(
            select(RemittanceClaim.claim_id)))).all()
        assert sorted(status for _, status in statuses) == [ClaimStatus.denied, ClaimStatus.reprocessed]
        corrections = session.exec(select(func.count()).select_from(LedgerEntry)
                                   .where(LedgerEntry.kind == LedgerKind.correction)).one()
        assert corrections > 0
        assert sorted(session.exec(select(ProviderLevelAdjustment.reason_code)).all()) == ['L6', 'WO']
    after = _counts()
    assert after[0] > before
    for path in files:
        with write_session() as session:
            import_835(session, actor=None, data=path.read_bytes(), file_name=path.name)
    assert _counts() == after
    run_statements()
    with read_session() as session:
        touched = select(Claim.account_id).where(col(Claim.id).in_(select(RemittanceClaim.claim_id)))
        statements = session.exec(select(Statement).where(col(Statement.account_id).in_(touched))).all()
        for statement in statements:
            assert statement.new_balance == (statement.previous_balance + statement.new_charges + statement.refunds
                                             - statement.insurance_payments - statement.adjustments
                                             - statement.patient_payments)
            assert statement.new_balance == session.exec(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.account_id == statement.account_id, LedgerEntry.id <= statement.last_entry_id)).one()
