"""Secrets at rest: AES-256-GCM with the key id stored beside every ciphertext.

Format: ``v1:<kid>:<base64url(nonce || ciphertext+tag)>``. The associated data binds a
ciphertext to its owner and purpose (e.g. ``"tenant:<id>:connection:<id>"``), so a value
copied into another tenant's row fails to decrypt. Rotation: put the new key first in the
keyring; old ciphertexts still decrypt under their kid until ``flowyard rotate-keys``
re-encrypts them.
"""

from __future__ import annotations

import base64
import functools
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from flowyard.security.keys import Keyring, load_keyring
from flowyard.settings import get_settings

PREFIX = "v1"


class VaultError(RuntimeError):
    """A secret could not be decrypted (wrong key, tampered, or bound to another owner)."""


@functools.cache
def keyring() -> Keyring:
    return load_keyring(get_settings())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encrypt(plaintext: str | bytes, *, context: str, ring: Keyring | None = None) -> str:
    """Encrypt under the primary key, bound to ``context`` (owner and purpose)."""
    ring = ring or keyring()
    data = plaintext.encode() if isinstance(plaintext, str) else plaintext
    nonce = os.urandom(12)
    sealed = AESGCM(ring.primary).encrypt(nonce, data, context.encode())
    return f"{PREFIX}:{ring.primary_kid}:{_b64(nonce + sealed)}"


def decrypt_bytes(token: str, *, context: str, ring: Keyring | None = None) -> bytes:
    ring = ring or keyring()
    try:
        prefix, kid, payload = token.split(":", 2)
    except ValueError:
        raise VaultError("That stored secret is not in a format we recognise.") from None
    if prefix != PREFIX or kid not in ring.keys:
        raise VaultError(f"No key {kid!r} to decrypt this secret; was a key removed too early?")
    raw = _unb64(payload)
    try:
        return AESGCM(ring.keys[kid]).decrypt(raw[:12], raw[12:], context.encode())
    except InvalidTag:
        raise VaultError("A stored secret failed its integrity check.") from None


def decrypt(token: str, *, context: str, ring: Keyring | None = None) -> str:
    return decrypt_bytes(token, context=context, ring=ring).decode()


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1]


def needs_rotation(token: str, ring: Keyring | None = None) -> bool:
    """True when the secret is not encrypted under the current primary key."""
    return key_id_of(token) != (ring or keyring()).primary_kid


def reencrypt(token: str, *, context: str, ring: Keyring | None = None) -> str:
    """Decrypt with whichever key it names and encrypt again under the primary key."""
    ring = ring or keyring()
    return encrypt(decrypt_bytes(token, context=context, ring=ring), context=context, ring=ring)
