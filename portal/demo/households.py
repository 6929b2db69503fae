"""Plans for demo households: who lives there, their insurance and how they tend to pay.

A Household is a plan, not rows: portal.demo.billing turns it into accounts, visits, claims and
ledger entries. Random households come from `random_household`; the documented demo household is
spelled out in portal.demo.showcase with the same shapes plus explicit visits and payments.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from portal.demo import people
from portal.demo.context import Weighted, between, pick
from portal.demo.practice import COMMERCIAL_WEIGHTS, PAYERS, Plan
from portal.demo.visits import Line

PAYER_BY_CODE = {payer.code: payer for payer in PAYERS}
BEHAVIORS = Weighted((('prompt', 48), ('partial', 20), ('slow', 17), ('none', 7), ('plan', 8)))
KINDS = Weighted((('single', 28), ('couple', 15), ('family', 32), ('children_only', 8), ('senior', 9),
                  ('senior_couple', 8)))
HOME_LOCATIONS = Weighted(((0, 50), (1, 30), (2, 20)))
COMMERCIAL = Weighted(COMMERCIAL_WEIGHTS.items())
MBI_LETTERS = 'ACDEFGHJKMNPQRTUVWXY'  # Medicare Beneficiary Identifiers skip S, L, O, I, B, Z


@dataclass(slots=True)
class CoverageSpec:
    payer_code: str
    plan: Plan
    priority: int
    member_id: str
    group_number: str
    subscriber_name: str
    subscriber_relationship: str
    effective_from: date


@dataclass(slots=True)
class Person:
    first: str
    last: str
    dob: date
    sex: str
    relationship: str  # to the guarantor: self, spouse, child
    coverages: list[CoverageSpec] = field(default_factory=list)
    mrn: str = ''


@dataclass(slots=True)
class VisitSpec:
    """An explicit visit (showcase only): who, how many days ago, what was billed, how it went."""
    person: int
    days_ago: int
    visit_type: str
    provider: int
    location: int
    lines: list[Line]
    outcome: str = 'paid'
    copay_at_visit: bool = True
    submit_lag: int = 2
    adjudicate_lag: int = 18


@dataclass(slots=True)
class Household:
    first: str
    last: str
    email: str | None
    phone: str | None
    address1: str
    address2: str
    city: str
    state: str
    postal_code: str
    people: list[Person]
    behavior: str
    cycle_day: int
    has_user: bool
    saved_card: bool
    paperless: bool
    home_location: int
    account_number: str = ''
    visits: list[VisitSpec] | None = None
    payments: list[tuple[int, int, str]] | None = None  # (days ago, amount, method)
    statement_days_ago: int | None = None
    # (person, days ahead, hour, minute, provider, visit type)
    appointments: list[tuple[int, int, int, int, int, str]] | None = None
    threads: list[tuple[int, int, tuple[int, ...], bool]] | None = None  # template, days ago, gaps, last read
    card: tuple[str, str, int, int] | None = None  # brand, last4, exp month, exp year


def _dob(rng: random.Random, today: date, age: int) -> date:
    return today - timedelta(days=age * 365 + between(rng, 0, 364))


def _name(rng: random.Random, sex: str) -> str:
    return pick(rng, people.FEMALE_FIRST if sex == 'F' else people.MALE_FIRST)


def random_household(rng: random.Random, today: date, *, max_people: int) -> Household:
    """A plausible household with 1 to 5 patients (never more than max_people).

    Kinds: a single adult, a couple, a family with children (one or two parents), a parent who
    is not a patient here with children who are, a senior living alone, a senior couple.
    """
    last = pick(rng, people.LAST_NAMES)
    sex = 'F' if rng.random() < 0.56 else 'M'
    first = _name(rng, sex)
    kind = KINDS.draw(rng)
    senior = kind.startswith('senior')
    age = between(rng, 66, 92) if senior else between(rng, 26, 52) if kind in ('family', 'children_only') \
        else between(rng, 22, 62)
    members: list[Person] = []
    if kind != 'children_only':
        members.append(Person(first, last, _dob(rng, today, age), sex, 'self'))
    if kind in ('couple', 'senior_couple') or (kind == 'family' and rng.random() < 0.7):
        partner_sex = sex if rng.random() < 0.06 else ('M' if sex == 'F' else 'F')
        partner_last = last if rng.random() < 0.8 else pick(rng, people.LAST_NAMES)
        members.append(Person(_name(rng, partner_sex), partner_last,
                              _dob(rng, today, max(19, age + between(rng, -6, 6))), partner_sex, 'spouse'))
    if kind in ('family', 'children_only'):
        for _ in range(pick(rng, (1, 1, 2, 2, 3) if kind == 'family' else (1, 2))):
            child_sex = 'F' if rng.random() < 0.49 else 'M'
            child_age = between(rng, 0, min(17, age - 19))
            members.append(Person(_name(rng, child_sex), last, _dob(rng, today, child_age), child_sex, 'child'))
    members = members[:max(1, min(5, max_people))]
    _insure(rng, today, members, guarantor=f'{first} {last}', senior=senior)

    city, state, zip3 = pick(rng, people.CITIES)
    has_email = rng.random() < 0.88
    has_user = has_email and rng.random() < 0.34
    behavior = BEHAVIORS.draw(rng)
    return Household(
        first=first, last=last,
        email=pick(rng, people.EMAIL_DOMAINS) if has_email else None,  # billing adds the local part
        phone=f'({pick(rng, people.AREA_CODES)}) 555-01{between(rng, 0, 99):02d}',
        address1=f'{between(rng, 100, 9899)} {pick(rng, people.STREETS)} {pick(rng, people.STREET_SUFFIXES)}',
        address2=pick(rng, people.UNITS) if rng.random() < 0.15 else '',
        city=city, state=state, postal_code=f'{zip3}{between(rng, 1, 99):02d}', people=members,
        behavior=behavior, cycle_day=between(rng, 1, 28), has_user=has_user,
        saved_card=behavior == 'plan' or (has_user and rng.random() < 0.35),
        paperless=has_user and rng.random() < 0.5, home_location=HOME_LOCATIONS.draw(rng))


def _insure(rng: random.Random, today: date, members: list[Person], *, guarantor: str, senior: bool) -> None:
    since = date(today.year - 2 - between(rng, 0, 4), 1, 1)
    if senior:
        for person in members:
            person.coverages.append(CoverageSpec('MCR', PAYER_BY_CODE['MCR'].plans[0], 1, medicare_id(rng), '',
                                                 f'{person.first} {person.last}', 'self', since))
            if rng.random() < 0.45:
                supplement = PAYER_BY_CODE['SMS']
                person.coverages.append(CoverageSpec('SMS', supplement.plans[0], 2,
                                                     member_id(rng, supplement.member_prefix), '',
                                                     f'{person.first} {person.last}', 'self', since))
        return
    if rng.random() < 0.16:  # every household is insured (the insurance pages have something to show)
        medicaid = PAYER_BY_CODE['PSM']
        for person in members:
            plan = medicaid.plans[1 if person.relationship == 'child' else 0]
            person.coverages.append(CoverageSpec('PSM', plan, 1, member_id(rng, 'PSM'), '',
                                                 f'{person.first} {person.last}', 'self', since))
        return
    codes = list(COMMERCIAL_WEIGHTS)
    payer = PAYER_BY_CODE[COMMERCIAL.draw(rng)]
    plan = pick(rng, payer.plans)
    base = member_id(rng, payer.member_prefix)
    group = f'{between(rng, 10000, 99999)}-{between(rng, 1, 20):03d}'
    for index, person in enumerate(members, start=1):
        person.coverages.append(CoverageSpec(payer.code, plan, 1, f'{base}{index:02d}', group, guarantor,
                                             person.relationship, since))
        if person.relationship in ('self', 'spouse') and rng.random() < 0.08:
            other = PAYER_BY_CODE[pick(rng, [c for c in codes if c != payer.code])]
            person.coverages.append(CoverageSpec(other.code, pick(rng, other.plans), 2,
                                                 member_id(rng, other.member_prefix), f'{between(rng, 10000, 99999)}',
                                                 f'{person.first} {person.last}', 'self', since))


def member_id(rng: random.Random, prefix: str) -> str:
    return f'{prefix}{between(rng, 100000000, 999999999)}'


def medicare_id(rng: random.Random) -> str:
    """An 11-character Medicare Beneficiary Identifier in the real format (fictional values)."""
    letter, digit = MBI_LETTERS, '0123456789'
    both = letter + digit
    pattern = ('123456789', letter, both, digit, letter, both, digit, letter, letter, digit, digit)
    return ''.join(pick(rng, chars) for chars in pattern)
