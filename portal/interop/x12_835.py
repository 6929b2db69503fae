"""Reading an 835 (Health Care Claim Payment/Advice, ASC X12 005010X221A1) into plain dataclasses.

`read_835(data)` splits the interchange with the delimiters its ISA declares, checks what would make
posting wrong (`x12_835_envelope`: not X12, another transaction set, another version, control numbers
that disagree, a BPR that does not balance, a truncated, empty, over-size file or control characters:
fatal, nothing is posted) and reads each transaction set (ST..SE: one payment from one payer) into a
`Remittance835`. pyx12's own validation (`x12_835_pyx12`) adds its findings as warnings.

What is read (loop names from the 005010X221A1 implementation guide): BPR and TRN (the payment and
its check or EFT trace number, 1.10.2.1 and 1.10.2.2), N1*PR / N1*PE (Loop 1000A payer, 1000B payee),
CLP (Loop 2100 claim payment: CLP02 status, 22 = reversal of a previous payment), NM1*QC (patient),
MOA (outpatient remarks), REF*F8 (the original claim a corrected claim replaces), SVC with its
modifiers, DTM*472/150 (service dates) and REF*6R (line item control number: the line as the
practice submitted it) in Loop 2110, CAS (Claim Adjustment: a group code and up to six
reason/amount/quantity triples per segment), LQ*HE (remark codes), and PLB (provider-level
adjustments: up to six reason/amount pairs; a positive amount reduces the payment). Segments Settle
does not use are skipped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.interop.x12_835_data import (
    DENIED,
    PRIMARY,
    REVERSAL,
    SECONDARY,
    TERTIARY,
    Adjustment,
    ClaimPayment,
    ProviderAdjustment,
    Remittance835,
    ServiceLine,
)
from portal.interop.x12_835_envelope import Finding, Interchange, Segment, split_interchange
from portal.interop.x12_835_pyx12 import pyx12_findings

__all__ = ['DENIED', 'MAX_BYTES', 'PRIMARY', 'REVERSAL', 'SECONDARY', 'TERTIARY', 'Adjustment', 'Bad',
           'ClaimPayment', 'ProviderAdjustment', 'Read835', 'Remittance835', 'ServiceLine', 'read_835']

DECIMAL = re.compile(r'-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)')  # X12 R (decimal) type
LARGEST = 999_999_999  # minor units: 9,999,999.99, past any practice's payment, within the columns' 32-bit integers
MOST_UNITS = 99_999
MAX_BYTES = 10_000_000  # "10 MB", the upload limit (components.uploads); 5,000 claims are about 3 MB


@dataclass
class Read835:
    remittances: list[Remittance835]
    findings: list[Finding]
    segments: int = 0

    @property
    def fatal(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.fatal]

    @property
    def warnings(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.fatal]


class Bad(ValueError):
    def __init__(self, segment: Segment, position: int, message: str) -> None:
        super().__init__(message)
        self.finding = Finding(segment.line, segment.id, f'{segment.id}{position:02d}', message, fatal=True)


def amount(segment: Segment, position: int, *, required: bool = True) -> int:
    """An X12 decimal ('150', '-20.5', '1234.56') as int minor units; Decimal, never float."""
    raw = segment.get(position)
    if not raw:
        if required:
            raise Bad(segment, position, 'the amount is missing')
        return 0
    if not DECIMAL.fullmatch(raw):  # X12's R type: digits, a point, a minus sign (no exponent, no NaN)
        raise Bad(segment, position, f'{raw!r} is not an amount')
    cents = Decimal(raw) * 100
    if cents != cents.to_integral_value():
        raise Bad(segment, position, f'{raw!r} is not an amount in dollars and cents')
    if abs(cents) > LARGEST:
        raise Bad(segment, position, f'{raw!r} is not an amount Settle can post (at most 9,999,999.99)')
    return int(cents)


def x12_date(segment: Segment, position: int) -> date | None:
    raw = segment.get(position)
    if len(raw) != 8 or not raw.isdigit():
        return None
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return None


def read_835(data: bytes, *, validate: bool = True) -> Read835:
    """Check the envelope and read every transaction set; with `validate`, pyx12's findings are added
    as warnings. Any fatal finding: no remittances are returned, so nothing can be posted."""
    interchange: Interchange = split_interchange(data, max_bytes=MAX_BYTES)
    findings = list(interchange.findings)
    remittances: list[Remittance835] = []
    if not any(finding.fatal for finding in findings):
        if validate:
            findings += pyx12_findings(interchange.text, interchange.segment_ids)
        for body in interchange.transactions:
            try:
                remittance = _read_transaction(body, findings)
            except Bad as bad:
                findings.append(bad.finding)
                continue
            _check_balance(remittance, findings)
            remittances.append(remittance)
    if any(finding.fatal for finding in findings):
        remittances = []
    return Read835(remittances, findings, segments=interchange.segment_count)


def _check_balance(remittance: Remittance835, findings: list[Finding]) -> None:
    """BPR02 = sum of CLP04 - sum of PLB amounts: fatal (005010X221A1 section 1.10.2.1.1, transaction
    balancing). Claim and line balancing (1.10.2.1.2 and 1.10.2.1.3: charge - payment = adjustments) are
    warnings: the ledger posts what was paid and adjusted, whatever the billed figure says."""
    expected = remittance.claims_paid - remittance.provider_adjustment_total
    if remittance.amount != expected:
        findings.append(Finding(remittance.bpr_line or remittance.line, 'BPR', 'BPR02',
                                f'the payment total {remittance.amount / 100:.2f} does not equal the claim '
                                f'payments {remittance.claims_paid / 100:.2f} less provider-level adjustments '
                                f'{remittance.provider_adjustment_total / 100:.2f}', fatal=True))
    for claim in remittance.claims:
        adjusted = sum(item.amount for item in claim.adjustments) + \
            sum(item.amount for line in claim.lines for item in line.adjustments)
        if claim.billed - claim.paid != adjusted:
            findings.append(Finding(claim.line, 'CLP', 'CLP03', f'claim {claim.claim_number}: billed less paid '
                                    f'({(claim.billed - claim.paid) / 100:.2f}) is not the sum of its adjustments '
                                    f'({adjusted / 100:.2f})'))
        for line in claim.lines:
            if line.billed - line.paid != sum(item.amount for item in line.adjustments):
                findings.append(Finding(line.line, 'SVC', 'SVC02', f'the line billed {line.billed / 100:.2f} and '
                                        f'paid {line.paid / 100:.2f}; its adjustments do not make up the difference'))


def _read_transaction(body: list[Segment], findings: list[Finding]) -> Remittance835:
    st = body[0]
    remittance = Remittance835(line=st.line, control_number=st.get(2), amount=0)
    claim: ClaimPayment | None = None
    service: ServiceLine | None = None
    loop = 'header'
    for segment in body[1:-1]:
        sid, qualifier = segment.id, segment.get(1)
        if sid == 'BPR':
            remittance.amount, remittance.bpr_line = amount(segment, 2), segment.line
            remittance.credit_debit = segment.get(3)
            remittance.method = segment.get(4)
            remittance.payment_date = x12_date(segment, 16)
        elif sid == 'TRN':
            remittance.trace_number = segment.get(2)
            remittance.originator = segment.get(3)
        elif sid == 'N1' and qualifier == 'PR':
            loop = 'payer'
            if remittance.payer_name and remittance.payer_name != segment.get(2):
                findings.append(Finding(segment.line, 'N1', 'N102', f'a second payer {segment.get(2)!r} is named; '
                                        f'{remittance.payer_name!r} is kept', fatal=False))
            else:
                remittance.payer_name = segment.get(2)
            if segment.get(4):
                remittance.payer_ids.append(segment.get(4))
        elif sid == 'N1' and qualifier == 'PE':
            loop = 'payee'
            remittance.payee_name, remittance.payee_id = segment.get(2), segment.get(4)
        elif sid == 'REF' and qualifier == '2U' and loop == 'payer':
            remittance.payer_ids.append(segment.get(2))
        elif sid == 'CLP':
            loop, service = 'claim', None
            claim = ClaimPayment(line=segment.line, claim_number=segment.get(1), status=segment.get(2),
                                 billed=amount(segment, 3), paid=amount(segment, 4),
                                 patient_responsibility=amount(segment, 5, required=False),
                                 filing_indicator=segment.get(6), payer_claim_number=segment.get(7),
                                 frequency=segment.get(9))
            if not claim.claim_number:
                raise Bad(segment, 1, 'the claim number (patient control number) is missing')
            remittance.claims.append(claim)
        elif sid == 'PLB':
            loop, claim, service = 'summary', None, None
            remittance.provider_adjustments.extend(_provider_adjustments(segment))
        elif claim is not None:
            service = _claim_segment(segment, claim, service)
    return remittance


def _claim_segment(segment: Segment, claim: ClaimPayment, service: ServiceLine | None) -> ServiceLine | None:
    """A segment inside Loop 2100 (claim) or 2110 (service line); returns the current service line."""
    sid, qualifier = segment.id, segment.get(1)
    if sid == 'SVC':
        parts = segment.components(1)
        original = segment.components(6)
        service = ServiceLine(line=segment.line, qualifier=parts[0], code=parts[1] if len(parts) > 1 else '',
                              modifiers=tuple(part for part in parts[2:6] if part), billed=amount(segment, 2),
                              paid=amount(segment, 3), units=_units(segment, 5),
                              original_code=original[1] if len(original) > 1 else '',
                              original_modifiers=tuple(part for part in original[2:6] if part))
        claim.lines.append(service)
    elif sid == 'CAS':
        target = service.adjustments if service is not None else claim.adjustments
        target.extend(_adjustments(segment))
    elif sid == 'NM1' and qualifier == 'QC':
        claim.patient_last, claim.patient_first, claim.patient_id = segment.get(3), segment.get(4), segment.get(9)
    elif sid == 'MOA':
        claim.remarks.extend(code for code in (segment.get(n) for n in range(3, 8)) if code)
    elif sid == 'REF' and qualifier == 'F8':
        claim.original_reference = segment.get(2)
    elif sid == 'REF' and qualifier == '6R' and service is not None:
        service.control_number = segment.get(2)
    elif sid == 'DTM' and service is not None and qualifier in ('472', '150'):
        service.service_date = x12_date(segment, 2)
    elif sid == 'DTM' and service is None and qualifier == '232':
        claim.service_date = x12_date(segment, 2)
    elif sid == 'AMT' and qualifier == 'B6' and service is not None:
        service.allowed = amount(segment, 2)
    elif sid == 'LQ' and qualifier == 'HE' and service is not None:
        service.remarks.append(segment.get(2))
    return service


def _units(segment: Segment, position: int) -> int:
    """SVC05 units paid (default 1); fractional units round down to whole ones for matching."""
    raw = segment.get(position)
    if not raw:
        return 1
    if not DECIMAL.fullmatch(raw) or abs(Decimal(raw)) > MOST_UNITS:
        raise Bad(segment, position, f'{raw!r} is not a number of units')
    return max(int(Decimal(raw)), 0)


def _adjustments(segment: Segment) -> list[Adjustment]:
    """CAS01 group, then up to six (reason, amount, quantity) triples: CAS02-04 ... CAS17-19."""
    group = segment.get(1)
    found = []
    for start in range(2, 20, 3):
        reason = segment.get(start)
        if not reason:
            continue
        found.append(Adjustment(group=group, reason=reason, amount=amount(segment, start + 1),
                                quantity=segment.get(start + 2), line=segment.line))
    return found


def _provider_adjustments(segment: Segment) -> list[ProviderAdjustment]:
    """PLB01 provider, PLB02 fiscal period date, then up to six (reason:reference, amount) pairs."""
    found = []
    for start in range(3, 15, 2):
        parts = segment.components(start)
        if not parts[0]:
            continue
        found.append(ProviderAdjustment(line=segment.line, provider_id=segment.get(1),
                                        fiscal_date=x12_date(segment, 2), reason=parts[0],
                                        reference=parts[1] if len(parts) > 1 else '',
                                        amount=amount(segment, start + 1)))
    return found
