"""Shared plumbing for the signature schemes.

Every helper here turns malformed outside input into ``None``/``False`` instead of raising, so a
scheme can only answer "verified" or "not verified" for whatever a caller on the internet sends.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

# Timestamps are plain ASCII digits. `int()` alone would also accept "+12", " 12", "1_2" and
# non-ASCII digits, none of which a genuine sender produces.
_DIGITS = re.compile(r"[0-9]{1,16}", re.ASCII)

DEFAULT_TOLERANCE = 300.0
ALGORITHMS: dict[str, Callable[..., object]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
}


@dataclass(frozen=True)
class Inbound:
    """One received request, normalised once: lower-cased headers and the raw body bytes."""

    secret: str | bytes
    headers: Mapping[str, str]
    body: bytes
    now: float
    method: str | None = None
    uri: str | None = None

    def header(self, *names: str) -> str | None:
        """First non-empty header among `names` (already lower-case), stripped."""
        for name in names:
            value = self.headers.get(name)
            if value is not None and value.strip():
                return value.strip()
        return None


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Case-insensitive view; the first spelling of a header wins (duplicates are ambiguous)."""
    out: dict[str, str] = {}
    for key, value in headers.items():
        if isinstance(key, str) and isinstance(value, str):
            out.setdefault(key.lower(), value)
    return out


def to_bytes(value: str | bytes) -> bytes:
    """Body/secret text as UTF-8 bytes; bytes pass through untouched."""
    return value if isinstance(value, bytes) else value.encode("utf-8")


def parse_timestamp(value: str | None) -> int | None:
    """Integer timestamp from a header, or None when absent or not plain digits."""
    if value is None or not _DIGITS.fullmatch(value):
        return None
    return int(value)


def fresh(timestamp: float, now: float, tolerance: float) -> bool:
    """True when `timestamp` is within `tolerance` seconds of `now`, in either direction."""
    return abs(now - timestamp) <= tolerance


def decode_hex(value: str) -> bytes | None:
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def decode_b64(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def decode(value: str, encoding: str) -> bytes | None:
    """Signature text → digest bytes; comparing bytes makes hex case and the like irrelevant."""
    return decode_hex(value) if encoding == "hex" else decode_b64(value)


def hmac_digest(key: bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    return hmac.new(key, message, ALGORITHMS[algorithm]).digest()


def any_equal(expected: bytes, candidates: Iterable[bytes | None]) -> bool:
    """Constant-time comparison of `expected` against every candidate; any match passes."""
    found = False
    for candidate in candidates:
        if candidate is not None and hmac.compare_digest(expected, candidate):
            found = True
    return found


def body_hmac_check(header: str, encoding: str) -> Callable[[Inbound], bool]:
    """Check for providers that sign only the raw body with HMAC-SHA256 (no timestamp)."""

    def check(req: Inbound) -> bool:
        signature = req.header(header)
        if signature is None:
            return False
        expected = hmac_digest(to_bytes(req.secret), req.body)
        return any_equal(expected, [decode(signature, encoding)])

    return check
