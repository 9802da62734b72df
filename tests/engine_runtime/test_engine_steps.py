"""Every step kind, end to end, on real workers."""

from __future__ import annotations

from support.engine import action, doc, publish, run, step_runs, wait_finished


def test_condition_routes_to_one_branch_and_summary_uses_template(worker, tenant) -> None:
    workflow = publish(
        tenant,
        doc(
            "Big orders",
            [
                action(
                    "shape",
                    "core.set_fields",
                    {"fields": {"total": {"var": "trigger.total"}, "who": "{{trigger.customer}}"}},
                ),
                {
                    "kind": "condition",
                    "id": "is_big",
                    "name": "Is it big?",
                    "rule": {">": [{"var": "steps.shape.output.total"}, 100]},
                },
                action("big", "core.set_fields", {"fields": {"label": "big"}}),
                action("small", "core.set_fields", {"fields": {"label": "small"}}),
            ],
            [("shape", "is_big"), ("is_big", "big", "true"), ("is_big", "small", "false")],
            summary_template="Order from {{trigger.customer}} was {{steps.big.output.label}}",
        ),
    )
    done = wait_finished(tenant, run(tenant, workflow, {"total": 250, "customer": "Jane"}))
    assert done.status == "succeeded", done.error
    runs = step_runs(tenant, done.id)
    assert runs[("is_big", "")].branch == "true"
    assert runs[("big", "")].output == {"label": "big"}
    assert runs[("small", "")].status == "skipped"
    assert done.summary == "Order from Jane was big"


def test_switch_picks_first_matching_case_else_default(worker, tenant) -> None:
    workflow = publish(
        tenant,
        doc(
            "Route by country",
            [
                {
                    "kind": "switch",
                    "id": "route",
                    "name": "Route",
                    "cases": [
                        {"name": "uk", "rule": {"==": [{"var": "trigger.country"}, "GB"]}},
                        {"name": "ie", "rule": {"==": [{"var": "trigger.country"}, "IE"]}},
                    ],
                },
                action("uk", "core.set_fields", {"fields": {"team": "London"}}),
                action("other", "core.set_fields", {"fields": {"team": "Export"}}),
            ],
            [("route", "uk", "uk"), ("route", "other", "default")],
        ),
    )
    uk = wait_finished(tenant, run(tenant, workflow, {"country": "GB"}))
    fr = wait_finished(tenant, run(tenant, workflow, {"country": "FR"}))
    assert step_runs(tenant, uk.id)[("uk", "")].status == "succeeded"
    assert step_runs(tenant, fr.id)[("other", "")].output == {"team": "Export"}
    assert step_runs(tenant, fr.id)[("uk", "")].status == "skipped"


def test_stop_step_fails_the_run_with_its_message(worker, tenant) -> None:
    workflow = publish(
        tenant,
        doc(
            "Refuse",
            [
                {
                    "kind": "stop",
                    "id": "halt",
                    "name": "Halt",
                    "outcome": "fail",
                    "message": "No stock for {{trigger.sku}}",
                }
            ],
            [],
        ),
    )
    done = wait_finished(tenant, run(tenant, workflow, {"sku": "CAKE-1"}))
    assert done.status == "failed"
    assert done.error["message"] == "No stock for CAKE-1"
    assert not done.dead_letter


def test_for_each_runs_body_per_item_with_concurrency(worker, tenant, target) -> None:
    workflow = publish(
        tenant,
        doc(
            "Notify each line",
            [
                {
                    "kind": "for_each",
                    "id": "lines",
                    "name": "Each line",
                    "items": {"var": "trigger.lines"},
                    "concurrency": 3,
                },
                action(
                    "post",
                    "http.request",
                    {
                        "url": f"{target.url}/line",
                        "method": "POST",
                        "json_body": {"sku": {"var": "item.sku"}},
                    },
                ),
                action(
                    "after",
                    "core.set_fields",
                    {"fields": {"n": {"var": "steps.lines.output.count"}}},
                ),
            ],
            [("lines", "post", "body"), ("lines", "after", "done")],
        ),
    )
    lines = [{"sku": f"S{i}"} for i in range(5)]
    done = wait_finished(tenant, run(tenant, workflow, {"lines": lines}))
    assert done.status == "succeeded", done.error
    assert sorted(r.json()["sku"] for r in target.received("/line")) == [f"S{i}" for i in range(5)]
    runs = step_runs(tenant, done.id)
    assert runs[("after", "")].output == {"n": 5}
    keys = {r.headers["Idempotency-Key"] for r in target.received("/line")}
    assert len(keys) == 5


