"""The demo: seeded clients are connected to the sandbox apps, again on every start."""

from __future__ import annotations

import pytest
from sqlmodel import select

from flowyard.db import system_session
from flowyard.integrations.demo import connect_demo_tenants
from flowyard.integrations.models import Connection, SyncJob
from flowyard.seed import seed_demo

pytestmark = pytest.mark.usefixtures("sandboxes")


def test_demo_tenants_are_connected_and_reconnected_on_restart(db, redis):
    assert seed_demo()
    assert connect_demo_tenants(lambda _line: None) == 4
    with system_session() as session:
        rows = {(r.connector_key, r.id): r for r in session.exec(select(Connection)).all()}
        assert len(session.exec(select(SyncJob)).all()) == 1
    assert all(r.status == "active" and r.sandbox for r in rows.values())
    assert connect_demo_tenants(lambda _line: None) == 4  # simulators restarted: fresh tokens
    with system_session() as session:
        again = {(r.connector_key, r.id): r for r in session.exec(select(Connection)).all()}
    assert again.keys() == rows.keys()  # same rows, so workflows using them keep working
    assert all(again[k].token_version == rows[k].token_version + 1 for k in rows)
