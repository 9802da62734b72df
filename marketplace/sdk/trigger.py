"""Triggers a connector offers: provider webhooks or polling with a cursor."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marketplace.sdk.context import ActionContext


@dataclass(frozen=True)
class WebhookTrigger:
    """Events the provider pushes; ``scheme`` names the signature check (flowyard.webhooks)."""

    key: str
    name: str
    description: str
    event_types: tuple[str, ...]
    scheme: str
    subscribe: Callable[[ActionContext, str], Mapping[str, Any]] | None = None
    unsubscribe: Callable[[ActionContext, Mapping[str, Any]], None] | None = None
    event_id: Callable[[Mapping[str, Any], Mapping[str, str]], str | None] | None = None
    kind: str = "webhook"


@dataclass(frozen=True)
class PollResult:
    items: Sequence[Mapping[str, Any]]
    cursor: str | None


@dataclass(frozen=True)
class PollingTrigger:
    """Asks the provider for new items every ``interval_seconds``; items deduplicate on ``id``."""

    key: str
    name: str
    description: str
    poll: Callable[[ActionContext, str | None], PollResult]
    interval_seconds: int = 300
    item_id: Callable[[Mapping[str, Any]], str] = lambda item: str(item["id"])
    kind: str = "polling"


Trigger = WebhookTrigger | PollingTrigger
