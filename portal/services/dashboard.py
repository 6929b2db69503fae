"""The collections dashboard: A/R aging by responsibility, collections, payment mix, plan health, portal
adoption and the standard KPIs, each with the figures it was computed from.

A/R figures read receivable_rollup (kept current by the money-moved step, portal/services/receivables.py)
and collections read ledger_day, so a load costs the same with 1,000 or 1,000,000 charges. Aging buckets
count days from the date of service to the practice's day ("as of"). Provider, location and payer filters
apply to A/R, the KPIs read from charges and the denial rates (a claim's visit and coverage); collections and
payment mix are filtered by date range only (a payment is to an account, not to a provider).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from portal.auth.permissions import Actor, require_staff
from portal.clock import wall_instant
from portal.models import (
    AccountAccess,
    AuthorRole,
    Claim,
    ClaimStatus,
    Coverage,
    Encounter,
    GuarantorAccount,
    LedgerDay,
    Location,
    Message,
    Payer,
    PaymentAttempt,
    PaymentPlan,
    PlanStatus,
    Provider,
    ReceivableRollup,
    ReceivableTotal,
    User,
)
from portal.services.practice import practice_today, zone_name
from portal.services.sql_time import seconds_between

BUCKETS = (('0-30', 0, 30), ('31-60', 31, 60), ('61-90', 61, 90), ('91-120', 91, 120), ('120+', 121, None))
RESPONSIBILITIES = ('patient', 'insurance')
MAX_PERIOD_DAYS = 731  # two years of days: a chart of collections by day, and a page, stay small
DECIDED = (ClaimStatus.paid, ClaimStatus.partially_paid, ClaimStatus.denied, ClaimStatus.reprocessed)


@dataclass(frozen=True)
class Filters:
    start: date | None = None  # collections and KPI period; None: the last 90 days to `end`
    end: date | None = None  # None: the practice's day
    provider_id: int | None = None
    location_id: int | None = None
    payer_id: int | None = None  # 0: self-pay (no claim)

    def period(self, today: date) -> tuple[date, date]:
        """(first, last day): at most MAX_PERIOD_DAYS ending at the later date, never after today; a
        reversed range is read the right way round."""
        end = min(self.end or today, today)
        start = self.start or end - timedelta(days=89)
        start, end = (start, end) if start <= end else (end, start)
        return max(start, end - timedelta(days=MAX_PERIOD_DAYS - 1)), end


def dos_range(bucket: str, as_of: date) -> tuple[date | None, date]:
    """The dates of service (oldest, newest) of an aging bucket ('all': every date up to as of)."""
    if bucket == 'all':
        return None, as_of
    if bucket == '91+':  # AR-1's numerator: 91-120 and 120+
        return None, as_of - timedelta(days=91)
    for name, low, high in BUCKETS:
        if name == bucket:
            return (as_of - timedelta(days=high) if high is not None else None), as_of - timedelta(days=low)
    raise ValueError(f'unknown aging bucket {bucket!r}')


def rollup_where(filters: Filters, *, responsibility: str | None = None, bucket: str = 'all',
                 as_of: date, model: type = ReceivableRollup) -> list:
    """The rollup rows behind a figure; with model=ChargeBalance, the charges behind it (the same columns)."""
    oldest, newest = dos_range(bucket, as_of)
    where = [model.date_of_service <= newest]
    if oldest is not None:
        where.append(model.date_of_service >= oldest)
    if responsibility is not None:
        where.append(model.responsibility == responsibility)
    for name in ('provider_id', 'location_id', 'payer_id'):
        if getattr(filters, name) is not None:
            where.append(getattr(model, name) == getattr(filters, name))
    return where


def _total_where(filters: Filters, responsibility: str | None) -> list:
    where = [] if responsibility is None else [ReceivableTotal.responsibility == responsibility]
    for name in ('provider_id', 'location_id', 'payer_id'):
        if getattr(filters, name) is not None:
            where.append(getattr(ReceivableTotal, name) == getattr(filters, name))
    return where


def open_total(session: Session, filters: Filters, *, responsibility: str | None, bucket: str,
               as_of: date) -> tuple[int, int]:
    """(open amount, charges with something open) of one figure. A bucket with an oldest date sums its days of
    receivable_rollup; an open-ended one (120+, 91+, all) is receivable_total less the rollup's days after it,
    so no figure reads more than 120 days of rollup rows."""
    oldest, newest = dos_range(bucket, as_of)
    connection = session.connection()
    sums = (func.coalesce(func.sum(ReceivableRollup.open_amount), 0),
            func.coalesce(func.sum(ReceivableRollup.open_charges), 0))
    if oldest is not None:
        amount, charges = connection.execute(select(*sums).where(
            *rollup_where(filters, responsibility=responsibility, bucket=bucket, as_of=as_of),
            ReceivableRollup.open_amount != 0)).one()
        return int(amount), int(charges)
    newer = rollup_where(filters, responsibility=responsibility, as_of=date.max)[1:]  # filters, any date
    later_amount, later_charges = connection.execute(select(*sums).where(
        *newer, ReceivableRollup.date_of_service > newest, ReceivableRollup.open_amount != 0)).one()
    amount, charges = connection.execute(
        select(func.coalesce(func.sum(ReceivableTotal.open_amount), 0),
               func.coalesce(func.sum(ReceivableTotal.open_charges), 0))
        .where(*_total_where(filters, responsibility))).one()
    return int(amount) - int(later_amount), int(charges) - int(later_charges)


@dataclass(frozen=True)
class Aging:
    bucket: str
    patient: int
    insurance: int
    patient_charges: int
    insurance_charges: int

    @property
    def total(self) -> int:
        return self.patient + self.insurance


@dataclass(frozen=True)
class Kpi:
    key: str  # our own id (test ids, drill-downs)
    name: str
    map_key: str  # HFMA MAP key, '' when HFMA has none for it
    formula: str
    numerator_label: str
    numerator: float
    denominator_label: str
    denominator: float
    unit: str  # 'days', '%', 'hours'
    money: bool = True  # numerator and denominator are money (minor units)

    @property
    def value(self) -> float | None:
        if not self.denominator:
            return None
        ratio = self.numerator / self.denominator
        return ratio * 100 if self.unit == '%' else ratio


@dataclass(frozen=True)
class Collections:
    day: date
    patient: int
    insurance: int


@dataclass(frozen=True)
class Option:
    id: int
    label: str


@dataclass(frozen=True)
class Dashboard:
    as_of: date
    start: date
    end: date
    filters: Filters
    aging: list[Aging]
    collections: list[Collections]  # one per day of the period
    method_mix: dict[str, int]
    channel_mix: dict[str, int]
    plans_active: int
    plans_past_due: int
    autopay_succeeded: int
    autopay_tried: int
    accounts: int
    accounts_registered: int
    accounts_paperless: int
    kpis: list[Kpi]
    monthly_patient_rate: list[tuple[str, int, int]]  # (YYYY-MM of service, collected, patient responsibility)
    providers: list[Option] = field(default_factory=list)
    locations: list[Option] = field(default_factory=list)
    payers: list[Option] = field(default_factory=list)

    @property
    def total_ar(self) -> int:
        return sum(row.total for row in self.aging)

    def responsibility_total(self, responsibility: str) -> int:
        return sum(getattr(row, responsibility) for row in self.aging)


def collections_dashboard(session: Session, /, *, actor: Actor, filters: Filters | None = None) -> Dashboard:
    """Every figure of the staff home for these filters, as of the practice's day."""
    require_staff(session, actor, purpose='view_dashboard')
    filters = filters or Filters()
    as_of = practice_today(session)
    start, end = filters.period(as_of)
    zone = zone_name(session)
    connection = session.connection()
    aging = _aging(session, filters, as_of)
    days = connection.execute(
        select(LedgerDay.day, LedgerDay.kind, LedgerDay.method, LedgerDay.channel, func.sum(LedgerDay.amount))
        .where(LedgerDay.day >= start, LedgerDay.day <= end,
               col(LedgerDay.kind).in_(['patient_payment', 'refund', 'insurance_payment']))
        .group_by(LedgerDay.day, LedgerDay.kind, LedgerDay.method, LedgerDay.channel)).all()
    by_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    methods: dict[str, int] = defaultdict(int)
    channels: dict[str, int] = defaultdict(int)
    for day, kind, method, channel, amount in days:
        collected = -int(amount)
        if kind == 'insurance_payment':
            by_day[day][1] += collected
            continue
        by_day[day][0] += collected  # payments less refunds, by the method and channel of the payment
        methods[method or 'other'] += collected
        channels[channel or 'other'] += collected
    series = [Collections(start + timedelta(days=n), *by_day.get(start + timedelta(days=n), [0, 0]))
              for n in range((end - start).days + 1)]
    plans = dict(connection.execute(select(PaymentPlan.status, func.count()).group_by(PaymentPlan.status)).all())
    autopay = connection.execute(
        select(func.coalesce(func.sum(case((PaymentAttempt.status == 'succeeded', 1), else_=0)), 0), func.count())
        .where(col(PaymentAttempt.target).like('installment%try-%'),
               col(PaymentAttempt.status).in_(['succeeded', 'failed']),
               PaymentAttempt.created_at >= _utc(start, zone),
               PaymentAttempt.created_at < _utc(end + timedelta(days=1), zone))).one()
    registered = registered_accounts().subquery()
    accounts, registered_count, paperless = connection.execute(select(
        select(func.count()).select_from(GuarantorAccount).scalar_subquery(),
        select(func.count()).select_from(registered).scalar_subquery(),
        select(func.count()).select_from(GuarantorAccount).where(GuarantorAccount.paperless == True)  # noqa: E712
        .scalar_subquery())).one()
    monthly = _monthly_patient_rate(session, filters, start, end)
    kpis = _kpis(session, filters, aging, monthly, as_of, start, end)
    return Dashboard(
        as_of=as_of, start=start, end=end, filters=filters, aging=aging, collections=series,
        method_mix=dict(methods), channel_mix=dict(channels),
        plans_active=int(plans.get(PlanStatus.active, 0)), plans_past_due=int(plans.get(PlanStatus.delinquent, 0)),
        autopay_succeeded=int(autopay[0]), autopay_tried=int(autopay[1]), accounts=int(accounts),
        accounts_registered=int(registered_count), accounts_paperless=int(paperless), kpis=kpis,
        monthly_patient_rate=monthly, **_options(session))


