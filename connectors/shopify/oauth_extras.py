"""Shopify's OAuth quirks for the integrations core (see ``flowyard.integrations.oauth_extras``).

The Connect link carries the store (``?shop=acme.myshopify.com``); every URL is per store; the
callback and the admin's install link are HMAC-signed with the app's client secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from connectors.shopify.install import InstallRejected, check_install, for_shop, valid_shop_domain
from marketplace.sdk import Connector, OAuth2AuthCode

TOKEN_AUTH_METHOD = "client_secret_post"


def start_params(query: Mapping[str, str]) -> dict[str, str]:
    """Remember the store the user typed; refuse anything but ``name.myshopify.com``."""
    shop = str(query.get("shop", "")).strip().lower()
    if not shop.endswith(".myshopify.com") and shop and "." not in shop:
        shop = f"{shop}.myshopify.com"
    if not valid_shop_domain(shop):
        raise ValueError("Enter your store's address, like acme.myshopify.com.")
    return {"shop": shop}


def endpoints(
    auth: OAuth2AuthCode, base_url: str, remembered: Mapping[str, Any]
) -> tuple[OAuth2AuthCode, str]:
    """Fill ``{shop}`` in; URLs that have none (a sandbox) are left as they are."""
    shop = str(remembered.get("shop", ""))
    if "{shop}" not in auth.authorize_url + base_url or not shop:
        return auth, base_url
    placeholder = Connector(
        key="shopify", name="Shopify", version="0", auth=auth, base_url=base_url
    )
    filled = for_shop(placeholder, shop)
    assert isinstance(filled.auth, OAuth2AuthCode)
    return filled.auth, filled.base_url


def verify_callback(query: Mapping[str, str], client_secret: str) -> bool:
    try:
        check_install(query, client_secret)
    except InstallRejected:
        return False
    return True


def verify_install(query: Mapping[str, str], client_secret: str) -> dict | None:
    """An install link opened from the Shopify admin: the store to connect, if genuine."""
    try:
        return {"shop": check_install(query, client_secret)}
    except InstallRejected:
        return None


def after_token(
    _http: httpx.Client, _token: Mapping[str, Any], remembered: Mapping[str, Any]
) -> dict[str, Any]:
    shop = str(remembered.get("shop", ""))
    return {"label": shop or "Shopify store", "extras": {"shop": shop} if shop else {}}
