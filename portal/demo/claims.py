"""Visits, charges and what insurance did with them: claims, status history, adjustments (CARC/RARC)
and the matching ledger entries, plus what each charge leaves the patient to pay and from when.

Per service line: billed = insurance paid + contractual adjustment + patient share, so the ledger of
a charge always sums to what the patient owes for it, before their own payments.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from portal.demo.collections import copay_at_desk
from portal.demo.context import Context, between, pick
from portal.demo.households import CoverageSpec
from portal.demo.state import ADJUSTMENT, CHARGE, INSURANCE, AccountState
from portal.models import ClaimStatus

NO_COST_SHARE = frozenset({'preventive', 'screening', 'vaccine', 'vaccine_admin'})
VISIT_CATEGORIES = frozenset({'visit', 'visit_new'})
CLAIM_DENIALS = (  # (cumulative chance, outcome, group, carc, remark codes)
    (0.050, 'corrected', 'CO', '16', ('MA130', 'M51', 'N290')),
    (0.070, 'written_off', 'CO', '50', ('N115', 'N386', 'N130')),
    (0.082, 'written_off', 'CO', '197', ('N54',)),
    (0.087, 'written_off', 'CO', '29', ('',)),
    (0.095, 'patient_owes', 'PR', '27', ('', 'N130')),
)
DENIALS_BY_OUTCOME = {outcome: (group, carc, remarks[0]) for _, outcome, group, carc, remarks in CLAIM_DENIALS}


@dataclass(slots=True)
class Line:
    charge_id: int
    code: str
    units: int
    billed: int
    category: str
    allowed: int = 0
    paid: int = 0
    copay: int = 0
    deductible: int = 0
    coinsurance: int = 0
    collected: int = 0  # copay taken at the front desk
    denied: tuple[str, str, str] | None = None  # (group, carc, rarc) when insurance refused this line


def bill_visit(ctx: Context, st: AccountState, rng: random.Random, *, person: int, dos: int, visit_type: str,
               provider: int, location: int, lines: list[tuple[str, int, str]], outcome: str | None = None,
               copay_at_visit: bool | None = None, lags: tuple[int, int] | None = None) -> None:
    """One encounter: its charges on the ledger, then the claim's journey (or a self-pay discount)."""
    null, iso, batch, entries = ctx.null, ctx.iso[dos], ctx.batch, st.entries
    patient_id = st.patient_ids[person]
    encounter_id = ctx.next_id('encounter')
    batch['encounter'].append((encounter_id, st.account_id, patient_id, ctx.provider_ids[provider],
                               ctx.location_ids[location], iso, visit_type))
    st.visits.append((dos, patient_id, provider, location, visit_type))
    posted = ctx.stamp(dos, 13 * 60)
    charge_rows, prices, next_charge = batch['charge'], ctx.prices, ctx.ids('charge').__next__
    billed: list[Line] = []
    for code, units, modifier in lines:
        procedure = prices[code]
        amount = procedure.amount * units
        charge_id = next_charge()
        charge_rows.append((charge_id, encounter_id, st.account_id, patient_id, code, procedure.system, modifier,
                            procedure.description, units, amount, 'USD', iso, posted))
        entries.append((dos, CHARGE, 13 * 60, 'charge', amount, patient_id, charge_id, null, null, null, ''))
        st.charge_ids.append(charge_id)
        billed.append(Line(charge_id, code, units, amount, procedure.category))
    coverages = st.coverages[person]  # every demo patient is insured
    denial = None
    if outcome is None:
        outcome, draw = 'paid', rng.random()
        for chance, name, group, carc, remarks in CLAIM_DENIALS:
            if draw < chance:
                if carc == '27' and coverages[0][1].plan.kind != 'commercial':
                    break
                outcome, denial = name, (group, carc, pick(rng, remarks))
                break
    elif outcome != 'paid':
        denial = DENIALS_BY_OUTCOME[outcome]
    secondary = coverages[1] if len(coverages) > 1 else None
    _price(ctx, st, rng, billed, coverages[0][1], person=person, year=iso[:4])
    if copay_at_visit is None:
        copay_at_visit = rng.random() < 0.6
    if copay_at_visit and outcome in ('paid', 'corrected'):
        visit_line = next((line for line in billed if line.copay), None)
        if visit_line is not None:
            visit_line.collected = visit_line.copay
            copay_at_desk(ctx, st, rng, dos, visit_line.charge_id, visit_line.copay)
    submitted = dos + (lags[0] if lags else between(rng, 1, 3))
    adjudicated = submitted + (lags[1] if lags else between(rng, 10, 30))
    if outcome == 'corrected':  # denied for missing information, corrected and sent again
        if not _claim(ctx, st, billed, encounter_id, patient_id, coverages[0][0], dos, submitted, adjudicated,
                      denial=denial):
            return
        submitted = adjudicated + between(rng, 3, 10)
        adjudicated = submitted + between(rng, 10, 25)
        denial = None
    if _claim(ctx, st, billed, encounter_id, patient_id, coverages[0][0], dos, submitted, adjudicated,
              denial=denial, secondary=secondary is not None) and secondary and denial is None:
        _secondary_claim(ctx, st, rng, billed, encounter_id, patient_id, secondary[0], dos, adjudicated)


