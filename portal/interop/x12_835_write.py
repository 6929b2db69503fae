"""Writing an 835 (005010X221A1) from the reader's dataclasses: the demo seeder's remittances, test files
and the benchmark. The envelope is always right (counts and control numbers); the figures are what the
caller gives, so a caller can write an unbalanced BPR on purpose."""
from __future__ import annotations

import unicodedata
from datetime import date

from portal.interop.x12_835_data import Adjustment, ClaimPayment, ProviderAdjustment, Remittance835, ServiceLine


def money(minor: int) -> str:
    sign = '-' if minor < 0 else ''
    whole, cents = divmod(abs(minor), 100)
    return f'{sign}{whole}.{cents:02d}' if cents else f'{sign}{whole}'


def text(value: str) -> str:
    """Free text as the X12 basic character set takes it: accents folded, delimiters left out."""
    folded = unicodedata.normalize('NFKD', value).encode('ascii', 'ignore').decode()
    return ''.join(char for char in folded if char not in '*~:^').upper()


def _day(value: date | None) -> str:
    return value.strftime('%Y%m%d') if value else ''


def _segment(*elements: str) -> str:
    parts = list(elements)
    while len(parts) > 1 and parts[-1] == '':
        parts.pop()
    return '*'.join(parts) + '~'


def _cas(adjustments: list[Adjustment]) -> list[str]:
    """One CAS per group, six reasons at most per segment (005010X221A1, Loop 2100/2110 CAS)."""
    segments = []
    groups: dict[str, list[Adjustment]] = {}
    for item in adjustments:
        groups.setdefault(item.group, []).append(item)
    for group, items in groups.items():
        for start in range(0, len(items), 6):
            triples = [value for item in items[start:start + 6] for value in (item.reason, money(item.amount),
                                                                                item.quantity)]
            segments.append(_segment('CAS', group, *triples))
    return segments


def _line(service: ServiceLine) -> list[str]:
    code = ':'.join([service.qualifier or 'HC', service.code, *service.modifiers])
    original = ':'.join(['HC', service.original_code, *service.original_modifiers]) if service.original_code else ''
    segments = [_segment('SVC', code, money(service.billed), money(service.paid), '',
                         str(service.units) if service.units != 1 else '', original)]
    if service.service_date:
        segments.append(_segment('DTM', '472', _day(service.service_date)))
    segments += _cas(service.adjustments)
    if service.control_number:
        segments.append(_segment('REF', '6R', service.control_number))
    if service.allowed is not None:
        segments.append(_segment('AMT', 'B6', money(service.allowed)))
    segments += [_segment('LQ', 'HE', code) for code in service.remarks]
    return segments


def _claim(claim: ClaimPayment) -> list[str]:
    segments = [_segment('CLP', claim.claim_number, claim.status, money(claim.billed), money(claim.paid),
                         money(claim.patient_responsibility) if claim.patient_responsibility else '',
                         claim.filing_indicator or '12', claim.payer_claim_number, '11', claim.frequency or '1')]
    segments += _cas(claim.adjustments)
    segments.append(_segment('NM1', 'QC', '1', text(claim.patient_last) or 'PATIENT', text(claim.patient_first), '',
                             '', '',
                             'MI' if claim.patient_id else '', claim.patient_id))
    if claim.remarks:
        segments.append(_segment('MOA', '', '', *claim.remarks[:5]))
    if claim.original_reference:
        segments.append(_segment('REF', 'F8', claim.original_reference))
    if claim.service_date:
        segments.append(_segment('DTM', '232', _day(claim.service_date)))
    for service in claim.lines:
        segments += _line(service)
    return segments


def _plb(items: list[ProviderAdjustment]) -> list[str]:
    segments = []
    for start in range(0, len(items), 6):
        chunk = items[start:start + 6]
        pairs = [value for item in chunk for value in (f'{item.reason}:{item.reference}' if item.reference
                                                        else item.reason, money(item.amount))]
        segments.append(_segment('PLB', chunk[0].provider_id, _day(chunk[0].fiscal_date), *pairs))
    return segments


def transaction(remittance: Remittance835, *, control: str, payee_npi: str) -> list[str]:
    """ST..SE of one payment; SE01 counts every segment from ST to SE."""
    segments = [_segment('ST', '835', control),
                _segment('BPR', 'I' if remittance.amount else 'H', money(remittance.amount),
                         remittance.credit_debit or 'C', remittance.method or 'ACH', 'CCP', '01', '999999992',
                         'DA', '123456', '1512345678', '', '01', '999988880', 'DA', '98765',
                         _day(remittance.payment_date)),
                _segment('TRN', '1', remittance.trace_number, remittance.originator or '1512345678'),
                _segment('DTM', '405', _day(remittance.payment_date)),
                _segment('N1', 'PR', text(remittance.payer_name), *(('XV', remittance.payer_ids[0])
                                                              if remittance.payer_ids else ())),
                _segment('N3', '100 PAYER WAY'), _segment('N4', 'CHICAGO', 'IL', '60601'),
                _segment('PER', 'BL', 'EDI SUPPORT', 'TE', '8005550100'),
                _segment('N1', 'PE', text(remittance.payee_name) or 'PRACTICE', 'XX', payee_npi)]
    for number, claim in enumerate(remittance.claims, start=1):
        if number == 1:
            segments.append(_segment('LX', '1'))
        segments += _claim(claim)
    segments += _plb(remittance.provider_adjustments)
    segments.append(_segment('SE', str(len(segments) + 1), control))
    return segments


def write_835(remittances: list[Remittance835], *, interchange: int = 1, when: date | None = None,
              payee_npi: str = '1234567893') -> bytes:
    """A whole interchange: ISA, one GS of HP, one ST..SE per remittance, GE, IEA; one segment a line."""
    when = when or date(2026, 1, 5)
    number = f'{interchange:09d}'
    segments = [f'ISA*00*          *00*          *ZZ*{"PAYER":<15}*ZZ*{"SETTLE":<15}*{when:%y%m%d}*1200*^*00501*'
                f'{number}*0*P*:~',
                _segment('GS', 'HP', 'PAYER', 'SETTLE', f'{when:%Y%m%d}', '1200', str(interchange), 'X',
                         '005010X221A1')]
    for index, remittance in enumerate(remittances, start=1):
        segments += transaction(remittance, control=f'{index:04d}', payee_npi=payee_npi)
    segments += [_segment('GE', str(len(remittances)), str(interchange)), _segment('IEA', '1', number)]
    return ('\n'.join(segments) + '\n').encode('ascii')
