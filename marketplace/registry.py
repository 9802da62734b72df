"""Discovers connectors through the ``flowyard.connectors`` entry point group.

Built-in connectors are registered in our own pyproject exactly as a plugin would register
its own, so both are found the same way.
"""

from __future__ import annotations

import functools
import logging
from importlib.metadata import entry_points

from marketplace.sdk import Action, Connector

ENTRY_POINT_GROUP = "flowyard.connectors"
log = logging.getLogger(__name__)


@functools.cache
def connectors() -> dict[str, Connector]:
    """Every installed connector by key; a broken plugin is logged and skipped."""
    found: dict[str, Connector] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            connector = entry.load()
        except Exception:
            log.exception("could not load connector %s", entry.name)
            continue
        if not isinstance(connector, Connector):
            log.error("entry point %s is not a Connector", entry.name)
            continue
        found[connector.key] = connector
    return found


def find_action(qualified_key: str) -> tuple[Connector, Action] | None:
    """``"xero.create_invoice"`` → (connector, action), or None if unknown."""
    connector_key, _, action_key = qualified_key.partition(".")
    connector = connectors().get(connector_key)
    action = connector.action(action_key) if connector else None
    return (connector, action) if connector and action else None
