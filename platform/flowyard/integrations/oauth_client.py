"""An authlib OAuth 2.0 client for one provider: our app's credentials, the provider's token
endpoint quirks, and the SSRF-guarded transport (sandboxes must be allow-listed explicitly)."""

from __future__ import annotations

from typing import Any

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from flowyard.integrations import config
from flowyard.integrations.oauth_extras import extras_for
from flowyard.net import SyncGuardedTransport
from flowyard.settings import get_settings
from marketplace.sdk import OAuth2AuthCode

TOKEN_TIMEOUT_SECONDS = 15.0

__all__ = ["OAuthError", "oauth_client"]


def oauth_client(connector_key: str, auth: OAuth2AuthCode, **kwargs: Any) -> OAuth2Client:
    """A client ready for ``create_authorization_url``, ``fetch_token`` and ``refresh_token``."""
    app = config.app_credentials(connector_key)
    extras = extras_for(connector_key)
    client = OAuth2Client(
        client_id=app.client_id,
        client_secret=app.client_secret,
        token_endpoint_auth_method=extras.token_auth_method,
        scope=" ".join(auth.scopes),
        redirect_uri=config.redirect_uri(),
        code_challenge_method="S256" if auth.pkce else None,
        timeout=TOKEN_TIMEOUT_SECONDS,
        transport=SyncGuardedTransport(allow=get_settings().http_allow_entries),
        **kwargs,
    )
    for hook in extras.token_response_hooks():
        client.register_compliance_hook("access_token_response", hook)
        client.register_compliance_hook("refresh_token_response", hook)
    return client
