"""The workflow document models and their exported JSON Schema."""

from __future__ import annotations

import json

import jsonschema
import pytest
from pydantic import ValidationError

from flowyard.engine.document import (
    ActionStep,
    ForEachStep,
    ScheduleTrigger,
    WorkflowDocument,
    workflow_json_schema,
)

FULL = {
    "name": "Invoice paid orders",
    "trigger": {
        "kind": "schedule",
        "cron": "0 9 * * 1-5",
        "timezone": "Pacific/Auckland",
        "catch_up": {"policy": "latest"},
    },
    "steps": [
        {
            "kind": "action",
            "id": "find_contact",
            "name": "Find contact",
            "action": "xero.find_contact",
            "inputs": {"email": {"var": "trigger.order.email"}},
            "position": {"x": 10, "y": 20},
            "retry": {"max_attempts": 3, "retry_on": ["timeout", "rate_limited"]},
            "timeout_seconds": 30,
        },
        {"kind": "condition", "id": "is_big", "name": "Big order?", "rule": {">": [1, 0]}},
        {
            "kind": "switch",
            "id": "region",
            "name": "Region",
            "cases": [{"name": "nz", "rule": {"==": [{"var": "vars.region"}, "NZ"]}}],
        },
        {
            "kind": "for_each",
            "id": "lines",
            "name": "Each line",
            "items": {"var": "trigger.order.lines"},
            "concurrency": 5,
        },
        {"kind": "delay", "id": "wait", "name": "Wait", "seconds": 60},
        {
            "kind": "sub_workflow",
            "id": "notify",
            "name": "Notify",
            "workflow_id": "wf_123",
            "inputs": {"x": 1},
        },
        {"kind": "stop", "id": "done", "name": "Done", "outcome": "fail", "message": "No {{x}}"},
    ],
    "edges": [{"source": "find_contact", "target": "is_big"}],
    "summary_template": "Order #{{trigger.order.number}}",
    "minutes_saved_per_run": 4.5,
    "error_workflow_id": "wf_err",
    "max_concurrency": 3,
}


def test_full_document_round_trips() -> None:
    doc = WorkflowDocument.model_validate(FULL)
    assert isinstance(doc.trigger, ScheduleTrigger)
    assert doc.trigger.catch_up.policy == "latest"
    assert [s.kind for s in doc.steps] == [
        "action",
        "condition",
        "switch",
        "for_each",
        "delay",
        "sub_workflow",
        "stop",
    ]
    assert isinstance(doc.step("lines"), ForEachStep)
    assert doc.step("nope") is None
    again = WorkflowDocument.model_validate_json(doc.model_dump_json())
    assert again == doc


def test_defaults() -> None:
    doc = WorkflowDocument.model_validate({"name": "x", "trigger": {"kind": "manual"}})
    assert doc.steps == [] and doc.edges == [] and doc.minutes_saved_per_run == 0
    step = ActionStep(id="a", name="A", action="app.do")
    assert step.retry.max_attempts == 1
    assert step.timeout_seconds == 300 and step.continue_on_error is False


@pytest.mark.parametrize(
    "patch",
    [
        {"unknown": 1},
        {"minutes_saved_per_run": -1},
        {"trigger": {"kind": "telepathy"}},
        {"trigger": {"kind": "schedule", "cron": "* * * * *", "catch_up": {"policy": "some"}}},
        {"steps": [{"kind": "action", "id": "Bad-ID", "name": "x", "action": "a.b"}]},
        {"steps": [{"kind": "action", "id": "a", "name": "x", "action": "nodot"}]},
        {"steps": [{"kind": "action", "id": "a", "name": "x", "action": "a.b", "extra": 1}]},
        {"steps": [{"kind": "for_each", "id": "a", "name": "x", "items": [], "concurrency": 51}]},
        {"steps": [{"kind": "delay", "id": "a", "name": "x"}]},
        {"steps": [{"kind": "delay", "id": "a", "name": "x", "seconds": 1, "until": "x"}]},
        {"steps": [{"kind": "switch", "id": "a", "name": "x", "cases": []}]},
        {"steps": [{"kind": "stop", "id": "a", "name": " "}]},
        {
            "steps": [
                {
                    "kind": "condition",
                    "id": "a",
                    "name": "x",
                    "rule": 1,
                    "retry": {"max_attempts": 11},
                }
            ]
        },
        {"edges": [{"source": "a"}]},
    ],
)
def test_invalid_documents_are_rejected(patch: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        WorkflowDocument.model_validate({**FULL, **patch})


def test_step_id_pattern_boundaries() -> None:
    ActionStep(id="a" + "b" * 63, name="x", action="a.b")
    with pytest.raises(ValidationError):
        ActionStep(id="a" + "b" * 64, name="x", action="a.b")
    with pytest.raises(ValidationError):
        ActionStep(id="1abc", name="x", action="a.b")


def test_json_schema_is_valid_and_accepts_documents() -> None:
    schema = workflow_json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(validator.iter_errors(json.loads(json.dumps(FULL))))
    assert list(validator.iter_errors({**FULL, "unknown": 1}))
    schema["title"] = "changed"
    assert workflow_json_schema()["title"] == "WorkflowDocument"  # callers get a copy
