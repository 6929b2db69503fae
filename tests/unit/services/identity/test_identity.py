"""Identity use-cases: sign-in, registration, password reset and change, TOTP, audit rows."""
from __future__ import annotations

import json
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import time_machine
from argon2 import PasswordHasher
from sqlalchemy import func
from sqlmodel import select

from portal.auth import passwords
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.errors import DomainError, NotFound, RateLimited, ValidationFailed
from portal.models import AccountAccess, AuditEvent, Notification, PasswordResetToken, RateLimitHit, User
from portal.services.identity import admin, password_changes, registration, sessions, shared, two_step
from portal.services.identity.password_changes import TokenInvalid
from portal.services.identity.registration import RegistrationFailed
from portal.services.identity.sessions import SignInFailed
from tests.factories import STRONG_PASSWORD, make_account, make_user

IP = '203.0.113.7'
NEW_PASSWORD = 'amber-kettle-orchard-93'


def _audit(action: str | None = None) -> list[AuditEvent]:
    with read_session() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(session.exec(query).all())


def _count(model) -> int:  # noqa: ANN001
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _user(user_id: int) -> User:
    with read_session() as session:
        return session.get(User, user_id)


# --- sign-in ---------------------------------------------------------------------------------------

def test_sign_in_succeeds_and_is_audited(db: str) -> None:
    user = make_user(email='maria@example.com', first_name='Maria')
    who = sessions.sign_in(email='  Maria@Example.com ', password=STRONG_PASSWORD, ip=IP)
    assert who == shared.Identity(user_id=user.id, role='patient', email='maria@example.com', first_name='Maria',
                                    needs_mfa=False, mfa_enrolled=False)
    assert _user(user.id).last_sign_in_at is not None
    [event] = _audit('sign_in')
    assert (event.actor_user_id, event.outcome, event.source_ip) == (user.id, 'ok', IP)


def test_wrong_password_and_unknown_email_fail_alike(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    make_user(email='maria@example.com')
    checked: list[str] = []
    real_verify = sessions.verify_password
    monkeypatch.setattr(sessions, 'verify_password', lambda h, p: checked.append(h) or real_verify(h, p))

    with pytest.raises(SignInFailed) as wrong:
        sessions.sign_in(email='maria@example.com', password='not-the-password-at-all', ip=IP)
    with pytest.raises(SignInFailed) as unknown:
        sessions.sign_in(email='nobody@example.com', password=STRONG_PASSWORD, ip=IP)
    assert wrong.value.message == unknown.value.message == 'The email or password is not right.'
    assert checked[1] == passwords.DUMMY_HASH  # the unknown email costs an argon2 verification too
    events = _audit('sign_in_failed')
    assert [event.outcome for event in events] == ['failed', 'failed']
    assert [event.detail for event in events] == ['wrong password', 'unknown email']  # no email, no password


def test_inactive_user_gets_the_generic_failure(db: str) -> None:
    make_user(email='gone@example.com', is_active=False)
    with pytest.raises(SignInFailed, match='email or password is not right'):
        sessions.sign_in(email='gone@example.com', password=STRONG_PASSWORD, ip=IP)


def test_lockout_after_five_failures_from_one_address(db: str) -> None:
    user = make_user(email='maria@example.com')
    for _ in range(4):
        with pytest.raises(SignInFailed):
            sessions.sign_in(email='maria@example.com', password='wrong-password-123', ip=IP)
    with pytest.raises(RateLimited) as locked:  # the fifth failure locks this address out of the account
        sessions.sign_in(email='maria@example.com', password='wrong-password-123', ip=IP)
    assert 'wait 15 minutes' in locked.value.message and 'reset your password' in locked.value.message
    assert _user(user.id).failed_sign_ins == 5
    with pytest.raises(RateLimited):  # even the right password waits, from this address
        sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=IP)
    with time_machine.travel(utcnow() + timedelta(minutes=15, seconds=5)):
        sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=IP)
    assert _user(user.id).failed_sign_ins == 0


def test_unknown_emails_lock_too(db: str) -> None:
    for _ in range(4):
        with pytest.raises(SignInFailed):
            sessions.sign_in(email='nobody@example.com', password='wrong-password-123', ip=IP)
    with pytest.raises(RateLimited):  # same answer as for a real account: no enumeration
        sessions.sign_in(email='nobody@example.com', password='wrong-password-123', ip=IP)


