"""Schemathesis over /api/v1/openapi.json: no 500s, and every answer matches the document.

Runs in-process over ASGI (the real app with the security wrapper, real PostgreSQL and
Redis). Path ids point at real records of the key's tenant so handlers run past the look-up;
a few hundred examples in total, bounded by max_examples and a per-example deadline.
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from flowyard.api.security_headers import security_headers
from flowyard.api.v1.app import api_app
from flowyard.db import tenant_session
from flowyard.engine import executions, versions
from support.security_world import World, bearer

schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", security_headers(api_app()))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip
DOC = {"name": "Fuzzed", "trigger": {"kind": "manual"}, "steps": [], "edges": []}
STATS: dict[str, int] = {"calls": 0}


@pytest.fixture
def fuzz_target(world: World, unlimited: None, issue) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with tenant_session(world.tenant_a1) as db:
        workflow = versions.create_workflow(db, world.tenant_a1, "Fuzz target", {
            **DOC, "steps": [{"kind": "action", "id": "a", "name": "A",
                              "action": "core.set_fields", "inputs": {"fields": {}}}]})  # fmt: skip
        versions.publish(db, workflow)
        run = executions.start_execution(db, workflow, {})
    return {
        "key": issue(None),
        "tenant_id": str(world.tenant_a1),
        "workflow_id": str(workflow.id),
        "execution_id": str(run.id),
    }


@schema.parametrize()
@settings(max_examples=15, deadline=5000, database=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
def test_api_conforms_to_its_openapi_document(case, fuzz_target) -> None:  # type: ignore[no-untyped-def]
    params = case.path_parameters or {}
    for name in ("tenant_id", "workflow_id", "execution_id"):
        if name in params:
            params[name] = fuzz_target[name]
    for name in ("subscription_id", "connection_id"):
        if name in params and not _is_uuid(params[name]):
            params[name] = str(uuid.uuid4())
    case.call_and_validate(headers=bearer(fuzz_target["key"]), checks=CHECKS)
    STATS["calls"] += 1


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module", autouse=True)
def _report_calls() -> object:
    """Print how many requests schemathesis made (shown with -s or in the CI log)."""
    yield
    print(f"\nschemathesis: {STATS['calls']} requests checked against the OpenAPI document")
