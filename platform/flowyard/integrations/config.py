"""Integration settings read from the environment: sandbox mode, OAuth app credentials, URLs.

Connectors are plugins, so per-provider settings cannot be fixed fields: a provider's OAuth app
is ``FLOWYARD_<KEY>_CLIENT_ID`` / ``FLOWYARD_<KEY>_CLIENT_SECRET`` (e.g. ``FLOWYARD_XERO_…``).
In **sandbox mode** (``FLOWYARD_SANDBOXES=1``, on by default outside production) connectors
are pointed at the local provider simulators and use their built-in demo app credentials.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from flowyard.settings import get_settings

SANDBOX_BASE_PORT = 8790
SANDBOX_PORT_OFFSETS = {"xero": 0, "hubspot": 1, "asana": 2, "shopify": 3, "slack": 4, "stripe": 5}
"""Fixed ports (base + offset) the ``flowyard sandboxes`` process serves each simulator on."""

REFRESH_MARGIN_MINUTES = 10
"""Refresh access tokens that expire within this many minutes (the periodic actor runs every
minute, so a token is renewed several times before it could lapse)."""


@dataclass(frozen=True)
class AppCredentials:
    client_id: str
    client_secret: str


class NotConfigured(RuntimeError):
    """A provider's OAuth app is missing; the message says which variables to set."""


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def sandbox_mode() -> bool:
    """True when connectors talk to the local simulators instead of the real providers."""
    raw = _env("FLOWYARD_SANDBOXES")
    if raw is None:
        return not get_settings().is_production
    return raw.lower() in {"1", "true", "yes", "on"}


def sandbox_credentials(connector_key: str) -> AppCredentials:
    """The demo OAuth app every sandbox registers at start (not a secret: local only)."""
    return AppCredentials(f"flowyard-sandbox-{connector_key}", f"sandbox-secret-{connector_key}")


def app_credentials(connector_key: str) -> AppCredentials:
    """Our OAuth app at the provider, from ``FLOWYARD_<KEY>_CLIENT_ID/SECRET``."""
    prefix = f"FLOWYARD_{connector_key.upper()}_"
    client_id, secret = _env(prefix + "CLIENT_ID"), _env(prefix + "CLIENT_SECRET")
    if client_id and secret:
        return AppCredentials(client_id, secret)
    if sandbox_mode():
        return sandbox_credentials(connector_key)
    raise NotConfigured(
        f"Connecting {connector_key} isn't set up on this server yet: an administrator needs to "
        f"set {prefix}CLIENT_ID and {prefix}CLIENT_SECRET."
    )


def sandbox_urls() -> dict[str, str]:
    """Connector key → sandbox base URL: ``FLOWYARD_SANDBOX_URLS`` ("xero=http://…,…") wins,
    else the fixed ports from ``FLOWYARD_SANDBOX_BASE_PORT``."""
    raw = _env("FLOWYARD_SANDBOX_URLS")
    if raw:
        pairs = (part.split("=", 1) for part in raw.split(",") if "=" in part)
        return {key.strip(): url.strip().rstrip("/") for key, url in pairs}
    base = int(_env("FLOWYARD_SANDBOX_BASE_PORT") or SANDBOX_BASE_PORT)
    return {key: f"http://127.0.0.1:{base + off}" for key, off in SANDBOX_PORT_OFFSETS.items()}


def redirect_uri() -> str:
    """The one exact redirect URI registered with every provider."""
    return get_settings().public_base_url.rstrip("/") + "/oauth/callback"


def refresh_margin_minutes() -> int:
    return int(_env("FLOWYARD_TOKEN_REFRESH_MARGIN_MINUTES") or REFRESH_MARGIN_MINUTES)
