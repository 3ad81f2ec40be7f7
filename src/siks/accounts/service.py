"""Accounts: create users, check passwords (argon2), rate-limit logins, keep server-side sessions.

Why these choices:
- argon2id (argon2-cffi defaults, RFC 9106) and a dummy verify for unknown names, so timing does not tell
  which usernames exist. One verification costs ≈150 ms of CPU on all cores (4 lanes), on purpose; so a
  worker process runs only one at a time (`_VERIFY_SLOTS`): a burst of logins queues among itself instead
  of taking the CPU from every other request (docs/benchmarks.md, "Web").
- Failed logins are rows in `login_attempt`, so the limits hold across restarts and workers. They slow an
  attacker without locking the owner out (docs/web.md, "login rate limit"): 5 failures of one
  username from one address block that pair for 15 minutes; 20 failures from one address block that address,
  and 20 failures of one username from anywhere start a delay that doubles with each further failure — but
  an address the user has logged in from before is exempt from both. A refused try is not counted (it would
  keep the block alive for ever); `unlock` lets an admin lift a block at once.
- A session is a random token in a signed cookie; the database keeps only its SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import threading
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from siks.audit import record_change
from siks.domain import wilayah
from siks.domain.roles import DEPTH, LEVEL_LABEL, Level, get_role, level_at
from siks.errors import AuthenticationFailed, Invalid, TooManyAttempts
from siks.store.base import utcnow
from siks.store.models.accounts import LoginAttempt, User, UserSession

WINDOW = dt.timedelta(minutes=15)
PAIR_LIMIT = 5  # failures of one username from one address
IP_LIMIT = 20  # failures from one address, any username
ACCOUNT_SLOWDOWN = 20  # failures of one username from all addresses before the delay starts
SESSION_LIFETIME = dt.timedelta(hours=8)
MIN_PASSWORD = 8
ATTEMPT_RETENTION = dt.timedelta(days=30)

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


# argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane): strong against offline guessing,
# yet ~20 ms a check, so logins don't take both cores from everyone else. A hash keeps its own parameters,
# so hashes made with other settings still verify.
def production_hasher() -> PasswordHasher:
    """argon2id at OWASP's recommended cost (19 MiB, t=2, p=1): about 20 ms a check on one core."""
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


_hasher = production_hasher()
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
# Password checks run in the web server's thread pool (sync routes); this bounds them per worker process.
_VERIFY_SLOTS = threading.BoundedSemaphore(1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with _VERIFY_SLOTS:
            return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _aware(t: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Actor:
    """The acting user as services see it: a plain snapshot, safe to use after the session that loaded it
    rolled back or closed (error pages, streamed exports). Services accept it wherever they take a user."""

    id: int
    username: str
    full_name: str | None
    role: str
    wilayah_code: str | None
    active: bool

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.username, user.full_name, user.role, user.wilayah_code, user.active)


# --- users ------------------------------------------------------------------------------------------------


def normalize_username(username: str) -> str:
    return (username or "").strip().lower()


def check_assignment(role: str, wilayah_code: str | None) -> str | None:
    """Validate a role/wilayah pair and return the dotted code (None for nasional). Raises Invalid."""
    r = get_role(role)
    if not wilayah_code or wilayah_code.strip().lower() in ("", "nasional", "0"):
        if r.level in (Level.PUSAT, None):
            return None
        raise Invalid(f"Peran {r.code} memerlukan wilayah tingkat {LEVEL_LABEL[r.level].lower()}.")
    try:
        code = wilayah.normalize(wilayah_code)
    except ValueError as e:
        raise Invalid(str(e)) from None
    w = wilayah.get(code)
    if w is None:
        raise Invalid(f"Kode wilayah {code} tidak ada dalam daftar Kemendagri.")
    if r.level is Level.PUSAT:
        raise Invalid(f"Peran {r.code} berlaku nasional; jangan isi wilayah.")
    if r.level is not None and w.level != DEPTH[r.level]:
        raise Invalid(
            f"Peran {r.code} memerlukan wilayah tingkat {LEVEL_LABEL[r.level].lower()}, "
            f"bukan {LEVEL_LABEL[level_at(w.level)].lower()} ({code})."
        )
    return code


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    wilayah_code: str | None,
    *,
    full_name: str | None = None,
    actor: object = "sistem",
    reason: str = "akun baru",
) -> User:
    """Add a user; the change is audited (without the hash)."""
    name = normalize_username(username)
    if not _USERNAME.fullmatch(name):
        raise Invalid("Nama pengguna: 2–64 huruf kecil, angka, titik, garis bawah atau tanda hubung.")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"Kata sandi minimal {MIN_PASSWORD} karakter.")
    code = check_assignment(role, wilayah_code)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Invalid(f"Nama pengguna {name} sudah dipakai.")
    user = User(
        username=name,
        full_name=full_name,
        role=role,
        wilayah_code=code,
        password_hash=hash_password(password),
        active=True,
    )
    session.add(user)
    session.flush()
    record_change(session, actor, "user", user.id, None, user_snapshot(user), reason)
    return user