def _price(ctx: Context, st: AccountState, rng: random.Random, lines: list[Line], coverage: CoverageSpec, *,
           person: int, year: str) -> None:
    """What the plan allows and who pays what, line by line; the deductible runs per person and year."""
    plan = coverage.plan
    schedule = ctx.allowed[coverage.payer_code]
    key = (person, year)
    remaining = max(0, plan.deductible - st.deductible_met.get(key, 0))
    copay_used = False
    for line in lines:
        category = line.category
        allowed = line.allowed = min(line.billed, schedule[line.code] * line.units)
        if category not in VISIT_CATEGORIES and category != 'preventive':
            draw = rng.random()
            if draw < 0.025:
                line.denied = ('CO', '97', pick(rng, ('M15', 'N20', 'M80')))
            elif draw < 0.04 and category not in NO_COST_SHARE and plan.kind != 'medicaid':
                line.denied = ('PR', '96', 'N130')
            if line.denied:
                line.allowed = 0
                continue
        if plan.kind == 'medicaid' or category in NO_COST_SHARE:
            line.paid = allowed
        elif category in VISIT_CATEGORIES and plan.copay and not copay_used:
            copay_used = True
            line.copay = min(plan.copay, allowed)
            line.paid = allowed - line.copay
        else:
            line.deductible = min(remaining, allowed)
            remaining -= line.deductible
            line.coinsurance = (allowed - line.deductible) * plan.coinsurance // 100
            line.paid = allowed - line.deductible - line.coinsurance
    st.deductible_met[key] = plan.deductible - remaining


def _claim(ctx: Context, st: AccountState, lines: list[Line], encounter_id: int, patient_id: int,
           coverage_id: int, dos: int, submitted: int, adjudicated: int, *, denial: tuple[str, str, str] | None,
           secondary: bool = False) -> bool:
    """Write one primary claim; True when it has been decided (adjudicated by yesterday)."""
    null, batch, entries, owed = ctx.null, ctx.batch, st.entries, st.owed
    claim_id = ctx.next_id('claim')
    iso = ctx.iso[dos]
    number = f'C{iso[2:4]}{iso[5:7]}{iso[8:10]}{claim_id:07d}'
    events = batch['claim_status_event']
    next_event = ctx.ids('claim_status_event').__next__
    minute = 9 * 60 + claim_id % 480
    events.append((next_event(), claim_id, ClaimStatus.submitted, ctx.stamp(submitted, minute), ''))
    billed = sum(line.billed for line in lines)
    if adjudicated > ctx.yesterday:
        status, since = ClaimStatus.submitted, submitted  # accepted a day later, reviewed from the fourth
        for days, later in ((1, ClaimStatus.accepted), (4, ClaimStatus.in_process)):
            if submitted + days <= ctx.yesterday:
                status, since = later, submitted + days
        if status != ClaimStatus.submitted:
            events.append((next_event(), claim_id, status, ctx.stamp(since, minute), ''))
        batch['claim'].append((claim_id, st.account_id, patient_id, encounter_id, coverage_id, number, status,
                               billed, 0, 0, 0, ctx.stamp(submitted, minute), null))
        st.pending_charges.update(line.charge_id for line in lines)  # held out of what is due (payable.py)
        return False
    events.append((next_event(), claim_id, ClaimStatus.in_process, ctx.stamp(submitted + 2, minute), ''))
    decided = ctx.stamp(adjudicated, 10 * 60)
    adjustments = batch['claim_adjustment']
    next_adjustment = ctx.ids('claim_adjustment').__next__
    if denial is not None:
        group, carc, rarc = denial
        for line in lines:
            adjustments.append((next_adjustment(), claim_id, line.charge_id, group, carc, rarc, line.billed))
            if group == 'PR':
                owed.append((adjudicated, dos, line.charge_id, line.billed))
            elif carc != '16':  # the practice absorbs it; a CO-16 claim is corrected and sent again
                entries.append((adjudicated, ADJUSTMENT, 15 * 60, 'write_off', -line.billed, patient_id,
                                line.charge_id, null, claim_id, f'CO-{carc}', ''))
        events.append((next_event(), claim_id, ClaimStatus.denied, decided, f'{group}-{carc}'))
        batch['claim'].append((claim_id, st.account_id, patient_id, encounter_id, coverage_id, number,
                               ClaimStatus.denied, billed, 0, 0, billed if group == 'PR' else 0,
                               ctx.stamp(submitted, minute), decided))
        return True
    allowed_total = paid_total = share_total = 0
    partly = False
    for line in lines:
        charge_id = line.charge_id
        if line.denied:
            partly = True
            group, carc, rarc = line.denied
            adjustments.append((next_adjustment(), claim_id, charge_id, group, carc, rarc, line.billed))
            if group == 'PR':
                owed.append((adjudicated, dos, charge_id, line.billed))
                share_total += line.billed
            else:
                entries.append((adjudicated, ADJUSTMENT, 15 * 60, 'contractual_adjustment', -line.billed,
                                patient_id, charge_id, null, claim_id, f'CO-{carc}', ''))
            continue
        contractual = line.billed - line.allowed
        if contractual:
            adjustments.append((next_adjustment(), claim_id, charge_id, 'CO', '45', '', contractual))
            entries.append((adjudicated, ADJUSTMENT, 15 * 60, 'contractual_adjustment', -contractual, patient_id,
                            charge_id, null, claim_id, 'CO-45', ''))
        for carc, amount in (('1', line.deductible), ('2', line.coinsurance), ('3', line.copay)):
            if amount:
                adjustments.append((next_adjustment(), claim_id, charge_id, 'PR', carc, '', amount))
        if line.paid:
            entries.append((adjudicated, INSURANCE, 15 * 60, 'insurance_payment', -line.paid, patient_id,
                            charge_id, null, claim_id, null, ''))
        share = line.copay + line.deductible + line.coinsurance
        left = share - line.collected - (line.coinsurance if secondary else 0)
        if left > 0:
            owed.append((adjudicated, dos, charge_id, left))
        allowed_total += line.allowed
        paid_total += line.paid
        share_total += share
    status = ClaimStatus.partially_paid if partly else ClaimStatus.paid
    events.append((next_event(), claim_id, status, decided, ''))
    batch['claim'].append((claim_id, st.account_id, patient_id, encounter_id, coverage_id, number, status,
                           billed, allowed_total, paid_total, share_total, ctx.stamp(submitted, minute), decided))
    return True


