"""API keys for ``/api/v1``: random, shown once, stored as SHA-256, found by a visible prefix.

A key looks like ``fy_<prefix>_<secret>``. Rotation issues a new key and lets the old one
work until ``grace_until``; revocation is immediate (every request re-reads the row).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from flowyard import clock
from flowyard.db import system_session
from flowyard.security.models import ApiKey
from tenants.validation import InvalidInput

KEY_SCOPES = ("read", "write", "execute")
DEFAULT_GRACE = timedelta(hours=24)
MAX_LIFETIME_DAYS = 730
_ALPHABET = string.ascii_lowercase + string.digits
LAST_USED_RESOLUTION = timedelta(seconds=30)


@dataclass(frozen=True)
class ApiPrincipal:
    """Who an API request acts for: the key, its owner (agency, maybe one tenant), its scopes."""

    key_id: uuid.UUID
    agency_id: uuid.UUID
    tenant_id: uuid.UUID | None
    scopes: frozenset[str]
    prefix: str


@dataclass(frozen=True)
class IssuedKey:
    """A new key: the row, and the secret shown to the person exactly once."""

    key: ApiKey
    secret: str


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_secret() -> tuple[str, str]:
    prefix = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return prefix, f"fy_{prefix}_{secrets.token_urlsafe(32)}"


def clean_scopes(scopes: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    chosen = [s for s in KEY_SCOPES if s in set(scopes)]
    unknown = set(scopes) - set(KEY_SCOPES)
    if unknown:
        first = sorted(unknown)[0]
        raise InvalidInput("scopes", f"Unknown scope {first!r}: use read, write or execute.")
    if not chosen:
        raise InvalidInput("scopes", "Pick at least one scope: read, write or execute.")
    return chosen


def create_key(
    db: Session,
    *,
    agency_id: uuid.UUID,
    tenant_id: uuid.UUID | None,
    name: str,
    scopes: list[str] | tuple[str, ...],
    expires_in_days: int | None = 365,
    created_by: uuid.UUID | None = None,
) -> IssuedKey:
    """Issue a key for a tenant (or the whole agency when ``tenant_id`` is None); commits."""
    clean_name = " ".join((name or "").split())
    if not clean_name or len(clean_name) > 120:
        raise InvalidInput("name", "Give the key a name of up to 120 characters.")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_LIFETIME_DAYS:
        raise InvalidInput("expires_in_days", f"Keys can last 1 to {MAX_LIFETIME_DAYS} days.")
    prefix, raw = _new_secret()
    now = clock.now()
    key = ApiKey(
        agency_id=agency_id,
        tenant_id=tenant_id,
        name=clean_name,
        prefix=prefix,
        secret_hash=_digest(raw),
        scopes=clean_scopes(scopes),
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db.add(key)
    db.commit()
    return IssuedKey(key, raw)


def rotate_key(db: Session, key: ApiKey, *, grace: timedelta = DEFAULT_GRACE) -> IssuedKey:
    """A new key with the same owner and scopes; the old one works until ``now + grace``."""
    if key.revoked_at is not None:
        raise InvalidInput("key", "That key was revoked; create a new one instead.")
    now = clock.now()
    lifetime = (key.expires_at - key.created_at).days if key.expires_at else None
    prefix, raw = _new_secret()
    fresh = ApiKey(
        agency_id=key.agency_id,
        tenant_id=key.tenant_id,
        name=key.name,
        prefix=prefix,
        secret_hash=_digest(raw),
        scopes=list(key.scopes),
        created_by=key.created_by,
        created_at=now,
        expires_at=now + timedelta(days=max(1, lifetime)) if lifetime else None,
        rotated_from_id=key.id,
    )
    key.grace_until = now + grace
    db.add_all([fresh, key])
    db.commit()
    return IssuedKey(fresh, raw)


def revoke_key(db: Session, key: ApiKey) -> None:
    """Stop the key at once (the next request with it gets 401)."""
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        db.add(key)
        db.commit()


def status(key: ApiKey, now: datetime | None = None) -> str:
    """``active``, ``retiring`` (rotated, in its grace period), ``expired`` or ``revoked``."""
    now = now or clock.now()
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    if key.grace_until is not None:
        return "retiring" if key.grace_until > now else "expired"
    return "active"


def authenticate(raw: str | None) -> ApiPrincipal | None:
    """The principal for a presented key, or None (unknown, revoked, expired, past grace)."""
    if not raw or len(raw) > 200 or not raw.startswith("fy_"):
        return None
    parts = raw.split("_", 2)
    if len(parts) != 3:
        return None
    with system_session() as db:
        key = db.exec(select(ApiKey).where(ApiKey.prefix == parts[1])).first()
        if key is None or not hmac.compare_digest(key.secret_hash, _digest(raw)):
            return None
        now = clock.now()
        if status(key, now) not in ("active", "retiring"):
            return None
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            key.last_used_at = now
            db.add(key)
            db.commit()
        return ApiPrincipal(key.id, key.agency_id, key.tenant_id, frozenset(key.scopes), key.prefix)