def _aging(session: Session, filters: Filters, as_of: date) -> list[Aging]:
    """Open A/R by bucket and responsibility: the four recent buckets from at most 120 days of rollup rows
    with something open (a partial index holds just those), 120+ from receivable_total less everything
    newer (open_total)."""
    recent = [(name, high) for name, _, high in BUCKETS if high is not None]
    bucket = case(*[(ReceivableRollup.date_of_service >= as_of - timedelta(days=high), name)
                    for name, high in recent], else_='older')
    newest_old = as_of - timedelta(days=recent[-1][1] + 1)
    rows = session.connection().execute(
        select(ReceivableRollup.responsibility, bucket, func.sum(ReceivableRollup.open_amount),
               func.sum(ReceivableRollup.open_charges))
        .where(*rollup_where(filters, as_of=as_of), ReceivableRollup.date_of_service > newest_old,
               ReceivableRollup.open_amount != 0)
        .group_by(ReceivableRollup.responsibility, bucket)).all()
    found = {(str(responsibility), name): (int(amount), int(charges)) for responsibility, name, amount, charges in rows}
    for responsibility in RESPONSIBILITIES:
        found[(responsibility, '120+')] = open_total(session, filters, responsibility=responsibility, bucket='120+',
                                                     as_of=as_of)
    return [Aging(name, found.get(('patient', name), (0, 0))[0], found.get(('insurance', name), (0, 0))[0],
                  found.get(('patient', name), (0, 0))[1], found.get(('insurance', name), (0, 0))[1])
            for name, _, _ in BUCKETS]


