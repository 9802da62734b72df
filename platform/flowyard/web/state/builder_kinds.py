"""Form schemas of the built-in step kinds, so every step's side panel is a generated form.

Actions bring their own input schema; these describe the settings of the other kinds in the
same JSON Schema terms (properties are the step's own keys). Conditions and switches use the
condition builder instead.
"""

from __future__ import annotations

from typing import Any

KIND_SCHEMAS: dict[str, dict[str, Any]] = {
    "for_each": {
        "properties": {
            "items": {"title": "List to go through",
                      "description": 'Pick a list from earlier data, e.g. the order lines.'},
            "concurrency": {"type": "integer", "title": "Items at the same time",
                            "description": "How many items may run at once (1 to 50)."},
        },
        "required": ["items"],
    },
    "delay": {
        "properties": {
            "seconds": {"type": "number", "title": "Wait (seconds)"},
            "until": {"type": "string", "title": "Or wait until",
                      "description": "A time like 2025-03-01T09:00:00Z, or a value picked from "
                                     "earlier data. Fill in only one of the two."},
        },
    },
    "sub_workflow": {
        "properties": {
            "inputs": {"type": "object", "title": "Data to pass on",
                       "description": "Becomes the other workflow's trigger data."},
        },
    },
    "stop": {
        "properties": {
            "outcome": {"enum": ["succeed", "fail"], "title": "End the run as"},
            "message": {"type": "string", "title": "Message",
                        "description": "Shown in the run history; may use values like "
                                       "{{trigger.number}}."},
        },
    },
}  # fmt: skip


def form_values(step: dict[str, Any]) -> dict[str, Any]:
    """The values the generated form edits: an action's inputs, else the step's settings."""
    if step.get("kind") == "action":
        inputs = step.get("inputs")
        return inputs if isinstance(inputs, dict) else {}
    keys = KIND_SCHEMAS.get(step.get("kind", ""), {}).get("properties", {})
    return {k: step[k] for k in keys if k in step}


def store_values(step: dict[str, Any], values: dict[str, Any]) -> None:
    """Write edited form values back into the step (in place)."""
    if step.get("kind") == "action":
        step["inputs"] = values
        return
    for key in KIND_SCHEMAS.get(step.get("kind", ""), {}).get("properties", {}):
        if key in values and values[key] is not None:
            step[key] = values[key]
        else:
            step.pop(key, None)
    if step.get("kind") == "sub_workflow":
        step.setdefault("inputs", {})
