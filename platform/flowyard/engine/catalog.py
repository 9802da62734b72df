"""The action catalog as the builder and validation see it: every installed connector."""

from __future__ import annotations

from typing import Any

from marketplace import registry


class RegistryCatalog:
    """:class:`~flowyard.engine.validation.ActionCatalog` backed by installed connectors."""

    def input_schema(self, action_key: str) -> dict[str, Any] | None:
        found = registry.find_action(action_key)
        return found[1].input_schema() if found else None


def action_library() -> list[dict[str, Any]]:
    """Every action, grouped by connector, for the builder's searchable library."""
    library = []
    for connector in sorted(registry.connectors().values(), key=lambda c: c.name):
        for action in connector.actions:
            library.append({
                "key": f"{connector.key}.{action.key}",
                "connector": connector.name,
                "connector_key": connector.key,
                "name": action.name,
                "description": action.description,
                "categories": list(connector.categories),
                "input_schema": action.input_schema(),
                "needs_connection": connector.auth.kind != "none",
            })  # fmt: skip
    return library