def monthly_patient_query(filters: Filters, start: date, end: date):  # noqa: ANN201
    """Per month of service in the period, oldest first, from the rollup: (`month` YYYY-MM, `numerator` patient
    payments on patient-responsibility charges, `denominator` their patient responsibility = charged - insurance
    paid - adjusted)."""
    month = func.substr(func.cast(ReceivableRollup.date_of_service, _text()), 1, 7)
    return (select(month.label('month'), func.sum(ReceivableRollup.patient_paid).label('numerator'),
                   func.sum(ReceivableRollup.charged - ReceivableRollup.insurance_paid - ReceivableRollup.adjusted)
                   .label('denominator'))
            .where(*rollup_where(filters, responsibility='patient', as_of=end),
                   ReceivableRollup.date_of_service >= start)
            .group_by(month).order_by(month))


def _monthly_patient_rate(session: Session, filters: Filters, start: date, end: date) -> list[tuple[str, int, int]]:
    """(month, collected, patient responsibility) per month of service in the period (monthly_patient_query)."""
    rows = session.connection().execute(monthly_patient_query(filters, start, end)).all()
    return [(str(label), int(paid), int(owed)) for label, paid, owed in rows]


def _text():  # noqa: ANN202
    from sqlalchemy import String
    return String()


def _kpis(session: Session, filters: Filters, aging: list[Aging], monthly: list[tuple[str, int, int]],
          as_of: date, start: date, end: date) -> list[Kpi]:
    connection = session.connection()
    total = sum(row.total for row in aging)
    over_90 = sum(row.total for row in aging if row.bucket in ('91-120', '120+'))
    revenue_from = as_of - timedelta(days=89)
    charged, adjusted = connection.execute(
        select(func.coalesce(func.sum(ReceivableRollup.charged), 0),
               func.coalesce(func.sum(ReceivableRollup.adjusted), 0))
        .where(*rollup_where(filters, as_of=as_of), ReceivableRollup.date_of_service >= revenue_from)).one()
    daily_revenue = (int(charged) - int(adjusted)) / 90
    decided, denied, decided_dollars, denied_dollars = connection.execute(decided_claims(
        filters, start, end, func.count(), func.coalesce(func.sum(case((Claim.status == ClaimStatus.denied, 1),
                                                                       else_=0)), 0),
        func.coalesce(func.sum(Claim.billed_amount), 0),
        func.coalesce(func.sum(case((Claim.status == ClaimStatus.denied, Claim.billed_amount), else_=0)), 0),
        zone=zone_name(session))).one()
    collected = sum(paid for _, paid, _ in monthly)
    owed = sum(owed for _, _, owed in monthly)
    answered, hours = _response_hours(session, start, end)
    return [
        Kpi('net-days', 'Net days in A/R', '', 'Net A/R ÷ average daily net revenue (charges less contractual '
            'adjustments and write-offs, last 90 days of service ÷ 90)', 'Net A/R', total, 'Average daily net revenue',
            daily_revenue, 'days'),
        Kpi('ar-over-90', 'Aged A/R over 90 days', 'AR-1', 'A/R more than 90 days from date of service ÷ total '
            'billed A/R', 'A/R over 90 days', over_90, 'Total A/R', total, '%'),
        Kpi('patient-collection-rate', 'Patient collection rate', '', 'Patient payments on charges of the period '
            '÷ patient responsibility billed on them (charge − insurance paid − adjustments)',
            'Collected from patients', collected, 'Patient responsibility', owed, '%'),
        Kpi('denial-rate-claims', 'Denial rate (claims)', 'AR-5', 'Claims denied ÷ claims decided in the period',
            'Claims denied', int(denied), 'Claims decided', int(decided), '%', money=False),
        Kpi('denial-rate-dollars', 'Denial rate (dollars)', '', 'Billed amount of claims denied ÷ billed amount '
            'of claims decided in the period', 'Denied dollars', int(denied_dollars), 'Decided dollars',
            int(decided_dollars), '%'),
        Kpi('response-time', 'Message response time', '', 'Hours from a patient message to the office\'s first '
            'reply after it ÷ patient messages answered in the period', 'Hours to reply (sum)', hours,
            'Messages answered', answered, 'hours', money=False),
    ]


