"""Marker mixins that say who owns a row; the core's scoped session filters on them."""

from __future__ import annotations

import uuid

from sqlmodel import Field


class AgencyOwned:
    """A row that belongs to one agency (visible to that agency and its tenants' sessions)."""

    agency_id: uuid.UUID = Field(foreign_key="agency.id", index=True, ondelete="CASCADE")


class TenantOwned:
    """A row that belongs to one SME tenant: every such table carries ``tenant_id``."""

    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
