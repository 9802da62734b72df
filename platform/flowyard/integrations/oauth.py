"""The authorization code flow with PKCE, from the Connect button to a stored connection.

``begin`` builds the provider's authorize URL and remembers the attempt (state, verifier, the
user's login session); ``complete`` checks the callback against it, exchanges the code, asks the
provider which account was connected, and stores the tokens encrypted. Failures become
:class:`ConnectFailed` with a short code the Integrations page turns into a sentence.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token

from flowyard.db import tenant_session
from flowyard.integrations import catalog, config, oauth_state
from flowyard.integrations.connections import save_new
from flowyard.integrations.oauth_client import OAuthError, oauth_client
from flowyard.integrations.oauth_extras import extras_for
from flowyard.integrations.tokens import TokenSet
from flowyard.net import DestinationRefused, SyncGuardedTransport
from flowyard.settings import get_settings
from marketplace.sdk import OAuth2AuthCode


class ConnectFailed(Exception):
    """The attempt did not produce a connection; ``code`` names why (for the page)."""

    def __init__(self, code: str, *, tenant_slug: str = "", app: str = "", detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.tenant_slug, self.app, self.detail = code, tenant_slug, app, detail


@dataclass(frozen=True)
class Connected:
    tenant_slug: str
    connector_key: str
    connection_id: uuid.UUID


def _oauth_auth(connector_key: str) -> tuple[Any, OAuth2AuthCode]:
    try:
        connector = catalog.get(connector_key)
    except catalog.UnknownConnector:
        raise ConnectFailed("unknown_app", app=connector_key) from None
    if not isinstance(connector.auth, OAuth2AuthCode):
        raise ConnectFailed("not_oauth", app=connector.name)
    return connector, connector.auth


def begin(
    *,
    connector_key: str,
    user_id: uuid.UUID,
    session_token: str,
    tenant_id: uuid.UUID,
    tenant_slug: str,
    query: Mapping[str, str],
    reconnect_id: uuid.UUID | None = None,
) -> str:
    """The provider URL to send the browser to (after remembering the attempt)."""
    connector, auth = _oauth_auth(connector_key)
    extras = extras_for(connector_key)
    try:
        remembered = extras.start_params(query)
    except ValueError as error:
        raise ConnectFailed("bad_start", tenant_slug=tenant_slug, app=connector.name,
                            detail=str(error)) from None  # fmt: skip
    auth, _base = extras.endpoints(auth, connector.base_url, remembered)
    verifier = generate_token(64)
    state = oauth_state.save(
        oauth_state.PendingAuth(
            user_id=str(user_id),
            session_hash=oauth_state.session_hash(session_token),
            tenant_id=str(tenant_id),
            tenant_slug=tenant_slug,
            connector_key=connector_key,
            code_verifier=verifier,
            redirect_uri=config.redirect_uri(),
            remembered=remembered,
            reconnect_id=str(reconnect_id) if reconnect_id else None,
        )
    )
    try:
        client = oauth_client(connector_key, auth)
    except config.NotConfigured:
        raise ConnectFailed("not_configured", tenant_slug=tenant_slug, app=connector.name) from None
    with client:
        url, _ = client.create_authorization_url(
            auth.authorize_url, state=state, code_verifier=verifier,
            **dict(auth.extra_authorize_params),
        )  # fmt: skip
    return url


def _exchange(pending: oauth_state.PendingAuth, auth: OAuth2AuthCode, code: str) -> dict:
    with oauth_client(pending.connector_key, auth) as client:
        return dict(
            client.fetch_token(
                auth.token_url,
                grant_type="authorization_code",
                code=code,
                code_verifier=pending.code_verifier,
                redirect_uri=pending.redirect_uri,
            )
        )


def _account(
    connector_key: str, base_url: str, token: Mapping[str, Any], remembered: Mapping[str, Any]
) -> dict[str, Any]:
    """Ask the provider which account this token reaches (Xero organisation, HubSpot portal)."""
    with httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token['access_token']}"},
        transport=SyncGuardedTransport(allow=get_settings().http_allow_entries),
        timeout=15.0,
    ) as http:
        return extras_for(connector_key).after_token(http, token, remembered)


def complete(query: Mapping[str, str], session_token: str | None) -> Connected:
    """Finish an attempt from the provider's redirect back to ``/oauth/callback``."""
    pending = oauth_state.take(query.get("state"))
    if pending is None:
        raise ConnectFailed("bad_state")
    slug = pending.tenant_slug
    connector, auth = _oauth_auth(pending.connector_key)
    fail = {"tenant_slug": slug, "app": connector.name}
    if pending.session_hash != oauth_state.session_hash(session_token):
        raise ConnectFailed("other_session", **fail)
    if "error" in query:
        code = "denied" if query["error"] == "access_denied" else "provider_error"
        raise ConnectFailed(code, detail=query.get("error_description", query["error"]), **fail)
    if not query.get("code"):
        raise ConnectFailed("provider_error", detail="no code in the answer", **fail)
    extras = extras_for(pending.connector_key)
    if not extras.verify_callback(
        query, config.app_credentials(pending.connector_key).client_secret
    ):
        raise ConnectFailed("bad_signature", **fail)
    auth, base_url = extras.endpoints(auth, connector.base_url, pending.remembered)
    try:
        token = _exchange(pending, auth, query["code"])
    except OAuthError as error:
        code = "code_rejected" if error.error == "invalid_grant" else "exchange_failed"
        raise ConnectFailed(code, detail=f"{error.error}: {error.description}", **fail) from None
    except (httpx.HTTPError, DestinationRefused, ValueError) as error:
        raise ConnectFailed("unreachable", detail=str(error), **fail) from None
    try:
        account = _account(pending.connector_key, base_url, token, pending.remembered)
    except ValueError as error:
        raise ConnectFailed("account_lookup", detail=str(error), **fail) from None
    except (httpx.HTTPError, DestinationRefused) as error:
        raise ConnectFailed("account_lookup", detail=str(error), **fail) from None
    tokens = TokenSet.from_token_response(token)
    tokens.extras = {**pending.remembered, **account.get("extras", {})}
    tenant_id = uuid.UUID(pending.tenant_id)
    with tenant_session(tenant_id) as db:
        row = save_new(
            db,
            tenant_id=tenant_id,
            connector_key=pending.connector_key,
            app_name=connector.name,
            auth_kind=auth.kind,
            tokens=tokens,
            label=str(account.get("label") or connector.name),
            created_by=uuid.UUID(pending.user_id),
            sandbox=config.sandbox_mode(),
            replace=uuid.UUID(pending.reconnect_id) if pending.reconnect_id else None,
        )
    return Connected(slug, pending.connector_key, row.id)


def revoke(connector_key: str, tokens: TokenSet) -> bool:
    """Tell the provider to forget a disconnected connection's tokens (RFC 7009, best effort).

    Returns False when the provider has no revocation endpoint or could not be reached; the
    tokens are forgotten on our side either way."""
    connector = catalog.get(connector_key)
    auth = connector.auth
    token = tokens.refresh_token or tokens.access_token
    if not isinstance(auth, OAuth2AuthCode) or not auth.revoke_url or not token:
        return False
    auth, _ = extras_for(connector_key).endpoints(auth, connector.base_url, tokens.extras)
    hint = "refresh_token" if tokens.refresh_token else "access_token"
    try:
        with oauth_client(connector_key, auth) as client:
            answer = client.revoke_token(auth.revoke_url, token=token, token_type_hint=hint)
        return answer.status_code < 400
    except (httpx.HTTPError, DestinationRefused, config.NotConfigured, OAuthError):
        return False
