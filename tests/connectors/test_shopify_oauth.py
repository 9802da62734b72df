"""Shopify: install-request HMAC and shop-domain checks, the OAuth dance against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError

from connectors.sandbox_kit import ManualClock, SandboxServer
from connectors.shopify import connector as production
from connectors.shopify.install import (
    InstallRejected,
    check_install,
    for_shop,
    query_hmac,
    signed_message,
    valid_shop_domain,
)
from connectors.shopify.sandbox import ShopifySandbox
from marketplace.sdk import Connector

POST = "client_secret_post"  # Shopify takes client_id/client_secret in the body
SCOPES = ",".join(production.auth.scopes)


@pytest.fixture
def shopify(clock: ManualClock) -> Iterator[tuple[ShopifySandbox, Connector]]:
    sandbox = ShopifySandbox(clock=clock)
    with SandboxServer(sandbox.app) as server:
        yield sandbox, sandbox.connector(server.url)


def test_production_urls_are_per_shop() -> None:
    assert production.auth.authorize_url == "https://{shop}.myshopify.com/admin/oauth/authorize"
    assert production.auth.pkce is False
    acme = for_shop(production, "acme-store.myshopify.com")
    assert acme.auth.authorize_url == "https://acme-store.myshopify.com/admin/oauth/authorize"
    assert acme.auth.token_url == "https://acme-store.myshopify.com/admin/oauth/access_token"
    assert acme.base_url.startswith("https://acme-store.myshopify.com/admin/api/")
    with pytest.raises(InstallRejected):
        for_shop(production, "evil.example.com")


@pytest.mark.parametrize(
    ("shop", "ok"),
    [
        ("acme.myshopify.com", True),
        ("acme-2.myshopify.com", True),
        ("-acme.myshopify.com", False),
        ("acme.myshopify.com.evil.io", False),
        ("evil.io/acme.myshopify.com", False),
        ("ACME.myshopify.com", False),
        ("acme.shopify.com", False),
        ("", False),
    ],
)
def test_shop_domain_validation(shop: str, ok: bool) -> None:
    assert valid_shop_domain(shop) is ok


def test_signed_message_follows_shopifys_rules() -> None:
    query = "shop=a.myshopify.com&hmac=x&timestamp=1&code=a%26b&ids[]=1&ids[]=2&signature=s"
    assert signed_message(query) == 'code=a%26b&ids=["1", "2"]&shop=a.myshopify.com&timestamp=1'


def test_install_request_hmac(shopify, clock: ManualClock, redirect_uri: str) -> None:
    sandbox, _connector = shopify
    client = sandbox.register_client([redirect_uri])
    query = sandbox.install_query(client)
    assert check_install(query, client.client_secret, now=clock.now()) == sandbox.shop.domain
    parsed = {k: v[0] for k, v in parse_qs(query).items()}
    assert check_install(parsed, client.client_secret, now=clock.now()) == sandbox.shop.domain

    with pytest.raises(InstallRejected, match="signature"):
        check_install(query, "another-secret", now=clock.now())
    tampered = query.replace("timestamp=", "timestamp=1")
    with pytest.raises(InstallRejected, match="signature"):
        check_install(tampered, client.client_secret, now=clock.now())
    with pytest.raises(InstallRejected, match="signature"):
        check_install(urlencode({k: v for k, v in parsed.items() if k != "hmac"}),
                      client.client_secret, now=clock.now())  # fmt: skip
    with pytest.raises(InstallRejected, match="expired"):
        check_install(query, client.client_secret, now=clock.now() + 91)


def test_bad_shop_domain_is_refused_even_when_signed(redirect_uri: str) -> None:
    params = {"shop": "attacker.example.com", "timestamp": "1700000000"}
    signed = urlencode({**params, "hmac": query_hmac(params, "secret")})
    with pytest.raises(InstallRejected, match="not a Shopify store address"):
        check_install(signed, "secret", now=1_700_000_000)


def test_full_dance_with_signed_callback(shopify, authorize, clock, redirect_uri) -> None:
    sandbox, connector = shopify
    client = sandbox.register_client([redirect_uri])
    consent = authorize(connector, client, auth_method=POST, scope=SCOPES)
    callback = urlsplit(consent.location).query
    params = parse_qs(callback)
    assert params["state"] == [consent.state] and params["shop"] == [sandbox.shop.domain]
    assert check_install(callback, client.client_secret, now=clock.now()) == sandbox.shop.domain
    token = consent.exchange(connector.auth.token_url)
    assert set(token) >= {"access_token", "scope"} and "refresh_token" not in token
    assert token["scope"] == SCOPES  # offline token: comma-separated scopes, no expiry
    clock.advance(365 * 86400)
    api = httpx.get(
        f"{connector.base_url}/locations.json",
        headers={"X-Shopify-Access-Token": token["access_token"]},
    )
    assert api.status_code == 200 and api.json()["locations"]


def test_denied_consent(shopify, authorize, redirect_uri: str) -> None:
    sandbox, connector = shopify
    client = sandbox.register_client([redirect_uri])
    consent = authorize(connector, client, auth_method=POST, scope=SCOPES, consent="deny")
    params = parse_qs(urlsplit(consent.location).query)
    assert params["error"] == ["access_denied"] and "code" not in params


def test_expired_and_reused_codes(shopify, authorize, clock, redirect_uri: str) -> None:
    sandbox, connector = shopify
    client = sandbox.register_client([redirect_uri])
    stale = authorize(connector, client, auth_method=POST, scope=SCOPES)
    clock.advance(601)
    with pytest.raises(OAuthError) as caught:
        stale.exchange(connector.auth.token_url)
    assert caught.value.error == "invalid_request"
    assert "not found or was already used" in caught.value.description

    fresh = authorize(connector, client, auth_method=POST, scope=SCOPES)
    fresh.exchange(connector.auth.token_url)
    with pytest.raises(OAuthError):
        fresh.exchange(connector.auth.token_url)


def test_oauth_extras_for_the_integrations_core() -> None:
    import time

    from connectors.shopify import oauth_extras

    assert oauth_extras.TOKEN_AUTH_METHOD == "client_secret_post"
    assert oauth_extras.start_params({"shop": "Acme.myshopify.com"}) == {
        "shop": "acme.myshopify.com"
    }
    assert oauth_extras.start_params({"shop": "acme"}) == {"shop": "acme.myshopify.com"}
    with pytest.raises(ValueError, match="Enter your store"):
        oauth_extras.start_params({"shop": "acme.example.com"})
    auth, base = oauth_extras.endpoints(
        production.auth, production.base_url, {"shop": "acme.myshopify.com"}
    )
    assert auth.token_url == "https://acme.myshopify.com/admin/oauth/access_token"
    assert base.startswith("https://acme.myshopify.com/admin/api/")
    sandboxed = ("http://127.0.0.1:1/admin/oauth/authorize", "http://127.0.0.1:1/admin/api/x")
    rebased = production.auth.__class__(authorize_url=sandboxed[0], token_url="t", pkce=False)
    assert oauth_extras.endpoints(rebased, sandboxed[1], {"shop": "a.myshopify.com"}) == (
        rebased,
        sandboxed[1],
    )
    params = {"shop": "acme.myshopify.com", "timestamp": str(int(time.time()))}
    signed = {**params, "hmac": query_hmac(params, "s3cret")}
    assert oauth_extras.verify_install(signed, "s3cret") == {"shop": "acme.myshopify.com"}
    assert oauth_extras.verify_callback(signed, "s3cret") is True
    assert oauth_extras.verify_callback({**signed, "shop": "b.myshopify.com"}, "s3cret") is False
    assert oauth_extras.verify_install(signed, "other") is None
    assert oauth_extras.after_token(None, {}, {"shop": "acme.myshopify.com"})["label"] == (
        "acme.myshopify.com"
    )
