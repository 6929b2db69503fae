"""Database-backed sliding-window rate limits, shared by every app process.

Each counted attempt is one RateLimitHit row. The key (an email, an address, a user id) is stored
only as a keyed SHA-256 digest, so the table never holds an email or an IP address. On PostgreSQL a
transaction-scoped advisory lock per key makes check-and-count atomic across processes; SQLite write
transactions are already serialised (BEGIN IMMEDIATE).
"""
from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, text
from sqlmodel import Session, select

from portal.clock import utcnow
from portal.errors import RateLimited
from portal.models import RateLimitHit


@dataclass(frozen=True)
class Policy:
    """A named bucket: at most `limit` counted attempts per key within `window`."""
    bucket: str
    limit: int
    window: timedelta

    def hit(self, session: Session, key: str) -> int:
        return hit(session, self.bucket, key, limit=self.limit, window=self.window)

    def check(self, session: Session, key: str) -> None:
        check(session, self.bucket, key, limit=self.limit, window=self.window)

    def count(self, session: Session, key: str) -> int:
        return count(session, self.bucket, key, window=self.window)

    def retry_after(self, session: Session, key: str) -> timedelta | None:
        return retry_after(session, self.bucket, key, limit=self.limit, window=self.window)

    def clear(self, session: Session, key: str) -> None:
        clear(session, self.bucket, key)


# failures per email from one address: that address is locked out of that account, the owner elsewhere is not
SIGN_IN_ACCOUNT_IP = Policy('sign_in_account_ip', 5, timedelta(minutes=15))
SIGN_IN_IP = Policy('sign_in_ip', 30, timedelta(minutes=15))  # failures per address
REGISTRATION_IP = Policy('register_ip', 10, timedelta(hours=1))
RESET_REQUEST_IP = Policy('reset_ip', 5, timedelta(hours=1))
RESET_REQUEST_EMAIL = Policy('reset_email', 3, timedelta(hours=1))
TOTP_USER = Policy('totp_user', 5, timedelta(minutes=15))  # failures per user
GUEST_LOOKUP_IP = Policy('guest_lookup_ip', 10, timedelta(minutes=15))
TOTP_USED = Policy('totp_used', 1, timedelta(minutes=3))  # codes already accepted (replay guard)

LONGEST_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Spacing:
    """Growing delays instead of a lockout: once a key has `free` counted attempts within `window`,
    the next one must wait 2**(attempts - free) seconds (at most `cap`) after the newest. A guesser
    spread over many addresses is slowed to one try a minute; the owner waits seconds, never a lockout.
    """
    bucket: str
    free: int
    window: timedelta
    cap: timedelta = timedelta(minutes=1)

    def delay(self, attempts: int) -> timedelta:
        if attempts < self.free:
            return timedelta(0)
        return min(timedelta(seconds=2 ** min(attempts - self.free, 16)), self.cap)

    def wait(self, session: Session, key: str) -> timedelta | None:
        """How long until the next attempt may be counted, or None when it may be now."""
        row = session.exec(
            select(func.count(RateLimitHit.id), func.max(RateLimitHit.created_at))
            .where(RateLimitHit.bucket == self.bucket, RateLimitHit.key_hash == key_hash(key),
                   RateLimitHit.created_at > utcnow() - self.window)).one()
        attempts, newest = int(row[0] or 0), row[1]
        if newest is None:
            return None
        left = newest + self.delay(attempts) - utcnow()
        return left if left > timedelta(0) else None

    def hit(self, session: Session, key: str) -> int:
        """Count one attempt and return its id, or raise RateLimited (counting nothing) while the key
        must wait. Serialised per key like `hit`."""
        digest = key_hash(key)
        _serialise(session, self.bucket, digest)
        wait = self.wait(session, key)
        if wait is not None:
            seconds = max(1, math.ceil(wait.total_seconds()))
            raise RateLimited(f'Too many attempts. Please wait {seconds} second{"" if seconds == 1 else "s"} '
                              'and try again.')
        row = RateLimitHit(bucket=self.bucket, key_hash=digest, created_at=utcnow())
        session.add(row)
        session.flush()
        return row.id

    def clear(self, session: Session, key: str) -> None:
        clear(session, self.bucket, key)


