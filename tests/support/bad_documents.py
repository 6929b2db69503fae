"""Statements and receipts with the inputs that break layouts: 200-character provider and location
names, a guarantor with no address, about the longest name and address the database holds (80 + 80
characters of name, two 120-character address lines, an 80-character city), a statement with no
lines, amounts of $999,999.99, and names in right-to-left scripts or written with combining
characters. Built as the views the services return, so the documents are rendered exactly as for
stored data."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from portal.services.payments.receipts import ReceiptLine, ReceiptRefund, ReceiptView
from portal.services.practice import Practice
from portal.services.statement_run import Totals
from portal.services.statements import Adjustment, ChargeLine, Credit, StatementDetail, StatementSummary, Visit

MOST = 99_999_999  # $999,999.99
LONG_PROVIDER = ('Maximiliana Alexandrina Konstantinopoulou-Vanderbilt-Featherstonehaugh Oyelaran-Wijesinghe '
                 'Kowalczyk-Nakamura, MD, PhD, FAAFP, Department of Family and Community Medicine Services')[:200]
LONG_LOCATION = ('Riverside Family Medicine Northgate Pavilion Outpatient Diagnostic and Treatment Center, Suite '
                 '4200, Building C, Lower Level, Entrance by the Parking Garage on North Dirksen Parkway East')[:200]
PRACTICE = Practice('Riverside Family Medicine', '(555) 010-4400', '1200 S Main St, Springfield, IL 62704',
                    ('1200 S Main St', 'Springfield, IL 62704'), '37-1234567', '1928374655')
RTL_NAMES = ('שרה כהן', 'مريم الحسيني')
COMBINING = 'Zoe\u0308 Nguye\u0302\u0303n'  # Zoë Nguyễn written with combining marks
# nearly as long as GuarantorAccount's fields allow, in wide letters
LONGEST_NAME = ('Wilhelmina Maximiliana Montgomery-Worthington Alexandrina Konstantinopoulou-Wentworth'[:80],
                'Featherstonehaugh-Wijesinghe MacWilliams-Oyelaran Kowalczyk-Nakamura Vanderbilt-Wyatt'[:80])
LONGEST_ADDRESS = ('12345 North Martin Luther King Junior Memorial Boulevard West, Montgomery Meadows Medical '
                   'Commons Building W, Wing MW'[:120],
                   'Apartment W-4200, Wentworth Woodmere Towers, Mailroom Window M, Attention: Maximiliana '
                   'Montgomery-Worthington, MD, MPH'[:120],
                   'Winchester-on-the-Wabash Township of Mount Washington Woodlands Meadow Mews Wynd'[:80]
                   + ', IL 62704-1234')


def _summary(amount_due: int, new_balance: int | None = None) -> StatementSummary:
    return StatementSummary(id=1, account_number='A99887766', statement_date=date(2026, 5, 12),
                            due_date=date(2026, 6, 2), amount_due=amount_due,
                            new_balance=amount_due if new_balance is None else new_balance, currency='USD',
                            status='due')


def _line(number: int, description: str, amount: int) -> ChargeLine:
    return ChargeLine(charge_id=number, code='99215', description=description, units=1, billed=amount,
                      insurance_paid=amount, adjustments=[Adjustment('CO-45', 'Charge exceeds the contracted fee: you '
                                                                     'do not owe this.', amount)],
                      patient_owes=amount, your_share=[Adjustment('PR-1', 'Your plan\'s deductible.', amount)])


def bad_statements() -> dict[str, StatementDetail]:
    most = Totals(previous_balance=MOST, new_charges=MOST, refunds=MOST, insurance_payments=MOST, adjustments=MOST,
                  patient_payments=MOST)
    long_names = StatementDetail(
        summary=_summary(MOST), account_id=1, guarantor_name='Thị Minh Nguyễn', guarantor_address=[],
        totals=most, quick_pay_code='ABCDEFGHJKLM', previous_statement_date=None, practice=PRACTICE,
        visits=[Visit(date(2026, 3, 2), 'Thị Minh Nguyễn', LONG_PROVIDER, LONG_LOCATION,
                      [_line(1, 'Office visit, established patient, 40-54 minutes', MOST),
                       _line(2, 'Tetanus, diphtheria and whooping cough vaccine (Tdap)', MOST)],
                      insurance_pending=True)],
        credits=[Credit(date(2026, 3, 9), 'Payment — thank you', -MOST)])
    nothing = StatementDetail(
        summary=_summary(0), account_id=2, guarantor_name='Maria Alvarez',
        guarantor_address=['418 Maple Ave', 'Springfield, IL 62704'], totals=Totals(0, 0, 0, 0, 0, 0),
        quick_pay_code='MNPQRSTUVWXY', previous_statement_date=date(2026, 4, 12), practice=PRACTICE)
    scripts = StatementDetail(
        summary=_summary(12_345, new_balance=98_765), account_id=3, guarantor_name=RTL_NAMES[0],
        guarantor_address=['12 Rehov Herzl', 'Skokie, IL 60076'], totals=Totals(0, 98_765, 0, 0, 0, 0),
        quick_pay_code='23456789ABCD', previous_statement_date=None, practice=PRACTICE,
        visits=[Visit(date(2026, 4, 1), name, 'Alicia Moreno, MD', 'Main Street Clinic',
                      [_line(index, f'Office visit for {name}', 98_765 // 3)])
                for index, name in enumerate((*RTL_NAMES, COMBINING))])
    long_practice = StatementDetail(
        summary=_summary(4_500), account_id=4, guarantor_name=LONG_PROVIDER,
        guarantor_address=[LONG_LOCATION, 'Apartment 4B', 'Building 7', 'Springfield, IL 62704-1234'],
        totals=Totals(0, 4_500, 0, 0, 0, 0), quick_pay_code='HJKMNPQRSTUV', previous_statement_date=None,
        practice=Practice(LONG_LOCATION, '(555) 010-4400', '', (LONG_LOCATION, 'Springfield, IL 62704')))
    longest_address = replace(nothing, account_id=5, guarantor_name=' '.join(LONGEST_NAME),
                              guarantor_address=list(LONGEST_ADDRESS), quick_pay_code='WXYZ23456789')
    return {'bad-long-names-most-money': long_names, 'bad-no-lines': nothing, 'bad-scripts': scripts,
            'bad-long-practice-and-address': long_practice, 'bad-longest-guarantor-address': longest_address}


def bad_receipts() -> dict[str, ReceiptView]:
    lines = [ReceiptLine(date(2026, 3, 2), 'Thị Minh Nguyễn', LONG_PROVIDER, 'Comprehensive metabolic panel '
                         '(kidney, liver, blood sugar)', '80053', MOST),
             ReceiptLine(date(2026, 3, 2), RTL_NAMES[1], 'Alicia Moreno, MD', 'Office visit, established patient, '
                         '20-29 minutes', '99213', 1),
             ReceiptLine(date(2026, 3, 3), COMBINING, 'Alicia Moreno, MD', 'Blood draw', '36415', 1)]
    most = ReceiptView(payment_id=1, receipt_number='R260512-ABCDEF0123', paid_on=date(2026, 5, 12),
                       amount=MOST, currency='USD', method='Visa ending 4242', status='succeeded',
                       account_number='A99887766', payer=RTL_NAMES[0], practice=PRACTICE, refunded=MOST,
                       lines=lines[:1], refunds=[ReceiptRefund(date(2026, 5, 13), MOST, 'succeeded')])
    scripts = ReceiptView(payment_id=2, receipt_number='R260512-ABCDEF0124', paid_on=date(2026, 5, 12),
                          amount=MOST, currency='USD', method='Bank account ending 6789 (ACH)',
                          status='processing', account_number='A99887766', payer=COMBINING,
                          practice=Practice(LONG_LOCATION, '', '', ()), refunded=0, reference='', lines=lines)
    return {'bad-receipt-most-money': most, 'bad-receipt-scripts': scripts}
