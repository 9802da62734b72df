"""How an action step gets credentials: a hook the integrations package fills in.

The engine does not know about OAuth or the token vault; it asks the registered provider
for an authenticated client for ``(tenant, connection)`` inside the worker step, so tokens
are decrypted only there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from marketplace.sdk import ActionError, Connector

ClientFactory = Callable[[uuid.UUID, str, Connector, float], tuple[httpx.Client, dict[str, Any]]]
_provider: ClientFactory | None = None


def register_provider(factory: ClientFactory) -> None:
    """Install the integrations package's factory (called once at import)."""
    global _provider
    _provider = factory


def client_for_connection(
    tenant_id: uuid.UUID, connection_id: str, connector: Connector, timeout: float
) -> tuple[httpx.Client, dict[str, Any]]:
    """An authenticated client and credentials for a tenant's connection."""
    if _provider is None:
        import flowyard.integrations.provider  # noqa: F401  (registers itself on import)
    if _provider is None:
        raise ActionError("Connections are not available in this installation.")
    return _provider(tenant_id, connection_id, connector, timeout)
