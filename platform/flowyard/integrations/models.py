"""Tables for connected apps: connections (with their encrypted tokens) and sync jobs.

Tokens never sit in clear: ``Connection.secret`` is a vault token (AES-256-GCM) bound to the
row's tenant and id, decrypted only inside the worker step that uses it. What the pages and the
refresh scheduler need (expiry, scopes, health) is stored beside it in clear.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from flowyard.engine.models import jsonb
from tenants.models import timestamp
from tenants.ownership import TenantOwned


class ConnectionStatus(enum.StrEnum):
    ACTIVE = "active"
    NEEDS_RECONNECT = "needs_reconnect"
    DISCONNECTED = "disconnected"


class Connection(TenantOwned, SQLModel, table=True):
    """One tenant's authorised link to one provider account (a Xero organisation, a HubSpot
    portal …). ``token_version`` grows on every token change, so a worker holding an old
    access token can tell that someone else already refreshed it."""

    __tablename__ = "connection"
    __table_args__ = (Index("ix_connection_refresh_due", "status", "expires_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    connector_key: str = Field(max_length=40, index=True)
    display_name: str = Field(max_length=200)
    account_label: str = Field(default="", max_length=200)
    auth_kind: str = Field(max_length=32)
    secret: str = Field(sa_column=Column(Text, nullable=False))
    token_version: int = Field(default=1)
    expires_at: datetime | None = timestamp(nullable=True)
    scopes: list[str] = jsonb(nullable=False, default=[])
    sandbox: bool = Field(default=False)
    status: str = Field(default=ConnectionStatus.ACTIVE, max_length=20)
    reconnect_reason: str = Field(default="", max_length=500)
    needs_reconnect_since: datetime | None = timestamp(nullable=True)
    last_success_at: datetime | None = timestamp(nullable=True)
    last_error: str = Field(default="", max_length=1000)
    last_error_at: datetime | None = timestamp(nullable=True)
    last_refreshed_at: datetime | None = timestamp(nullable=True)
    calls_today: int = Field(default=0)
    calls_day: str = Field(default="", max_length=10)
    headroom_percent: int | None = None
    created_by: uuid.UUID | None = Field(
        default=None, foreign_key="app_user.id", ondelete="SET NULL"
    )
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class SyncJob(TenantOwned, SQLModel, table=True):
    """Copy records from one connection to another on a schedule (e.g. Xero → HubSpot)."""

    __tablename__ = "sync_job"
    __table_args__ = (Index("ix_sync_job_due", "enabled", "next_run_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=60)
    source_connection_id: uuid.UUID = Field(foreign_key="connection.id", ondelete="CASCADE")
    target_connection_id: uuid.UUID = Field(foreign_key="connection.id", ondelete="CASCADE")
    every_minutes: int = Field(default=60)
    enabled: bool = Field(default=True)
    next_run_at: datetime | None = timestamp(nullable=True)
    last_run_at: datetime | None = timestamp(nullable=True)
    created_at: datetime = timestamp()


class SyncRun(TenantOwned, SQLModel, table=True):
    """The log of one sync run: what was looked at, what changed, and what went wrong."""

    __tablename__ = "sync_run"
    __table_args__ = (Index("ix_sync_run_job_started", "job_id", "started_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    job_id: uuid.UUID = Field(foreign_key="sync_job.id", ondelete="CASCADE")
    status: str = Field(default="running", max_length=20)
    started_at: datetime = timestamp()
    finished_at: datetime | None = timestamp(nullable=True)
    duration_ms: int | None = None
    processed: int = Field(default=0)
    created: int = Field(default=0)
    updated: int = Field(default=0)
    skipped: int = Field(default=0)
    errors: list[dict[str, Any]] = jsonb(nullable=False, default=[])
    message: str = Field(default="", max_length=1000)
