"""What a signed-in user may see: the agencies and tenants their memberships reach.

Identity look-ups read only the user's own memberships, so they use a system session;
everything a page then reads about a tenant goes through that tenant's scoped session.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import select

from flowyard.db import system_session
from tenants.models import Agency, Membership, Tenant, User
from tenants.roles import Role

AGENCY_ADMIN_ROLES = frozenset({Role.AGENCY_OWNER, Role.AGENCY_ADMIN})


@dataclass(frozen=True)
class TenantAccess:
    tenant_id: uuid.UUID
    tenant_name: str
    tenant_slug: str
    agency_id: uuid.UUID
    role: Role


@dataclass(frozen=True)
class AgencyAccess:
    agency_id: uuid.UUID
    agency_name: str
    role: Role | None
    tenants: tuple[TenantAccess, ...]


def access_for(user_id: uuid.UUID) -> list[AgencyAccess]:
    """Every agency the user belongs to, with the tenants they can open and their role there.

    Agency-wide roles reach every tenant of the agency; tenant roles reach only that tenant.
    """
    with system_session() as db:
        memberships = db.exec(select(Membership).where(Membership.user_id == user_id)).all()
        agency_ids = {m.agency_id for m in memberships}
        if not agency_ids:
            return []
        agencies = {
            a.id: a
            for a in db.exec(select(Agency).where(Agency.id.in_(agency_ids))).all()  # type: ignore[attr-defined]
        }
        tenants = db.exec(
            select(Tenant).where(Tenant.agency_id.in_(agency_ids)).order_by(Tenant.name)  # type: ignore[attr-defined]
        ).all()
    result: list[AgencyAccess] = []
    for agency_id, agency in sorted(agencies.items(), key=lambda kv: kv[1].display_name):
        agency_role = next(
            (Role(m.role) for m in memberships if m.agency_id == agency_id and m.tenant_id is None),
            None,
        )
        tenant_roles = {
            m.tenant_id: Role(m.role)
            for m in memberships
            if m.agency_id == agency_id and m.tenant_id
        }
        reachable = []
        for tenant in tenants:
            if tenant.agency_id != agency_id:
                continue
            role = tenant_roles.get(tenant.id) or (
                agency_role if agency_role and agency_role.is_agency_wide else None
            )
            if role is not None:
                reachable.append(TenantAccess(tenant.id, tenant.name, tenant.slug, agency_id, role))
        result.append(AgencyAccess(agency_id, agency.display_name, agency_role, tuple(reachable)))
    return result


def tenant_access(user_id: uuid.UUID, tenant_slug: str) -> TenantAccess | None:
    """The user's access to one tenant by its URL slug, or None if they have none."""
    for agency in access_for(user_id):
        for tenant in agency.tenants:
            if tenant.tenant_slug == tenant_slug:
                return tenant
    return None


def load_user(user_id: uuid.UUID) -> User | None:
    with system_session() as db:
        return db.get(User, user_id)
