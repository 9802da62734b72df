"""Who must use two-step sign-in: agencies can require it for their staff and client admins."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from flowyard.security.models import AgencySecurityPolicy
from tenants.models import Membership
from tenants.roles import Role

COVERED_TENANT_ROLES = frozenset({Role.TENANT_ADMIN})


def requiring_agencies(db: Session) -> set[uuid.UUID]:
    rows = db.exec(
        select(AgencySecurityPolicy.agency_id).where(col(AgencySecurityPolicy.require_mfa))
    ).all()
    return set(rows)


def mfa_required(db: Session, user_id: uuid.UUID) -> bool:
    """True when any agency the user works in requires MFA for them (staff or client admin)."""
    strict = requiring_agencies(db)
    if not strict:
        return False
    for m in db.exec(select(Membership).where(Membership.user_id == user_id)).all():
        if m.agency_id not in strict:
            continue
        if m.tenant_id is None or Role(m.role) in COVERED_TENANT_ROLES:
            return True
    return False


def policy_for(db: Session, agency_id: uuid.UUID) -> AgencySecurityPolicy:
    """The agency's policy row (created with defaults on first use, not yet committed)."""
    row = db.exec(
        select(AgencySecurityPolicy).where(AgencySecurityPolicy.agency_id == agency_id)
    ).first()
    if row is None:
        row = AgencySecurityPolicy(agency_id=agency_id)
        db.add(row)
    return row


def covered_users(db: Session, agency_id: uuid.UUID) -> set[uuid.UUID]:
    """Everyone an agency's MFA requirement applies to."""
    ids = set()
    for m in db.exec(select(Membership).where(Membership.agency_id == agency_id)).all():
        if m.tenant_id is None or Role(m.role) in COVERED_TENANT_ROLES:
            ids.add(m.user_id)
    return ids
