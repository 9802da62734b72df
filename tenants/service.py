"""Creating and changing agencies, tenants, users and memberships, all-or-nothing.

Functions take an open SQLModel session (scoped by the caller) and either commit a complete
change or raise :class:`~tenants.validation.InvalidInput` having written nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from tenants.models import Agency, Membership, Tenant, User
from tenants.roles import TENANT_ROLES, Role
from tenants.validation import (
    InvalidInput,
    clean_colour,
    clean_currency,
    clean_domain,
    clean_email,
    clean_locale,
    clean_name,
    clean_timezone,
    clean_url,
    slugify,
)


@dataclass(frozen=True)
class BrandingChange:
    display_name: str
    primary_color: str
    logo_url: str | None = None
    support_email: str | None = None
    custom_domain: str | None = None


def _finish(db: Session, commit: bool) -> None:
    """Commit, or only flush so a caller can make several changes in one transaction."""
    if commit:
        db.commit()
    else:
        db.flush()


def _unique_slug(db: Session, model: type[Agency] | type[Tenant], base: str) -> str:
    """Slugs are unique across all agencies: check the table itself, not the scoped view."""
    column = model.__table__.c.slug  # type: ignore[attr-defined]
    slug, n = base, 1
    while db.execute(select(column).where(column == slug)).first() is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_agency(
    db: Session, display_name: str, *, primary_color: str = "#4f46e5", commit: bool = True
) -> Agency:
    name = clean_name(display_name, field="display_name", what="agency name")
    agency = Agency(
        slug=_unique_slug(db, Agency, slugify(name)),
        display_name=name,
        primary_color=clean_colour(primary_color),
    )
    db.add(agency)
    _finish(db, commit)
    return agency


def update_branding(db: Session, agency: Agency, change: BrandingChange) -> Agency:
    agency.display_name = clean_name(change.display_name, field="display_name", what="name")
    agency.primary_color = clean_colour(change.primary_color)
    agency.logo_url = clean_url(change.logo_url)
    agency.support_email = (
        clean_email(change.support_email, field="support_email") if change.support_email else None
    )
    domain = clean_domain(change.custom_domain)
    if (
        domain
        and db.exec(
            select(Agency.id).where(Agency.custom_domain == domain, Agency.id != agency.id)
        ).first()
    ):
        db.rollback()
        raise InvalidInput("custom_domain", f"{domain} is already used by another agency.")
    agency.custom_domain = domain
    db.add(agency)
    db.commit()
    return agency


def create_tenant(
    db: Session,
    agency_id: uuid.UUID,
    name: str,
    *,
    locale: str = "en-GB",
    currency: str = "GBP",
    timezone: str = "Europe/London",
    plan: str = "starter",
    commit: bool = True,
) -> Tenant:
    """Add an SME client to an agency; names are unique per agency, ignoring case."""
    clean = clean_name(name, what="client name")
    clash = db.exec(
        select(Tenant.id).where(
            Tenant.agency_id == agency_id, func.lower(Tenant.name) == clean.lower()
        )
    ).first()
    if clash is not None:
        raise InvalidInput("name", f'You already have a client called "{clean}".')
    tenant = Tenant(
        agency_id=agency_id,
        name=clean,
        slug=_unique_slug(db, Tenant, slugify(clean)),
        locale=clean_locale(locale),
        currency=clean_currency(currency),
        timezone=clean_timezone(timezone),
        plan=plan,
    )
    db.add(tenant)
    _finish(db, commit)
    return tenant


def find_user(db: Session, email: str) -> User | None:
    return db.exec(select(User).where(User.email == email.strip().lower())).first()


def create_user(
    db: Session,
    email: str,
    *,
    full_name: str = "",
    password_hash: str | None = None,
    commit: bool = True,
) -> User:
    address = clean_email(email)
    if find_user(db, address) is not None:
        raise InvalidInput("email", f"There is already an account for {address}.")
    user = User(email=address, full_name=" ".join(full_name.split())[:120],
                password_hash=password_hash)  # fmt: skip
    db.add(user)
    _finish(db, commit)
    return user


def grant(
    db: Session,
    user: User,
    agency_id: uuid.UUID,
    role: Role,
    tenant_id: uuid.UUID | None = None,
    *,
    commit: bool = True,
) -> Membership:
    """Give a user a role in an agency, or in one tenant of it (idempotent)."""
    if role in TENANT_ROLES and tenant_id is None:
        raise InvalidInput("role", f"The {role.label} role needs a client account.")
    existing = db.exec(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.agency_id == agency_id,
            Membership.tenant_id == tenant_id
            if tenant_id is not None
            else Membership.tenant_id.is_(None),  # type: ignore[union-attr]
        )
    ).first()
    if existing is not None:
        existing.role = role
        db.add(existing)
        _finish(db, commit)
        return existing
    membership = Membership(user_id=user.id, agency_id=agency_id, tenant_id=tenant_id, role=role)
    db.add(membership)
    _finish(db, commit)
    return membership
