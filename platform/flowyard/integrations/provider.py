"""The engine's connection provider: an authenticated, rate-limited, guarded httpx client.

``flowyard.engine.invoke`` calls :func:`client_for_connection` inside the worker step, the only
place tokens are decrypted. Every request first takes a slot from the connection's rate limits
(``RateLimitedError`` delays the step), carries the bearer token, and on a 401 refreshes once
(under the row lock, see :mod:`flowyard.integrations.refresh`) and retries. When the step
closes the client, its calls are written to the connection's health.
"""

from __future__ import annotations

import base64
import logging
import uuid
from collections.abc import Generator
from datetime import timedelta
from typing import Any

import httpx

from flowyard import __version__
from flowyard.db import tenant_session
from flowyard.engine.connections import register_provider
from flowyard.integrations import catalog, health, refresh
from flowyard.integrations import tokens as token_vault
from flowyard.integrations.connections import mark_needs_reconnect
from flowyard.integrations.models import Connection, ConnectionStatus
from flowyard.integrations.oauth_extras import extras_for
from flowyard.integrations.ratelimit import ConnectionLimits
from flowyard.integrations.tokens import TokenSet
from flowyard.net import SyncGuardedTransport
from flowyard.settings import get_settings
from marketplace.sdk import ActionError, ApiKeyAuth, AuthError, BasicAuth, Connector, OAuth2AuthCode

log = logging.getLogger(__name__)
EXPIRY_SAFETY = timedelta(seconds=60)
"""Refresh on use when a token would expire within this (the periodic refresh is the norm)."""


class ConnectionAuth(httpx.Auth):
    """Rate limit, then bearer token; on 401 one refresh and one retry."""

    def __init__(self, session: ConnectionSession) -> None:
        self.session = session

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        s = self.session
        s.limits.acquire()
        s.apply(request)
        response = yield request
        if response.status_code == 401 and s.can_refresh and not s.refreshed:
            s.tally.calls += 1  # counted against the quota, but not an error if the retry works
            s.refresh_after_401()
            s.limits.acquire()
            s.apply(request)
            response = yield request
            if response.status_code == 401:
                s.revoked()
        s.record(response)


class ConnectionSession:
    """One step's use of one connection: its tokens, limits and tally."""

    def __init__(self, row: Connection, connector: Connector, tokens: TokenSet) -> None:
        self.tenant_id, self.connection_id = row.tenant_id, row.id
        self.version = row.token_version
        self.connector = connector
        self.tokens = tokens
        self.limits = ConnectionLimits(row.tenant_id, row.id, connector)
        self.tally = health.CallTally()
        self.refreshed = False
        self.can_refresh = bool(tokens.refresh_token)

    def apply(self, request: httpx.Request) -> None:
        auth = self.connector.auth
        if isinstance(auth, ApiKeyAuth):
            request.headers[auth.header] = f"{auth.prefix}{self.tokens.api_key or ''}"
        elif isinstance(auth, BasicAuth):
            pair = f"{self.tokens.username or ''}:{self.tokens.password or ''}".encode()
            request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        else:
            request.headers["Authorization"] = f"Bearer {self.tokens.access_token}"

    def refresh_after_401(self) -> None:
        self.refreshed = True
        self.tokens, self.version = refresh.refresh(
            self.tenant_id, self.connection_id, seen_version=self.version
        )

    def revoked(self) -> None:
        """A brand-new token was refused too: access was taken away at the provider."""
        with tenant_session(self.tenant_id) as db:
            row = db.get(Connection, self.connection_id)
            if row is not None:
                mark_needs_reconnect(db, row, self.connector.name, "access_revoked")

    def record(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            self.tally.success()
        else:
            self.tally.failure(health.describe_status(self.connector.name, response.status_code))

    def flush(self) -> None:
        try:
            self.tally.headroom_percent = self.limits.headroom_percent()
            health.flush(self.tenant_id, self.connection_id, self.tally)
        except Exception:  # health is best effort; never fail a finished step over it
            log.exception("could not record health of connection %s", self.connection_id)


class ConnectionClient(httpx.Client):
    """An httpx client that writes the connection's health when the step closes it."""

    def __init__(self, session: ConnectionSession, **kwargs: Any) -> None:
        super().__init__(auth=ConnectionAuth(session), **kwargs)
        self.connection_session = session

    def close(self) -> None:
        if not self.is_closed:
            self.connection_session.flush()
        super().close()

    def __exit__(self, *exc_info: Any) -> None:
        if not self.is_closed:
            self.connection_session.flush()
        super().__exit__(*exc_info)


def _load(tenant_id: uuid.UUID, connection_id: str, connector: Connector) -> Connection:
    try:
        wanted = uuid.UUID(str(connection_id))
    except ValueError:
        raise ActionError(
            "This step's connection isn't valid; pick one again in the step."
        ) from None
    with tenant_session(tenant_id) as db:
        row = db.get(Connection, wanted)
    if row is None or row.status == ConnectionStatus.DISCONNECTED:
        raise AuthError(
            f"The {connector.name} connection this step uses was removed. Connect "
            f"{connector.name} under Integrations and pick it in the step."
        )
    if row.connector_key != connector.key:
        raise ActionError(f"This step needs a {connector.name} connection; pick one in the step.")
    if row.status == ConnectionStatus.NEEDS_RECONNECT:
        raise AuthError(row.reconnect_reason)
    return row


def open_session(
    tenant_id: uuid.UUID, connection_id: str, connector: Connector
) -> ConnectionSession:
    """Decrypt the connection's tokens (refreshing first if they are about to lapse)."""
    row = _load(tenant_id, connection_id, connector)
    effective = catalog.effective(connector)
    tokens = token_vault.unseal(row.secret, tenant_id, row.id)
    session = ConnectionSession(row, effective, tokens)
    if row.auth_kind == "oauth2_code" and tokens.expires_within(EXPIRY_SAFETY):
        session.tokens, session.version = refresh.refresh(
            tenant_id, row.id, seen_version=row.token_version, margin=EXPIRY_SAFETY
        )
    return session


def client_for_connection(
    tenant_id: uuid.UUID, connection_id: str, connector: Connector, timeout: float
) -> tuple[httpx.Client, dict[str, Any]]:
    """The engine's ``ClientFactory``: (authenticated client, credentials for ``ctx``)."""
    session = open_session(tenant_id, connection_id, connector)
    auth = session.connector.auth
    base_url = session.connector.base_url
    if isinstance(auth, OAuth2AuthCode):
        _, base_url = extras_for(connector.key).endpoints(auth, base_url, session.tokens.extras)
    client = ConnectionClient(
        session,
        base_url=base_url,
        transport=SyncGuardedTransport(allow=get_settings().http_allow_entries),
        timeout=timeout,
        headers={"User-Agent": f"Flowyard/{__version__}"},
        follow_redirects=True,
        max_redirects=5,
    )
    credentials = {k: v for k, v in session.tokens.extras.items() if not k.endswith("_token")}
    return client, credentials


register_provider(client_for_connection)
