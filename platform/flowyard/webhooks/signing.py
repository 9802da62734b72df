"""Outbound webhook signing per Standard Webhooks, so receivers can use any off-the-shelf SDK.

Secrets rotate with overlap: while a tenant moves to a new secret we keep signing with every
active one and send all signatures in one ``webhook-signature`` header; a receiver holding either
the old or the new secret accepts, so nobody has to switch at the same instant.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _random
import time
from collections.abc import Sequence

from flowyard.webhooks.schemes.standard import SECRET_PREFIX, decode_secret, signed_content

DEFAULT_SECRET_BYTES = 32


def generate_secret(nbytes: int = DEFAULT_SECRET_BYTES) -> str:
    """A fresh ``whsec_<base64>`` secret; the spec asks for 24 to 64 random bytes."""
    if not 24 <= nbytes <= 64:
        raise ValueError("Standard Webhooks secrets must be 24 to 64 bytes long.")
    return SECRET_PREFIX + base64.b64encode(_random.token_bytes(nbytes)).decode("ascii")


def _to_bytes(body: bytes | str) -> bytes:
    return body if isinstance(body, bytes) else body.encode("utf-8")


def sign(secret: str | bytes, msg_id: str, timestamp: int, body: bytes | str) -> str:
    """``v1,<base64 HMAC-SHA256>`` over ``"{msg_id}.{timestamp}.{body}"`` (body as sent)."""
    content = signed_content(msg_id, str(int(timestamp)), _to_bytes(body))
    digest = hmac.new(decode_secret(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(
    secrets: Sequence[str | bytes], msg_id: str, timestamp: int, body: bytes | str
) -> str:
    """Space-separated signatures, one per active secret (rotation overlap)."""
    if isinstance(secrets, str | bytes) or not secrets:
        raise ValueError("Pass a non-empty sequence of secrets (a bare string is not one).")
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


def build_headers(
    secrets: Sequence[str | bytes],
    msg_id: str,
    body: bytes | str,
    *,
    now: float | None = None,
) -> dict[str, str]:
    """The three Standard Webhooks headers for one delivery attempt.

    Re-sign on every retry with a fresh ``now`` (receivers refuse timestamps older than five
    minutes) but keep the same ``msg_id`` so receivers can de-duplicate.
    """
    timestamp = int(time.time() if now is None else now)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, msg_id, timestamp, body),
    }
