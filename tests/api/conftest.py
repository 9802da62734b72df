"""The /api/v1 app served on a real socket (with the security-headers wrapper), and keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from flowyard.api.security_headers import security_headers
from flowyard.api.v1.app import api_app
from flowyard.db import agency_session
from flowyard.security import api_keys, cors
from support.asgi_server import serving
from support.security_world import World, build_world


@pytest.fixture
def world(db: str, redis: str) -> World:
    cors.clear_cache()
    return build_world()


@pytest.fixture
def api(world: World) -> Iterator[httpx.Client]:
    with serving(security_headers(api_app())) as base, httpx.Client(base_url=base) as client:
        yield client


@pytest.fixture
def issue(world: World) -> Callable[..., str]:
    """``issue(tenant_id=…, scopes=[…])`` → a raw key for agency A (agency-wide if no tenant)."""

    def make(
        tenant_id: object = None,
        scopes: tuple[str, ...] = ("read", "write", "execute"),
        agency_id: object = None,
        **options: object,
    ) -> str:
        agency = agency_id or world.agency_a
        with agency_session(agency) as db:  # type: ignore[arg-type]
            issued = api_keys.create_key(db, agency_id=agency, tenant_id=tenant_id,  # type: ignore[arg-type]
                                         name="test key", scopes=list(scopes),
                                         **options)  # type: ignore[arg-type]  # fmt: skip
        return issued.secret

    return make


@pytest.fixture
def unlimited(world: World) -> None:
    """Lift the per-key rate limit for both agencies (tests that make many requests)."""
    from flowyard.security import mfa_policy

    for agency in (world.agency_a, world.agency_b):
        with agency_session(agency) as db:
            mfa_policy.policy_for(db, agency).api_requests_per_minute = 100_000
            db.commit()
    cors.clear_cache()