def test_success_clears_the_failure_count(db: str) -> None:
    make_user(email='maria@example.com')
    for _ in range(4):
        with pytest.raises(SignInFailed):
            sessions.sign_in(email='maria@example.com', password='wrong-password-123', ip=IP)
    sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=IP)
    for _ in range(4):
        with pytest.raises(SignInFailed):
            sessions.sign_in(email='maria@example.com', password='wrong-password-123', ip=IP)


def test_address_limit(db: str) -> None:
    make_user(email='maria@example.com')
    for number in range(30):
        with pytest.raises(SignInFailed):
            sessions.sign_in(email=f'guess{number}@example.com', password='wrong-password-123', ip=IP)
    with pytest.raises(RateLimited, match='Too many attempts. Please wait 15 minutes'):
        sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=IP)
    sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip='198.51.100.1')


def test_old_hash_is_upgraded_on_sign_in(db: str) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(STRONG_PASSWORD)
    user = make_user(email='maria@example.com')
    with write_session() as session:
        row = session.get(User, user.id)
        row.password_hash = weak
        session.add(row)
    sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=IP)
    upgraded = _user(user.id).password_hash
    assert upgraded != weak and not passwords.needs_rehash(upgraded)
    assert passwords.verify_password(upgraded, STRONG_PASSWORD)


def test_staff_needs_mfa_unless_demo_exempt(db: str) -> None:
    staff = make_user(email='staff@example.com', role='staff')
    demo = make_user(email='demo-staff@example.com', role='staff', mfa_exempt=True)
    assert sessions.sign_in(email='staff@example.com', password=STRONG_PASSWORD, ip=IP).needs_mfa
    assert not sessions.sign_in(email='demo-staff@example.com', password=STRONG_PASSWORD, ip=IP).needs_mfa
    assert sessions.get_identity(staff.id).needs_mfa and not sessions.get_identity(demo.id).needs_mfa


def test_sign_out_and_get_identity(db: str) -> None:
    user = make_user(email='maria@example.com')
    gone = make_user(email='gone@example.com', is_active=False)
    assert sessions.get_identity(user.id).email == 'maria@example.com'
    assert sessions.get_identity(gone.id) is None and sessions.get_identity(99999) is None
    sessions.sign_out(user_id=user.id, ip=IP)
    [event] = _audit('sign_out')
    assert event.actor_user_id == user.id


# --- registration ----------------------------------------------------------------------------------

@pytest.fixture
def account(db: str):  # noqa: ANN201
    account, patients = make_account(account_number='A100234', guarantor_first_name='Maria',
                                     guarantor_last_name='Núñez', patients=[
        {'first_name': 'Maria', 'last_name': 'Núñez', 'date_of_birth': date(1984, 3, 15)},
        {'first_name': 'Leo', 'last_name': 'Núñez Ortiz', 'date_of_birth': date(2015, 9, 1)},
    ])
    return account


def _register(**overrides) -> shared.Identity:
    values = {'account_number': 'A100234', 'last_name': 'Núñez', 'date_of_birth': '1984-03-15',
              'email': 'maria@example.com', 'password': STRONG_PASSWORD, 'password_confirm': STRONG_PASSWORD,
              'relationship': 'self', 'ip': IP, **overrides}
    return registration.register(**values)


def test_register_matches_any_patient_on_the_account(account) -> None:  # noqa: ANN001
    who = _register(account_number=' a100234 ', last_name='  núñez ortiz', date_of_birth='09/01/2015',
                    email='Parent@Example.com', relationship='parent')
    assert (who.role, who.email, who.first_name) == ('patient', 'parent@example.com', 'Maria')
    with read_session() as session:
        [access] = session.exec(select(AccountAccess)).all()
    assert (access.user_id, access.account_id, access.relationship) == (who.user_id, account.id, 'parent')
    [event] = _audit('register')
    assert (event.actor_user_id, event.account_id) == (who.user_id, account.id)
    sessions.sign_in(email='parent@example.com', password=STRONG_PASSWORD, ip=IP)


def test_register_self_takes_the_patients_name_and_accepts_a_date(account) -> None:  # noqa: ANN001
    who = _register(date_of_birth=date(1984, 3, 15))
    assert who.first_name == 'Maria'


@pytest.mark.parametrize('overrides', [
    {'account_number': 'A100235'},
    {'last_name': 'Nunez'},  # accents are compared as stored
    {'last_name': 'Lopez'},
    {'date_of_birth': '1984-03-16'},
    {'date_of_birth': '2015-09-01'},  # Leo's date of birth, but Leo's last name is Núñez Ortiz
])
def test_register_mismatch_is_generic(account, overrides: dict) -> None:  # noqa: ANN001
    with pytest.raises(RegistrationFailed) as failed:
        _register(**overrides)
    assert failed.value.message == ("We couldn't match those details to an account. Check the account number "
                                    'on your statement and try again.')
    assert _count(User) == 0 and _count(AccountAccess) == 0


