"""Two agencies with clients and a person in every role, for security and API tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flowyard.db import system_session
from flowyard.security.passwords import hash_password
from tenants import service
from tenants.roles import Role

PASSWORD = "crumbly-croissant-42"
_HASH: list[str] = []


@dataclass
class World:
    agency_a: uuid.UUID
    agency_b: uuid.UUID
    tenant_a1: uuid.UUID
    tenant_a2: uuid.UUID
    tenant_b1: uuid.UUID
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)


def _password_hash() -> str:
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


def build_world() -> World:
    """Agency A (clients A1, A2) and B (client B1); in A: one person per role (tenant roles
    in A1), plus ``b_owner`` owning B."""
    with system_session() as db:
        a = service.create_agency(db, "Alpha Agency", commit=False)
        b = service.create_agency(db, "Beta Agency", commit=False)
        a1 = service.create_tenant(db, a.id, "Alpha One", commit=False)
        a2 = service.create_tenant(db, a.id, "Alpha Two", commit=False)
        b1 = service.create_tenant(db, b.id, "Beta One", commit=False)
        world = World(a.id, b.id, a1.id, a2.id, b1.id)
        people = [(role.value, role, None if role.is_agency_wide or role is Role.PLUGIN_DEVELOPER
                   else a1.id, a.id) for role in Role]  # fmt: skip
        people.append(("b_owner", Role.AGENCY_OWNER, None, b.id))
        for key, role, tenant_id, agency_id in people:
            email = f"{key.replace('_', '-')}@{'alpha' if agency_id == a.id else 'beta'}.example"
            user = service.create_user(db, email, full_name=f"Person {key}",
                                       password_hash=_password_hash(), commit=False)  # fmt: skip
            service.grant(db, user, agency_id, role, tenant_id, commit=False)
            world.users[key], world.emails[key] = user.id, email
        db.commit()
    return world


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
