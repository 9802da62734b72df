"""Slack OAuth v2 against the sandbox: bot token, Slack's HTTP-200 errors, denied consent."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError

from connectors.sandbox_kit import ManualClock, SandboxServer
from connectors.slack import connector as production
from connectors.slack import oauth_extras
from connectors.slack.sandbox import SlackSandbox
from marketplace.sdk import Connector

POST = "client_secret_post"
SCOPES = ",".join(production.auth.scopes)


@pytest.fixture
def slack(clock: ManualClock) -> Iterator[tuple[SlackSandbox, Connector]]:
    sandbox = SlackSandbox(clock=clock)
    with SandboxServer(sandbox.app) as server:
        yield sandbox, sandbox.connector(server.url)


def test_production_urls() -> None:
    assert production.auth.authorize_url == "https://slack.com/oauth/v2/authorize"
    assert production.auth.token_url == "https://slack.com/api/oauth.v2.access"
    assert production.base_url == "https://slack.com/api"


def test_dance_gives_a_bot_token(slack, authorize, redirect_uri: str) -> None:
    sandbox, connector = slack
    consent = authorize(connector, sandbox.register_client([redirect_uri]), auth_method=POST,
                        scope=SCOPES)  # fmt: skip
    token = consent.exchange(connector.auth.token_url)
    assert token["access_token"].startswith("xoxb-") and token["token_type"] == "bot"
    assert token["scope"] == SCOPES and token["team"]["id"] == sandbox.workspace.team_id
    assert oauth_extras.after_token(None, token, {}) == {
        "label": "Sandbox Co",
        "extras": {"slack_team_id": "T0SANDBOX", "slack_bot_user_id": "U0BOT"},
    }
    who = httpx.post(
        f"{connector.base_url}/auth.test",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert who.json()["ok"] is True and who.json()["user_id"] == "U0BOT"


def test_denied_consent(slack, authorize, redirect_uri: str) -> None:
    sandbox, connector = slack
    client = sandbox.register_client([redirect_uri])
    consent = authorize(connector, client, auth_method=POST, scope=SCOPES, consent="deny")
    assert parse_qs(urlsplit(consent.location).query)["error"] == ["access_denied"]


def test_expired_code_is_an_ok_false_answer(slack, authorize, clock, redirect_uri) -> None:
    sandbox, connector = slack
    client = sandbox.register_client([redirect_uri])
    consent = authorize(connector, client, auth_method=POST, scope=SCOPES)
    clock.advance(601)
    code = parse_qs(urlsplit(consent.location).query)["code"][0]
    raw = httpx.post(connector.auth.token_url, data={
        "code": code, "client_id": client.client_id, "client_secret": client.client_secret,
        "redirect_uri": redirect_uri, "grant_type": "authorization_code"})  # fmt: skip
    assert (raw.status_code, raw.json()) == (200, {"ok": False, "error": "invalid_code"})
    consent.client.register_compliance_hook(
        "access_token_response", oauth_extras.token_response_hook
    )
    with pytest.raises(OAuthError) as caught:
        consent.exchange(connector.auth.token_url)
    assert caught.value.error == "invalid_grant" and "invalid_code" in caught.value.description


def test_wrong_client_secret(slack, authorize, redirect_uri: str) -> None:
    sandbox, connector = slack
    client = sandbox.register_client([redirect_uri])
    consent = authorize(connector, client, auth_method=POST, scope=SCOPES)
    consent.client.client_secret = "nope"
    consent.client.register_compliance_hook(
        "access_token_response", oauth_extras.token_response_hook
    )
    with pytest.raises(OAuthError) as caught:
        consent.exchange(connector.auth.token_url)
    assert caught.value.error == "invalid_client"
