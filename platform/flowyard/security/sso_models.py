"""Per-agency OpenID Connect settings (one row per agency that configured SSO).

Kept in its own table so the SSO owner can evolve it without touching the shared policy row.
The client secret is vault ciphertext bound to ``agency:<id>:oidc``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from tenants.models import timestamp
from tenants.ownership import AgencyOwned


class AgencySso(AgencyOwned, SQLModel, table=True):
    """An agency's identity provider and how strictly its staff must use it.

    There is no auto-provisioning: only people who already have a membership in the agency
    (or one of its clients) can sign in through SSO.
    """

    __tablename__ = "agency_sso"
    __table_args__ = (UniqueConstraint("agency_id", name="uq_agency_sso_agency"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enabled: bool = Field(default=False)
    issuer: str = Field(default="", max_length=500)
    client_id: str = Field(default="", max_length=200)
    client_secret: str | None = Field(default=None, max_length=2000)
    allowed_domains: list[str] = Field(default_factory=list, sa_type=JSONB, nullable=False)
    require_sso: bool = Field(default=False)
    counts_as_mfa: bool = Field(default=False)
    updated_at: datetime = timestamp()
