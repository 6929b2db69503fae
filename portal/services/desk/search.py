"""Find accounts the way a caller names them: guarantor or patient name (accents and case ignored; first,
last or both, either order), date of birth in common formats, account number, MRN, phone, email.

Every branch is an index lookup (stored search keys, `ix_patient_date_of_birth`, lower(email)); no
branch builds a LIKE pattern from what was typed, so `%`, `_` and quotes are only characters."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select, union
from sqlmodel import Session, col

from portal import audit
from portal.auth.permissions import Actor, require_staff
from portal.clock import utcnow
from portal.models import AccountFlag, FlagKind, GuarantorAccount, LedgerEntry, Patient
from portal.models.accounts import phone_key, search_key
from portal.services.account_flags import in_force
from portal.services.person_names import full_name, guarantor_name
from portal.services.practice import practice_today

LIMIT = 25
MAX_QUERY = 200  # a longer query is cut here (500 characters typed: no error)
DATE_FORMATS = ('%Y-%m-%d', '%m/%d/%Y', '%m-%d-%Y', '%m.%d.%Y', '%m/%d/%y', '%m-%d-%y', '%m%d%Y',
                '%B %d %Y', '%b %d %Y', '%d %B %Y', '%d %b %Y')


@dataclass(frozen=True)
class SearchPatient:
    name: str
    date_of_birth: date
    mrn: str


@dataclass(frozen=True)
class SearchHit:
    id: int
    account_number: str
    guarantor: str
    patients: tuple[SearchPatient, ...]
    balance: int
    currency: str
    flags: tuple[str, ...]  # in words: 'Statement hold'


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: tuple[SearchHit, ...]
    more: bool  # more than LIMIT matched: the clerk should narrow the search


def _parse_day(text: str) -> tuple[date, bool] | None:
    """(the day, whether its year was written with two digits), or None."""
    cleaned = re.sub(r'\s+', ' ', text.replace(',', ' ')).strip()
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, pattern).date(), '%y' in pattern  # noqa: DTZ007  (a calendar day)
        except ValueError:
            continue
    return None


def parse_birth_date(text: str, *, today: date | None = None) -> date | None:
    """'03/15/1984', '3/15/84', '1984-03-15', '03151984', 'March 15, 1984' -> the date; anything else None.
    Two-digit years are the latest such year not in the future."""
    found = _parse_day(text)
    if found is None:
        return None
    parsed, short_year = found
    if short_year and parsed > (today or utcnow().date()):
        parsed = parsed.replace(year=parsed.year - 100)
    return parsed if parsed.year >= 1900 else None


def parse_day_ahead(text: str) -> date | None:
    """A day to come (a hold's expiry) in the same formats; a two-digit year is this century's
    ('12/31/27' -> 2027), never a century back as a birth date would be."""
    found = _parse_day(text)
    return found[0] if found is not None else None


def _prefix(column, token: str):  # noqa: ANN001, ANN202
    """column starts with token (a search key: letters, digits, spaces), as an index range plus a check."""
    if not token:
        return None
    condition = column >= token
    if token[-1] in 'abcdefghijklmnopqrstuvwxy012345678':
        condition = and_(condition, column < token[:-1] + chr(ord(token[-1]) + 1))
    # keys hold only [a-z0-9 ], so the pattern has no wildcard but the one we add
    return and_(condition, column.like(token + '%'))


def _name_condition(first, last, words: list[str]):  # noqa: ANN001, ANN202
    if len(words) == 1:
        return or_(_prefix(first, words[0]), _prefix(last, words[0]))
    head, rest = words[0], ' '.join(words[1:])
    tail, before = words[-1], ' '.join(words[:-1])
    return or_(and_(_prefix(first, head), _prefix(last, rest)),  # 'sofia alvarez'
               and_(_prefix(last, head), _prefix(first, rest)),  # 'alvarez sofia', 'alvarez, sofia'
               and_(_prefix(first, before), _prefix(last, tail)))  # 'mary ann lee'


def _matching_accounts(text: str):  # noqa: ANN202
    """A SELECT of matching account ids (a union of indexed lookups), or None when nothing could match."""
    parts = []
    born = parse_birth_date(text)
    if born is not None:
        parts.append(select(Patient.account_id).where(Patient.date_of_birth == born))
    if '@' in text:
        parts.append(select(GuarantorAccount.id).where(func.lower(GuarantorAccount.email) == text.lower()))
    compact = text.replace(' ', '').upper()
    if compact and len(compact) <= 20 and compact.isalnum():
        parts.append(select(GuarantorAccount.id).where(GuarantorAccount.account_number == compact))
        parts.append(select(Patient.account_id).where(Patient.mrn == compact))
    digits = phone_key(text)
    if born is None and len(digits) >= 7 and re.fullmatch(r'[\d\s().+\-]+', text):
        parts.append(select(GuarantorAccount.id).where(GuarantorAccount.phone_key == digits) if len(digits) == 10
                     else select(GuarantorAccount.id).where(_prefix(col(GuarantorAccount.phone_key), digits)))
    words = _name_words(text, born)
    if words:
        parts.append(select(GuarantorAccount.id).where(
            _name_condition(col(GuarantorAccount.first_key), col(GuarantorAccount.last_key), words)))
        parts.append(select(Patient.account_id).where(
            _name_condition(col(Patient.first_key), col(Patient.last_key), words)))
    return union(*parts) if parts else None


def _name_words(text: str, born: date | None) -> list[str]:
    """The typed name as search keys ("O'Brien, Sofía" -> ['obrien', 'sofia']), or [] when `text` is no name."""
    words = search_key(text).split()
    # a lone letter would match thousands, shown 25 at a time: of no use to a clerk, and the slowest query
    if words and born is None and '@' not in text and len(words) <= 4 and len(''.join(words)) >= 2:
        return words
    return []


def matching_patients(text: str):  # noqa: ANN201
    """A SELECT of the ids of patients that `text` names by the desk's rule (the patient's own name, accents,
    case and apostrophes ignored, either order; date of birth; MRN), or None when nothing could match."""
    text = ' '.join((text or '').split())[:MAX_QUERY]
    born = parse_birth_date(text) if text else None
    parts = []
    if born is not None:
        parts.append(select(Patient.id).where(Patient.date_of_birth == born))
    compact = text.replace(' ', '').upper()
    if compact and len(compact) <= 20 and compact.isalnum():
        parts.append(select(Patient.id).where(Patient.mrn == compact))
    words = _name_words(text, born)
    if words:
        parts.append(select(Patient.id).where(_name_condition(col(Patient.first_key), col(Patient.last_key), words)))
    return union(*parts) if parts else None


def search_accounts(session: Session, /, *, actor: Actor, query: str) -> SearchResult:
    """Accounts matching `query` (at most LIMIT, by guarantor's last and first name); audited."""
    require_staff(session, actor, purpose='search_accounts')
    text = ' '.join((query or '').split())[:MAX_QUERY]
    matching = _matching_accounts(text) if text else None
    ids: list[int] = []
    if matching is not None:
        found = matching.subquery()
        ids = list(session.connection().execute(
            select(GuarantorAccount.id).where(col(GuarantorAccount.id).in_(select(found.c[0])))
            .order_by(col(GuarantorAccount.last_key), col(GuarantorAccount.first_key), col(GuarantorAccount.id))
            .limit(LIMIT + 1)).scalars())
    more, ids = len(ids) > LIMIT, ids[:LIMIT]
    audit.record(session, action='search_accounts', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='account', detail=f'{len(ids)} found', source_ip=actor.ip)
    return SearchResult(query=text, hits=hits_for(session, ids), more=more)


def hits_for(session: Session, /, ids: list[int]) -> tuple[SearchHit, ...]:
    """Result rows for these accounts, in the order given: guarantor, patients, balance, open flags."""
    if not ids:
        return ()
    connection = session.connection()
    accounts = {row.id: row for row in connection.execute(
        select(GuarantorAccount.id, GuarantorAccount.account_number, GuarantorAccount.guarantor_first_name,
               GuarantorAccount.guarantor_last_name, GuarantorAccount.currency)
        .where(col(GuarantorAccount.id).in_(ids)))}
    patients: dict[int, list[SearchPatient]] = {}
    for row in connection.execute(select(Patient.account_id, Patient.first_name, Patient.last_name,
                                         Patient.date_of_birth, Patient.mrn)
                                  .where(col(Patient.account_id).in_(ids)).order_by(col(Patient.id))):
        patients.setdefault(row.account_id, []).append(
            SearchPatient(full_name(row.first_name, row.last_name), row.date_of_birth, row.mrn))
    balances = dict(connection.execute(select(LedgerEntry.account_id, func.sum(LedgerEntry.amount))
                                       .where(col(LedgerEntry.account_id).in_(ids))
                                       .group_by(col(LedgerEntry.account_id))).all())
    flags: dict[int, list[str]] = {}
    for account_id, kind in connection.execute(select(AccountFlag.account_id, AccountFlag.kind).where(
            col(AccountFlag.account_id).in_(ids), in_force(practice_today(session)))):
        label = FlagKind(kind).label
        if label not in flags.setdefault(account_id, []):
            flags[account_id].append(label)
    return tuple(SearchHit(id=i, account_number=accounts[i].account_number, guarantor=guarantor_name(accounts[i]),
                           patients=tuple(patients.get(i, ())), balance=int(balances.get(i) or 0),
                           currency=accounts[i].currency, flags=tuple(flags.get(i, ())))
                 for i in ids if i in accounts)
