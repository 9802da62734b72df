"""TOTP multi-factor sign-in: enrolment with a QR code, codes, one-time recovery codes.

The TOTP secret is stored through the vault (bound to the user), recovery codes only as
SHA-256 digests. A code's time step is remembered so the same code cannot be used twice.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

import pyotp
import segno
from sqlmodel import Session

from flowyard import clock
from flowyard.security import vault
from flowyard.security.models import MfaEnrolment

RECOVERY_CODES = 10
VALID_WINDOW = 1  # accept the previous and next 30-second code (clock drift)


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment screen shows: the QR code, and the secret for typing by hand."""

    secret: str
    uri: str
    qr_data_uri: str


def _context(user_id: uuid.UUID) -> str:
    return f"user:{user_id}:mfa-totp"


def _hash_code(user_id: uuid.UUID, code: str) -> str:
    normal = code.replace("-", "").replace(" ", "").lower()
    return hashlib.sha256(f"{user_id}:{normal}".encode()).hexdigest()


def is_enrolled(db: Session, user_id: uuid.UUID) -> bool:
    row = db.get(MfaEnrolment, user_id)
    return row is not None and row.confirmed_at is not None


def begin(db: Session, user_id: uuid.UUID, account: str, issuer: str) -> Enrolment:
    """Start (or restart) an unconfirmed enrolment; a confirmed one is left untouched."""
    row = db.get(MfaEnrolment, user_id)
    if row is not None and row.confirmed_at is not None:
        raise ValueError("Two-step sign-in is already on. Turn it off first to re-enrol.")
    secret = pyotp.random_base32()
    if row is None:
        row = MfaEnrolment(user_id=user_id, secret="")
    row.secret = vault.encrypt(secret, context=_context(user_id))
    row.recovery_hashes, row.last_step, row.created_at = [], 0, clock.now()
    db.add(row)
    db.commit()
    uri = pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer or "Automations")
    qr = segno.make(uri, error="m").svg_data_uri(scale=4, border=2)
    return Enrolment(secret, uri, qr)


def _totp(row: MfaEnrolment) -> pyotp.TOTP:
    return pyotp.TOTP(vault.decrypt(row.secret, context=_context(row.user_id)))


def _matching_step(row: MfaEnrolment, code: str) -> int | None:
    digits = code.strip().replace(" ", "")
    if not (digits.isdigit() and len(digits) == 6):
        return None
    totp, now = _totp(row), clock.now()
    current = totp.timecode(now)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = current + offset
        if hmac.compare_digest(totp.generate_otp(step), digits) and step > row.last_step:
            return step
    return None


def confirm(db: Session, user_id: uuid.UUID, code: str) -> list[str] | None:
    """Turn MFA on when ``code`` matches; returns the recovery codes (shown once) or None."""
    row = db.get(MfaEnrolment, user_id)
    if row is None or row.confirmed_at is not None:
        return None
    step = _matching_step(row, code)
    if step is None:
        return None
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    row.recovery_hashes = [_hash_code(user_id, c) for c in codes]
    row.confirmed_at, row.last_step = clock.now(), step
    db.add(row)
    db.commit()
    return codes


def verify(db: Session, user_id: uuid.UUID, code: str) -> str | None:
    """Check a sign-in code: ``"totp"``, ``"recovery"`` (that code is now used up) or None."""
    row = db.get(MfaEnrolment, user_id)
    if row is None or row.confirmed_at is None or not code:
        return None
    step = _matching_step(row, code)
    if step is not None:
        row.last_step = step
        db.add(row)
        db.commit()
        return "totp"
    digest = _hash_code(user_id, code)
    if digest in row.recovery_hashes:
        row.recovery_hashes = [h for h in row.recovery_hashes if h != digest]
        db.add(row)
        db.commit()
        return "recovery"
    return None


def recovery_codes_left(db: Session, user_id: uuid.UUID) -> int:
    row = db.get(MfaEnrolment, user_id)
    return len(row.recovery_hashes) if row and row.confirmed_at else 0


def disable(db: Session, user_id: uuid.UUID) -> bool:
    """Turn MFA off (the caller has re-checked the person); True if it was on."""
    row = db.get(MfaEnrolment, user_id)
    if row is None:
        return False
    was_on = row.confirmed_at is not None
    db.delete(row)
    db.commit()
    return was_on
