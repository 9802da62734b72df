"""Tables for platform events and workflow schedules."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from flowyard.engine.models import jsonb
from tenants.models import timestamp
from tenants.ownership import TenantOwned


class PlatformEvent(TenantOwned, SQLModel, table=True):
    """Something that happened (``execution.failed``, ``xero.invoice_paid``…), stored first.

    ``dispatched_at`` stays empty until the fan-out to event-triggered workflows and outbound
    webhook subscriptions has been done; the scheduler re-dispatches stragglers.
    """

    __tablename__ = "platform_event"
    __table_args__ = (Index("ix_platform_event_undispatched", "dispatched_at", "created_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    type: str = Field(max_length=200, index=True)
    payload: Any = jsonb()
    source: str = Field(default="platform", max_length=100)
    created_at: datetime = timestamp()
    dispatched_at: datetime | None = timestamp(nullable=True)


class ScheduleState(TenantOwned, SQLModel, table=True):
    """When a schedule-triggered workflow runs next; claimed with SKIP LOCKED by schedulers."""

    __tablename__ = "schedule_state"

    workflow_id: uuid.UUID = Field(foreign_key="workflow.id", primary_key=True, ondelete="CASCADE")
    cron: str = Field(max_length=200)
    timezone: str = Field(max_length=64)
    catch_up: str = Field(default="none", max_length=8)
    catch_up_max: int = Field(default=10)
    next_run_at: datetime = timestamp()
    last_slot_at: datetime | None = timestamp(nullable=True)


class TriggerCursor(TenantOwned, SQLModel, table=True):
    """Where a workflow's polling trigger got to, and when it looks again."""

    __tablename__ = "trigger_cursor"

    workflow_id: uuid.UUID = Field(foreign_key="workflow.id", primary_key=True, ondelete="CASCADE")
    connector: str = Field(max_length=40)
    trigger: str = Field(max_length=40)
    cursor: str | None = Field(default=None, max_length=2000)
    interval_seconds: int = Field(default=300)
    next_poll_at: datetime = timestamp()
    last_polled_at: datetime | None = timestamp(nullable=True)
    last_error: str = Field(default="", max_length=500)
    failures: int = Field(default=0)
