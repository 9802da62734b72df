"""People and connections for integrations tests: a signed-in user of a tenant, and connecting
an app for them through the real OAuth dance."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


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
