"""What a connection keeps secret, and how it is sealed with the vault.

The blob (access and refresh token, expiry, scopes, provider extras such as Xero's organisation
id or a Shopify shop) is JSON encrypted under the vault's primary key and bound to
``tenant:<tid>:connection:<cid>``: copied into another row, it no longer decrypts.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flowyard import clock
from flowyard.security import vault


@dataclass
class TokenSet:
    """Decrypted credentials of one connection (lives only inside a worker step or request)."""

    access_token: str = ""
    refresh_token: str | None = None
    expires_at: float | None = None
    scopes: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    api_key: str | None = None
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_token_response(
        cls, body: dict[str, Any], *, previous: TokenSet | None = None
    ) -> TokenSet:
        """Build from an OAuth token response; a refresh that omits the refresh token (no
        rotation) keeps the previous one."""
        expires_in = body.get("expires_in")
        expires_at = body.get("expires_at")
        if expires_in is not None:
            expires_at = clock.now().timestamp() + float(expires_in)
        scope = body.get("scope")
        scopes = scope.split() if isinstance(scope, str) else list(scope or [])
        if not scopes and previous is not None:
            scopes = previous.scopes
        return cls(
            access_token=str(body["access_token"]),
            refresh_token=body.get("refresh_token")
            or (previous.refresh_token if previous else None),
            expires_at=float(expires_at) if expires_at is not None else None,
            scopes=scopes,
            extras=dict(previous.extras) if previous else {},
        )

    def expires_datetime(self) -> datetime | None:
        if self.expires_at is None:
            return None
        return datetime.fromtimestamp(self.expires_at, tz=UTC)

    def expires_within(self, margin: timedelta) -> bool:
        when = self.expires_datetime()
        return when is not None and when <= clock.now() + margin


def context(tenant_id: uuid.UUID, connection_id: uuid.UUID) -> str:
    """The vault associated data binding a blob to its owner and row."""
    return f"tenant:{tenant_id}:connection:{connection_id}"


def seal(tokens: TokenSet, tenant_id: uuid.UUID, connection_id: uuid.UUID) -> str:
    return vault.encrypt(
        json.dumps(asdict(tokens), separators=(",", ":")),
        context=context(tenant_id, connection_id),
    )


def unseal(secret: str, tenant_id: uuid.UUID, connection_id: uuid.UUID) -> TokenSet:
    data = json.loads(vault.decrypt(secret, context=context(tenant_id, connection_id)))
    return TokenSet(**data)
