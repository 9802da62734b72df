"""Xero sandbox OAuth: the authlib dance (S256 PKCE), failures, rotation and revocation."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc6749.errors import MismatchingStateException, MissingCodeException
from authlib.oauth2.rfc6749.parameters import parse_authorization_code_response

from connectors.sandbox_kit import ManualClock, SandboxServer
from connectors.xero.sandbox import XeroSandbox
from marketplace.sdk import Connector


@pytest.fixture
def xero(clock: ManualClock) -> Iterator[tuple[XeroSandbox, Connector]]:
    sandbox = XeroSandbox(clock=clock)
    with SandboxServer(sandbox.app) as server:
        yield sandbox, sandbox.connector(server.url)


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_connector_urls_are_xero_in_production_and_sandbox_when_rebased(xero) -> None:
    from connectors.xero import connector

    assert connector.auth.authorize_url == "https://login.xero.com/identity/connect/authorize"
    assert connector.auth.token_url == "https://identity.xero.com/connect/token"
    assert "offline_access" in connector.auth.scopes
    _, local = xero
    assert local.auth.authorize_url.endswith("/identity/connect/authorize")
    assert local.auth.authorize_url.startswith("http://127.0.0.1:")
    assert local.base_url.startswith("http://127.0.0.1:")


def test_full_dance_then_connections_lists_the_organisation(
    redirect_uri: str, xero, authorize
) -> None:
    sandbox, connector = xero
    client = sandbox.register_client([redirect_uri])
    consent = authorize(connector, client)
    params = _query(consent.location)
    assert consent.location.startswith(redirect_uri)
    assert params["state"] == consent.state and params["code"]

    token = consent.exchange(connector.auth.token_url)
    assert token["token_type"] == "Bearer" and token["expires_in"] == 1800
    assert token["refresh_token"]
    assert set(token["scope"].split()) == set(connector.auth.scopes)

    answer = httpx.get(
        f"{connector.base_url}/connections",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert answer.status_code == 200
    (connection,) = answer.json()
    assert connection["tenantId"] == sandbox.default_org.tenant_id
    assert connection["tenantType"] == "ORGANISATION"
    assert connection["tenantName"] == "Demo Company (Global)"


def test_client_rejects_a_redirect_with_someone_elses_state(
    redirect_uri: str, xero, authorize
) -> None:
    sandbox, connector = xero
    consent = authorize(connector, sandbox.register_client([redirect_uri]))
    with pytest.raises(MismatchingStateException):
        consent.exchange(connector.auth.token_url, state="state-from-another-session")


def test_denied_consent_redirects_with_access_denied_and_no_code(
    redirect_uri: str, xero, authorize
) -> None:
    sandbox, connector = xero
    consent = authorize(connector, sandbox.register_client([redirect_uri]), consent="deny")
    params = _query(consent.location)
    assert params["error"] == "access_denied"
    assert params["state"] == consent.state
    assert "code" not in params
    with pytest.raises(MissingCodeException):  # what a client parsing the callback sees
        parse_authorization_code_response(consent.location, state=consent.state)


def test_unregistered_redirect_uri_is_refused_without_redirecting(redirect_uri: str, xero) -> None:
    sandbox, connector = xero
    client = sandbox.register_client([redirect_uri])
    answer = httpx.get(
        connector.auth.authorize_url,
        params={
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": redirect_uri + "/evil",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
        },
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_expired_code_is_invalid_grant(
    redirect_uri: str, xero, authorize, clock: ManualClock
) -> None:
    sandbox, connector = xero
    consent = authorize(connector, sandbox.register_client([redirect_uri]))
    clock.advance(301)
    with pytest.raises(OAuthError) as caught:
        consent.exchange(connector.auth.token_url)
    assert caught.value.error == "invalid_grant"


def test_code_is_single_use_and_a_replay_revokes_its_tokens(
    redirect_uri: str, xero, authorize
) -> None:
    sandbox, connector = xero
    consent = authorize(connector, sandbox.register_client([redirect_uri]))
    token = consent.exchange(connector.auth.token_url)
    with pytest.raises(OAuthError) as caught:
        consent.exchange(connector.auth.token_url)
    assert caught.value.error == "invalid_grant"
    answer = httpx.get(
        f"{connector.base_url}/connections",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert answer.status_code == 401


def test_wrong_code_verifier_is_invalid_grant(redirect_uri: str, xero, authorize) -> None:
    sandbox, connector = xero
    consent = authorize(connector, sandbox.register_client([redirect_uri]))
    consent.verifier = "a-different-verifier-" + "x" * 30
    with pytest.raises(OAuthError) as caught:
        consent.exchange(connector.auth.token_url)
    assert caught.value.error == "invalid_grant"


def test_wrong_client_secret_is_invalid_client(redirect_uri: str, xero, authorize) -> None:
    sandbox, connector = xero
    consent = authorize(connector, sandbox.register_client([redirect_uri]))
    consent.client.client_secret = "not-the-secret"
    with pytest.raises(OAuthError) as caught:
        consent.exchange(connector.auth.token_url)
    assert caught.value.error == "invalid_client"


def test_without_offline_access_there_is_no_refresh_token(
    redirect_uri: str, xero, authorize
) -> None:
    sandbox, connector = xero
    consent = authorize(
        connector, sandbox.register_client([redirect_uri]), scope="openid accounting.contacts"
    )
    token = consent.exchange(connector.auth.token_url)
    assert "refresh_token" not in token


def test_refresh_rotates_and_old_token_dies_after_xeros_grace(
    redirect_uri: str, xero, authorize, clock
) -> None:
    sandbox, connector = xero
    consent = authorize(connector, sandbox.register_client([redirect_uri]))
    first = consent.exchange(connector.auth.token_url)
    second = consent.client.refresh_token(connector.auth.token_url, first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]

    # Xero documents a 30-minute grace period for re-using the previous refresh token.
    clock.advance(60)
    again = consent.client.refresh_token(connector.auth.token_url, first["refresh_token"])
    assert again["access_token"]
    clock.advance(1800)
    with pytest.raises(OAuthError) as caught:
        consent.client.refresh_token(connector.auth.token_url, first["refresh_token"])
    assert caught.value.error == "invalid_grant"
    third = consent.client.refresh_token(connector.auth.token_url, second["refresh_token"])
    assert third["access_token"]


def test_revoking_the_refresh_token_disconnects(redirect_uri: str, xero, authorize) -> None:
    sandbox, connector = xero
    client = sandbox.register_client([redirect_uri])
    consent = authorize(connector, client)
    token = consent.exchange(connector.auth.token_url)
    answer = httpx.post(
        connector.auth.revoke_url,
        data={"token": token["refresh_token"]},
        auth=(client.client_id, client.client_secret),
    )
    assert answer.status_code == 200
    with pytest.raises(OAuthError) as caught:
        consent.client.refresh_token(connector.auth.token_url, token["refresh_token"])
    assert caught.value.error == "invalid_grant"
    api = httpx.get(
        f"{connector.base_url}/connections",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert api.status_code == 401
    assert api.json()["Title"] == "Unauthorized"
