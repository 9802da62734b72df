"""Integrations tests: the provider simulators on real sockets, real PostgreSQL and Redis.

The platform is pointed at the simulators exactly as in the demo (``FLOWYARD_SANDBOXES=1``,
``FLOWYARD_SANDBOX_URLS``, the SSRF allow-list naming each simulator's port). Redis is database
11 here so a concurrent run of other suites (database 9) can't flush our rate limits or OAuth
state.
"""

from __future__ import annotations

import pytest
from integration_people import Person, make_person

from connectors.sandbox_kit import ManualClock

PUBLIC_BASE = "http://127.0.0.1:9"
REDIRECT_URI = f"{PUBLIC_BASE}/oauth/callback"


@pytest.fixture
def clock() -> ManualClock:
    """The simulators' clock (codes, token expiry); the platform's is ``flowyard.clock``."""
    import time

    return ManualClock(time.time())


@pytest.fixture
def sandboxes(clock: ManualClock, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Xero, HubSpot and Asana simulators with our demo OAuth app, and the env pointing at them."""
    from flowyard.integrations import sandboxes as hosting
    from flowyard.integrations.sandboxes import SandboxHost
    from flowyard.settings import get_settings

    sims = {key: hosting.build(key, clock=clock) for key in ("xero", "hubspot", "asana")}
    host = SandboxHost().start(sims, redirect_uris=[REDIRECT_URI], simulators=sims)
    for key, value in host.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC_BASE)
    get_settings.cache_clear()
    yield host
    host.stop()
    get_settings.cache_clear()


@pytest.fixture
def person(db: str, redis: str) -> Person:
    return make_person()
