"""The workflow document: what a tenant builds on the canvas, as strict pydantic v2 models.

A document is a **trigger**, a list of **steps** and the **edges** between them. The graph is
a DAG whose single entry is the one step without incoming edges (it runs right after the
trigger); repetition is expressed with a ``for_each`` step, never with a cycle. Branch labels
on edges say which outcome an edge follows:

* ``condition`` -> ``"true"`` / ``"false"``
* ``switch`` -> a case ``name`` or ``"default"`` (taken when no case matches)
* ``for_each`` -> ``"body"`` (the first step of the loop body, run once per item, with
  ``item`` in the context) and ``"done"`` (what runs after all items finish)
* every other step -> no label; several unlabelled edges from one step run in parallel.

Values that are computed at run time (step inputs, ``for_each.items``, ``delay.until``) use the
mapping syntax of :mod:`flowyard.engine.mapping`; rules are JSONLogic (core operators only).
Structural and semantic checks beyond the schema live in :mod:`flowyard.engine.validation`.
Unknown fields are rejected everywhere (``extra="forbid"``) so typos surface instead of being
silently ignored.
"""

from __future__ import annotations

import copy
import functools
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints, model_validator

__all__ = [
    "ActionStep",
    "CatchUp",
    "ConditionStep",
    "ConnectorTrigger",
    "DelayStep",
    "Edge",
    "ErrorKind",
    "EventTrigger",
    "ForEachStep",
    "ManualTrigger",
    "Position",
    "RetryPolicy",
    "ScheduleTrigger",
    "Step",
    "StepId",
    "StopStep",
    "SubWorkflowStep",
    "SwitchCase",
    "SwitchStep",
    "Trigger",
    "WebhookTrigger",
    "WorkflowDocument",
    "workflow_json_schema",
]

STEP_ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
ACTION_KEY_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"

StepId = Annotated[str, StringConstraints(pattern=STEP_ID_PATTERN)]
"""A step's stable ID: used in edges and in ``steps.<id>.output`` references."""
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Template = Annotated[str, StringConstraints(max_length=2000)]
ErrorKind = Literal["timeout", "rate_limited", "server_error", "network"]
"""Transient failure kinds a retry policy may retry; anything else fails immediately."""

MAX_STEPS = 500


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


# ---------------------------------------------------------------- triggers


class ManualTrigger(_Model):
    """Started by a person (Run button) or by another workflow."""

    kind: Literal["manual"] = "manual"


class CatchUp(_Model):
    """What to do with schedule slots missed while the platform or workflow was down."""

    policy: Literal["none", "latest", "all"] = "none"
    max_runs: int = Field(10, ge=1, le=1000, description="Cap for policy 'all'.")


class ScheduleTrigger(_Model):
    """Runs on a 5-field cron schedule (validated with croniter by the validator)."""

    kind: Literal["schedule"] = "schedule"
    cron: str = Field(min_length=1, max_length=200, examples=["0 9 * * 1-5"])
    timezone: str | None = Field(
        None, max_length=64, description="IANA name; None means the tenant's time zone."
    )
    catch_up: CatchUp = Field(default_factory=CatchUp)


class EventTrigger(_Model):
    """Runs when a platform or connector event of ``event_type`` happens (optionally filtered)."""

    kind: Literal["event"] = "event"
    event_type: str = Field(min_length=1, max_length=200, examples=["shopify.order_created"])
    filter: JsonValue | None = Field(None, description="JSONLogic rule over {trigger: event}.")


class WebhookTrigger(_Model):
    """Runs on an inbound HTTP call; ``settings`` is owned by the webhooks module."""

    kind: Literal["webhook"] = "webhook"
    settings: dict[str, JsonValue] = Field(default_factory=dict)


class ConnectorTrigger(_Model):
    """Runs for each new item a connector's polling trigger finds (e.g. new email over IMAP).

    Items are deduplicated by the trigger's item id; the cursor lives in ``trigger_cursor``.
    """

    kind: Literal["connector"] = "connector"
    connector: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40, examples=["email"])
    trigger: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40, examples=["new_email"])
    connection_id: str | None = Field(None, max_length=64)
    interval_seconds: int | None = Field(
        None, ge=30, le=86_400, description="How often to check; the connector's default if empty."
    )
    settings: dict[str, JsonValue] = Field(default_factory=dict)


