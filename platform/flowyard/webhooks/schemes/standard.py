"""Standard Webhooks (https://www.standardwebhooks.com), also spoken by Svix.

Signed content is ``"{webhook-id}.{webhook-timestamp}.{raw body}"``. ``webhook-signature`` is a
space-separated list of ``version,signature`` entries so senders can rotate secrets (several
``v1`` entries) and add schemes; unknown versions are skipped and any matching entry passes.

Keys:

* symmetric ``v1`` (HMAC-SHA256): ``whsec_<base64>``, bare base64, or raw ``bytes``;
* asymmetric ``v1a`` (Ed25519): ``whpk_<base64 32-byte public key>``, ``whsk_<base64 seed or
  seed||public>``, or a bare base64 64-byte ``seed||public`` keypair (Svix's format, recognised
  only when the public half really derives from the seed).

An asymmetric key only ever checks ``v1a`` entries and a symmetric key only ``v1``: HMAC keyed
with a *public* key would let anyone forge signatures.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from flowyard.webhooks.schemes import _options
from flowyard.webhooks.schemes._common import (
    Inbound,
    any_equal,
    decode_b64,
    fresh,
    hmac_digest,
    parse_timestamp,
)

SECRET_PREFIX = "whsec_"
PUBLIC_KEY_PREFIX = "whpk_"
SIGNING_KEY_PREFIX = "whsk_"
# Svix sends the same scheme under its own header names.
_HEADER_SETS = (
    ("webhook-id", "webhook-timestamp", "webhook-signature"),
    ("svix-id", "svix-timestamp", "svix-signature"),
)


def _b64(text: str) -> bytes:
    """Lenient about missing padding (secrets get copy-pasted), strict about the alphabet."""
    text = text.strip()
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def decode_secret(secret: str | bytes) -> bytes:
    """Raw HMAC key from ``whsec_<base64>``, bare base64, or bytes; ValueError if unusable."""
    if isinstance(secret, bytes):
        key = secret
    else:
        text = secret.strip().removeprefix(SECRET_PREFIX)
        try:
            key = _b64(text)
        except (binascii.Error, ValueError):
            raise ValueError("Webhook secret is not valid base64 (expected whsec_…).") from None
    if not key:
        raise ValueError("Webhook secret is empty.")
    return key


def _public_from_seed(seed: bytes) -> Ed25519PublicKey:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key()


def _load_key(secret: str | bytes) -> bytes | Ed25519PublicKey | None:
    """HMAC key bytes, an Ed25519 public key, or None when the secret is unusable."""
    if isinstance(secret, bytes):
        return secret or None
    text = secret.strip()
    try:
        if text.startswith(PUBLIC_KEY_PREFIX):
            raw = _b64(text.removeprefix(PUBLIC_KEY_PREFIX))
            return Ed25519PublicKey.from_public_bytes(raw) if len(raw) == 32 else None
        if text.startswith(SIGNING_KEY_PREFIX):
            raw = _b64(text.removeprefix(SIGNING_KEY_PREFIX))
            return _public_from_seed(raw[:32]) if len(raw) in (32, 64) else None
        raw = _b64(text.removeprefix(SECRET_PREFIX))
    except (binascii.Error, ValueError):
        return None
    if not text.startswith(SECRET_PREFIX) and len(raw) == 64:
        public = _public_from_seed(raw[:32])
        if public.public_bytes_raw() == raw[32:]:
            return public
    return raw or None


def signed_content(msg_id: str, timestamp: str, body: bytes) -> bytes:
    return f"{msg_id}.{timestamp}.".encode() + body


def _ed25519_ok(key: Ed25519PublicKey, signature: str, content: bytes) -> bool:
    raw = decode_b64(signature)
    if raw is None or len(raw) != 64:
        return False
    try:
        key.verify(raw, content)
    except InvalidSignature:
        return False
    return True


def configure(options: Mapping[str, str]) -> Callable[[Inbound], bool]:
    """Options: ``tolerance`` (seconds, default 300, applied to past and future)."""
    _options.check_names("standard-webhooks", options, {"tolerance"})
    tolerance = _options.tolerance(options)

    def check(req: Inbound) -> bool:
        for id_name, ts_name, sig_name in _HEADER_SETS:
            signatures = req.header(sig_name)
            if signatures is not None:
                msg_id, raw_ts = req.header(id_name), req.header(ts_name)
                break
        else:
            return False
        timestamp = parse_timestamp(raw_ts)
        if not msg_id or timestamp is None or not fresh(timestamp, req.now, tolerance):
            return False
        key = _load_key(req.secret)
        if key is None:
            return False
        content = signed_content(msg_id, raw_ts or "", req.body)
        entries = [entry.partition(",") for entry in signatures.split()]
        if isinstance(key, Ed25519PublicKey):
            return any(_ed25519_ok(key, sig, content) for ver, _, sig in entries if ver == "v1a")
        expected = hmac_digest(key, content)
        return any_equal(expected, (decode_b64(sig) for ver, _, sig in entries if ver == "v1"))

    return check
