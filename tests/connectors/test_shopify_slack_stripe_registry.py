"""Shopify, Slack and Stripe are valid SDK declarations, discoverable through entry points."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

import pytest

from marketplace import registry
from marketplace.sdk import Connector, WebhookTrigger

MODULES = {
    "shopify": "connectors.shopify",
    "slack": "connectors.slack",
    "stripe": "connectors.stripe",
}


@pytest.mark.parametrize(("key", "module"), sorted(MODULES.items()))
def test_module_exposes_a_valid_connector(key: str, module: str) -> None:
    connector = importlib.import_module(module).connector
    assert isinstance(connector, Connector) and connector.key == key
    assert connector.base_url.startswith("https://") and connector.actions and connector.rate_limits
    for action in connector.actions:
        assert action.input_schema()["type"] == "object" and action.output_schema() is not None
    assert all(isinstance(t, WebhookTrigger) and t.event_id for t in connector.triggers)


@pytest.mark.parametrize("key", sorted(MODULES))
def test_registered_through_the_entry_point_group(key: str) -> None:
    names = {e.name for e in entry_points(group=registry.ENTRY_POINT_GROUP)}
    if key not in names:
        pytest.skip(
            f"{key} is not registered under flowyard.connectors yet (pyproject + reinstall)"
        )
    registry.connectors.cache_clear()
    found = registry.connectors().get(key)
    assert found is importlib.import_module(MODULES[key]).connector
    first = found.actions[0]
    assert registry.find_action(f"{key}.{first.key}") == (found, first)