def test_delay_waits_then_continues(worker, tenant) -> None:
    workflow = publish(
        tenant,
        doc(
            "Wait a moment",
            [
                {"kind": "delay", "id": "pause", "name": "Pause", "seconds": 0.5},
                action("after", "core.set_fields", {"fields": {"ok": True}}),
            ],
            [("pause", "after")],
        ),
    )
    execution_id = run(tenant, workflow, {})
    done = wait_finished(tenant, execution_id)
    assert done.status == "succeeded"
    runs = step_runs(tenant, done.id)
    assert (runs[("after", "")].started_at - runs[("pause", "")].started_at).total_seconds() >= 0.45


def test_sub_workflow_output_is_used_by_parent(worker, tenant) -> None:
    child = publish(
        tenant,
        doc(
            "Price with tax",
            [
                action(
                    "tax",
                    "core.set_fields",
                    {"fields": {"gross": {"*": [{"var": "trigger.net"}, 1.2]}}},
                )
            ],
            [],
        ),
    )
    parent = publish(
        tenant,
        doc(
            "Quote",
            [
                {
                    "kind": "sub_workflow",
                    "id": "price",
                    "name": "Price",
                    "workflow_id": str(child.id),
                    "inputs": {"net": {"var": "trigger.net"}},
                },
                action(
                    "quote",
                    "core.set_fields",
                    {"fields": {"gross": {"var": "steps.price.output.output.steps.tax.gross"}}},
                ),
            ],
            [("price", "quote")],
        ),
    )
    done = wait_finished(tenant, run(tenant, parent, {"net": 100}))
    assert done.status == "succeeded", done.error
    assert step_runs(tenant, done.id)[("quote", "")].output == {"gross": 120.0}


def test_emitted_event_starts_event_triggered_workflow(worker, tenant) -> None:
    listener = publish(
        tenant,
        doc(
            "On flagged order",
            [action("note", "core.log_note", {"message": "Flagged {{trigger.order}}"})],
            [],
            trigger={
                "kind": "event",
                "event_type": "custom.order_flagged",
                "filter": {"==": [{"var": "trigger.priority"}, "high"]},
            },
        ),
    )
    emitter = publish(
        tenant,
        doc(
            "Flag orders",
            [
                action(
                    "flag",
                    "core.emit_event",
                    {
                        "event_type": "custom.order_flagged",
                        "payload": {
                            "order": {"var": "trigger.order"},
                            "priority": {"var": "trigger.priority"},
                        },
                    },
                )
            ],
            [],
        ),
    )
    wait_finished(tenant, run(tenant, emitter, {"order": 7, "priority": "low"}))
    wait_finished(tenant, run(tenant, emitter, {"order": 8, "priority": "high"}))
    import time

    from sqlmodel import select

    from flowyard.db import tenant_session
    from flowyard.engine.models import Execution

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with tenant_session(tenant) as db:
            got = db.exec(select(Execution).where(Execution.workflow_id == listener.id)).all()
        if got and all(e.status == "succeeded" for e in got):
            break
        time.sleep(0.05)
    assert len(got) == 1 and got[0].status == "succeeded"
    assert step_runs(tenant, got[0].id)[("note", "")].output["note"] == "Flagged 8"


def test_filter_list_rule_is_applied_per_item_not_resolved_by_mapping(worker, tenant) -> None:
    """The rule of "Filter a list" speaks about each ``item``: it is passed to the action as
    written, and publishing doesn't mistake ``item`` for a loop variable."""
    workflow = publish(
        tenant,
        doc(
            "Big lines only",
            [
                action(
                    "keep_big",
                    "core.filter_list",
                    {
                        "items": {"var": "trigger.lines"},
                        "rule": {">=": [{"var": "item.qty"}, 10]},
                    },
                )
            ],
            [],
        ),
    )
    lines = [{"sku": "A", "qty": 5}, {"sku": "B", "qty": 12}, {"sku": "C", "qty": 10}]
    done = wait_finished(tenant, run(tenant, workflow, {"lines": lines}))
    assert done.status == "succeeded", done.error
    output = step_runs(tenant, done.id)[("keep_big", "")].output
    assert [line["sku"] for line in output["items"]] == ["B", "C"]
    assert output["removed"] == 1
