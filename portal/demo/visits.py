"""What happens at a visit: the visit type and the codes billed, drawn from plausible patterns
for a family practice (labs with physicals, strep tests for children, flu shots in the fall)."""
from __future__ import annotations

import random

from portal.demo.context import Weighted, between, pick

# a line: (code, units, modifier)
Line = tuple[str, int, str]

# visit types by age group, with weights
VISIT_WEIGHTS = {group: Weighted(pairs) for group, pairs in {
    'infant': (('Office visit', 40), ('Well-child visit', 45), ('Vaccines', 15)),
    'child': (('Office visit', 52), ('Well-child visit', 22), ('Vaccines', 8), ('Telehealth visit', 6),
              ('Lab visit', 4), ('Procedure visit', 8)),
    'adult': (('Office visit', 46), ('Annual physical', 16), ('Lab visit', 13), ('Telehealth visit', 10),
              ('Procedure visit', 8), ('Vaccines', 7)),
    'senior': (('Office visit', 48), ('Annual wellness visit', 14), ('Lab visit', 18), ('Telehealth visit', 5),
               ('Procedure visit', 8), ('Vaccines', 7)),
}.items()}
OFFICE_LEVELS = Weighted((('99212', 10), ('99213', 50), ('99214', 32), ('99215', 8)))
SICK_EXTRAS = {  # code -> chance by age group (child, adult, senior)
    '87880': (0.22, 0.05, 0.02), '87804': (0.08, 0.05, 0.05), '87635': (0.04, 0.04, 0.04),
    '81002': (0.04, 0.07, 0.08), '71046': (0.02, 0.04, 0.08), '93000': (0.0, 0.04, 0.12),
    '94010': (0.02, 0.02, 0.03), '73562': (0.01, 0.02, 0.03), '73030': (0.01, 0.02, 0.02),
    '73610': (0.02, 0.02, 0.01), '72100': (0.0, 0.03, 0.03),
}
ROUTINE_LABS = ('85025', '80053', '80061', '83036', '84443', '82306', '80048', '82947', '85610')
INJECTIONS = (('J1030', 1), ('J3301', 4), ('J0696', 1), ('J1885', 2), ('J3420', 1))
PROCEDURES = ('17110', '69210', '10060', '12001', '20610')
MEDICARE_ONLY = {'G0438', 'G0439', 'G0008'}


def age_group(age: int) -> str:
    if age < 2:
        return 'infant'
    if age < 18:
        return 'child'
    return 'adult' if age < 65 else 'senior'


def _column(group: str) -> int:
    return 0 if group in ('infant', 'child') else (1 if group == 'adult' else 2)


def plan_visit(rng: random.Random, *, age: int, sex: str, month: int, medicare: bool,
               first_visit: bool) -> tuple[str, list[Line]]:
    """A visit type and its billed lines for a patient of this age on a day in this month."""
    group = age_group(age)
    visit = VISIT_WEIGHTS[group].draw(rng)
    if visit == 'Vaccines' and month not in (9, 10, 11, 12, 1) and group != 'infant':
        visit = 'Office visit'
    if first_visit and visit == 'Office visit' and rng.random() < 0.5:
        return 'New patient visit', [(pick(rng, ('99202', '99203', '99203', '99204')), 1, '')]
    lines: list[Line] = []
    if visit == 'Office visit':
        lines.append((OFFICE_LEVELS.draw(rng), 1, ''))
        column = _column(group)
        for code, chances in SICK_EXTRAS.items():
            if rng.random() < chances[column]:
                lines.append((code, 1, ''))
        if group != 'infant' and rng.random() < 0.14:
            lines.append(('36415', 1, ''))
            lines.extend((code, 1, '') for code in rng.sample(ROUTINE_LABS, between(rng, 1, 3)))
        if rng.random() < 0.07:
            code, units = pick(rng, INJECTIONS)
            lines += [('96372', 1, ''), (code, units, '')]
        if group == 'child' and rng.random() < 0.04:
            lines += [('94640', 1, ''), ('J7613', 2, '')]
    elif visit == 'Telehealth visit':
        lines.append((pick(rng, ('99212', '99213', '99213', '99214')), 1, '95'))
    elif visit == 'Procedure visit':
        procedure = pick(rng, PROCEDURES)
        lines += [(pick(rng, ('99213', '99214')), 1, '25'), (procedure, 1, '')]
        if procedure == '20610':
            lines.append(pick(rng, (('J1030', 1, ''), ('J3301', 4, ''))))
    elif visit == 'Lab visit':
        lines.append(('36415', 1, ''))
        lines.extend((code, 1, '') for code in rng.sample(ROUTINE_LABS, between(rng, 1, 4)))
        if group != 'adult' and rng.random() < 0.2:
            lines.append(('87086', 1, ''))
    elif visit == 'Vaccines':
        lines += _vaccines(rng, group=group, age=age, month=month, medicare=medicare)
    else:  # annual physical, well-child, annual wellness visit
        lines += _preventive(rng, group=group, age=age, sex=sex, month=month, medicare=medicare)
    return visit, lines


def _vaccines(rng: random.Random, *, group: str, age: int, month: int, medicare: bool) -> list[Line]:
    shots: list[str] = []
    if month in (9, 10, 11, 12, 1) and age >= 3:
        shots.append('90686')
    if group == 'infant' or (group == 'child' and age < 7):
        shots.append('90707')
    elif group == 'child' and age >= 11 and rng.random() < 0.5:
        shots.append(pick(rng, ('90651', '90715')))
    elif group == 'senior' and rng.random() < 0.3:
        shots.append(pick(rng, ('90750', '90677')))
    if not shots:
        shots.append('90715')
    if medicare and shots == ['90686']:
        return [('90686', 1, ''), ('G0008', 1, '')]
    admin = [('90471', 1, '')] + [('90472', 1, '')] * (len(shots) - 1)
    return [(code, 1, '') for code in shots] + admin


def _preventive(rng: random.Random, *, group: str, age: int, sex: str, month: int,
                medicare: bool) -> list[Line]:
    if group == 'infant':
        lines = [('99391' if age < 1 else '99392', 1, '')]
    elif group == 'child':
        lines = [('99392' if age < 5 else ('99393' if age < 12 else '99394'), 1, '')]
        if rng.random() < 0.5:
            lines.append(('96127', 1, ''))
    elif group == 'senior' and medicare:
        lines = [(pick(rng, ('G0439', 'G0439', 'G0439', 'G0438')), 1, '')]
    else:
        lines = [('99395' if age < 40 else ('99396' if age < 65 else '99397'), 1, '')]
    if group in ('adult', 'senior'):
        if rng.random() < 0.75:
            lines += [('36415', 1, ''), ('85025', 1, ''), ('80053', 1, ''), ('80061', 1, '')]
            if rng.random() < 0.3:
                lines.append(('83036', 1, ''))
            if rng.random() < 0.2:
                lines.append(('84443', 1, ''))
            if sex == 'M' and age >= 50 and rng.random() < 0.4:
                lines.append(('84153', 1, ''))
        if rng.random() < 0.4:
            lines.append(('G0444', 1, ''))
        if sex == 'F' and age >= 40 and rng.random() < 0.3:
            lines.append(('77067', 1, ''))
        if sex == 'F' and age >= 65 and rng.random() < 0.15:
            lines.append(('77080', 1, ''))
        if group == 'senior' and rng.random() < 0.2:
            lines.append(('93000', 1, ''))
    if month in (9, 10, 11, 12, 1) and age >= 3 and rng.random() < 0.4:
        lines += [('90686', 1, ''), ('G0008' if medicare else '90471', 1, '')]
    return lines