def _secondary_claim(ctx: Context, st: AccountState, rng: random.Random, lines: list[Line], encounter_id: int,
                     patient_id: int, coverage_id: int, dos: int, primary_decided: int) -> None:
    """The secondary plan pays the coinsurance the primary left; the patient keeps deductible and copay."""
    visit = lines
    lines = [line for line in lines if line.coinsurance and not line.denied]
    if not lines:
        return
    submitted = primary_decided + between(rng, 2, 6)
    adjudicated = submitted + between(rng, 7, 21)
    if adjudicated > ctx.yesterday:
        _claim(ctx, st, lines, encounter_id, patient_id, coverage_id, dos, submitted, adjudicated, denial=None)
        # a visit with a claim still pending is held out whole (payable.pending_charge_ids)
        st.pending_charges.update(line.charge_id for line in visit)
        return
    null, batch, entries = ctx.null, ctx.batch, st.entries
    claim_id = ctx.next_id('claim')
    iso = ctx.iso[dos]
    minute = 9 * 60 + claim_id % 480
    next_event = ctx.ids('claim_status_event').__next__
    decided = ctx.stamp(adjudicated, 10 * 60)
    for status, day in ((ClaimStatus.submitted, submitted), (ClaimStatus.in_process, submitted + 2)):
        batch['claim_status_event'].append((next_event(), claim_id, status, ctx.stamp(day, minute), ''))
    batch['claim_status_event'].append((next_event(), claim_id, ClaimStatus.paid, decided, ''))
    next_adjustment = ctx.ids('claim_adjustment').__next__
    billed = paid = kept = 0
    for line in lines:
        others = line.billed - line.coinsurance - line.deductible - line.copay
        batch['claim_adjustment'].append((next_adjustment(), claim_id, line.charge_id, 'OA', '23', '', others))
        if line.deductible:
            batch['claim_adjustment'].append((next_adjustment(), claim_id, line.charge_id, 'PR', '1', '',
                                              line.deductible))
        entries.append((adjudicated, INSURANCE, 15 * 60 + 5, 'insurance_payment', -line.coinsurance, patient_id,
                        line.charge_id, null, claim_id, null, ''))
        billed += line.billed
        paid += line.coinsurance
        kept += line.deductible + line.copay
    batch['claim'].append((claim_id, st.account_id, patient_id, encounter_id, coverage_id,
                           f'C{iso[2:4]}{iso[5:7]}{iso[8:10]}{claim_id:07d}', ClaimStatus.paid, billed, paid, paid,
                           kept, ctx.stamp(submitted, minute), decided))
