"""Login sessions stored in PostgreSQL, so any web worker can serve any user.

The browser holds a random token in an HttpOnly cookie; the database keeps only its SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlmodel import Field, SQLModel, col, select
from sqlmodel import Session as DbSession

from tenants.models import User, timestamp, utcnow

COOKIE_NAME = "fy_session"


class LoginSession(SQLModel, table=True):
    """One signed-in browser."""

    __tablename__ = "login_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    created_at: datetime = timestamp()
    expires_at: datetime = timestamp()
    last_seen_at: datetime = timestamp()
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)
    revoked_at: datetime | None = timestamp(nullable=True)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    db: DbSession,
    user: User,
    *,
    ttl: timedelta,
    ip: str | None = None,
    user_agent: str | None = None,
) -> str:
    """Create a session row and return the raw token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        LoginSession(
            token_hash=_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + ttl,
            last_seen_at=now,
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    user.last_login_at = now
    db.add(user)
    db.commit()
    return token


def user_for_token(db: DbSession, token: str | None) -> User | None:
    """The active user a cookie token belongs to, or None if expired, revoked or unknown."""
    if not token or len(token) > 200:
        return None
    now = utcnow()
    row = db.exec(
        select(LoginSession).where(
            LoginSession.token_hash == _digest(token),
            col(LoginSession.revoked_at).is_(None),
            LoginSession.expires_at > now,
        )
    ).first()
    if row is None:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if (now - row.last_seen_at) > timedelta(minutes=5):
        row.last_seen_at = now
        db.add(row)
        db.commit()
    return user


def end_session(db: DbSession, token: str | None) -> None:
    """Revoke the session a cookie belongs to (logout)."""
    if not token:
        return
    row = db.exec(select(LoginSession).where(LoginSession.token_hash == _digest(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        db.add(row)
        db.commit()


def active_sessions(db: DbSession, user_id: uuid.UUID) -> list[LoginSession]:
    """The person's signed-in browsers, newest first (for "log out other sessions")."""
    return list(
        db.exec(
            select(LoginSession)
            .where(
                LoginSession.user_id == user_id,
                col(LoginSession.revoked_at).is_(None),
                LoginSession.expires_at > utcnow(),
            )
            .order_by(col(LoginSession.last_seen_at).desc())
        ).all()
    )


def end_other_sessions(db: DbSession, user_id: uuid.UUID, keep_token: str | None) -> int:
    """Revoke every session of the user except the one holding ``keep_token``."""
    keep = _digest(keep_token) if keep_token else ""
    ended = 0
    for row in active_sessions(db, user_id):
        if row.token_hash != keep:
            row.revoked_at = utcnow()
            db.add(row)
            ended += 1
    db.commit()
    return ended


def end_all_sessions(db: DbSession, user_id: uuid.UUID) -> int:
    """Revoke every session of the user (MFA policy switched on, password reset, erasure)."""
    return end_other_sessions(db, user_id, None)
