"""Billing code reference data: CPT/HCPCS procedures, CARC and RARC adjustment codes.

The text lives in CSV files next to this module (procedures.csv, carc.csv, rarc.csv) so it can be
read and corrected without touching code. Claim adjustment reason codes (CARC) mean different
things under different group codes (CO-50: the practice absorbs it; PR-50: the patient agreed to
pay), so their plain-language meaning is keyed by group and code together.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent

GROUP_CODES = {
    'CO': 'Contractual obligation: the practice absorbs this amount',
    'PR': 'Patient responsibility: your share under your plan',
    'OA': 'Other adjustment',
    'PI': 'Reduction by the insurance company',
    'CR': 'Correction or reversal of an earlier decision',
}


@dataclass(frozen=True, slots=True)
class Procedure:
    code: str
    system: str  # CPT or HCPCS
    category: str  # visit, preventive, lab, vaccine, imaging, procedure, drug, ...
    description: str  # plain language
    amount: int  # typical billed amount in cents, per unit


@dataclass(frozen=True, slots=True)
class AdjustmentReason:
    group: str
    code: str
    description: str  # the code list's wording
    plain: str  # what it means for the patient


@dataclass(frozen=True, slots=True)
class RemarkCode:
    code: str
    description: str
    plain: str


def _rows(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding='utf-8', newline='') as handle:
        return list(csv.DictReader(handle))


@cache
def procedures() -> dict[str, Procedure]:
    return {row['code']: Procedure(row['code'], row['system'], row['category'], row['description'],
                                   int(row['amount'])) for row in _rows('procedures.csv')}


@cache
def adjustment_reasons() -> dict[str, AdjustmentReason]:
    """Keyed 'CO-45', 'PR-1', ..."""
    return {f"{row['group']}-{row['code']}": AdjustmentReason(row['group'], row['code'], row['description'],
                                                              row['plain']) for row in _rows('carc.csv')}


@cache
def remark_codes() -> dict[str, RemarkCode]:
    return {row['code']: RemarkCode(row['code'], row['description'], row['plain']) for row in _rows('rarc.csv')}


def explain_adjustment(group: str, carc: str) -> str:
    """Plain language for a group code and CARC pair ('CO', '45'); falls back to the group's meaning."""
    reason = adjustment_reasons().get(f'{group}-{carc}')
    if reason is not None:
        return reason.plain
    same_code = next((r for r in adjustment_reasons().values() if r.code == carc), None)
    group_text = GROUP_CODES.get(group, 'Adjustment')
    return f'{group_text}. {same_code.description}' if same_code else f'{group_text} (reason code {carc}).'


def explain_remark(code: str) -> str:
    remark = remark_codes().get(code)
    return remark.plain if remark else ''
