"""Secrets at rest: authenticated, bound to their owner, rotatable."""

from __future__ import annotations

import pytest

from flowyard.security import vault
from flowyard.security.keys import new_key_text, parse_keys


def test_roundtrip_and_owner_binding() -> None:
    ring = parse_keys(f"k1:{new_key_text()}")
    token = vault.encrypt("xoxb-secret", context="tenant:A:connection:1", ring=ring)
    assert "xoxb-secret" not in token
    assert vault.decrypt(token, context="tenant:A:connection:1", ring=ring) == "xoxb-secret"
    with pytest.raises(vault.VaultError):
        vault.decrypt(token, context="tenant:B:connection:1", ring=ring)


def test_tampering_is_detected() -> None:
    ring = parse_keys(f"k1:{new_key_text()}")
    token = vault.encrypt("secret", context="c", ring=ring)
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(vault.VaultError):
        vault.decrypt(flipped, context="c", ring=ring)


def test_rotation_keeps_old_ciphertexts_readable_and_reencrypts() -> None:
    old_key, new_key = new_key_text(), new_key_text()
    old_ring = parse_keys(f"k1:{old_key}")
    token = vault.encrypt("secret", context="c", ring=old_ring)
    rotated_ring = parse_keys(f"k2:{new_key},k1:{old_key}")
    assert vault.needs_rotation(token, rotated_ring)
    assert vault.decrypt(token, context="c", ring=rotated_ring) == "secret"
    fresh = vault.reencrypt(token, context="c", ring=rotated_ring)
    assert vault.key_id_of(fresh) == "k2" and not vault.needs_rotation(fresh, rotated_ring)
    with pytest.raises(vault.VaultError):
        vault.decrypt(fresh, context="c", ring=old_ring)
