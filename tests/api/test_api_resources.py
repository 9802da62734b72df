"""/api/v1 resources end to end, validation and size limits, and tenant isolation for every
operation the router knows (so a new operation is covered the day it is added)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlmodel import select

from flowyard.api.v1.registry import router
from flowyard.db import system_session, tenant_session
from flowyard.engine import executions, versions
from flowyard.engine.models import Execution, Workflow
from flowyard.integrations.models import Connection
from flowyard.security import audit
from flowyard.security.models import AuditEvent
from flowyard.webhooks.models import WebhookSubscription
from support.security_world import bearer

pytestmark = pytest.mark.usefixtures("unlimited")

DOC = {
    "name": "Tag orders",
    "trigger": {"kind": "manual"},
    "steps": [{"kind": "action", "id": "tag", "name": "Tag", "action": "core.set_fields",
               "inputs": {"fields": {"label": "big"}}}],
    "edges": [],
}  # fmt: skip
VALID_BODIES: dict[str, dict[str, Any]] = {
    "TenantIn": {"name": "Gamma Ltd"},
    "WorkflowIn": {"name": "Flow"},
    "WorkflowPatch": {},
    "RunIn": {},
    "SubscriptionIn": {"url": "https://example.com/hook", "event_types": ["execution.failed"]},
    "SubscriptionPatch": {},
}


def _resources_of(tenant_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """One of everything in a tenant: a published workflow, a run, a webhook, a connection."""
    with tenant_session(tenant_id) as db:
        workflow = versions.create_workflow(db, tenant_id, "Victim flow", DOC)
        versions.publish(db, workflow)
        execution = executions.start_execution(db, workflow, {"x": 1})
        tenant_agency = audit.tenant_agency(db, tenant_id)
        sub = WebhookSubscription(agency_id=tenant_agency, tenant_id=tenant_id,
                                  url="https://example.com/victim", secret="v1:x:y",
                                  event_types=["execution.failed"])  # fmt: skip
        db.add(sub)
        connection = Connection(tenant_id=tenant_id, connector_key="xero", display_name="Xero",
                                auth_kind="oauth2", secret="v1:none:none")  # fmt: skip
        db.add(connection)
        db.commit()
        return {"workflow_id": workflow.id, "execution_id": execution.id,
                "subscription_id": sub.id, "connection_id": connection.id}  # fmt: skip


def _fill(path: str, values: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


@pytest.mark.parametrize("who", ["sibling tenant key", "other agency key", "other agency tenant"])
def test_every_operation_refuses_another_tenants_ids(api, issue, world, who) -> None:  # type: ignore[no-untyped-def]
    victim = _resources_of(world.tenant_a1)
    if who == "sibling tenant key":
        own, key = world.tenant_a2, issue(world.tenant_a2)
    elif who == "other agency key":
        own, key = world.tenant_b1, issue(None, agency_id=world.agency_b)
    else:
        own, key = world.tenant_b1, issue(world.tenant_b1, agency_id=world.agency_b)
    checked = 0
    for op in router.operations:
        if "{tenant_id}" not in op.path:
            continue
        body = VALID_BODIES[op.body.__name__] if op.body else None
        # 1) the victim's tenant in the path; 2) our own tenant with the victim's record ids
        attempts = [{**victim, "tenant_id": world.tenant_a1}]
        if re.search(r"\{(?!tenant_id)\w+\}", op.path):
            attempts.append({**victim, "tenant_id": own})
        for values in attempts:
            response = api.request(op.method, "/api/v1" + _fill(op.path, values), json=body,
                                   headers=bearer(key))  # fmt: skip
            assert response.status_code == 404, (op.method, op.path, values, response.text)
            checked += 1
    assert checked >= 20
    # Lists of one's own tenant never include the victim's records.
    for path in ("workflows", "executions", "webhook-subscriptions", "connections"):
        listed = api.get(f"/api/v1/tenants/{own}/{path}", headers=bearer(key)).json()
        assert not {str(v) for v in victim.values()} & {row["id"] for row in listed}
    # And nothing of the victim's changed.
    with tenant_session(world.tenant_a1) as db:
        assert db.get(Workflow, victim["workflow_id"]).name == "Victim flow"
        assert db.get(Execution, victim["execution_id"]).status == "queued"


def test_tenant_keys_see_only_their_tenant_and_agency_keys_see_the_agency(
    api,
    issue,
    world,  # type: ignore[no-untyped-def]
) -> None:
    mine = api.get("/api/v1/tenants", headers=bearer(issue(world.tenant_a1))).json()
    assert [t["id"] for t in mine] == [str(world.tenant_a1)]
    agency = api.get("/api/v1/tenants", headers=bearer(issue(None))).json()
    assert {t["name"] for t in agency} == {"Alpha One", "Alpha Two"}
    created = api.post("/api/v1/tenants", json={"name": "Gamma Ltd"},
                       headers=bearer(issue(None)))  # fmt: skip
    assert created.status_code == 201 and created.json()["slug"] == "gamma-ltd"
    refused = api.post("/api/v1/tenants", json={"name": "Delta"},
                       headers=bearer(issue(world.tenant_a1)))  # fmt: skip
    assert refused.status_code == 403


def test_workflow_and_run_lifecycle(api, issue, world) -> None:  # type: ignore[no-untyped-def]
    key, t = bearer(issue(world.tenant_a1)), world.tenant_a1
    created = api.post(f"/api/v1/tenants/{t}/workflows", json={"name": "Orders", "document": {
        **DOC, "name": "Orders"}}, headers=key)  # fmt: skip
    assert created.status_code == 201, created.text
    wid = created.json()["id"]
    not_yet = api.post(f"/api/v1/tenants/{t}/workflows/{wid}/runs", json={}, headers=key)
    assert not_yet.status_code == 409 and "not been published" in not_yet.json()["error"]["message"]
    published = api.post(f"/api/v1/tenants/{t}/workflows/{wid}/publish", headers=key)
    assert published.status_code == 201 and published.json()["number"] == 1
    run = api.post(f"/api/v1/tenants/{t}/workflows/{wid}/runs", json={"payload": {"n": 1},
                   "idempotency_key": "order-1"}, headers=key)  # fmt: skip
    assert run.status_code == 202
    again = api.post(f"/api/v1/tenants/{t}/workflows/{wid}/runs", json={"payload": {"n": 1},
                     "idempotency_key": "order-1"}, headers=key)  # fmt: skip
    assert again.json()["id"] == run.json()["id"]
    rid = run.json()["id"]
    assert (
        api.get(f"/api/v1/tenants/{t}/executions/{rid}", headers=key).json()["status"] == "queued"
    )
    listed = api.get(f"/api/v1/tenants/{t}/executions?status=queued", headers=key).json()
    assert [e["id"] for e in listed] == [rid]
    rerun = api.post(f"/api/v1/tenants/{t}/executions/{rid}/rerun", headers=key)
    assert rerun.status_code == 409 and "Only failed runs" in rerun.json()["error"]["message"]
    cancelled = api.post(f"/api/v1/tenants/{t}/executions/{rid}/cancel", headers=key)
    assert cancelled.json()["status"] == "cancelled"
    patched = api.patch(f"/api/v1/tenants/{t}/workflows/{wid}", json={"enabled": False,
                        "description": "Paused by API"}, headers=key)  # fmt: skip
    assert patched.json()["enabled"] is False
    with system_session() as db:
        events = db.exec(select(AuditEvent.action)).all()
    assert "workflow.publish" in events


def test_publishing_a_broken_draft_lists_its_problems(api, issue, world) -> None:  # type: ignore[no-untyped-def]
    key, t = bearer(issue(world.tenant_a1)), world.tenant_a1
    broken = {**DOC, "name": "Broken", "steps": [{**DOC["steps"][0], "action": "nope.nothing"}]}
    wid = api.post(f"/api/v1/tenants/{t}/workflows", json={"name": "Broken", "document": broken},
                   headers=key).json()["id"]  # fmt: skip
    refused = api.post(f"/api/v1/tenants/{t}/workflows/{wid}/publish", headers=key)
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"], refused.text


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "body.name", "required"),
        ({"name": ""}, "body.name", "at least 1"),
        ({"name": "x", "colour": "red"}, "body.colour", "not accepted"),
        ({"name": "x\u0001y"}, "body.name", "match pattern"),
        ({"name": 5}, "body.name", "valid string"),
        ({"name": "x", "document": {"a": "\u0000"}}, "body", "NUL"),
    ],
)
def test_bad_input_gets_field_level_422(api, issue, world, body, field, words) -> None:  # type: ignore[no-untyped-def]
    response = api.post(f"/api/v1/tenants/{world.tenant_a1}/workflows", json=body,
                        headers=bearer(issue(world.tenant_a1)))  # fmt: skip
    assert response.status_code == 422, response.text
    fields = response.json()["error"]["fields"]
    assert any(f["field"] == field and words in f["message"] for f in fields), fields


def test_malformed_json_ids_and_numbers_are_422_not_500(api, issue, world) -> None:  # type: ignore[no-untyped-def]
    key = bearer(issue(world.tenant_a1))
    base = f"/api/v1/tenants/{world.tenant_a1}/workflows"
    for raw in (b"{", b"[1,2]", b"NaN", b'{"name": 1e999}', b"\xff\xfe"):
        answer = api.post(base, content=raw, headers={**key, "content-type": "application/json"})
        assert answer.status_code == 422, (raw, answer.text)
    assert api.get(base + "/not-a-uuid", headers=key).status_code == 422
    assert api.get(base + "?limit=0", headers=key).status_code == 422
    assert api.get(base + "?limit=abc", headers=key).status_code == 422


def test_oversized_bodies_get_413_and_every_answer_has_security_headers(
    api,
    issue,
    world,  # type: ignore[no-untyped-def]
) -> None:
    key = bearer(issue(world.tenant_a1))
    big = b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = api.post(f"/api/v1/tenants/{world.tenant_a1}/workflows", content=big,
                        headers={**key, "content-type": "application/json"})  # fmt: skip
    assert response.status_code == 413
    for answer in (response, api.get("/api/v1/tenants"), api.get("/api/v1/openapi.json")):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin"
