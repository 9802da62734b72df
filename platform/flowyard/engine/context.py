"""The data a step's mappings and rules see: trigger payload, earlier outputs, loop item."""

from __future__ import annotations

from typing import Any


def base_context(trigger: Any, execution_id: str, workflow_id: str) -> dict[str, Any]:
    return {
        "trigger": trigger,
        "steps": {},
        "vars": {},
        "execution": {"id": execution_id, "workflow_id": workflow_id},
    }


def with_item(context: dict[str, Any], item: Any, index: int) -> dict[str, Any]:
    """A child context for one for-each iteration: outer outputs stay visible."""
    return {**context, "steps": dict(context["steps"]), "item": item, "index": index}


def record_output(context: dict[str, Any], step_id: str, output: Any) -> None:
    context["steps"][step_id] = {"output": output}
