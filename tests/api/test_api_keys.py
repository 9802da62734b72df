"""API keys: shown once, stored hashed, scoped, rotated with a grace period, revoked at once."""

from __future__ import annotations

from datetime import timedelta

import psycopg
from sqlalchemy.engine import make_url
from sqlmodel import select

from flowyard import clock
from flowyard.db import system_session
from flowyard.security import api_keys
from flowyard.security.models import ApiKey
from support.security_world import bearer


def _key_row(raw: str) -> ApiKey:
    with system_session() as db:
        row = db.exec(select(ApiKey).where(ApiKey.prefix == raw.split("_")[1])).one()
    return row


def test_requests_without_a_valid_key_are_refused(api, issue, world) -> None:  # type: ignore[no-untyped-def]
    assert api.get("/api/v1/tenants").status_code == 401
    assert api.get("/api/v1/tenants", headers=bearer("fy_nope_nope")).status_code == 401
    key = issue(world.tenant_a1)
    tampered = key[:-2] + ("aa" if not key.endswith("aa") else "bb")
    response = api.get("/api/v1/tenants", headers=bearer(tampered))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert api.get("/api/v1/tenants", headers={"X-API-Key": key}).status_code == 200


def test_the_secret_is_stored_only_as_a_hash(db, issue, world) -> None:  # type: ignore[no-untyped-def]
    key = issue(world.tenant_a1)
    url = make_url(db).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as conn:
        dump = str(conn.execute("SELECT * FROM api_key").fetchall())
    assert key not in dump and key.split("_", 2)[2] not in dump
    assert key.split("_")[1] in dump  # the visible prefix


def test_scopes_limit_what_a_key_may_do(api, issue, world) -> None:  # type: ignore[no-untyped-def]
    reader = issue(world.tenant_a1, scopes=("read",))
    base = f"/api/v1/tenants/{world.tenant_a1}/workflows"
    assert api.get(base, headers=bearer(reader)).status_code == 200
    refused = api.post(base, json={"name": "Nope"}, headers=bearer(reader))
    assert refused.status_code == 403
    assert "'write' scope" in refused.json()["error"]["message"]
    writer = issue(world.tenant_a1, scopes=("write",))
    assert api.post(base, json={"name": "Yes"}, headers=bearer(writer)).status_code == 201


def test_rotation_keeps_the_old_key_working_during_the_grace_period(api, issue, world) -> None:  # type: ignore[no-untyped-def]
    old = issue(world.tenant_a1)
    path = f"/api/v1/tenants/{world.tenant_a1}"
    with system_session() as db:
        row = db.get(ApiKey, _key_row(old).id)
        fresh = api_keys.rotate_key(db, row, grace=timedelta(hours=1))
    with clock.frozen(clock.now()) as advance:
        assert api.get(path, headers=bearer(old)).status_code == 200
        assert api.get(path, headers=bearer(fresh.secret)).status_code == 200
        assert api_keys.status(_key_row(old)) == "retiring"
        advance(timedelta(minutes=61))
        assert api.get(path, headers=bearer(old)).status_code == 401
        assert api.get(path, headers=bearer(fresh.secret)).status_code == 200
    assert fresh.key.rotated_from_id == row.id
    assert fresh.key.scopes == row.scopes


def test_revocation_is_immediate(api, issue, world) -> None:  # type: ignore[no-untyped-def]
    key = issue(world.tenant_a1)
    path = f"/api/v1/tenants/{world.tenant_a1}"
    assert api.get(path, headers=bearer(key)).status_code == 200
    with system_session() as db:
        api_keys.revoke_key(db, db.get(ApiKey, _key_row(key).id))
    assert api.get(path, headers=bearer(key)).status_code == 401


def test_expired_keys_stop_working_and_last_use_is_recorded(api, issue, world) -> None:  # type: ignore[no-untyped-def]
    key = issue(world.tenant_a1, expires_in_days=1)
    path = f"/api/v1/tenants/{world.tenant_a1}"
    assert _key_row(key).last_used_at is None
    assert api.get(path, headers=bearer(key)).status_code == 200
    assert _key_row(key).last_used_at is not None
    with clock.frozen(clock.now() + timedelta(days=1, seconds=1)):
        assert api.get(path, headers=bearer(key)).status_code == 401
