"""What an action sees when it runs: never the database, never another tenant."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class ActionContext:
    """Handed to ``Action.run`` by the engine.

    ``http`` is already authenticated for the step's connection (and guarded against private
    network destinations); ``idempotency_key`` is the same on every attempt of one step so
    providers can deduplicate; ``emit`` publishes a platform event for this tenant.
    """

    http: httpx.Client
    idempotency_key: str
    log: logging.Logger
    settings: Mapping[str, Any] = field(default_factory=dict)
    emit: Callable[[str, Mapping[str, Any]], None] = lambda _type, _payload: None
    credentials: Mapping[str, Any] = field(default_factory=dict)
    evaluate_rule: Callable[[Any, Any], bool] = lambda _rule, _data: False
    """Test a JSONLogic rule against data with the platform's budgets (filter actions)."""
