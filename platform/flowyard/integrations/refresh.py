"""Renewing access tokens, safely when several workers try at once.

The connection row is locked (``SELECT … FOR UPDATE``) for the whole refresh, so with rotating
refresh tokens (Xero) only one worker spends the refresh token; the others wait on the lock,
then see the new ``token_version`` and use the tokens it stored instead of refreshing again.
A rejected refresh marks the connection "needs reconnect" (plain-English reason + event).
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

import httpx
from sqlmodel import Session, select

from flowyard import clock
from flowyard.db import tenant_session
from flowyard.integrations import catalog
from flowyard.integrations import tokens as token_vault
from flowyard.integrations.connections import mark_needs_reconnect
from flowyard.integrations.models import Connection, ConnectionStatus
from flowyard.integrations.oauth_client import OAuthError, oauth_client
from flowyard.integrations.oauth_extras import extras_for
from flowyard.integrations.tokens import TokenSet
from flowyard.net import DestinationRefused
from marketplace.sdk import AuthError, NetworkError, OAuth2AuthCode

log = logging.getLogger(__name__)
timings_ms: list[float] = []
"""Wall time of recent refresh round trips in this process (for the health note and benches)."""


class NeedsReconnect(AuthError):
    """The connection can't be used until someone reconnects it; the message says why."""


def _lock(db: Session, connection_id: uuid.UUID) -> Connection | None:
    query = select(Connection).where(Connection.id == connection_id).with_for_update()
    return db.exec(query).one_or_none()


def _usable(row: Connection | None, app_name: str) -> Connection:
    if row is None or row.status == ConnectionStatus.DISCONNECTED:
        raise NeedsReconnect(f"The {app_name} connection this step uses was disconnected. "
                             "Connect it again under Integrations, then retry.")  # fmt: skip
    if row.status == ConnectionStatus.NEEDS_RECONNECT:
        raise NeedsReconnect(row.reconnect_reason)
    return row


def _token_request(row: Connection, tokens: TokenSet) -> dict:
    connector = catalog.get(row.connector_key)
    auth = connector.auth
    if not isinstance(auth, OAuth2AuthCode):
        raise ValueError("not an OAuth connection")
    auth, _ = extras_for(row.connector_key).endpoints(auth, connector.base_url, tokens.extras)
    started = time.perf_counter()
    with oauth_client(row.connector_key, auth) as client:
        body = dict(client.refresh_token(auth.token_url, refresh_token=tokens.refresh_token))
    timings_ms.append((time.perf_counter() - started) * 1000)
    del timings_ms[:-200]
    return body


def refresh(
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    *,
    seen_version: int | None = None,
    margin: timedelta | None = None,
) -> tuple[TokenSet, int]:
    """Refresh under the row lock and return ``(tokens, token_version)``.

    Skips the provider call when another worker already replaced the tokens ``seen_version``
    named, or when they are still good for longer than ``margin``. Raises
    :class:`NeedsReconnect` when the provider refuses, ``NetworkError`` when it can't be reached.
    """
    with tenant_session(tenant_id) as db:
        row = _lock(db, connection_id)
        app = catalog.get(row.connector_key).name if row else "app"
        row = _usable(row, app)
        tokens = token_vault.unseal(row.secret, tenant_id, row.id)
        if seen_version is not None and row.token_version != seen_version:
            return tokens, row.token_version
        if margin is not None and not tokens.expires_within(margin):
            return tokens, row.token_version
        if not tokens.refresh_token:
            mark_needs_reconnect(db, row, app, "no_refresh_token")
            raise NeedsReconnect(row.reconnect_reason)
        try:
            body = _token_request(row, tokens)
        except OAuthError as error:
            if error.error in ("invalid_grant", "invalid_client", "unauthorized_client"):
                mark_needs_reconnect(db, row, app, "refresh_rejected")
                raise NeedsReconnect(row.reconnect_reason) from None
            raise NetworkError(
                f"{app} couldn't renew our sign-in ({error.error}); we'll retry."
            ) from None
        except (httpx.HTTPError, DestinationRefused, ValueError) as error:
            now = clock.now()
            row.last_error, row.last_error_at = f"Couldn't reach {app} to renew the sign-in.", now
            db.add(row)
            db.commit()
            raise NetworkError(f"We couldn't reach {app} to renew the sign-in ({error}).") from None
        fresh = TokenSet.from_token_response(body, previous=tokens)
        row.secret = token_vault.seal(fresh, tenant_id, row.id)
        row.token_version += 1
        row.expires_at = fresh.expires_datetime()
        row.last_refreshed_at = row.updated_at = clock.now()
        if fresh.scopes:
            row.scopes = list(fresh.scopes)
        db.add(row)
        db.commit()
        return fresh, row.token_version


def due_for_refresh(
    db: Session, margin: timedelta, limit: int = 500
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(tenant, connection) of active OAuth connections expiring within ``margin``."""
    query = (
        select(Connection.tenant_id, Connection.id)
        .where(Connection.status == ConnectionStatus.ACTIVE)
        .where(Connection.auth_kind == "oauth2_code")
        .where(Connection.expires_at.is_not(None))  # type: ignore[union-attr]
        .where(Connection.expires_at <= clock.now() + margin)  # type: ignore[operator]
        .order_by(Connection.expires_at)
        .limit(limit)
    )
    return [(t, c) for t, c in db.exec(query).all()]
