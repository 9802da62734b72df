"""Tables for agencies, tenants, users and memberships."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from tenants.ownership import AgencyOwned
from tenants.roles import Role


def utcnow() -> datetime:
    return datetime.now(UTC)


def timestamp(*, nullable: bool = False) -> object:
    """A timezone-aware timestamp column (timestamptz); naive times are a bug magnet."""
    if nullable:
        return Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


class Agency(SQLModel, table=True):
    """A digital agency and its white-label branding."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    slug: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    display_name: str = Field(max_length=120)
    logo_url: str | None = Field(default=None, max_length=2048)
    primary_color: str = Field(default="#4f46e5", max_length=7)
    support_email: str | None = Field(default=None, max_length=254)
    custom_domain: str | None = Field(default=None, max_length=253, unique=True)
    created_at: datetime = timestamp()


class Tenant(AgencyOwned, SQLModel, table=True):
    """An SME client of one agency."""

    __table_args__ = (UniqueConstraint("agency_id", "name", name="uq_tenant_agency_name"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=120)
    slug: str = Field(max_length=64, unique=True)
    locale: str = Field(default="en-GB", max_length=16)
    currency: str = Field(default="GBP", max_length=3)
    timezone: str = Field(default="Europe/London", max_length=64)
    plan: str = Field(default="starter", max_length=32)
    created_at: datetime = timestamp()


class User(SQLModel, table=True):
    """A person who signs in; what they see depends on their memberships."""

    __tablename__ = "app_user"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(sa_column=Column(String(254), unique=True, nullable=False, index=True))
    full_name: str = Field(default="", max_length=120)
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = Field(default=True)
    created_at: datetime = timestamp()
    last_login_at: datetime | None = timestamp(nullable=True)


class Membership(AgencyOwned, SQLModel, table=True):
    """Grants a user a role in an agency (tenant_id empty) or in one of its tenants."""

    __table_args__ = (
        UniqueConstraint(
            "user_id",
            "agency_id",
            "tenant_id",
            name="uq_membership_scope",
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    tenant_id: uuid.UUID | None = Field(
        default=None, foreign_key="tenant.id", index=True, ondelete="CASCADE"
    )
    role: Role = Field(sa_column=Column(String(32), nullable=False))
    created_at: datetime = timestamp()
