"""The "Flowyard core" connector: data shaping and bookkeeping steps (no network)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from marketplace.sdk import Action, ActionContext, ActionError, Connector


class SetFieldsInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fields: dict[str, JsonValue] = Field(
        description="Field name → value (values can reference earlier steps)."
    )


def set_fields(ctx: ActionContext, inputs: SetFieldsInputs) -> dict[str, Any]:
    """Mapping already resolved the values; the step's output is the new object."""
    return dict(inputs.fields)


class FilterListInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[JsonValue] = Field(description="The list to filter.")
    rule: JsonValue = Field(
        description='JSONLogic rule tested against each item as "item".',
        json_schema_extra={"x-flowyard-literal": True},
    )


def filter_list(ctx: ActionContext, inputs: FilterListInputs) -> dict[str, Any]:
    kept = [item for item in inputs.items if ctx.evaluate_rule(inputs.rule, {"item": item})]
    return {"items": kept, "count": len(kept), "removed": len(inputs.items) - len(kept)}


class LogNoteInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(max_length=2000, description="What to write in the run's log.")
    level: str = Field(default="info", pattern="^(info|warning)$")


def log_note(ctx: ActionContext, inputs: LogNoteInputs) -> dict[str, Any]:
    ctx.log.log(20 if inputs.level == "info" else 30, "note: %s", inputs.message)
    return {"note": inputs.message, "level": inputs.level}


class EmitEventInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_type: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$", max_length=200,
                            description='e.g. "custom.order_flagged"')  # fmt: skip
    payload: dict[str, JsonValue] = Field(default_factory=dict)


def emit_event(ctx: ActionContext, inputs: EmitEventInputs) -> dict[str, Any]:
    if inputs.event_type.startswith("execution."):
        raise ActionError('Event names starting with "execution." are reserved.')
    ctx.emit(inputs.event_type, inputs.payload)
    return {"event_type": inputs.event_type}


connector = Connector(
    key="core",
    name="Built-in tools",
    version="1.0.0",
    description="Shape data, filter lists, write notes and raise events — no account needed.",
    icon="wrench",
    categories=("built-in",),
    actions=(
        Action("set_fields", "Set fields", "Build a new object from values and earlier steps.",
               SetFieldsInputs, set_fields, performs_io=False),
        Action("filter_list", "Filter a list", "Keep the items that match a condition.",
               FilterListInputs, filter_list, performs_io=False),
        Action("log_note", "Write a note", "Add a note to this run's log.",
               LogNoteInputs, log_note, performs_io=False),
        Action("emit_event", "Raise an event", "Start other workflows listening for an event.",
               EmitEventInputs, emit_event, performs_io=False),
    ),
)  # fmt: skip
