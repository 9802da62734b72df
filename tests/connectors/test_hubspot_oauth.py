"""HubSpot sandbox OAuth: the authlib dance, HubSpot's own token error format, refresh behaviour."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc6749.errors import MismatchingStateException

from connectors.hubspot.oauth_compat import rfc6749_errors
from connectors.hubspot.sandbox import HubSpotSandbox
from connectors.sandbox_kit import ManualClock, SandboxServer

POST = "client_secret_post"  # HubSpot takes client_id/client_secret in the form body


@pytest.fixture
def hubspot(clock: ManualClock) -> Iterator[tuple[HubSpotSandbox, object]]:
    sandbox = HubSpotSandbox(clock=clock)
    with SandboxServer(sandbox.app) as server:
        yield sandbox, sandbox.connector(server.url)


def _hooked(consent):
    consent.client.register_compliance_hook("access_token_response", rfc6749_errors)
    consent.client.register_compliance_hook("refresh_token_response", rfc6749_errors)
    return consent


def test_production_urls() -> None:
    from connectors.hubspot import connector

    assert connector.auth.authorize_url == "https://app.hubspot.com/oauth/authorize"
    assert connector.auth.token_url == "https://api.hubapi.com/oauth/v1/token"
    assert connector.base_url == "https://api.hubapi.com"


def test_full_dance_and_token_info(hubspot, authorize, redirect_uri: str) -> None:
    sandbox, connector = hubspot
    consent = authorize(connector, sandbox.register_client([redirect_uri]), auth_method=POST)
    assert parse_qs(urlsplit(consent.location).query)["state"] == [consent.state]
    token = consent.exchange(connector.auth.token_url)
    assert token["refresh_token"] and token["expires_in"] == 1800
    info = httpx.get(f"{connector.base_url}/oauth/v1/access-tokens/{token['access_token']}")
    assert info.json()["hub_id"] == sandbox.portal.portal_id
    assert "crm.objects.deals.write" in info.json()["scopes"]


def test_client_side_state_mismatch(hubspot, authorize, redirect_uri: str) -> None:
    sandbox, connector = hubspot
    consent = authorize(connector, sandbox.register_client([redirect_uri]), auth_method=POST)
    with pytest.raises(MismatchingStateException):
        consent.exchange(connector.auth.token_url, state="forged")


def test_denied_consent(hubspot, authorize, redirect_uri: str) -> None:
    sandbox, connector = hubspot
    consent = authorize(
        connector, sandbox.register_client([redirect_uri]), auth_method=POST, consent="deny"
    )
    params = parse_qs(urlsplit(consent.location).query)
    assert params["error"] == ["access_denied"] and "code" not in params


def test_expired_code_uses_hubspots_error_format(hubspot, authorize, clock, redirect_uri) -> None:
    sandbox, connector = hubspot
    client = sandbox.register_client([redirect_uri])
    consent = authorize(connector, client, auth_method=POST)
    clock.advance(301)
    raw = httpx.post(
        connector.auth.token_url,
        data={
            "grant_type": "authorization_code",
            "code": parse_qs(urlsplit(consent.location).query)["code"][0],
            "redirect_uri": redirect_uri,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "code_verifier": consent.verifier,
        },
    )
    assert raw.status_code == 400
    assert raw.json()["status"] == "EXPIRED_AUTH_CODE" and "error" not in raw.json()
    # Without the compliance hook authlib would take that body for a token; with it, it raises.
    with pytest.raises(OAuthError) as caught:
        _hooked(consent).exchange(connector.auth.token_url)
    assert caught.value.error == "invalid_grant"
    assert "EXPIRED_AUTH_CODE" in caught.value.description


def test_refresh_keeps_the_same_token_as_hubspot_documents(
    hubspot, authorize, redirect_uri
) -> None:
    sandbox, connector = hubspot
    consent = _hooked(
        authorize(connector, sandbox.register_client([redirect_uri]), auth_method=POST)
    )
    first = consent.exchange(connector.auth.token_url)
    second = consent.client.refresh_token(connector.auth.token_url, first["refresh_token"])
    assert second["refresh_token"] == first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    third = consent.client.refresh_token(connector.auth.token_url, first["refresh_token"])
    assert third["access_token"]


def test_rotation_mode_old_refresh_token_fails(clock, authorize, redirect_uri: str) -> None:
    sandbox = HubSpotSandbox(clock=clock, rotate_refresh_tokens=True)
    with SandboxServer(sandbox.app) as server:
        connector = sandbox.connector(server.url)
        consent = _hooked(
            authorize(connector, sandbox.register_client([redirect_uri]), auth_method=POST)
        )
        first = consent.exchange(connector.auth.token_url)
        second = consent.client.refresh_token(connector.auth.token_url, first["refresh_token"])
        assert second["refresh_token"] != first["refresh_token"]
        with pytest.raises(OAuthError) as caught:
            consent.client.refresh_token(connector.auth.token_url, first["refresh_token"])
        assert "BAD_REFRESH_TOKEN" in caught.value.description


def test_deleting_the_refresh_token_revokes_access(hubspot, authorize, redirect_uri) -> None:
    sandbox, connector = hubspot
    consent = _hooked(
        authorize(connector, sandbox.register_client([redirect_uri]), auth_method=POST)
    )
    token = consent.exchange(connector.auth.token_url)
    gone = httpx.delete(f"{connector.base_url}/oauth/v1/refresh-tokens/{token['refresh_token']}")
    assert gone.status_code == 204
    api = httpx.get(
        f"{connector.base_url}/crm/v3/objects/contacts",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert api.status_code == 401 and api.json()["category"] == "INVALID_AUTHENTICATION"
    with pytest.raises(OAuthError):
        consent.client.refresh_token(connector.auth.token_url, token["refresh_token"])
