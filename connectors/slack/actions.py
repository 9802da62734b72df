"""Slack actions: post a message to a channel, and send a direct message (open the DM with
``conversations.open``, then ``chat.postMessage``).

Slack has no idempotency key for messages: a step retried after a timeout may post twice, so
the engine should treat these as non-retryable after a network timeout (Slack's own guidance is
to accept the rare duplicate). Errors arrive as ``ok: false`` and are classified in the client.
"""

from __future__ import annotations

from connectors.slack.client import call
from connectors.slack.models import PostedMessage, PostMessageInputs, SendDirectMessageInputs
from marketplace.sdk import Action, ActionContext


def _post(ctx: ActionContext, channel: str, text: str, **extra: object) -> PostedMessage:
    body = call(ctx, "chat.postMessage", {"channel": channel, "text": text, **extra})
    message = body.get("message") or {}
    return PostedMessage(channel=body["channel"], ts=body["ts"], text=message.get("text"))


def post_message(ctx: ActionContext, inputs: PostMessageInputs) -> PostedMessage:
    return _post(
        ctx,
        inputs.channel,
        inputs.text,
        blocks=inputs.blocks,
        thread_ts=inputs.thread_ts,
        unfurl_links=inputs.unfurl_links,
    )


def send_direct_message(ctx: ActionContext, inputs: SendDirectMessageInputs) -> PostedMessage:
    opened = call(ctx, "conversations.open", {"users": inputs.user_id, "return_im": True})
    return _post(ctx, opened["channel"]["id"], inputs.text, blocks=inputs.blocks)


ACTIONS = (
    Action("post_message", "Post message", "Post a message to a channel (or a thread).",
           PostMessageInputs, post_message, PostedMessage),
    Action("send_direct_message", "Send direct message", "Message one person privately.",
           SendDirectMessageInputs, send_direct_message, PostedMessage),
)  # fmt: skip
