"""Password reset by an emailed, single-use, short-lived link.

Requests always look the same to the requester (no account probing). Using the link sets the
new password, burns the token, and signs the person out everywhere.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from flowyard import clock
from flowyard.security import mail, passwords
from flowyard.security.models import PasswordResetToken
from flowyard.security.sessions import LoginSession
from tenants.models import User
from tenants.service import find_user
from tenants.validation import InvalidInput, clean_email

TOKEN_TTL = timedelta(minutes=30)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(db: Session, email: str, *, base_url: str, brand: str = "") -> str | None:
    """Email a reset link if the account exists; returns the token (for tests) or None."""
    try:
        address = clean_email(email)
    except InvalidInput:
        return None
    user = find_user(db, address)
    if user is None or not user.is_active:
        return None
    token = secrets.token_urlsafe(32)
    now = clock.now()
    db.add(
        PasswordResetToken(
            token_hash=_digest(token), user_id=user.id, created_at=now, expires_at=now + TOKEN_TTL
        )
    )
    db.commit()
    link = f"{base_url.rstrip('/')}/reset/{token}"
    mail.send(
        user.email,
        "Reset your password",
        f"Hello {user.full_name or ''},\n\nSomeone (hopefully you) asked to reset the password "
        f"of this account. Open this link within 30 minutes to choose a new one:\n\n{link}\n\n"
        "If it wasn't you, ignore this email: your password stays as it is.\n",
        from_name=brand,
    )
    return token


def open_token(db: Session, token: str | None) -> PasswordResetToken | None:
    if not token or len(token) > 200:
        return None
    row = db.exec(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(token))
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= clock.now():
        return None
    return row


def complete_reset(db: Session, token: str, new_password: str) -> uuid.UUID:
    """Set the new password; raises InvalidInput / WeakPassword. Returns the user's id."""
    row = open_token(db, token)
    if row is None:
        raise InvalidInput("token", "This reset link has expired or was already used.")
    user = db.get(User, row.user_id)
    if user is None:
        raise InvalidInput("token", "This reset link has expired or was already used.")
    passwords.check_strength(new_password, email=user.email)
    now = clock.now()
    user.password_hash = passwords.hash_password(new_password)
    row.used_at = now
    db.add_all([user, row])
    db.execute(
        update(LoginSession)
        .where(col(LoginSession.user_id) == user.id, col(LoginSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    db.commit()
    return user.id
