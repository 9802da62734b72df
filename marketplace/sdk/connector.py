"""A connector: one declarative definition of auth, actions, triggers and rate limits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from marketplace.sdk.action import Action
from marketplace.sdk.auth import Auth, NoAuth
from marketplace.sdk.ratelimit import RateLimit
from marketplace.sdk.trigger import Trigger

KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class ConnectorDefinitionError(ValueError):
    """A connector declaration is inconsistent (raised at import, so plugins fail early)."""


@dataclass(frozen=True)
class Connector:
    key: str
    name: str
    version: str
    description: str = ""
    icon: str = "plug"
    categories: tuple[str, ...] = ()
    auth: Auth = field(default_factory=NoAuth)
    actions: tuple[Action, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    rate_limits: tuple[RateLimit, ...] = ()
    base_url: str = ""

    def __post_init__(self) -> None:
        if not KEY.match(self.key):
            raise ConnectorDefinitionError(f"Connector key {self.key!r} must be a short slug.")
        seen: set[str] = set()
        for item in (*self.actions, *self.triggers):
            if not KEY.match(item.key):
                raise ConnectorDefinitionError(f"{self.key}: key {item.key!r} must be a slug.")
            if item.key in seen:
                raise ConnectorDefinitionError(f"{self.key}: duplicate key {item.key!r}.")
            seen.add(item.key)

    def action(self, key: str) -> Action | None:
        return next((a for a in self.actions if a.key == key), None)

    def trigger(self, key: str) -> Trigger | None:
        return next((t for t in self.triggers if t.key == key), None)