def registered_accounts():  # noqa: ANN201  (a SELECT of account ids)
    """The accounts someone can sign in to (portal adoption): an access not revoked, held by a user still
    active; each account once, in id order."""
    return (select(col(AccountAccess.account_id).label('id')).join(User, User.id == AccountAccess.user_id)
            .where(col(AccountAccess.revoked_at).is_(None), User.is_active == True)  # noqa: E712
            .distinct().order_by(col(AccountAccess.account_id)))


def decided_claims(filters: Filters, start: date, end: date, *columns, zone: str):  # noqa: ANN001, ANN201
    """select(*columns) over the claims decided in the period (_claim_where), joining the visit and the coverage
    only when a filter reads them, so the unfiltered figure reads ix_claim_decided alone."""
    query = select(*columns).select_from(Claim)
    if filters.provider_id is not None or filters.location_id is not None:
        query = query.join(Encounter, Encounter.id == Claim.encounter_id)
    if filters.payer_id is not None:
        query = query.outerjoin(Coverage, Coverage.id == Claim.coverage_id)
    return query.where(*_claim_where(filters, start, end, zone))


def _claim_where(filters: Filters, start: date, end: date, zone: str) -> list:
    """Claims decided in the period, of the filtered provider and location (their visit's) and payer (their
    coverage's; 0: a claim without coverage), as the A/R figures are filtered."""
    where = [col(Claim.status).in_(DECIDED), col(Claim.adjudicated_at) >= _utc(start, zone),
             col(Claim.adjudicated_at) < _utc(end + timedelta(days=1), zone)]
    if filters.provider_id is not None:
        where.append(Encounter.provider_id == filters.provider_id)
    if filters.location_id is not None:
        where.append(Encounter.location_id == filters.location_id)
    if filters.payer_id is not None:
        where.append(func.coalesce(Coverage.payer_id, 0) == filters.payer_id)
    return where


