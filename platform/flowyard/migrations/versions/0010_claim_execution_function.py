"""claim_execution function: a worker takes a run's lease in one round trip

Why a function: the per-tenant concurrency cap is exact only if claims of one tenant are
serialised (advisory lock) *and* the count of live leases is taken after the lock, in a
statement with its own snapshot. PL/pgSQL runs each statement with a fresh snapshot, so the
lock and the claim travel as one autocommit call instead of BEGIN, lock, claim, COMMIT.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
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
  WHERE e.id = p_id AND e.tenant_id = p_tenant
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
    op.execute(CLAIM_FUNCTION)


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION IF EXISTS flowyard_claim_execution(uuid, uuid, varchar, timestamptz, "
        "timestamptz, int)"
    )
