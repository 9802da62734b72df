"""``flowyard rotate-keys``: every registered secret ends up under the new primary key."""

from __future__ import annotations

import pytest
from integration_people import connect_app
from sqlmodel import select

from flowyard.db import tenant_session
from flowyard.integrations import encrypted_columns, tokens
from flowyard.integrations.models import Connection
from flowyard.security import vault
from flowyard.security.keys import Keyring, new_key_text, parse_keys

pytestmark = pytest.mark.usefixtures("sandboxes")


def _with_new_primary() -> Keyring:
    old = ",".join(f"{kid}:{vault._b64(key)}" for kid, key in vault.keyring().keys.items())
    return parse_keys(f"k-new:{new_key_text()},{old}")


def test_rotate_keys_reencrypts_connections_and_keeps_them_readable(person, monkeypatch):
    connect_app(person, "xero")
    connect_app(person, "hubspot")
    with tenant_session(person.tenant_id) as db:
        rows = list(db.exec(select(Connection)))
    before = {r.id: tokens.unseal(r.secret, person.tenant_id, r.id) for r in rows}
    ring = _with_new_primary()
    monkeypatch.setattr(vault, "keyring", lambda: ring)

    assert encrypted_columns.remaining(ring) == 2
    reports = {(r.table, r.column): r for r in encrypted_columns.rotate_all(ring)}
    assert reports[("connection", "secret")].rotated == 2
    assert encrypted_columns.remaining(ring) == 0
    with tenant_session(person.tenant_id) as db:
        rows = list(db.exec(select(Connection)))
    for row in rows:
        assert vault.key_id_of(row.secret) == "k-new"
        assert tokens.unseal(row.secret, person.tenant_id, row.id) == before[row.id]
    only_new = parse_keys(f"k-new:{vault._b64(ring.keys['k-new'])}")
    monkeypatch.setattr(vault, "keyring", lambda: only_new)  # the old key can now go
    for row in rows:
        assert tokens.unseal(row.secret, person.tenant_id, row.id) == before[row.id]
    assert sum(r.rotated for r in encrypted_columns.rotate_all(only_new)) == 0


def test_rotation_leaves_a_row_written_meanwhile_alone(person, monkeypatch):
    row = connect_app(person, "xero")
    ring = _with_new_primary()
    monkeypatch.setattr(vault, "keyring", lambda: ring)
    column = next(c for c in encrypted_columns.registered() if c.table == "connection")
    real_reencrypt = vault.reencrypt

    def refresh_lands_meanwhile(token, *, context, ring=None):  # type: ignore[no-untyped-def]
        with tenant_session(person.tenant_id) as db:
            fresh = db.get(Connection, row.id)
            newer = tokens.TokenSet(access_token="newer")
            fresh.secret = tokens.seal(newer, person.tenant_id, row.id)
            db.add(fresh)
            db.commit()
        return real_reencrypt(token, context=context, ring=ring)

    monkeypatch.setattr(vault, "reencrypt", refresh_lands_meanwhile)
    assert encrypted_columns.rotate_column(column, ring).rotated == 0
    with tenant_session(person.tenant_id) as db:
        kept = db.get(Connection, row.id)
    assert tokens.unseal(kept.secret, person.tenant_id, row.id).access_token == "newer"
    assert vault.key_id_of(kept.secret) == "k-new"  # written under the new primary anyway


def test_rotate_keys_command_runs(person, monkeypatch):
    from typer.testing import CliRunner

    from flowyard.cli import app

    connect_app(person, "xero")
    result = CliRunner().invoke(app, ["rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "Every secret uses the current key" in result.output
