"""Shopify connector: orders, customers, products/inventory and order webhooks (OAuth 2.0).

URLs carry ``{shop}`` (the store's handle, ``acme`` in ``acme.myshopify.com``); the integrations
core fills it in with :func:`connectors.shopify.install.for_shop` once the install request's
shop domain and HMAC have been checked (:func:`connectors.shopify.install.check_install`).
"""

from connectors.shopify.actions import ACTIONS
from connectors.shopify.client import API_VERSION
from connectors.shopify.triggers import TRIGGERS
from marketplace.sdk import Connector, OAuth2AuthCode, RateLimit

SHOP_ORIGIN = "https://{shop}.myshopify.com"

AUTH = OAuth2AuthCode(
    authorize_url=f"{SHOP_ORIGIN}/admin/oauth/authorize",
    token_url=f"{SHOP_ORIGIN}/admin/oauth/access_token",
    scopes=("read_orders", "read_customers", "write_customers", "read_products",
            "read_inventory", "write_inventory", "read_locations"),
    pkce=False,  # Shopify's code grant has no PKCE; the client secret stays server-side
)  # fmt: skip

connector = Connector(
    key="shopify",
    name="Shopify",
    version="1.0.0",
    description="Read orders, find and create customers, check products and adjust stock.",
    icon="shopify",
    categories=("ecommerce",),
    auth=AUTH,
    actions=ACTIONS,
    triggers=TRIGGERS,
    # REST Admin API, standard plan: a leaky bucket of 40 requests that drains 2 per second,
    # per app and store (limit = bucket size, window_seconds / limit = leak interval).
    rate_limits=(RateLimit("rest_bucket", 40, 20, kind="bucket"),),
    base_url=f"{SHOP_ORIGIN}/admin/api/{API_VERSION}",
)

ORIGINS = (SHOP_ORIGIN,)
"""Hosts a sandbox stands in for (see ``connectors.sandbox_kit.rebase``)."""

__all__ = ["AUTH", "ORIGINS", "SHOP_ORIGIN", "connector"]
