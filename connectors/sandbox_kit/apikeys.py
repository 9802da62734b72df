"""Static API keys for providers without OAuth (Stripe): checked like OAuth access tokens.

Each key belongs to one account; :meth:`ApiKeys.check_access` answers exactly like
:meth:`OAuthServer.check_access`, so :class:`BearerGuard`, ``access_in`` and rate-limit keys work
the same for both.
"""

from __future__ import annotations

import math
import secrets
import threading

from connectors.sandbox_kit.clock import Clock, SystemClock
from connectors.sandbox_kit.oauth import AccessToken, Grant


class ApiKeys:
    def __init__(self, *, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self._keys: dict[str, AccessToken] = {}
        self._lock = threading.Lock()

    def issue(self, account: str, *, prefix: str = "sk_test_") -> str:
        """A new secret key for ``account`` (its grant's single tenant id)."""
        key = prefix + secrets.token_urlsafe(24)
        grant = Grant(key[-8:], "api_key", (), (account,), account, self.clock.now())
        with self._lock:
            self._keys[key] = AccessToken(key, grant, math.inf)
        return key

    def revoke(self, key: str) -> None:
        """Like rolling the key in the provider's dashboard."""
        with self._lock:
            if key in self._keys:
                self._keys[key].revoked = True

    def check_access(self, token: str | None) -> tuple[AccessToken | None, str]:
        if not token:
            return None, "missing"
        with self._lock:
            access = self._keys.get(token)
        if access is None:
            return None, "invalid"
        if access.revoked:
            return None, "revoked"
        return access, "ok"