Trigger = Annotated[
    ManualTrigger | ScheduleTrigger | EventTrigger | WebhookTrigger | ConnectorTrigger,
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------- steps


class Position(_Model):
    """Where the step sits on the canvas (UI only; no effect on runs)."""

    x: float
    y: float


class RetryPolicy(_Model):
    """Exponential backoff: ``min(max_backoff, base * 2**(attempt-1))``, optionally jittered."""

    max_attempts: int = Field(1, ge=1, le=10, description="1 means no retry.")
    backoff_seconds: float = Field(2.0, ge=0, le=3600)
    max_backoff_seconds: float = Field(300.0, ge=0, le=86_400)
    jitter: bool = True
    retry_on: list[ErrorKind] = Field(
        default_factory=lambda: ["timeout", "rate_limited", "server_error", "network"]
    )

    @model_validator(mode="after")
    def _backoff_order(self) -> RetryPolicy:
        if self.max_backoff_seconds < self.backoff_seconds:
            raise ValueError("the longest wait must not be shorter than the first wait")
        return self


class _StepBase(_Model):
    id: StepId
    name: Name
    position: Position | None = None
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    timeout_seconds: int = Field(300, ge=1, le=86_400)
    continue_on_error: bool = Field(
        False, description="On failure, record the error and carry on along the normal path."
    )


class ActionStep(_StepBase):
    """Calls a connector action, e.g. ``xero.create_invoice``."""

    kind: Literal["action"] = "action"
    action: str = Field(pattern=ACTION_KEY_PATTERN, examples=["xero.create_invoice"])
    inputs: dict[str, JsonValue] = Field(default_factory=dict)
    connection_id: str | None = Field(None, max_length=64)


class ConditionStep(_StepBase):
    """Follows the ``true`` or ``false`` edge depending on a JSONLogic rule."""

    kind: Literal["condition"] = "condition"
    rule: JsonValue


class SwitchCase(_Model):
    """One labelled case; its ``name`` is the edge branch label."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    rule: JsonValue


class SwitchStep(_StepBase):
    """Follows the first case whose rule is true, else the ``default`` edge (if any)."""

    kind: Literal["switch"] = "switch"
    cases: list[SwitchCase] = Field(min_length=1, max_length=50)


class ForEachStep(_StepBase):
    """Runs the ``body`` branch once per item of ``items`` (``item`` is in the context)."""

    kind: Literal["for_each"] = "for_each"
    items: JsonValue = Field(description='Mapping expression, e.g. {"var": "trigger.lines"}.')
    concurrency: int = Field(1, ge=1, le=50)


class DelayStep(_StepBase):
    """Waits a number of seconds, or until a moment computed by a mapping expression."""

    kind: Literal["delay"] = "delay"
    seconds: float | None = Field(None, ge=0, le=366 * 86_400)
    until: JsonValue | None = Field(None, description="ISO-8601 time, template or expression.")

    @model_validator(mode="after")
    def _exactly_one(self) -> DelayStep:
        if (self.seconds is None) == (self.until is None):
            raise ValueError("set either how many seconds to wait or a time to wait until")
        return self


class SubWorkflowStep(_StepBase):
    """Runs another workflow with ``inputs`` (its trigger data); waits for its output."""

    kind: Literal["sub_workflow"] = "sub_workflow"
    workflow_id: str = Field(min_length=1, max_length=64)
    inputs: dict[str, JsonValue] = Field(default_factory=dict)
    wait_for_output: bool = True


class StopStep(_StepBase):
    """Ends the run with an outcome and a templated message."""

    kind: Literal["stop"] = "stop"
    outcome: Literal["succeed", "fail"] = "succeed"
    message: Template = ""


Step = Annotated[
    ActionStep | ConditionStep | SwitchStep | ForEachStep | DelayStep | SubWorkflowStep | StopStep,
    Field(discriminator="kind"),
]


class Edge(_Model):
    """A connection ``source -> target``; ``branch`` labels which outcome it follows."""

    source: StepId
    target: StepId
    branch: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


# ---------------------------------------------------------------- document


class WorkflowDocument(_Model):
    """One version of a workflow, as stored and as published."""

    schema_version: Literal[1] = 1
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    trigger: Trigger
    steps: list[Step] = Field(default_factory=list, max_length=MAX_STEPS)
    edges: list[Edge] = Field(default_factory=list, max_length=4 * MAX_STEPS)
    summary_template: Template = Field(
        "", examples=["Order #{{trigger.order.number}} -> invoice {{steps.invoice.output.number}}"]
    )
    minutes_saved_per_run: float = Field(0.0, ge=0, le=100_000)
    error_workflow_id: str | None = Field(None, max_length=64)
    max_concurrency: int | None = Field(None, ge=1, le=1000)

    def step(self, step_id: str) -> Step | None:
        """The first step with ``step_id``, or None."""
        return next((s for s in self.steps if s.id == step_id), None)


@functools.cache
def _schema() -> dict[str, Any]:
    schema = WorkflowDocument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "urn:flowyard:schema:workflow-document:1"
    return schema


def workflow_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of :class:`WorkflowDocument`, for the canvas and API docs."""
    return copy.deepcopy(_schema())
