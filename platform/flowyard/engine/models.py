"""Workflows, their versions, executions and step runs: the engine's tables.

Every row is tenant-owned; JSON columns are JSONB so we can index and query into them.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from tenants.models import timestamp
from tenants.ownership import TenantOwned


def jsonb(*, nullable: bool = True, default: Any = None) -> Any:
    """A JSONB column (PostgreSQL only, by design)."""
    if default is not None:
        return Field(default_factory=lambda: type(default)(default), sa_type=JSONB,
                     nullable=nullable)  # fmt: skip
    return Field(default=None, sa_type=JSONB, nullable=nullable)


class ExecutionStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in {self.SUCCEEDED, self.FAILED, self.CANCELLED}


class StepStatus(enum.StrEnum):
    RUNNING = "running"
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class Workflow(TenantOwned, SQLModel, table=True):
    """A tenant's automation: an editable draft plus, once published, a pinned version."""

    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_workflow_tenant_name"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    draft: dict[str, Any] = jsonb(nullable=False, default={})
    draft_updated_at: datetime = timestamp()
    published_version_id: uuid.UUID | None = Field(default=None, index=True)
    enabled: bool = Field(default=True)
    trigger_kind: str = Field(default="manual", max_length=16, index=True)
    event_type: str | None = Field(default=None, max_length=200, index=True)
    created_at: datetime = timestamp()


class WorkflowVersion(TenantOwned, SQLModel, table=True):
    """An immutable published document; executions pin one."""

    __tablename__ = "workflow_version"
    __table_args__ = (UniqueConstraint("workflow_id", "number", name="uq_version_number"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    workflow_id: uuid.UUID = Field(foreign_key="workflow.id", index=True, ondelete="CASCADE")
    number: int
    document: dict[str, Any] = jsonb(nullable=False, default={})
    published_by: uuid.UUID | None = None
    created_at: datetime = timestamp()


class Execution(TenantOwned, SQLModel, table=True):
    """One run of a workflow version, from trigger to outcome."""

    # Few indexes, on purpose: a run's row is written three times (queued, claimed, finished)
    # and, since status and lease are indexed, each write adds an entry to every index. So
    # workflow_id and status have no index of their own (each leads a composite one), and
    # sub-workflow runs are indexed only where they exist. ix_execution_running holds only
    # running rows: the per-tenant cap counts them at every claim, and with it that count
    # stays a few index entries even when a plan was made while the table was empty (with
    # the tenant index instead, the count read every queued run of a tenant's backlog).
    __table_args__ = (
        UniqueConstraint("workflow_id", "trigger_key", name="uq_execution_trigger_key"),
        Index("ix_execution_tenant_created", "tenant_id", "created_at"),
        Index("ix_execution_status_lease", "status", "lease_until"),
        Index(
            "ix_execution_running",
            "tenant_id",
            "lease_until",
            postgresql_where=text("status = 'running'"),
        ),
        Index(
            "ix_execution_parent",
            "parent_execution_id",
            postgresql_where=text("parent_execution_id IS NOT NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    workflow_id: uuid.UUID = Field(foreign_key="workflow.id", ondelete="CASCADE")
    version_id: uuid.UUID = Field(foreign_key="workflow_version.id", ondelete="CASCADE")
    status: str = Field(default=ExecutionStatus.QUEUED, sa_column=Column(String(16),
                        nullable=False))  # fmt: skip
    trigger_kind: str = Field(default="manual", max_length=16)
    trigger_key: str | None = Field(default=None, max_length=200)
    trigger_payload: Any = jsonb()
    result: Any = jsonb()
    error: dict[str, Any] | None = jsonb()
    summary: str = Field(default="", max_length=500)
    created_at: datetime = timestamp()
    started_at: datetime | None = timestamp(nullable=True)
    finished_at: datetime | None = timestamp(nullable=True)
    wake_at: datetime | None = timestamp(nullable=True)
    lease_until: datetime | None = timestamp(nullable=True)
    lease_owner: str | None = Field(default=None, max_length=64)
    deliveries: int = Field(default=0)
    cancel_requested: bool = Field(default=False)
    dead_letter: bool = Field(default=False)
    parent_execution_id: uuid.UUID | None = Field(default=None)
    parent_step_id: str | None = Field(default=None, max_length=64)
    rerun_of_id: uuid.UUID | None = None
    interactive: bool = Field(default=False)


class StepRun(TenantOwned, SQLModel, table=True):
    """The checkpoint of one step (or one for-each iteration of it) in an execution."""

    __tablename__ = "step_run"
    __table_args__ = (UniqueConstraint("execution_id", "step_id", "item_path", name="uq_step_run"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # no index of its own: uq_step_run leads with it
    execution_id: uuid.UUID = Field(foreign_key="execution.id", ondelete="CASCADE")
    step_id: str = Field(max_length=64)
    item_path: str = Field(default="", max_length=500)
    status: str = Field(default=StepStatus.RUNNING, max_length=16)
    branch: str | None = Field(default=None, max_length=64)
    inputs: Any = jsonb()
    output: Any = jsonb()
    error: dict[str, Any] | None = jsonb()
    attempts: int = Field(default=1)
    idempotency_key: str = Field(max_length=200)
    started_at: datetime = timestamp()
    finished_at: datetime | None = timestamp(nullable=True)
    next_attempt_at: datetime | None = timestamp(nullable=True)
    duration_ms: int | None = None
    log: list[Any] | None = jsonb()
