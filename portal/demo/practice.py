"""The demo practice: payers and their plans, providers, locations, schedules, saved-card brands and
message templates. Names are fictional; phone numbers use the 555-01xx range kept for fiction."""
from __future__ import annotations

from dataclasses import dataclass

from portal.models import ThreadCategory


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    deductible: int  # cents per calendar year
    coinsurance: int  # whole percent the patient pays after the deductible
    copay: int  # cents per office visit
    kind: str = 'commercial'  # commercial, medicare, medicaid, supplement


@dataclass(frozen=True, slots=True)
class PayerInfo:
    code: str
    name: str
    phone: str
    allowed_percent: int  # what the payer's fee schedule allows, as a percent of billed charges
    member_prefix: str
    plans: tuple[Plan, ...]


PAYERS = (
    PayerInfo('MCR', 'Medicare', '(800) 633-4227', 42, '', (
        Plan('Medicare Part B', 25700, 20, 0, 'medicare'),)),
    PayerInfo('PSM', 'Prairie State Medicaid', '(800) 555-0115', 34, 'PSM', (
        Plan('Prairie State Medicaid', 0, 0, 0, 'medicaid'),
        Plan('Prairie Kids & Families', 0, 0, 0, 'medicaid'))),
    PayerInfo('BPH', 'Blue Prairie Health', '(800) 555-0142', 62, 'BPH', (
        Plan('Blue Prairie PPO 1500', 150000, 20, 2500),
        Plan('Blue Prairie HMO Select', 50000, 10, 2000),
        Plan('Blue Prairie HDHP 3500', 350000, 20, 0))),
    PayerInfo('SMM', 'Summit Mutual', '(800) 555-0178', 58, 'SMX', (
        Plan('Summit Choice PPO', 100000, 20, 3000),
        Plan('Summit Bronze 6000', 600000, 40, 0))),
    PayerInfo('KHA', 'Keystone Health Alliance', '(800) 555-0163', 55, 'KHA', (
        Plan('Keystone Open Access', 200000, 20, 3500),)),
    PayerInfo('LCP', 'Lakeshore Care Plan', '(800) 555-0129', 60, 'LCP', (
        Plan('Lakeshore EPO', 75000, 15, 2500),)),
    PayerInfo('HVB', 'Harborview Benefits', '(800) 555-0186', 65, 'HVB', (
        Plan('Harborview Employer Plan', 40000, 10, 2000),)),
    PayerInfo('SMS', 'Summit Mutual Medicare Supplement', '(800) 555-0179', 100, 'SMS', (
        Plan('Medicare Supplement Plan G', 0, 0, 0, 'supplement'),)),
)
COMMERCIAL_WEIGHTS = {'BPH': 40, 'SMM': 25, 'KHA': 15, 'LCP': 12, 'HVB': 8}
EMPLOYERS = ('Memorial Health System', 'State of Illinois', 'Prairie Farms', 'City Water Light & Power',
             'Horace Mann', 'Springfield School District 186', 'Ameren', 'Walmart', 'Bunn-O-Matic',
             'Levi, Ray & Shoup', 'Hy-Vee', 'UIS', 'Small Business Group Plan', 'Marketplace')

# (npi, first, last, credentials, specialty); the NPIs are fictional but pass the check digit
PROVIDERS = (
    ('1047293018', 'Alicia', 'Moreno', 'MD', 'Family Medicine'),
    ('1123581328', 'Samuel', 'Okonkwo', 'MD', 'Family Medicine'),
    ('1204528743', 'Hannah', 'Lindqvist', 'DO', 'Family Medicine'),
    ('1310445766', 'Rajesh', 'Iyer', 'MD', 'Internal Medicine'),
    ('1435678200', 'Catherine', 'Boyd', 'MD', 'Internal Medicine'),
    ('1502987633', 'Thanh', 'Phạm', 'MD', 'Pediatrics'),
    ('1623409855', 'Rebecca', 'Stein', 'MD', 'Pediatrics'),
    ('1748562034', 'Marcus', 'Bell', 'DO', 'Pediatrics'),
    ('1862047317', 'Jennifer', 'Walsh', 'PA-C', 'Family Medicine'),
    ('1938574625', 'Tomasz', 'Zieliński', 'NP', 'Family Medicine'),
    ('1283746505', 'Grace', 'Adeyemi', 'MD', 'Sports Medicine'),
    ('1650123494', 'Elena', 'Vasquez', 'NP', 'Internal Medicine'),
)
PEDIATRIC_PROVIDERS = (5, 6, 7)  # indexes into PROVIDERS
ADULT_PROVIDERS = (0, 1, 2, 3, 4, 8, 9, 11)
SPORTS_PROVIDER = 10

