"""A worker's connection lives long and keeps its plans: claim and finish stay primary-key
lookups even when those plans were made while ``execution`` was nearly empty.

Counted, not timed: the index entries read through any index but the primary key and the
running-rows index while 20 runs of a 3,000-run backlog are claimed and finished.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy.engine import make_url

from flowyard import clock
from flowyard.engine import checkpoints
from flowyard.engine.executions import Ending
from flowyard.engine.models import ExecutionStatus
from support.engine import action, doc, make_tenant, publish

QUEUED = """
INSERT INTO execution (id, tenant_id, workflow_id, version_id, status, trigger_kind,
  trigger_payload, summary, created_at, deliveries, cancel_requested, dead_letter, interactive)
SELECT gen_random_uuid(), %(tenant)s, %(workflow)s, %(version)s, 'queued', 'webhook',
  '{}'::jsonb, '', now(), 0, false, false, false
FROM generate_series(1, %(n)s) RETURNING id
"""

READ_BESIDE_THE_KEY = """
SELECT coalesce(sum(idx_tup_read), 0) FROM pg_stat_user_indexes
WHERE relname = 'execution' AND indexrelname NOT IN ('execution_pkey', 'ix_execution_running')
"""


def _queue(conn: psycopg.Connection[Any], workflow: Any, n: int) -> list[uuid.UUID]:
    params = {"tenant": workflow.tenant_id, "workflow": workflow.id,
              "version": workflow.published_version_id, "n": n}  # fmt: skip
    return [row.id for row in conn.execute(QUEUED, params).fetchall()]


def _claim_and_finish(conn: psycopg.Connection[Any], run_id: uuid.UUID, tenant: uuid.UUID) -> None:
    now = clock.now()
    claimed = conn.execute(checkpoints.CLAIM, {
        "id": run_id, "tenant": tenant, "me": "test-worker", "now": now,
        "until": now + timedelta(minutes=5), "cap": 10,
    }).fetchone()  # fmt: skip
    assert claimed is not None
    end = Ending(ExecutionStatus.SUCCEEDED, None, False, None, "", "execution.completed", {})
    statement, params, _message = checkpoints.finish_statement(claimed, [], end, now)
    conn.execute(statement, params)


def _read_beside_the_key(conn: psycopg.Connection[Any]) -> int:
    conn.execute("SELECT pg_stat_force_next_flush()")  # flushed as the backend goes idle
    return int(conn.execute(READ_BESIDE_THE_KEY).fetchone()[0])


def test_claim_and_finish_never_walk_a_tenants_backlog(db, redis):
    tenant = make_tenant()
    workflow = publish(tenant, doc("Keep", [action("keep", "core.set_fields", {"fields": {}})], []))
    libpq = make_url(db).set(drivername="postgresql").render_as_string(hide_password=False)
    # prepare_threshold=0: server-side prepared at once, as psycopg does after 5 runs
    with psycopg.connect(libpq, autocommit=True, prepare_threshold=0,
                         row_factory=namedtuple_row) as conn:  # fmt: skip
        for run_id in _queue(conn, workflow, 8):  # plans made on a nearly empty table
            _claim_and_finish(conn, run_id, tenant)
        backlog = _queue(conn, workflow, 3000)
        before = _read_beside_the_key(conn)
        for run_id in backlog[:20]:
            _claim_and_finish(conn, run_id, tenant)
        read = _read_beside_the_key(conn) - before
        finished = conn.execute(
            "SELECT count(*) AS n FROM execution WHERE status = 'succeeded'"
        ).fetchone()
    assert finished.n == 28
    assert read < 100, f"{read} index entries read beside the primary key for 20 runs"
