"""fewer indexes on the rows every webhook and run writes

Why: an execution's row is written three times (queued, claimed, finished) and, because
status and lease are indexed, every write adds an entry to every index of the table. Four of
its nine indexes were covered by others or held almost nothing useful:

* ``workflow_id`` and ``status`` each lead a composite index already
  (``uq_execution_trigger_key``, ``ix_execution_status_lease``);
* ``dead_letter`` is never searched on (it is shown with a run, not looked up);
* ``parent_execution_id`` is empty for all but sub-workflow runs: indexed only where set.

One is added, small: ``ix_execution_running`` holds running rows only, for the count the
per-tenant cap takes at every claim. Planned while the table was empty, that count used the
tenant index and, once a tenant had a backlog, read every queued run of it under the tenant's
claim lock (measured: a backlog drained at 55-70 runs/s instead of 200-240/s).

Likewise a step's ``execution_id`` leads ``uq_step_run``, and only webhooks with a sender's id
are looked up by it (``ix_inbound_dedupe`` becomes partial).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COVERED = [
    ("ix_execution_workflow_id", "execution", ["workflow_id"]),
    ("ix_execution_status", "execution", ["status"]),
    ("ix_execution_dead_letter", "execution", ["dead_letter"]),
    ("ix_execution_parent_execution_id", "execution", ["parent_execution_id"]),
    ("ix_step_run_execution_id", "step_run", ["execution_id"]),
]


def upgrade() -> None:
    for name, table, _columns in _COVERED:
        op.drop_index(name, table_name=table)
    op.create_index(
        "ix_execution_parent",
        "execution",
        ["parent_execution_id"],
        postgresql_where=sa.text("parent_execution_id IS NOT NULL"),
    )
    op.create_index(
        "ix_execution_running",
        "execution",
        ["tenant_id", "lease_until"],
        postgresql_where=sa.text("status = 'running'"),
    )
    op.drop_index("ix_inbound_dedupe", table_name="webhook_inbound_event")
    op.create_index(
        "ix_inbound_dedupe",
        "webhook_inbound_event",
        ["endpoint_id", "dedupe_key"],
        postgresql_where=sa.text("dedupe_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_dedupe", table_name="webhook_inbound_event")
    op.create_index("ix_inbound_dedupe", "webhook_inbound_event", ["endpoint_id", "dedupe_key"])
    op.drop_index("ix_execution_parent", table_name="execution")
    op.drop_index("ix_execution_running", table_name="execution")
    for name, table, columns in reversed(_COVERED):
        op.create_index(name, table, columns)
