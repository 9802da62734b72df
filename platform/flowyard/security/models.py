"""Security tables: audit events, API keys, MFA enrolments, reset tokens, agency policies.

The audit table has no foreign keys on purpose: its rows outlive the tenants and people they
mention (as tombstones without personal data after an erasure).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Identity, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from tenants.models import timestamp
from tenants.ownership import AgencyOwned


class AuditEvent(SQLModel, table=True):
    """One security-relevant action, hash-chained to the one before it (one global chain).

    ``hash`` covers the chained fields plus ``pii_digest``; the personal fields (``actor_email``,
    ``ip``, ``details``) are covered only through that digest (salted with ``pii_salt``), so an
    erasure can blank them, and the salt, without breaking the chain.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_agency_time", "agency_id", "occurred_at"),
        Index("ix_audit_tenant_time", "tenant_id", "occurred_at"),
    )

    seq: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=False), primary_key=True)
    )
    occurred_at: datetime = timestamp()
    action: str = Field(max_length=64, index=True)
    outcome: str = Field(default="ok", max_length=16)
    agency_id: uuid.UUID | None = Field(default=None)
    tenant_id: uuid.UUID | None = Field(default=None)
    actor_user_id: uuid.UUID | None = Field(default=None, index=True)
    actor_kind: str = Field(default="user", max_length=16)
    target_type: str = Field(default="", max_length=64)
    target_id: str = Field(default="", max_length=64)
    summary: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB, nullable=False)
    pii_digest: str = Field(default="", max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
    # Personal data: blanked by erasure; covered by the chain only through pii_digest.
    actor_email: str | None = Field(default=None, max_length=254)
    ip: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] | None = Field(default=None, sa_type=JSONB, nullable=True)
    pii_salt: str | None = Field(default=None, max_length=32)
    erased_at: datetime | None = timestamp(nullable=True)


class ApiKey(AgencyOwned, SQLModel, table=True):
    """A key for ``/api/v1``: agency-wide (``tenant_id`` empty) or for one tenant.

    Only the SHA-256 of the secret is kept; ``prefix`` (shown in lists) finds the row fast.
    During a rotation the old key keeps working until ``grace_until``.
    """

    __tablename__ = "api_key"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID | None = Field(
        default=None, foreign_key="tenant.id", index=True, ondelete="CASCADE"
    )
    name: str = Field(max_length=120)
    prefix: str = Field(max_length=16, unique=True, index=True)
    secret_hash: str = Field(max_length=64)
    scopes: list[str] = Field(default_factory=list, sa_type=JSONB, nullable=False)
    created_by: uuid.UUID | None = Field(default=None)
    created_at: datetime = timestamp()
    expires_at: datetime | None = timestamp(nullable=True)
    last_used_at: datetime | None = timestamp(nullable=True)
    revoked_at: datetime | None = timestamp(nullable=True)
    rotated_from_id: uuid.UUID | None = Field(default=None)
    grace_until: datetime | None = timestamp(nullable=True)


class MfaEnrolment(SQLModel, table=True):
    """A person's TOTP secret (vault-encrypted) and their hashed one-time recovery codes."""

    __tablename__ = "mfa_enrolment"

    user_id: uuid.UUID = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    secret: str = Field(max_length=500)
    confirmed_at: datetime | None = timestamp(nullable=True)
    recovery_hashes: list[str] = Field(default_factory=list, sa_type=JSONB, nullable=False)
    last_step: int = Field(default=0, sa_type=BigInteger)
    created_at: datetime = timestamp()


class PasswordResetToken(SQLModel, table=True):
    """A single-use emailed reset link; only its SHA-256 is kept."""

    __tablename__ = "password_reset_token"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    created_at: datetime = timestamp()
    expires_at: datetime = timestamp()
    used_at: datetime | None = timestamp(nullable=True)


class AgencySecurityPolicy(AgencyOwned, SQLModel, table=True):
    """An agency's security settings: MFA requirement, allowed origins, API plan, SSO."""

    __tablename__ = "agency_security_policy"
    __table_args__ = (UniqueConstraint("agency_id", name="uq_security_policy_agency"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    require_mfa: bool = Field(default=False)
    portal_origins: list[str] = Field(default_factory=list, sa_type=JSONB, nullable=False)
    api_requests_per_minute: int | None = Field(default=None)
    oidc_issuer: str | None = Field(default=None, max_length=500)
    oidc_client_id: str | None = Field(default=None, max_length=200)
    oidc_client_secret: str | None = Field(default=None, max_length=2000)
    updated_at: datetime = timestamp()
