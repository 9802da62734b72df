"""Slack's Events API: one Request URL per app (set in the app's settings, so no subscribe call),
signed with ``X-Slack-Signature`` (scheme ``slack``). Slack first checks the URL with a signed
``url_verification`` POST whose ``challenge`` must be echoed (:func:`challenge_response`, used by
the ingress); every event after that is an ``event_callback`` with a unique ``event_id``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from marketplace.sdk import WebhookTrigger


def _json(body: bytes | str | Mapping[str, Any]) -> Mapping[str, Any] | None:
    if isinstance(body, Mapping):
        return body
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return None
    return data if isinstance(data, Mapping) else None


def challenge_response(body: bytes | str | Mapping[str, Any]) -> dict[str, str] | None:
    """``{"challenge": …}`` to answer Slack's URL check with (after verifying the signature);
    None for anything else."""
    data = _json(body)
    if data is None or data.get("type") != "url_verification":
        return None
    return {"challenge": str(data.get("challenge", ""))}


def event_id(payload: Mapping[str, Any], _headers: Mapping[str, str]) -> str | None:
    """``event_id`` is the same when Slack retries (``X-Slack-Retry-Num``); URL checks have none."""
    found = payload.get("event_id") if isinstance(payload, Mapping) else None
    return f"slack:{found}" if isinstance(found, str) and found else None


def event_type(payload: Mapping[str, Any]) -> str | None:
    """The inner event's type (``message``, ``app_mention``…), what workflows filter on."""
    event = payload.get("event") if isinstance(payload, Mapping) else None
    return str(event.get("type")) if isinstance(event, Mapping) and event.get("type") else None


EVENTS = WebhookTrigger(
    key="event",
    name="Slack event",
    description="Something happened in Slack: a message in a channel the app is in, or a mention.",
    event_types=("message", "app_mention"),
    scheme="slack",
    event_id=event_id,
)

TRIGGERS = (EVENTS,)