SIGN_IN_ACCOUNT = Spacing('sign_in_account', 10, timedelta(minutes=15))  # per email, any address


def key_hash(key: str) -> str:
    """HMAC-SHA256 (keyed with the storage secret) hex of the key: a digest, never the raw value.

    A plain SHA-256 of an IPv4 address or a common email can be reversed by trying them all;
    the secret makes that impossible without the server's configuration.
    """
    from portal.config import get_settings
    secret = get_settings().storage_secret.encode()
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()


def _serialise(session: Session, bucket: str, digest: str) -> None:
    bind = session.get_bind()
    if bind.dialect.name == 'postgresql':
        lock_digest = hashlib.sha256(f'{bucket}:{digest}'.encode()).digest()
        lock_id = int.from_bytes(lock_digest[:8], 'big', signed=True)
        session.execute(text('SELECT pg_advisory_xact_lock(:id)'), {'id': lock_id})


def _hits_since(session: Session, bucket: str, digest: str, since: datetime) -> tuple[int, datetime | None]:
    row = session.exec(
        select(func.count(RateLimitHit.id), func.min(RateLimitHit.created_at))
        .where(RateLimitHit.bucket == bucket, RateLimitHit.key_hash == digest,
               RateLimitHit.created_at > since)
    ).one()
    return int(row[0] or 0), row[1]


def count(session: Session, bucket: str, key: str, *, window: timedelta) -> int:
    return _hits_since(session, bucket, key_hash(key), utcnow() - window)[0]


def retry_after(session: Session, bucket: str, key: str, *, limit: int,
                window: timedelta) -> timedelta | None:
    """How long until another attempt is allowed, or None when one is allowed now."""
    digest = key_hash(key)
    now = utcnow()
    hits, _ = _hits_since(session, bucket, digest, now - window)
    if hits < limit:
        return None
    # the attempt becomes allowed when enough of the oldest hits leave the window
    times = session.exec(
        select(RateLimitHit.created_at)
        .where(RateLimitHit.bucket == bucket, RateLimitHit.key_hash == digest,
               RateLimitHit.created_at > now - window)
        .order_by(RateLimitHit.created_at)
        .limit(hits - limit + 1)
    ).all()
    return max(times[-1] + window - now, timedelta(seconds=1))


def wait_message(wait: timedelta) -> str:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return f'{minutes} minute' + ('' if minutes == 1 else 's')


def check(session: Session, bucket: str, key: str, *, limit: int, window: timedelta) -> None:
    """Raise RateLimited when the key has used up its attempts; count nothing."""
    wait = retry_after(session, bucket, key, limit=limit, window=window)
    if wait is not None:
        raise RateLimited(f'Too many attempts. Please wait {wait_message(wait)} and try again.')


def hit(session: Session, bucket: str, key: str, *, limit: int, window: timedelta) -> int:
    """Count one attempt and return its id, or raise RateLimited (counting nothing) when the key is
    over its limit. Serialised per key, so parallel attempts cannot all pass one check.

    The hit is part of the session's transaction: commit it even when the attempt fails.
    """
    digest = key_hash(key)
    _serialise(session, bucket, digest)
    check(session, bucket, key, limit=limit, window=window)
    row = RateLimitHit(bucket=bucket, key_hash=digest, created_at=utcnow())
    session.add(row)
    session.flush()
    return row.id


def release(session: Session, hit_id: int) -> None:
    """Give back a reserved attempt that turned out fine (a good password from a shared address)."""
    session.execute(delete(RateLimitHit).where(RateLimitHit.id == hit_id))


def clear(session: Session, bucket: str, key: str) -> None:
    session.execute(delete(RateLimitHit).where(RateLimitHit.bucket == bucket,
                                               RateLimitHit.key_hash == key_hash(key)))


def purge_expired(session: Session, older_than: datetime) -> int:
    """Delete hits made before `older_than` (pass now minus the longest window or more)."""
    result = session.execute(delete(RateLimitHit).where(RateLimitHit.created_at < older_than))
    return int(result.rowcount or 0)
