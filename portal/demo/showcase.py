"""The documented demo household behind patient@example.com: the Alvarez family.

Spelled out rather than drawn at random so it is the same in every demo database (dates move with
today): three patients on one PPO plan, insurance payments and contractual adjustments within the
current statement, a balance due in about two weeks, a claim still with insurance, a claim denied because
coverage had ended (the patient can update their insurance), a booked visit, an unread reply from the billing
office and a saved Visa test card.
"""
from __future__ import annotations

from datetime import date

from portal.demo.households import CoverageSpec, Household, Person, VisitSpec
from portal.demo.practice import PAYERS

DEMO_ACCOUNT_NUMBER = 'A10002026'
DEMO_PATIENT_EMAIL = 'patient@example.com'
DEMO_STAFF_EMAIL = 'staff@example.com'
DEMO_ADMIN_EMAIL = 'priya.raman@example.com'  # the practice's admin: users, settings, saved replies, audit
STATEMENT_DAYS_AGO = 6


def demo_household(today: date) -> Household:
    blue_prairie = next(payer for payer in PAYERS if payer.code == 'BPH')
    plan = blue_prairie.plans[0]  # PPO 1500: $25 copay, 20% after the deductible
    since = date(today.year - 3, 1, 1)
    maria = Person('Maria', 'Alvarez', date(1984, 3, 14), 'F', 'self', mrn='M10002026')
    daniel = Person('Daniel', 'Alvarez', date(1982, 9, 2), 'M', 'spouse', mrn='M10002027')
    sofia = Person('Sofía', 'Alvarez', date(2016, 6, 21), 'F', 'child', mrn='M10002028')
    for suffix, person in enumerate((maria, daniel, sofia), start=1):
        person.coverages.append(CoverageSpec('BPH', plan, 1, f'BPH482019330{suffix:02d}', '40211-007',
                                             'Maria Alvarez', person.relationship, since))
    return Household(
        first='Maria', last='Alvarez', email='patient@example.com', phone='(217) 555-0123',
        address1='418 Maple Ave', address2='', city='Springfield', state='IL', postal_code='62704',
        people=[maria, daniel, sofia], behavior='partial', cycle_day=1, has_user=True, saved_card=True,
        paperless=True, home_location=0, account_number=DEMO_ACCOUNT_NUMBER,
        visits=[
            VisitSpec(0, 200, 'Annual physical', 0, 0, [('99396', 1, ''), ('36415', 1, ''), ('85025', 1, ''),
                                                       ('80053', 1, ''), ('80061', 1, '')], adjudicate_lag=16),
            VisitSpec(2, 120, 'Office visit', 5, 0, [('99213', 1, ''), ('87880', 1, '')], submit_lag=1,
                      adjudicate_lag=14),
            VisitSpec(1, 80, 'Office visit', 3, 0, [('99214', 1, ''), ('71046', 1, '')], adjudicate_lag=20),
            VisitSpec(2, 50, 'Procedure visit', 0, 0, [('99213', 1, '25'), ('12001', 1, '')], adjudicate_lag=20),
            VisitSpec(0, 40, 'Lab visit', 0, 0, [('36415', 1, ''), ('83036', 1, ''), ('84443', 1, '')],
                      copay_at_visit=False, submit_lag=1, adjudicate_lag=12),
            VisitSpec(0, 12, 'Office visit', 0, 0, [('99213', 1, '')], adjudicate_lag=20),  # still with insurance
            # denied: the insurer says Daniel's coverage had ended (PR-27), so he can update his insurance
            VisitSpec(1, 100, 'Office visit', 3, 0, [('99213', 1, '')], outcome='patient_owes', copay_at_visit=False,
                      adjudicate_lag=21),
        ],
        payments=[(150, 5000, 'card'), (45, 4000, 'us_bank_account')],
        statement_days_ago=STATEMENT_DAYS_AGO,
        appointments=[(0, 9, 10, 30, 0, 'Follow-up visit'), (2, 30, 15, 0, 5, 'Well-child visit')],
        threads=[(4, 140, (0, 1), True), (0, 5, (0, 3), False)],  # an old closed one; a reply not yet read
        card=('visa', '4242', 12, today.year + 2),
    )
