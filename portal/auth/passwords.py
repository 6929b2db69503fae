"""Password hashing (argon2id) and the rules a new password must meet.

Hashing takes about 20 ms of CPU: call these outside any write transaction, and from pages only
through `run.io_bound`. `DUMMY_HASH` lets sign-in spend the same time on an unknown email.
"""
from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable", about 10^8 guesses or more

_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; False for a mismatch or a malformed hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash of a random value, made once, to verify against when the user does not exist."""
    import secrets
    return hash_password(secrets.token_urlsafe(24))


def __getattr__(name: str) -> str:  # module attribute DUMMY_HASH, computed on first use
    if name == 'DUMMY_HASH':
        return dummy_hash()
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def password_problems(password: str, *, user_inputs: list[str]) -> list[str]:
    """What is wrong with a new password, in plain sentences; an empty list means it is fine.

    `user_inputs` are words a guesser would try first (the email, names); the email's parts are
    added so that "maria.lopez@example.com" also penalises "maria" and "lopez".
    """
    if len(password) < MIN_LENGTH:
        return [f'Use at least {MIN_LENGTH} characters. A few unrelated words make a strong, '
                'easy-to-remember password.']
    if len(password) > MAX_LENGTH:
        return [f'Use at most {MAX_LENGTH} characters.']
    result = zxcvbn(password, user_inputs=_expand_inputs(user_inputs), max_length=MAX_LENGTH)
    if result['score'] >= MIN_SCORE:
        return []
    problems = ['This password is too easy to guess.']
    feedback = result.get('feedback') or {}
    if feedback.get('warning'):
        problems.append(feedback['warning'])
    problems.extend(feedback.get('suggestions') or [])
    if len(problems) == 1:
        problems.append('Add another word or two. Uncommon words are better.')
    return problems


def _expand_inputs(user_inputs: list[str]) -> list[str]:
    words: list[str] = []
    for value in user_inputs:
        value = (value or '').strip().lower()
        if not value:
            continue
        words.append(value)
        if '@' in value:
            local, _, domain = value.partition('@')
            words.append(local)
            pieces = local.replace('_', '.').replace('-', '.').split('.')
            words.extend(part for part in pieces if len(part) > 2)
            words.append(domain.split('.')[0])
    return list(dict.fromkeys(words))
