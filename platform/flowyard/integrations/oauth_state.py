"""Pending OAuth attempts in Redis: ``state`` → who started it, the PKCE verifier, where to go.

An entry lives ten minutes and is taken exactly once (GETDEL), so a replayed or forged callback
finds nothing. It is bound to the browser's login session by the session token's hash: a
callback opened in another browser (or by someone else) is refused.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from flowyard.integrations import kv

TTL_SECONDS = 600
PREFIX = "flowyard:oauth:state:"


@dataclass(frozen=True)
class PendingAuth:
    user_id: str
    session_hash: str
    tenant_id: str
    tenant_slug: str
    connector_key: str
    code_verifier: str
    redirect_uri: str
    remembered: dict[str, Any] = field(default_factory=dict)
    reconnect_id: str | None = None


def session_hash(session_token: str | None) -> str:
    return hashlib.sha256((session_token or "").encode()).hexdigest()


def save(pending: PendingAuth) -> str:
    """Store the attempt and return its new, unguessable ``state``."""
    state = secrets.token_urlsafe(32)
    kv.client().set(PREFIX + state, json.dumps(asdict(pending)), ex=TTL_SECONDS)
    return state


def take(state: str | None) -> PendingAuth | None:
    """The attempt for ``state``, removed so it can't be used twice; None if unknown/expired."""
    if not state or len(state) > 200:
        return None
    raw = kv.client().getdel(PREFIX + state)
    if raw is None:
        return None
    return PendingAuth(**json.loads(raw))