# (name, address, city, state, zip, phone)
LOCATIONS = (
    ('Main Street Clinic', '1200 S Main St', 'Springfield', 'IL', '62704', '(217) 555-0140'),
    ('Northgate Clinic', '3150 N Dirksen Pkwy', 'Springfield', 'IL', '62702', '(217) 555-0161'),
    ('Lakeview Family Clinic', '88 Lake Shore Dr', 'Chatham', 'IL', '62629', '(217) 555-0183'),
)
PRACTICE_ADDRESS = ('1200 S Main St', 'Springfield', 'IL', '62704')
# fictional: an EIN in the Illinois range and a group NPI that passes the check digit
PRACTICE_TAX_ID, PRACTICE_NPI = '37-1234567', '1928374655'

# weekly hours per provider: (weekday 0=Monday, start hour, end hour, location index)
CLINIC_WEEK = tuple((day, 8, 17 if day < 4 else 12) for day in range(5))

# Stripe's documented test cards: (brand, last4). Never a real card number.
TEST_CARDS = (('visa', '4242'), ('visa', '4242'), ('visa', '5556'), ('mastercard', '4444'),
              ('mastercard', '3222'), ('amex', '8431'), ('discover', '1117'))
TEST_BANK = ('STRIPE TEST BANK', '6789')

PLAN_TERMS = (
    'You agree to pay the plan amount in monthly installments on the day of the month shown. '
    'Installments are charged automatically to the payment method you chose. If an installment '
    'fails we will try again and let you know; after two missed installments the plan may end and '
    'the remaining balance becomes due. You can pay off the plan early at any time with no fee. '
    'New charges are billed separately and are not added to this plan.'
)

STAFF = (('staff@example.com', 'Jordan', 'Reyes'), ('dana.okafor@example.com', 'Dana', 'Okafor'),
         ('lee.whitfield@example.com', 'Lee', 'Whitfield'), ('priya.raman@example.com', 'Priya', 'Raman'))

# (subject, category, messages alternating patient, staff, patient, ...)
THREADS = (
    ('Question about my bill', ThreadCategory.billing_question, (
        'Hi, I got a statement and I am not sure what the lab charges are for. Can you explain?',
        'Thanks for asking! Those are the blood tests from your annual physical. Your insurance '
        'paid part of them and the rest went toward your deductible. Let us know if you have questions.',
        'That makes sense, thank you.')),
    ('Updated insurance card', ThreadCategory.insurance_update, (
        'I have new insurance starting this month. I uploaded the front of the card. Is that enough?',
        'We received it, thank you. Could you also upload the back of the card? It has the claims address.')),
    ('Can I set up a payment plan?', ThreadCategory.payment_plan, (
        'My balance is more than I can pay at once. Can I pay it over a few months?',
        'Yes. You can set one up yourself under Plans, or reply here and we will help you choose '
        'a monthly amount.')),
    ('Insurance should have paid this', ThreadCategory.dispute_charge, (
        'My insurance says this visit was covered, but I got a bill for the full amount.',
        'We are sorry for the confusion. The claim was sent back for a correction and has been '
        're-submitted. We have put your account on hold while it is processed.',
        'Thank you for checking.',
        'You are welcome. Insurance has now paid, and your statement will show the new amount.')),
    ('Receipt for my payment', ThreadCategory.other, (
        'Could you send me a receipt for my last payment? I need it for my HSA.',
        'Of course. Every receipt is under Payment history: open the payment and choose Download PDF. It '
        'lists each visit it paid, with the codes and dates your HSA asks for.')),
    ('Charge from a visit I did not have', ThreadCategory.billing_question, (
        'There is a charge on my account for a date I was not seen. Can you look into it?',
        'We are looking into it now and will get back to you within two business days.')),
)
