"""Statements (snapshots of an account at issue time) and the runs that issue them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class StatementRun(SQLModel, table=True):
    __tablename__ = 'statement_run'

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=7)  # YYYY-MM
    started_by_user_id: int | None = Field(default=None, foreign_key='user.id')
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    state: str = Field(default='running', max_length=16)  # running, finished, failed
    accounts_considered: int = 0
    statements_created: int = 0
    skipped_on_hold: int = 0
    skipped_not_due: int = 0
    errors: int = 0


class Statement(SQLModel, table=True):
    __table_args__ = (UniqueConstraint('account_id', 'period'),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    run_id: int | None = Field(default=None, foreign_key='statement_run.id')
    period: str = Field(max_length=7)  # YYYY-MM: one statement per account per calendar month
    statement_date: date
    due_date: date
    issued_at: datetime = Field(default_factory=utcnow)
    first_entry_id: int = 0  # ledger entries with first_entry_id < id <= last_entry_id are on it
    last_entry_id: int = 0
    previous_balance: int = 0
    new_charges: int = 0
    refunds: int = 0
    insurance_payments: int = 0  # shown as positive amounts that reduce the balance
    adjustments: int = 0
    patient_payments: int = 0
    new_balance: int = 0
    waiting_for_insurance: int = 0  # charges in new_balance whose claim was pending at issue
    amount_due: int = 0  # new_balance - waiting_for_insurance, or the next installment of a current plan
    currency: str = Field(default='USD', max_length=3)
    quick_pay_code: str = Field(max_length=12, unique=True)
    superseded_at: datetime | None = None
    paid_at: datetime | None = None
    delivery: str = Field(default='paper', max_length=8)  # paper or email
