"""Accounts: users with one role and one wilayah, their server-side sessions, and login attempts.

Why in the database:
- Sessions are rows (the cookie carries only a signed random token), so logging out or disabling a user
  ends every session at once, on every worker.
- Login attempts are rows, so the rate limit survives restarts and holds across workers.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from siks.store.base import Base, utcnow


class User(Base):
    """A person who works in siks. `wilayah_code` (dotted) is the area they may see; None = nasional."""

    __tablename__ = "app_user"  # `user` is a reserved word in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(30))
    wilayah_code: Mapped[str | None] = mapped_column(String(13))
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column()

    sessions: Mapped[list[UserSession]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def __repr__(self) -> str:  # never the hash
        return f"User({self.username!r}, {self.role!r}, {self.wilayah_code!r})"


class UserSession(Base):
    """One login. The cookie holds the token; only its SHA-256 is stored, so a database leak is no login."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()

    user: Mapped[User] = relationship(back_populates="sessions")


class LoginAttempt(Base):
    """One try at logging in, failed or not: the limiter counts recent failures per username and per IP."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(45))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    success: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
    )


ACCOUNT_TABLES = ("app_user", "user_session", "login_attempt")
