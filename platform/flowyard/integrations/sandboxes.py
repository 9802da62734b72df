"""Runs the provider simulators for the demo and tests, each with our demo OAuth app registered.

``flowyard sandboxes`` serves every available simulator on its fixed port (see
:mod:`flowyard.integrations.config`); tests start them on free ports and point the platform at
them with ``FLOWYARD_SANDBOX_URLS``. The simulators keep their state in memory: restarting them
invalidates the tokens they issued (connections then ask to be reconnected, or the demo seed
reconnects the demo tenants on the next ``flowyard up``).

A new connector's simulator is listed in :data:`SIMULATORS` as ``"module:Class"``; the class takes
no required arguments and exposes ``.app`` (ASGI) and ``.oauth`` (an ``OAuthServer``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox_kit import SandboxServer
from flowyard.integrations import config

log = logging.getLogger(__name__)

SIMULATORS = {
    "xero": "connectors.xero.sandbox:XeroSandbox",
    "hubspot": "connectors.hubspot.sandbox:HubSpotSandbox",
    "asana": "connectors.asana.sandbox:AsanaSandbox",
    "shopify": "connectors.shopify.sandbox:ShopifySandbox",
}


def available() -> list[str]:
    """Simulators whose module imports (a connector still being written is skipped)."""
    found = []
    for key, target in SIMULATORS.items():
        module, _, name = target.partition(":")
        try:
            if hasattr(importlib.import_module(module), name):
                found.append(key)
        except ImportError:
            continue
    return found


def build(key: str, **kwargs: Any) -> Any:
    module, _, name = SIMULATORS[key].partition(":")
    return getattr(importlib.import_module(module), name)(**kwargs)


def register_demo_app(simulator: Any, key: str, redirect_uris: Iterable[str]) -> None:
    """Register our OAuth app (the sandbox credentials) so Connect works without set-up."""
    app = config.sandbox_credentials(key)
    simulator.oauth.register_client(
        tuple(redirect_uris), client_id=app.client_id, client_secret=app.client_secret
    )


@dataclass
class SandboxHost:
    """Simulators served on 127.0.0.1; ``urls`` maps connector key → base URL."""

    simulators: dict[str, Any] = field(default_factory=dict)
    servers: dict[str, SandboxServer] = field(default_factory=dict)

    @property
    def urls(self) -> dict[str, str]:
        return {key: server.url for key, server in self.servers.items()}

    def start(
        self,
        keys: Iterable[str],
        *,
        redirect_uris: Iterable[str],
        ports: dict[str, int] | None = None,
        simulators: dict[str, Any] | None = None,
    ) -> SandboxHost:
        uris = tuple(redirect_uris)
        for key in keys:
            simulator = (simulators or {}).get(key) or build(key)
            register_demo_app(simulator, key, uris)
            server = SandboxServer(simulator.app, port=(ports or {}).get(key) or 0)
            self.simulators[key] = simulator
            self.servers[key] = server.start()
            log.info("%s sandbox on %s", key, server.url)
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()

    def env(self) -> dict[str, str]:
        """What the web and worker processes need to use these simulators."""
        allow = ",".join(f"127.0.0.1:{s.port}" for s in self.servers.values())
        return {
            "FLOWYARD_SANDBOXES": "1",
            "FLOWYARD_SANDBOX_URLS": ",".join(f"{k}={u}" for k, u in self.urls.items()),
            "FLOWYARD_HTTP_ALLOW": allow,
        }
