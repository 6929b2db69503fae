"""State shared while generating: the random source, the day everything is relative to, id
counters, reference ids, and the batch of rows waiting to be written.

Dates are handled as ordinals (date.toordinal) in the hot loops and turned into the strings the
database stores through small caches.
"""
from __future__ import annotations

import random
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from portal.demo.codes import Procedure, procedures
from portal.demo.practice import PAYERS

T = TypeVar('T')
QUICK_PAY_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'  # no 0/O, 1/I/L look-alikes
ACCOUNT_RANGE = 80_000_000  # generated account numbers and MRNs are 8 digits from 20000000


@dataclass
class DayStrings(dict):
    """ordinal -> 'YYYY-MM-DD', computed once per day."""

    def __missing__(self, ordinal: int) -> str:
        text = self[ordinal] = date.fromordinal(ordinal).isoformat()
        return text


def between(rng: random.Random, low: int, high: int) -> int:
    """rng.randint(low, high) for hot loops: one call to random() instead of several Python frames."""
    return low + int(rng.random() * (high - low + 1))


def pick(rng: random.Random, items: Sequence[T]) -> T:
    return items[int(rng.random() * len(items))]


class Weighted(Generic[T]):
    """A weighted choice prepared once: each draw is one random() and a bisect."""

    def __init__(self, pairs: Iterable[tuple[T, int]]) -> None:
        self.items: list[T] = []
        self.bounds: list[int] = []
        total = 0
        for item, weight in pairs:
            total += weight
            self.items.append(item)
            self.bounds.append(total)
        self.total = total

    def draw(self, rng: random.Random) -> T:
        return self.items[bisect_right(self.bounds, rng.random() * self.total)]


@dataclass
class Context:
    rng: random.Random
    today: date
    null: Any  # what a NULL column holds in a row (see portal.demo.writer)
    next_ids: dict[str, int]
    timezone: ZoneInfo
    payer_ids: dict[str, int] = field(default_factory=dict)
    provider_ids: list[int] = field(default_factory=list)
    location_ids: list[int] = field(default_factory=list)
    staff_ids: list[int] = field(default_factory=list)
    patient_hash: str = ''
    policy_id: int = 0
    run_ids: dict[str, int] = field(default_factory=dict)
    run_counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    quick_codes: set[str] = field(default_factory=set)
    visit_type_ids: dict[str, int] = field(default_factory=dict)
    closed_day: date | None = None  # the demo's training day (portal.demo.schedule)
    placer: Any = None  # portal.demo.schedule.Placer: booked visits that never overlap

    def __post_init__(self) -> None:
        self.today_ord = self.today.toordinal()
        self.yesterday = self.today_ord - 1  # generated history ends yesterday; nothing is in the future
        self.batch: dict[str, list[tuple]] = defaultdict(list)
        self.counters = {table: count(start) for table, start in self.next_ids.items()}
        self.prices: dict[str, Procedure] = procedures()
        self.iso = DayStrings()  # ctx.iso[ordinal]
        self.times = [f' {m // 60:02d}:{m % 60:02d}:00.000000' for m in range(24 * 60)]  # ' HH:MM:00.000000'
        self.account_offset = self.rng.randrange(ACCOUNT_RANGE)
        self.mrn_offset = self.rng.randrange(ACCOUNT_RANGE)
        # each payer's fee schedule: a share of the billed amount per code, the same whatever the seed
        schedules = random.Random('settle-fee-schedules')
        self.allowed: dict[str, dict[str, int]] = {}
        for payer in PAYERS:
            self.allowed[payer.code] = {
                code: min(p.amount, int(p.amount * payer.allowed_percent * schedules.uniform(0.9, 1.1)) // 100)
                for code, p in sorted(self.prices.items())}

    def ids(self, table: str) -> count:
        return self.counters[table]

    def next_id(self, table: str) -> int:
        return next(self.counters[table])

    def stamp(self, ordinal: int, minute: int) -> str:
        """'YYYY-MM-DD HH:MM:00.000000' (naive UTC), minute of the day 0..1439."""
        return self.iso[ordinal] + self.times[minute]

    def local_stamp(self, day: date, hour: int, minute: int) -> str:
        """A wall-clock time at the practice, stored as naive UTC like every datetime."""
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.timezone)
        utc = local.astimezone(ZoneInfo('UTC'))
        return f'{utc:%Y-%m-%d %H:%M}:00.000000'

    def account_number(self, account_id: int) -> str:
        # an affine map mod 8*10^7 with a multiplier coprime to it: unique per id, not sequential
        return f'A{20_000_000 + (account_id * 23_757 + self.account_offset) % ACCOUNT_RANGE}'

    def mrn(self, patient_id: int) -> str:
        return f'M{20_000_000 + (patient_id * 30_011 + self.mrn_offset) % ACCOUNT_RANGE}'

    def quick_pay_code(self, rng: random.Random) -> str:
        while True:
            code = ''.join(rng.choices(QUICK_PAY_ALPHABET, k=12))
            if code not in self.quick_codes:
                self.quick_codes.add(code)
                return code

    def add_months(self, day: date, months: int, day_of_month: int | None = None) -> date:
        """The same (or the given) day of the month `months` later, capped at the 28th."""
        month_index = day.year * 12 + day.month - 1 + months
        year, month = divmod(month_index, 12)
        return date(year, month + 1, min(day_of_month or day.day, 28))

    def days_ago(self, days: int) -> date:
        return self.today - timedelta(days=days)
