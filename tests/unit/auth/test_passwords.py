"""Password hashing and the rules for new passwords."""
from __future__ import annotations

import secrets

from argon2 import PasswordHasher

from portal.auth import passwords
from portal.auth.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)

STRONG = 'quiet-lantern-meadow-47'


def test_hash_is_argon2id_with_the_chosen_parameters() -> None:
    hashed = hash_password(STRONG)
    assert hashed.startswith('$argon2id$v=19$m=19456,t=2,p=1$')
    assert STRONG not in hashed
    assert hash_password(STRONG) != hashed  # salted


def test_verify_accepts_the_password_and_rejects_others() -> None:
    hashed = hash_password(STRONG)
    assert verify_password(hashed, STRONG)
    assert not verify_password(hashed, STRONG.upper())
    assert not verify_password(hashed, '')
    assert not verify_password('not a hash', STRONG)


def test_needs_rehash_when_parameters_change() -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(STRONG)
    assert needs_rehash(old)
    assert not needs_rehash(hash_password(STRONG))
    assert needs_rehash('garbage')


def test_dummy_hash_is_made_once_and_matches_nothing_typed() -> None:
    assert passwords.DUMMY_HASH is passwords.DUMMY_HASH
    assert passwords.DUMMY_HASH == passwords.dummy_hash()
    assert not verify_password(passwords.DUMMY_HASH, STRONG)


def test_common_password_is_refused_with_feedback() -> None:
    problems = password_problems('password123456', user_inputs=['maria@example.com', 'Lopez'])
    assert problems[0] == 'This password is too easy to guess.'
    assert any('common' in problem.lower() for problem in problems)  # zxcvbn's warning is passed on
    assert len(problems) >= 2


def test_strong_passphrase_is_accepted() -> None:
    assert password_problems('correct horse battery staple river', user_inputs=['maria@example.com']) == []
    assert password_problems(STRONG, user_inputs=[]) == []


def test_length_limits() -> None:
    short = password_problems('Tr0ub4dor&3', user_inputs=[])
    assert len('Tr0ub4dor&3') < MIN_LENGTH and '12 characters' in short[0]
    long = password_problems('x' * (MAX_LENGTH + 1), user_inputs=[])
    assert long == [f'Use at most {MAX_LENGTH} characters.']
    assert password_problems(secrets.token_urlsafe(MAX_LENGTH)[:MAX_LENGTH], user_inputs=[]) == []


def test_names_and_email_make_a_password_weaker() -> None:
    candidate = 'zanele.okonkwo@example.com'
    assert password_problems(candidate, user_inputs=[]) == []
    assert password_problems(candidate, user_inputs=['zanele.okonkwo@example.com', 'Okonkwo']) != []
