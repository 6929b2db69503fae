"""What a thread may be about: one of the account's own statement lines (charges), payments, claims or
appointments. A link travels as text 'kind:id' ('charge:12'); `resolve` checks it belongs to the account."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import object_session
from sqlmodel import Session, col, select

from portal.errors import ValidationFailed
from portal.models import Appointment, Charge, Claim, Location, MessageThread, Payment
from portal.money import format_money
from portal.services.appointments.visits import time_label
from portal.services.practice import practice

LINK_KINDS = ('charge', 'payment', 'claim', 'appointment')
_MODELS = {'charge': Charge, 'payment': Payment, 'claim': Claim, 'appointment': Appointment}
CHOICES_PER_KIND = 30  # the most recent of each kind offered on the form


@dataclass(frozen=True)
class LinkView:
    kind: str  # charge, payment, claim, appointment
    id: int
    label: str  # 'Office visit (99213) · March 3, 2026 · $180.00'
    value: str  # 'charge:12', what a form sends back


def _day(value: date) -> str:
    return f'{value:%B} {value.day}, {value.year}'


def _label(kind: str, row: object) -> str:
    if isinstance(row, Charge):
        amount = format_money(row.amount, row.currency)
        return f'{row.description} ({row.code}) · {_day(row.date_of_service)} · {amount}'
    if isinstance(row, Payment | Claim):  # instants: the practice's calendar day, not the UTC one
        day_of = practice(object_session(row)).day_of  # type: ignore[arg-type]
        if isinstance(row, Payment):
            return f'Payment of {format_money(row.amount, row.currency)} · {_day(day_of(row.received_at))} · ' \
                   f'receipt {row.receipt_number}'
        return f'Insurance claim {row.claim_number} · {_day(day_of(row.submitted_at))}'
    assert isinstance(row, Appointment)
    location = object_session(row).get(Location, row.location_id)  # type: ignore[union-attr]
    zone = ZoneInfo(location.timezone if location is not None else 'UTC')
    return f'{row.visit_type} · {time_label(row.starts_at.astimezone(zone))}'  # the visit's own day, with its zone


def _view(kind: str, row: object) -> LinkView:
    return LinkView(kind, int(row.id), _label(kind, row), f'{kind}:{row.id}')  # type: ignore[attr-defined]


def choices(session: Session, account_id: int) -> list[LinkView]:
    """The account's most recent charges, payments, claims and appointments, newest first per kind.
    The caller has checked access to the account."""
    found: list[LinkView] = []
    orders = {'charge': Charge.date_of_service, 'payment': Payment.received_at, 'claim': Claim.submitted_at,
              'appointment': Appointment.starts_at}
    for kind, model in _MODELS.items():
        rows = session.exec(select(model).where(model.account_id == account_id)  # type: ignore[attr-defined]
                            .order_by(col(orders[kind]).desc(), col(model.id).desc())  # type: ignore[attr-defined]
                            .limit(CHOICES_PER_KIND)).all()
        found.extend(_view(kind, row) for row in rows)
    return found


def resolve(session: Session, account_id: int, value: str | None) -> tuple[str, int] | None:
    """('charge', 12) for 'charge:12' when that charge is on this account; None for no link. Anything else
    (another account's item, a made-up id, a malformed value) is refused with a message."""
    if not value:
        return None
    kind, _, raw_id = value.partition(':')
    model = _MODELS.get(kind)
    row = session.get(model, int(raw_id)) if model is not None and raw_id.isdecimal() and len(raw_id) < 12 else None
    if row is None or row.account_id != account_id:
        raise ValidationFailed('Choose something from this account to link, or no link.',
                               field_errors={'link': 'Choose something from this account, or no link.'})
    return kind, int(raw_id)


def apply(session: Session, thread: MessageThread, link: tuple[str, int] | None) -> None:
    """Point the thread at the linked item (at most one), and at the patient it concerns when it names one
    (a charge, claim or appointment; a payment is the guarantor's)."""
    if link is None:
        return
    kind, item_id = link
    setattr(thread, f'{kind}_id', item_id)
    thread.patient_id = getattr(session.get(_MODELS[kind], item_id), 'patient_id', None)


def of_thread(session: Session, thread: MessageThread) -> LinkView | None:
    """The item the thread is about, if any."""
    for kind, model in _MODELS.items():
        item_id = getattr(thread, f'{kind}_id')
        if item_id:
            row = session.get(model, item_id)
            return _view(kind, row) if row is not None else None
    return None
