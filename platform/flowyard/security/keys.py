"""The keyring for secrets at rest: AES-256-GCM keys identified by a key id.

Keys come from ``FLOWYARD_SECRET_KEYS`` ("kid:base64key,kid2:base64key", first encrypts).
Without it, a key is generated into ``var/secret-keys.json`` on first run, with a warning:
fine for a laptop, not for production, where losing that file loses every stored secret.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flowyard.settings import Settings


class KeyringError(RuntimeError):
    """The configured keys are unusable; the message says how to fix them."""


@dataclass(frozen=True)
class Keyring:
    primary_kid: str
    keys: dict[str, bytes]
    created_at: dict[str, str]

    @property
    def primary(self) -> bytes:
        return self.keys[self.primary_kid]


def _decode_key(kid: str, text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise KeyringError(f"Secret key {kid!r} is not valid base64.") from None
    if len(key) != 32:
        raise KeyringError(f"Secret key {kid!r} must be 32 bytes (256 bits), not {len(key)}.")
    return key


def new_key_text() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def parse_keys(spec: str) -> Keyring:
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        kid, sep, text = part.partition(":")
        if not sep or not kid:
            raise KeyringError("FLOWYARD_SECRET_KEYS must look like 'kid:base64key,kid2:…'.")
        keys[kid] = _decode_key(kid, text)
        order.append(kid)
    if not order:
        raise KeyringError("FLOWYARD_SECRET_KEYS is empty.")
    return Keyring(order[0], keys, {})


def load_keyring(settings: Settings, *, create: bool = True) -> Keyring:
    """Keys from the environment, else from ``var/secret-keys.json`` (created if missing)."""
    if settings.secret_keys:
        return parse_keys(settings.secret_keys)
    path = Path(settings.var_dir) / "secret-keys.json"
    if not path.exists():
        if not create:
            raise KeyringError("No FLOWYARD_SECRET_KEYS and no var/secret-keys.json yet.")
        if settings.is_production:
            raise KeyringError("Set FLOWYARD_SECRET_KEYS in production; refusing to invent keys.")
        _write_new_keyfile(path)
    data = json.loads(path.read_text())
    keys = {kid: _decode_key(kid, item["key"]) for kid, item in data["keys"].items()}
    created = {kid: item.get("created_at", "") for kid, item in data["keys"].items()}
    return Keyring(data["primary"], keys, created)


def _write_new_keyfile(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    kid = "k" + datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    payload = {
        "primary": kid,
        "keys": {kid: {"key": new_key_text(), "created_at": datetime.now(UTC).isoformat()}},
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle, indent=2)
    print(
        f"WARNING: no FLOWYARD_SECRET_KEYS given; generated a new encryption key in {path}. "
        "Back it up: secrets stored with it cannot be read without it.",
        file=sys.stderr,
    )
