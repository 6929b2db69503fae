"""Importing charges from a practice-management export: `portal.interop.charges_csv` reads and checks
the file, this writes it in one transaction (all or nothing), charge by charge with its ledger entry.
Each charge carries the file's external id, so importing the same file again changes nothing."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from portal.db import read_session, write_session
from portal.interop.charges_csv import ChargeRow, ImportRejected, Lookups, Problem, read_rows
from portal.models import Charge, Encounter, GuarantorAccount, LedgerKind, Location, Patient, Provider
from portal.services import ledger
from portal.services.money_moved import account_money_moved
from portal.services.practice import load_practice_today


@dataclass(frozen=True)
class ImportSummary:
    rows: int = 0
    created: int = 0
    unchanged: int = 0
    visits_created: int = 0

    def describe(self) -> str:
        return (f'Imported {self.created:,} charge(s) in {self.visits_created:,} new visit(s); '
                f'{self.unchanged:,} already imported (unchanged) of {self.rows:,} row(s).')



def _lookups(session: Session) -> Lookups:
    connection = session.connection()
    return Lookups(
        accounts=dict(connection.execute(select(GuarantorAccount.account_number, GuarantorAccount.id)).all()),
        patients={mrn: (pid, aid) for mrn, pid, aid in connection.execute(
            select(Patient.mrn, Patient.id, Patient.account_id)).all()},
        providers=dict(connection.execute(select(Provider.npi, Provider.id)).all()),
        locations={name.casefold(): lid for name, lid in connection.execute(select(Location.name, Location.id)).all()})



def import_charges(*, path: str | Path) -> ImportSummary:
    """Check the whole file, then write it in one transaction (all or nothing)."""
    with read_session() as session:
        lookups = _lookups(session)
    rows = read_rows(path, lookups, today=load_practice_today())
    counts: Counter[str] = Counter()
    with write_session() as session:
        problems: list[Problem] = []
        for row in rows:
            _import_row(session, row, counts, problems)
        if problems:
            raise ImportRejected(problems)  # rolls the transaction back: nothing is imported
        for account_id in sorted({row.account_id for row in rows}):
            account_money_moved(session, account_id=account_id)
    return ImportSummary(rows=len(rows), created=counts['created'], unchanged=counts['unchanged'],
                         visits_created=counts['visits_created'])


def _import_row(session: Session, row: ChargeRow, counts: Counter[str], problems: list[Problem]) -> None:
    existing = session.exec(select(Charge).where(Charge.external_id == row.external_id)).first()
    if existing is not None:
        if (existing.account_id, existing.patient_id, existing.code, existing.amount, existing.date_of_service) != \
                (row.account_id, row.patient_id, row.code, row.amount, row.date_of_service):
            problems.append(Problem(row.line, 'external_id', 'was imported before with other figures'))
        else:
            counts['unchanged'] += 1
        return
    encounter = session.exec(select(Encounter).where(Encounter.external_id == row.visit_key)).first()
    if encounter is None:
        encounter = Encounter(account_id=row.account_id, patient_id=row.patient_id, provider_id=row.provider_id,
                              location_id=row.location_id, date_of_service=row.date_of_service,
                              external_id=row.visit_key)
        session.add(encounter)
        session.flush()
        counts['visits_created'] += 1
    elif (encounter.account_id, encounter.patient_id) != (row.account_id, row.patient_id):
        problems.append(Problem(row.line, 'visit_id', 'belongs to another patient'))
        return
    charge = Charge(encounter_id=encounter.id, account_id=row.account_id, patient_id=row.patient_id, code=row.code,
                    code_system='CPT' if row.code[0].isdigit() else 'HCPCS', modifier=row.modifier,
                    description=row.description, units=row.units, amount=row.amount,
                    date_of_service=row.date_of_service, external_id=row.external_id)
    session.add(charge)
    session.flush()
    ledger.post(session, account_id=row.account_id, kind=LedgerKind.charge, amount=row.amount,
                external_ref=f'charge:{row.external_id}', effective_date=row.date_of_service,
                patient_id=row.patient_id, charge_id=charge.id)
    counts['created'] += 1
