"""The half-signed-in state between a correct password and a correct MFA code (in Redis).

The browser holds a random token in an HttpOnly ``fy_mfa`` cookie for five minutes; Redis maps
it to the user and counts wrong codes (five, then the password is needed again).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass

from flowyard.security.redis_store import client

COOKIE_NAME = "fy_mfa"
TTL_SECONDS = 300
MAX_TRIES = 5


@dataclass(frozen=True)
class Pending:
    user_id: uuid.UUID
    next_path: str
    must_enrol: bool


def _key(token: str) -> str:
    return "fy:mfa:pending:" + hashlib.sha256(token.encode()).hexdigest()


def start(user_id: uuid.UUID, next_path: str, *, must_enrol: bool) -> str:
    token = secrets.token_urlsafe(32)
    value = {"user": str(user_id), "next": next_path, "enrol": must_enrol, "tries": 0}
    client().set(_key(token), json.dumps(value), ex=TTL_SECONDS)
    return token


def lookup(token: str | None) -> Pending | None:
    if not token or len(token) > 200:
        return None
    raw = client().get(_key(token))
    if raw is None:
        return None
    value = json.loads(raw)
    return Pending(uuid.UUID(value["user"]), value["next"], bool(value["enrol"]))


def wrong_code(token: str) -> bool:
    """Count a wrong code; True when the pending sign-in is used up (start again)."""
    key = _key(token)
    raw = client().get(key)
    if raw is None:
        return True
    value = json.loads(raw)
    value["tries"] += 1
    if value["tries"] >= MAX_TRIES:
        client().delete(key)
        return True
    client().set(key, json.dumps(value), keepttl=True)
    return False


def finish(token: str) -> None:
    client().delete(_key(token))


def stash_codes(user_id: uuid.UUID, codes: list[str]) -> None:
    """Keep new recovery codes for ten minutes so the next page can show them once."""
    client().set(f"fy:mfa:codes:{user_id}", json.dumps(codes), ex=600)


def take_codes(user_id: uuid.UUID) -> list[str]:
    key = f"fy:mfa:codes:{user_id}"
    raw = client().getdel(key)
    return json.loads(raw) if raw else []
