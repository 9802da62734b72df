"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendation)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from flowyard.security.breached import is_breached

_hasher = PasswordHasher()  # argon2id
# A real hash to verify against when the account does not exist, so timing doesn't reveal it.
_DUMMY_HASH = _hasher.hash("flowyard-timing-equaliser")

MIN_LENGTH = 10
MAX_LENGTH = 256


class WeakPassword(ValueError):
    """The password breaks a rule; the message tells the user which one."""


def check_strength(password: str, *, email: str = "") -> None:
    """Refuse passwords that are short, overlong, built from the email or commonly breached."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters for your password.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters for your password.")
    local_part = email.split("@", 1)[0].lower()
    if local_part and len(local_part) >= 4 and local_part in password.lower():
        raise WeakPassword("Your password must not contain your email address.")
    if len(set(password)) < 4:
        raise WeakPassword("Your password repeats too few different characters.")
    if is_breached(password):
        raise WeakPassword(
            "That password is on the lists attackers try first. Pick something less common, "
            "such as three or four unrelated words."
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-effort check: an unknown user costs the same as a wrong password."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
