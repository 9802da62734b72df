"""Token lifecycle: refresh before expiry, the refresh race, 401 → refresh + retry, revocation."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from integration_people import connect_app
from sqlmodel import select

from flowyard import clock
from flowyard.db import tenant_session
from flowyard.integrations import refresh, tokens
from flowyard.integrations.models import Connection
from flowyard.integrations.provider import client_for_connection
from flowyard.triggers.models import PlatformEvent
from marketplace import registry
from marketplace.sdk import AuthError

pytestmark = pytest.mark.usefixtures("sandboxes")


def _row(person, connection_id) -> Connection:  # type: ignore[no-untyped-def]
    with tenant_session(person.tenant_id) as db:
        return db.get(Connection, connection_id)


def _secret(person, row):  # type: ignore[no-untyped-def]
    return tokens.unseal(row.secret, person.tenant_id, row.id)


def _refresh_calls(simulator) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for r in simulator.oauth._refresh.values() if r.rotated_at is not None)


def test_periodic_refresh_renews_tokens_expiring_soon(person, sandboxes):
    row = connect_app(person, "xero")
    before = _secret(person, row)
    with tenant_session(person.tenant_id) as db:
        assert refresh.due_for_refresh(db, timedelta(minutes=10)) == []
    with clock.frozen(clock.now() + timedelta(minutes=25)):  # the token lives 30 minutes
        with tenant_session(person.tenant_id) as db:
            due = refresh.due_for_refresh(db, timedelta(minutes=10))
        assert due == [(person.tenant_id, row.id)]
        started = time.perf_counter()
        refresh.refresh(person.tenant_id, row.id, margin=timedelta(minutes=10))
        took_ms = (time.perf_counter() - started) * 1000
    after = _row(person, row.id)
    fresh = _secret(person, after)
    assert fresh.access_token != before.access_token
    assert fresh.refresh_token != before.refresh_token  # Xero rotates refresh tokens
    assert after.token_version == row.token_version + 1
    assert after.expires_at > row.expires_at
    print(f"\ntoken refresh (locked, sandbox round trip, vault, commit): {took_ms:.1f} ms")


def test_refresh_skips_tokens_that_are_still_fresh(person, sandboxes):
    row = connect_app(person, "xero")
    calls = _refresh_calls(sandboxes.simulators["xero"])
    refresh.refresh(person.tenant_id, row.id, margin=timedelta(minutes=10))
    assert _refresh_calls(sandboxes.simulators["xero"]) == calls
    assert _row(person, row.id).token_version == row.token_version


def test_periodic_actor_refreshes_on_a_real_worker(person, sandboxes):
    from flowyard.integrations import actors
    from support.workers import running_worker

    row = connect_app(person, "xero")
    with clock.frozen(clock.now() + timedelta(minutes=25)), running_worker(threads=2):
        actors.refresh_expiring.send()
        deadline = time.monotonic() + 15
        while _row(person, row.id).token_version == row.token_version:
            assert time.monotonic() < deadline, "the refresh actor did not run"
            time.sleep(0.05)
    assert _row(person, row.id).status == "active"


def test_two_workers_refreshing_at_once_keep_the_rotated_token(person, sandboxes):
    xero = sandboxes.simulators["xero"]
    xero.oauth.settings.refresh_grace_seconds = 0  # a reused refresh token is rejected at once
    row = connect_app(person, "xero")
    gate = threading.Barrier(4)
    results, errors = [], []

    def worker() -> None:
        gate.wait()
        try:
            results.append(
                refresh.refresh(person.tenant_id, row.id, seen_version=row.token_version)
            )
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert len({tokens_.access_token for tokens_, _ in results}) == 1  # all use one new token
    assert _refresh_calls(xero) == 1  # the refresh token was spent once
    stored = _row(person, row.id)
    assert stored.status == "active" and stored.token_version == row.token_version + 1
    # the stored refresh token is the newest one: it still works
    refresh.refresh(person.tenant_id, row.id, seen_version=stored.token_version)
    assert _row(person, row.id).status == "active"


def test_a_401_refreshes_once_and_retries(person, sandboxes):
    row = connect_app(person, "xero")
    sandboxes.simulators["xero"].oauth.expire_access_tokens()
    client, credentials = client_for_connection(
        person.tenant_id, str(row.id), registry.connectors()["xero"], 5.0
    )
    with client:
        answer = client.get("/connections")
    assert answer.status_code == 200
    assert answer.json()[0]["tenantId"] == credentials["xero_tenant_id"]
    after = _row(person, row.id)
    assert after.token_version == row.token_version + 1
    assert after.calls_today == 2 and after.last_success_at is not None  # the 401 and the retry
    assert after.headroom_percent is not None and after.headroom_percent < 100


def test_revoked_access_marks_needs_reconnect_and_emits_the_event(person, sandboxes):
    row = connect_app(person, "xero")
    sandboxes.simulators["xero"].oauth.revoke_grant()  # the user removed the app in Xero
    with clock.frozen(clock.now() + timedelta(minutes=25)):
        with pytest.raises(refresh.NeedsReconnect) as stopped:
            refresh.refresh(person.tenant_id, row.id, margin=timedelta(minutes=10))
        today = clock.now()
    after = _row(person, row.id)
    expected = (
        f"Your Xero connection stopped working on {today.day} {today.strftime('%B')} "
        "because Xero asked us to sign in again. Reconnect"
    )
    assert after.status == "needs_reconnect"
    assert after.reconnect_reason == expected == stopped.value.message
    with tenant_session(person.tenant_id) as db:
        (event,) = db.exec(select(PlatformEvent)).all()
    assert event.type == "connection.needs_reconnect"
    assert event.payload["reason"] == expected and event.payload["connection_id"] == str(row.id)
    with pytest.raises(AuthError, match="stopped working"):  # steps now fail plainly
        client_for_connection(person.tenant_id, str(row.id), registry.connectors()["xero"], 5.0)


def test_a_token_copied_to_another_connection_does_not_decrypt(person, sandboxes):
    from flowyard.security.vault import VaultError

    row = connect_app(person, "xero")
    other = connect_app(person, "hubspot")
    with pytest.raises(VaultError):
        tokens.unseal(row.secret, person.tenant_id, other.id)


def test_connection_changes_are_on_the_audit_chain(db: str) -> None:
    """Connect and disconnect are security-relevant: both append to the audit chain."""
    from sqlmodel import select

    from flowyard.db import system_session, tenant_session
    from flowyard.integrations.connections import disconnect, save_new
    from flowyard.integrations.tokens import TokenSet
    from flowyard.security.audit import verify as verify_chain
    from flowyard.security.models import AuditEvent
    from support.engine import make_tenant

    tenant = make_tenant()
    with tenant_session(tenant) as session:
        row = save_new(
            session, tenant_id=tenant, connector_key="xero", app_name="Xero", auth_kind="oauth2",
            tokens=TokenSet(access_token="a"), label="Demo Org", created_by=None, sandbox=True,
        )  # fmt: skip
        disconnect(session, row)
    with system_session() as session:
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert actions[-2:] == ["connection.created", "connection.disconnected"]
    assert verify_chain().problems == []
