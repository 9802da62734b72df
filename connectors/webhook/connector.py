"""``webhook.respond``: the answer a synchronous webhook endpoint sends back to its caller.

The step does no I/O; its output carries a marker the platform's ingress looks for while it
holds the caller's request open (up to the endpoint's timeout, after which it answers 202).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from marketplace.sdk import Action, ActionContext, Connector

RESPONSE_MARKER = "__webhook_response__"


class RespondInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: int = Field(default=200, ge=200, le=599, description="HTTP status to answer with.")
    body: JsonValue = Field(default=None, description="What to send back (sent as JSON).")
    headers: dict[str, str] = Field(
        default_factory=dict, description='Extra headers, e.g. {"X-Order-Ref": "…"}.'
    )


def respond(ctx: ActionContext, inputs: RespondInputs) -> dict[str, Any]:
    return {
        RESPONSE_MARKER: True,
        "status": inputs.status,
        "body": inputs.body,
        "headers": dict(inputs.headers),
    }


connector = Connector(
    key="webhook",
    name="Webhook",
    version="1.0.0",
    description="Answer the app that called this workflow's webhook address.",
    icon="webhook",
    categories=("built-in",),
    actions=(
        Action("respond", "Respond to webhook",
               "Send an answer back to the caller of a synchronous webhook.",
               RespondInputs, respond, performs_io=False),
    ),
)  # fmt: skip
