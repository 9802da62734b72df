"""HubSpot CRM connector: contacts, deals and change webhooks (OAuth 2.0)."""

from connectors.hubspot.actions import ACTIONS
from connectors.hubspot.triggers import TRIGGERS
from marketplace.sdk import Connector, OAuth2AuthCode, RateLimit

AUTH = OAuth2AuthCode(
    authorize_url="https://app.hubspot.com/oauth/authorize",
    token_url="https://api.hubapi.com/oauth/v1/token",
    scopes=(
        "oauth",
        "crm.objects.contacts.read",
        "crm.objects.contacts.write",
        "crm.objects.deals.read",
        "crm.objects.deals.write",
    ),
)

connector = Connector(
    key="hubspot",
    name="HubSpot",
    version="1.0.0",
    description="Find, create and update contacts; open deals and move them through stages.",
    icon="hubspot",
    categories=("crm", "marketing"),
    auth=AUTH,
    actions=ACTIONS,
    triggers=TRIGGERS,
    rate_limits=(
        RateLimit("ten_seconds", 110, 10),  # OAuth apps, per HubSpot account
        RateLimit("day", 250_000, 86400),  # account-wide daily allowance (Free/Starter)
    ),
    base_url="https://api.hubapi.com",
)

ORIGINS = ("https://app.hubspot.com", "https://api.hubapi.com")
"""Hosts a sandbox stands in for (see ``connectors.sandbox_kit.rebase``)."""

__all__ = ["AUTH", "ORIGINS", "connector"]