def test_register_duplicate_email_is_generic(account) -> None:  # noqa: ANN001
    make_user(email='maria@example.com')
    with pytest.raises(RegistrationFailed):
        _register(email='MARIA@example.com')
    assert _count(User) == 1 and _count(AccountAccess) == 0
    assert [event.outcome for event in _audit('register_failed')] == ['failed']


@pytest.mark.parametrize(('overrides', 'field'), [
    ({'email': 'not-an-email'}, 'email'),
    ({'email': ''}, 'email'),
    ({'email': 'a' * 250 + '@example.com'}, 'email'),
    ({'password': 'password123456', 'password_confirm': 'password123456'}, 'password'),
    ({'password': 'short', 'password_confirm': 'short'}, 'password'),
    ({'password': 'x' * 129, 'password_confirm': 'x' * 129}, 'password'),
    ({'password_confirm': STRONG_PASSWORD + '!'}, 'password_confirm'),
    ({'account_number': 'A' * 21}, 'account_number'),
    ({'account_number': '  '}, 'account_number'),
    ({'last_name': 'N' * 81}, 'last_name'),
    ({'date_of_birth': '15.03.1984'}, 'date_of_birth'),
    ({'date_of_birth': '2999-01-01'}, 'date_of_birth'),
    ({'date_of_birth': '1984-03-15' * 10}, 'date_of_birth'),
    ({'relationship': 'neighbour'}, 'relationship'),
])
def test_register_validation(account, overrides: dict, field: str) -> None:  # noqa: ANN001
    with pytest.raises(ValidationFailed) as failed:
        _register(**overrides)
    assert field in failed.value.field_errors and failed.value.field_errors[field]
    assert _count(User) == 0 and _count(AccountAccess) == 0


def test_register_weak_password_explains(account) -> None:  # noqa: ANN001
    with pytest.raises(ValidationFailed) as failed:
        _register(password='password123456', password_confirm='password123456')
    assert 'too easy to guess' in failed.value.field_errors['password']


def test_register_is_rate_limited_per_address(account) -> None:  # noqa: ANN001
    for _ in range(10):
        with pytest.raises(RegistrationFailed):
            _register(account_number='WRONG1')
    with pytest.raises(RateLimited):
        _register()
    assert _count(User) == 0
    _register(ip='198.51.100.1')


# --- password reset --------------------------------------------------------------------------------

def _token_from_outbox() -> str:
    """The token of the link the sender renders into the newest message (the row itself holds none)."""
    from portal.services import send_time
    with read_session() as session:
        notification = session.exec(select(Notification).order_by(Notification.id.desc())).first()
    link = send_time.complete(notification.template, notification.dedupe_key, json.loads(notification.context_json))
    return parse_qs(urlsplit(str(link['link'])).query)['token'][0]


def test_reset_request_enqueues_a_phi_free_email(db: str) -> None:
    account, _ = make_account()
    user = make_user(email='maria@example.com', first_name='Maria', account=account)
    password_changes.request_password_reset(email=' MARIA@example.com', ip=IP)
    with read_session() as session:
        [notification] = session.exec(select(Notification)).all()
        [token] = session.exec(select(PasswordResetToken)).all()
    assert (notification.channel, notification.template, notification.recipient) == (
        'email', 'password_reset', 'maria@example.com')
    assert notification.dedupe_key == f'password_reset:{token.id}' and notification.user_id == user.id
    context = json.loads(notification.context_json)
    assert context == {'first_name': 'Maria'}  # no link: it is made as the email is sent
    raw = _token_from_outbox()
    with read_session() as session:
        token = session.get(PasswordResetToken, token.id)
    assert token.token_hash != raw and len(token.token_hash) == 64  # only the digest is stored
    assert timedelta(minutes=29) < token.expires_at - utcnow() <= timedelta(minutes=30)
    assert account.account_number not in notification.context_json
    assert [event.actor_user_id for event in _audit('password_reset_requested')] == [user.id]


def test_reset_request_for_unknown_email_is_silent(db: str) -> None:
    assert password_changes.request_password_reset(email='nobody@example.com', ip=IP) is None
    assert password_changes.request_password_reset(email='not an email', ip=IP) is None
    assert _count(Notification) == 0 and _count(PasswordResetToken) == 0