def user_snapshot(user: User) -> dict:
    """What the audit trail keeps of a user: never the password hash."""
    return {
        "username": user.username,
        "role": user.role,
        "wilayah_code": user.wilayah_code,
        "active": user.active,
    }


def set_password(session: Session, user: User, password: str, *, actor: object = "sistem") -> None:
    """New password; ends every session of the user."""
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"Kata sandi minimal {MIN_PASSWORD} karakter.")
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    record_change(session, actor, "user", user.id, None, {"password": "diganti"}, "ganti kata sandi")


def get_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == normalize_username(username)))


# --- login and rate limit ---------------------------------------------------------------------------------


def _failures_since(session: Session, column, value: str, since: dt.datetime, ip: str | None = None) -> int:
    stmt = select(func.count()).where(
        column == value, LoginAttempt.at >= since, LoginAttempt.success.is_(False)
    )
    if ip is not None:
        stmt = stmt.where(LoginAttempt.ip == ip)
    return session.scalar(stmt) or 0


def _last_success(session: Session, name: str, ip: str | None = None) -> dt.datetime | None:
    stmt = select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == name, LoginAttempt.success.is_(True)
    )
    if ip is not None:
        stmt = stmt.where(LoginAttempt.ip == ip)
    found = session.scalar(stmt)
    return _aware(found) if found else None


def is_blocked(session: Session, username: str, ip: str, now: dt.datetime | None = None) -> bool:
    """True when this username may not try from this address now (see the module docstring)."""
    now = now or utcnow()
    since = now - WINDOW
    name = normalize_username(username)
    known = _last_success(session, name, ip)
    if _failures_since(session, LoginAttempt.username, name, max(since, known or since), ip=ip) >= PAIR_LIMIT:
        return True
    if known is not None and known >= now - ATTEMPT_RETENTION:
        return False  # the owner's own address: what others do elsewhere or on other accounts does not count
    if _failures_since(session, LoginAttempt.ip, ip, since) >= IP_LIMIT:
        return True
    account_since = max(since, _last_success(session, name) or since)
    failures = _failures_since(session, LoginAttempt.username, name, account_since)
    if failures < ACCOUNT_SLOWDOWN:
        return False
    delay = min(dt.timedelta(seconds=2 ** min(failures - ACCOUNT_SLOWDOWN, 20)), WINDOW)
    last = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == name, LoginAttempt.success.is_(False)
        )
    )
    return last is not None and now - _aware(last) < delay


def unlock(session: Session, actor: object, username: str) -> int:
    """An admin lifts every login block on this username at once (its recorded failures go); audited."""
    name = normalize_username(username)
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        raise Invalid(f"Pengguna '{name}' tidak ada.")
    gone = session.execute(
        delete(LoginAttempt).where(LoginAttempt.username == name, LoginAttempt.success.is_(False))
    ).rowcount
    record_change(session, actor, "user", user.id, None, {"blokir_masuk": "dibuka"}, "buka blokir masuk")
    return gone or 0


def authenticate(session: Session, username: str, password: str, ip: str) -> User:
    """The user for these credentials, or AuthenticationFailed / TooManyAttempts; each checked try is kept.

    The caller must commit even when this raises, or the failure is not counted: use a session of its own.
    """
    name = normalize_username(username)[:64]
    ip = (ip or "-")[:45]
    if is_blocked(session, name, ip):
        raise TooManyAttempts()  # not recorded: a refused try must not keep the block alive
    user = session.scalar(select(User).where(User.username == name)) if name else None
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password or "")
    ok = ok and user is not None and user.active
    session.add(LoginAttempt(username=name, ip=ip, success=ok))
    if not ok:
        raise AuthenticationFailed()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    _prune_attempts(session)
    return user


def _prune_attempts(session: Session) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - ATTEMPT_RETENTION))


# --- sessions ---------------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """A fresh session token for `user` (goes into the signed cookie; only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session.execute(delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at < now))
    return token


def user_for_token(session: Session, token: str | None) -> User | None:
    """The active user behind a session token, or None when unknown, expired or disabled."""
    if not token:
        return None
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _token_hash(token)))
    if row is None:
        return None
    now = utcnow()
    if _aware(row.expires_at) <= now or not row.user.active:
        return None
    if now - _aware(row.last_seen_at) > dt.timedelta(minutes=5):  # do not write on every request
        row.last_seen_at = now
    return row.user


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(UserSession).where(UserSession.token_hash == _token_hash(token)))
