"""What an 835 says, as plain dataclasses (ASC X12 005010X221A1 loop by loop): the payment (BPR, TRN,
N1*PR), its claims (Loop 2100 CLP), their service lines (Loop 2110 SVC), adjustments (CAS) and the
provider-level adjustments (PLB). `x12_835` reads them, `x12_835_write` writes them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

REVERSAL = '22'  # CLP02: reversal of previous payment (005010X221A1, Loop 2100 CLP02)
DENIED = '4'
PRIMARY, SECONDARY, TERTIARY = ('1', '19'), ('2', '20'), ('3', '21')
CORRECTED_FREQUENCY = '7'  # CLP09 replacement of a prior claim


@dataclass
class Adjustment:
    group: str  # CO contractual, PR patient responsibility, OA other, PI payer initiated, CR correction
    reason: str  # CARC
    amount: int  # minor units as in the file (positive: taken off what the payer pays)
    quantity: str = ''
    line: int = 0


@dataclass
class ServiceLine:
    line: int  # segment number of the SVC in the file
    qualifier: str
    code: str
    modifiers: tuple[str, ...]
    billed: int
    paid: int
    units: int
    original_code: str = ''  # SVC06: what the practice billed when the payer paid another code
    original_modifiers: tuple[str, ...] = ()
    service_date: date | None = None
    control_number: str = ''  # REF*6R
    allowed: int | None = None  # AMT*B6
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # LQ*HE

    @property
    def billed_code(self) -> str:
        return self.original_code or self.code

    @property
    def billed_modifiers(self) -> tuple[str, ...]:
        return self.original_modifiers if self.original_code else self.modifiers


@dataclass
class ClaimPayment:
    line: int
    claim_number: str  # CLP01: the patient control number the practice submitted
    status: str  # CLP02
    billed: int
    paid: int
    patient_responsibility: int
    filing_indicator: str = ''
    payer_claim_number: str = ''  # CLP07: the payer's claim control number (ICN)
    frequency: str = ''  # CLP09
    patient_last: str = ''
    patient_first: str = ''
    patient_id: str = ''
    original_reference: str = ''  # REF*F8
    service_date: date | None = None  # DTM*232
    remarks: list[str] = field(default_factory=list)  # MOA
    adjustments: list[Adjustment] = field(default_factory=list)  # claim-level CAS
    lines: list[ServiceLine] = field(default_factory=list)

    @property
    def is_reversal(self) -> bool:
        return self.status == REVERSAL

    @property
    def is_corrected(self) -> bool:
        return self.frequency == CORRECTED_FREQUENCY or bool(self.original_reference)

    @property
    def payer_order(self) -> int:
        """1 primary, 2 secondary, 3 tertiary (CLP02 1/19, 2/20, 3/21); 0 when CLP02 does not say."""
        for order, codes in enumerate((PRIMARY, SECONDARY, TERTIARY), start=1):
            if self.status in codes:
                return order
        return 0

    @property
    def patient_name(self) -> str:
        return ' '.join(part for part in (self.patient_first.title(), self.patient_last.title()) if part)


@dataclass
class ProviderAdjustment:
    """One PLB reason/amount pair: practice money (interest, recoupments, forward balances), never a patient's."""
    line: int
    provider_id: str
    fiscal_date: date | None
    reason: str  # e.g. L6 interest, WO overpayment recovery, FB forwarding balance, 72 authorized return
    reference: str
    amount: int  # as in the file: positive reduces the payment, negative (interest) raises it


@dataclass
class Remittance835:
    line: int  # the ST segment
    control_number: str
    amount: int  # BPR02
    bpr_line: int = 0
    credit_debit: str = 'C'
    method: str = ''  # BPR04: ACH, CHK, BOP, FWT, NON
    payment_date: date | None = None  # BPR16
    trace_number: str = ''  # TRN02
    originator: str = ''  # TRN03: the payer's id (1 + EIN)
    payer_name: str = ''
    payer_ids: list[str] = field(default_factory=list)  # N104 of N1*PR, REF*2U
    payee_name: str = ''
    payee_id: str = ''
    claims: list[ClaimPayment] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)

    @property
    def claims_paid(self) -> int:
        return sum(claim.paid for claim in self.claims)

    @property
    def provider_adjustment_total(self) -> int:
        return sum(item.amount for item in self.provider_adjustments)