def test_reset_requests_are_rate_limited_silently(db: str, caplog: pytest.LogCaptureFixture) -> None:
    make_user(email='maria@example.com')
    with caplog.at_level('INFO'):
        for _ in range(5):
            password_changes.request_password_reset(email='maria@example.com', ip=IP)
    assert _count(PasswordResetToken) == 3  # three per email per hour
    assert 'maria@example.com' not in caplog.text and 'rate limit' in caplog.text
    with read_session() as session:
        hits = session.exec(select(RateLimitHit)).all()
    assert hits and all('maria' not in row.key_hash for row in hits)  # the limit's rows exist, keyed by digest


def test_reset_token_works_once_and_clears_lockout(db: str) -> None:
    user = make_user(email='maria@example.com')
    for _ in range(4):
        with pytest.raises(SignInFailed):
            sessions.sign_in(email='maria@example.com', password='wrong-password-123', ip=IP)
    with pytest.raises(RateLimited):
        sessions.sign_in(email='maria@example.com', password='wrong-password-123', ip=IP)
    password_changes.request_password_reset(email='maria@example.com', ip=IP)
    first = _token_from_outbox()
    password_changes.request_password_reset(email='maria@example.com', ip=IP)
    second = _token_from_outbox()

    password_changes.reset_password(token=second, new_password=NEW_PASSWORD, password_confirm=NEW_PASSWORD, ip=IP)
    with pytest.raises(TokenInvalid, match='expired or was already used'):
        password_changes.reset_password(token=second, new_password=NEW_PASSWORD, password_confirm=NEW_PASSWORD, ip=IP)
    with pytest.raises(TokenInvalid):  # the other outstanding link died with the change
        password_changes.reset_password(token=first, new_password=NEW_PASSWORD, password_confirm=NEW_PASSWORD, ip=IP)
    assert _user(user.id).password_changed_at is not None
    sessions.sign_in(email='maria@example.com', password=NEW_PASSWORD, ip=IP)  # lockout cleared
    with pytest.raises(SignInFailed):
        sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=IP)
    [event] = _audit('password_changed')
    assert (event.actor_user_id, event.detail) == (user.id, 'reset')


def test_reset_token_expires_after_30_minutes(db: str) -> None:
    make_user(email='maria@example.com')
    start = utcnow()
    with time_machine.travel(start, tick=False) as traveller:
        password_changes.request_password_reset(email='maria@example.com', ip=IP)
        token = _token_from_outbox()
        traveller.shift(timedelta(minutes=30, seconds=1))
        with pytest.raises(TokenInvalid):
            password_changes.reset_password(token=token,
                                            new_password=NEW_PASSWORD, password_confirm=NEW_PASSWORD, ip=IP)
        traveller.move_to(start + timedelta(minutes=29))
        password_changes.reset_password(token=token, new_password=NEW_PASSWORD, password_confirm=NEW_PASSWORD, ip=IP)


def test_reset_checks_the_new_password(db: str) -> None:
    make_user(email='maria@example.com')
    password_changes.request_password_reset(email='maria@example.com', ip=IP)
    token = _token_from_outbox()
    with pytest.raises(ValidationFailed) as weak:
        password_changes.reset_password(token=token,
                                        new_password='password123456', password_confirm='password123456', ip=IP)
    assert 'password' in weak.value.field_errors
    with pytest.raises(ValidationFailed) as mismatch:
        password_changes.reset_password(token=token, new_password=NEW_PASSWORD, password_confirm='other', ip=IP)
    assert set(mismatch.value.field_errors) == {'password_confirm'}
    with pytest.raises(TokenInvalid):
        password_changes.reset_password(token='made-up',
                                        new_password=NEW_PASSWORD, password_confirm=NEW_PASSWORD, ip=IP)
    password_changes.reset_password(token=token, new_password=NEW_PASSWORD, password_confirm=NEW_PASSWORD, ip=IP)


def test_change_password(db: str) -> None:
    user = make_user(email='maria@example.com')
    with pytest.raises(ValidationFailed) as wrong:
        password_changes.change_password(user_id=user.id, current_password='nope-nope-nope', new_password=NEW_PASSWORD,
                                 password_confirm=NEW_PASSWORD, ip=IP)
    assert set(wrong.value.field_errors) == {'current_password'}
    with pytest.raises(ValidationFailed) as same:
        password_changes.change_password(user_id=user.id, current_password=STRONG_PASSWORD,
                                         new_password=STRONG_PASSWORD,
                                 password_confirm=STRONG_PASSWORD, ip=IP)
    assert set(same.value.field_errors) == {'password'}
    password_changes.change_password(user_id=user.id, current_password=STRONG_PASSWORD, new_password=NEW_PASSWORD,
                             password_confirm=NEW_PASSWORD, ip=IP)
    sessions.sign_in(email='maria@example.com', password=NEW_PASSWORD, ip=IP)
    assert [event.detail for event in _audit('password_changed')] == ['changed']
    with pytest.raises(NotFound):
        password_changes.change_password(user_id=99999, current_password='x', new_password=NEW_PASSWORD,
                                 password_confirm=NEW_PASSWORD, ip=IP)


