"""Integrations tests: the provider simulators on real sockets, real PostgreSQL and Redis.

The platform is pointed at the simulators exactly as in the demo (``FLOWYARD_SANDBOXES=1``,
``FLOWYARD_SANDBOX_URLS``, the SSRF allow-list naming each simulator's port). Redis is database
11 here so a concurrent run of other suites (database 9) can't flush our rate limits or OAuth
state.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from connectors.sandbox_kit import ManualClock
from support import services

PUBLIC_BASE = "http://127.0.0.1:9"
REDIRECT_URI = f"{PUBLIC_BASE}/oauth/callback"


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    url = services.with_redis_db(services.redis_url(), 11)
    previous = os.environ.get("REDIS_URL")
    os.environ["REDIS_URL"] = url
    from flowyard.settings import get_settings

    get_settings.cache_clear()
    yield url
    if previous is None:
        os.environ.pop("REDIS_URL", None)
    else:
        os.environ["REDIS_URL"] = previous
    get_settings.cache_clear()


@pytest.fixture
def clock() -> ManualClock:
    """The simulators' clock (codes, token expiry); the platform's is ``flowyard.clock``."""
    import time

    return ManualClock(time.time())


@pytest.fixture
def sandboxes(clock: ManualClock, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Xero, HubSpot and Asana simulators with our demo OAuth app, and the env pointing at them."""
    from flowyard.integrations import sandboxes as hosting
    from flowyard.integrations.sandboxes import SandboxHost
    from flowyard.settings import get_settings

    sims = {key: hosting.build(key, clock=clock) for key in ("xero", "hubspot", "asana")}
    host = SandboxHost().start(sims, redirect_uris=[REDIRECT_URI], simulators=sims)
    for key, value in host.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC_BASE)
    get_settings.cache_clear()
    yield host
    host.stop()
    get_settings.cache_clear()


@dataclass(frozen=True)
class Person:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    slug: str
    session_token: str


def make_person(
    role: str = "tenant_admin", tenant: str = "Rosa's Bakery", email: str | None = None
) -> Person:
    """A tenant (in one agency) and a signed-in user with ``role`` there."""
    from sqlmodel import select

    from flowyard.db import system_session
    from flowyard.security import auth
    from tenants import service
    from tenants.models import Agency, Tenant
    from tenants.roles import Role

    with system_session() as db:
        agency = db.exec(select(Agency)).first() or service.create_agency(db, "Alpha Agency")
        row = db.exec(select(Tenant).where(Tenant.name == tenant)).first()
        row = row or service.create_tenant(db, agency.id, tenant)
        user = service.create_user(db, email or f"{uuid.uuid4().hex[:8]}@example.test")
        wide = Role(role).is_agency_wide
        service.grant(db, user, agency.id, Role(role), None if wide else row.id)
        tenant_id, slug, user_id = row.id, row.slug, user.id
    token = auth.sign_in(user_id, ip=None, user_agent="pytest")
    return Person(user_id, tenant_id, slug, token)


@pytest.fixture
def person(db: str, redis: str) -> Person:
    return make_person()


def connect_app(person: Person, key: str):  # type: ignore[no-untyped-def]
    """Connect ``key`` for ``person``'s tenant through the real OAuth dance; the new row."""
    from oauth_dance import connect
    from sqlmodel import col, select

    from flowyard.db import tenant_session
    from flowyard.integrations.models import Connection

    landing = connect(person.session_token, key, person.slug)
    assert landing.query == {"connected": key}, landing
    with tenant_session(person.tenant_id) as db:
        query = select(Connection).where(Connection.connector_key == key)
        return db.exec(query.order_by(col(Connection.created_at).desc())).first()
