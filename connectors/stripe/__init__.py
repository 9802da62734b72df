"""Stripe connector: customers, invoices and payment event webhooks (secret API key)."""

from connectors.stripe.actions import ACTIONS
from connectors.stripe.triggers import TRIGGERS
from marketplace.sdk import ApiKeyAuth, Connector, RateLimit

AUTH = ApiKeyAuth(header="Authorization", prefix="Bearer ", label="Secret key (sk_live_… or rk_…)")

connector = Connector(
    key="stripe",
    name="Stripe",
    version="1.0.0",
    description="Find and create customers, raise and finalize invoices, react to payments.",
    icon="stripe",
    categories=("payments", "accounting"),
    auth=AUTH,
    actions=ACTIONS,
    triggers=TRIGGERS,
    # Live mode allows 100 read and 100 write operations a second per account (test mode 25).
    rate_limits=(RateLimit("second", 100, 1),),
    base_url="https://api.stripe.com",
)

ORIGINS = ("https://api.stripe.com",)
"""Hosts a sandbox stands in for (see ``connectors.sandbox_kit.rebase``)."""

__all__ = ["AUTH", "ORIGINS", "connector"]