# --- TOTP ------------------------------------------------------------------------------------------

def test_totp_enrolment_and_verification(db: str) -> None:
    staff = make_user(email='staff@example.com', role='staff')
    secret, uri = two_step.begin_totp_enrollment(user_id=staff.id)
    assert uri.startswith('otpauth://totp/') and secret in uri and 'staff%40example.com' in uri
    assert _user(staff.id).totp_secret is None  # nothing stored yet

    with pytest.raises(DomainError, match='That code is not right'):
        two_step.confirm_totp_enrollment(user_id=staff.id, secret=secret, code='000000', ip=IP)
    assert _user(staff.id).totp_secret is None
    start = utcnow()
    with time_machine.travel(start, tick=False) as traveller:
        code = pyotp.TOTP(secret).now()
        two_step.confirm_totp_enrollment(user_id=staff.id, secret=secret, code=f'{code[:3]} {code[3:]}', ip=IP)
        assert _user(staff.id).totp_enabled_at is not None
        assert sessions.get_identity(staff.id).mfa_enrolled
        with pytest.raises(DomainError, match='already set up'):
            two_step.confirm_totp_enrollment(user_id=staff.id, secret=secret, code=code, ip=IP)

        who = two_step.verify_totp(user_id=staff.id, code=code, ip=IP)
        assert who.user_id == staff.id
        with pytest.raises(DomainError, match='already used'):  # a code works once
            two_step.verify_totp(user_id=staff.id, code=code, ip=IP)
        traveller.shift(timedelta(seconds=30))
        two_step.verify_totp(user_id=staff.id, code=pyotp.TOTP(secret).now(), ip=IP)
    actions = [event.action for event in _audit() if event.action.startswith('mfa_')]
    assert actions == ['mfa_failed', 'mfa_enrolled', 'mfa_verified', 'mfa_failed', 'mfa_verified']


def test_totp_wrong_codes_are_rate_limited(db: str) -> None:
    secret = pyotp.random_base32()
    staff = make_user(email='staff@example.com', role='staff', totp_secret=secret)
    for _ in range(5):
        with pytest.raises(DomainError, match='That code is not right'):
            two_step.verify_totp(user_id=staff.id, code='000000', ip=IP)
    with pytest.raises(RateLimited, match='wait 15 minutes'):
        two_step.verify_totp(user_id=staff.id, code=pyotp.TOTP(secret).now(), ip=IP)


def test_totp_needs_enrolment(db: str) -> None:
    staff = make_user(email='staff@example.com', role='staff')
    with pytest.raises(DomainError, match='not set up'):
        two_step.verify_totp(user_id=staff.id, code='123456', ip=IP)
    with pytest.raises(DomainError, match='set-up key'):
        two_step.confirm_totp_enrollment(user_id=staff.id, secret='not base32!', code='123456', ip=IP)


# --- administration --------------------------------------------------------------------------------

def test_create_user(db: str) -> None:
    user_id = admin.create_user(email='Admin@Example.com', password=STRONG_PASSWORD, role='admin',
                                   first_name='Ada', last_name='Byron')
    assert sessions.get_identity(user_id).role == 'admin'
    with pytest.raises(ValidationFailed) as duplicate:
        admin.create_user(email='admin@example.com', password=STRONG_PASSWORD, role='staff')
    assert 'email' in duplicate.value.field_errors
    with pytest.raises(ValidationFailed) as bad:
        admin.create_user(email='x', password='short', role='wizard')
    assert set(bad.value.field_errors) == {'email', 'password', 'role'}


def test_purge_expired_security_rows(db: str) -> None:
    make_user(email='maria@example.com')
    password_changes.request_password_reset(email='maria@example.com', ip=IP)
    with pytest.raises(SignInFailed):
        sessions.sign_in(email='maria@example.com', password='wrong-password-123', ip=IP)
    assert admin.purge_expired_security_rows() == 0
    with time_machine.travel(utcnow() + timedelta(hours=2)):
        # 1 token + 2 reset-request hits + 3 sign-in failure hits (address, account from it, account)
        assert admin.purge_expired_security_rows() == 6
    assert _count(RateLimitHit) == 0 and _count(PasswordResetToken) == 0