def patient_messages(start: date, end: date, zone: str):  # noqa: ANN201
    """The patient messages written in the period, each with the time of the office's first reply after it
    (`replied`, NULL: not answered), as a query."""
    return (select(Message.id, Message.thread_id, Message.created_at, first_reply().label('replied'))
            .where(Message.author_role == AuthorRole.patient, Message.created_at >= _utc(start, zone),
                   Message.created_at < _utc(end + timedelta(days=1), zone)))


def hours_of(seconds: int) -> float:
    """Seconds summed over the answered messages as the figure shows them: hours to one decimal."""
    return round(seconds / 3600, 1)


def _response_hours(session: Session, start: date, end: date) -> tuple[int, float]:
    """(patient messages of the period the office answered, hours from each to its first reply, summed), in
    one aggregate query (whole seconds summed, so the drill-down's sum of its rows is the same number)."""
    asked = patient_messages(start, end, zone_name(session)).subquery()
    seconds = seconds_between(asked.c.replied, asked.c.created_at)
    answered, total = session.connection().execute(
        select(func.count(seconds), func.coalesce(func.sum(seconds), 0))).one()
    return int(answered), hours_of(int(total))


def first_reply():  # noqa: ANN201
    """The time of the office's first reply (not an internal note) after a patient Message, as a column."""
    reply = aliased(Message)
    return (select(func.min(reply.created_at))
            .where(reply.thread_id == Message.thread_id, reply.author_role == AuthorRole.staff,
                   reply.internal_note == False, reply.created_at > Message.created_at)  # noqa: E712
            .scalar_subquery())


def _utc(day: date, zone: str) -> datetime:
    """The instant the practice's calendar `day` begins (its midnight in `zone`, as UTC): a period of days holds
    what happened on those days on the practice's clock, as every date shown is its day (clock.practice_day)."""
    return wall_instant(datetime.combine(day, time.min), ZoneInfo(zone))


def _options(session: Session) -> dict[str, list[Option]]:
    connection = session.connection()
    providers = [Option(row.id, f'{row.first_name} {row.last_name}, {row.credentials}') for row in
                 connection.execute(select(Provider.id, Provider.first_name, Provider.last_name, Provider.credentials)
                                    .order_by(Provider.last_name))]
    locations = [Option(row.id, row.name) for row in connection.execute(select(Location.id, Location.name)
                                                                         .order_by(Location.name))]
    payers = [Option(0, 'Self-pay (no claim)')] + [
        Option(row.id, row.name) for row in connection.execute(select(Payer.id, Payer.name).order_by(Payer.name))]
    return {'providers': providers, 'locations': locations, 'payers': payers}
