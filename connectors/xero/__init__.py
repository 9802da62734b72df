"""Xero accounting connector: contacts, invoices, payments and webhooks (OAuth 2.0 + PKCE)."""

from connectors.xero.actions import ACTIONS
from connectors.xero.triggers import TRIGGERS
from marketplace.sdk import Connector, OAuth2AuthCode, RateLimit

AUTH = OAuth2AuthCode(
    authorize_url="https://login.xero.com/identity/connect/authorize",
    token_url="https://identity.xero.com/connect/token",
    revoke_url="https://identity.xero.com/connect/revocation",
    scopes=(
        "openid",
        "profile",
        "email",
        "offline_access",
        "accounting.contacts",
        "accounting.transactions",
    ),
)

connector = Connector(
    key="xero",
    name="Xero",
    version="1.0.0",
    description="Find and update contacts, raise invoices and record payments in Xero.",
    icon="xero",
    categories=("accounting",),
    auth=AUTH,
    actions=ACTIONS,
    triggers=TRIGGERS,
    rate_limits=(
        RateLimit("minute", 60, 60),  # per organisation
        RateLimit("day", 5000, 86400),  # per organisation
    ),
    base_url="https://api.xero.com",
)

ORIGINS = ("https://login.xero.com", "https://identity.xero.com", "https://api.xero.com")
"""Hosts a sandbox stands in for (see ``connectors.sandbox_kit.rebase``)."""

__all__ = ["AUTH", "ORIGINS", "connector"]
