"""claim_execution finds the run by its primary key whatever plan the session cached

Why: PL/pgSQL caches a generic plan per session. Made while ``execution`` was nearly empty
(a new install; the benchmark truncates between steps), ``WHERE e.id = p_id AND e.tenant_id =
p_tenant`` could be served by the tenant index, and once that tenant had a backlog every
claim read all of it under the tenant's claim lock: 160 claims/s instead of 2,700/s with
20,000 queued runs, until the next ANALYZE. ``IS NOT DISTINCT FROM`` (the same test for
non-null values) cannot be served by an index, so the primary key is the only way in.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 21:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIM_FUNCTION = """
CREATE OR REPLACE FUNCTION flowyard_claim_execution(
    p_id uuid, p_tenant uuid, p_me varchar, p_now timestamptz, p_until timestamptz, p_cap int
) RETURNS TABLE (
    id uuid, tenant_id uuid, workflow_id uuid, version_id uuid, trigger_payload jsonb,
    deliveries int, rerun_of_id uuid, cancel_requested boolean, parent_execution_id uuid,
    interactive boolean
) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_tenant::text, 7));
  RETURN QUERY
  UPDATE execution e SET
    lease_owner = p_me, lease_until = p_until, deliveries = e.deliveries + 1,
    status = CASE WHEN e.cancel_requested THEN e.status ELSE 'running' END,
    started_at = COALESCE(e.started_at, p_now)
  WHERE e.id = p_id AND e.tenant_id {tenant_test} p_tenant
    AND e.status IN ('queued', 'running', 'waiting')
    AND (e.lease_until IS NULL OR e.lease_until < p_now OR e.lease_owner = p_me)
    AND (SELECT count(*) FROM execution busy
         WHERE busy.tenant_id = p_tenant AND busy.status = 'running'
           AND busy.lease_until > p_now AND busy.id <> p_id) < p_cap
  RETURNING e.id, e.tenant_id, e.workflow_id, e.version_id, e.trigger_payload, e.deliveries,
            e.rerun_of_id, e.cancel_requested, e.parent_execution_id, e.interactive;
END
$$;
"""


def upgrade() -> None:
    op.execute(CLAIM_FUNCTION.format(tenant_test="IS NOT DISTINCT FROM"))


def downgrade() -> None:
    op.execute(CLAIM_FUNCTION.format(tenant_test="="))
