"""Which browser origins may call the API or frame our pages: each agency's own domains only.

An agency's origins are its custom domain (``https://<custom_domain>``) plus the portal
origins in its security policy. Nothing else gets CORS headers; preflights from unknown origins
are refused. Looked-up maps are cached for a few seconds per process.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping

from sqlmodel import select
from starlette.responses import PlainTextResponse, Response

from flowyard.db import system_session
from flowyard.security import ratelimit
from flowyard.security.api_keys import ApiPrincipal
from flowyard.security.models import AgencySecurityPolicy
from tenants.models import Agency, Tenant

CACHE_SECONDS = 10.0
ALLOWED_HEADERS = "authorization, content-type, x-api-key"
EXPOSED_HEADERS = (
    "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, Retry-After"
)
_cache: dict[str, tuple[float, object]] = {}


def _cached(name: str, build):  # type: ignore[no-untyped-def]
    hit = _cache.get(name)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = build()
    _cache[name] = (time.monotonic(), value)
    return value


def clear_cache() -> None:
    _cache.clear()


def _normal(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def _origin_map() -> dict[str, uuid.UUID]:
    def build() -> dict[str, uuid.UUID]:
        found: dict[str, uuid.UUID] = {}
        with system_session() as db:
            for agency in db.exec(select(Agency).where(Agency.custom_domain.is_not(None))).all():  # type: ignore[union-attr]
                found[f"https://{agency.custom_domain}"] = agency.id
            for policy in db.exec(select(AgencySecurityPolicy)).all():
                for origin in policy.portal_origins:
                    found[_normal(origin)] = policy.agency_id
        return found

    return _cached("origins", build)  # type: ignore[no-any-return]


def origins_of(agency_id: uuid.UUID) -> list[str]:
    return sorted(o for o, owner in _origin_map().items() if owner == agency_id)


def agency_for_origin(origin: str | None) -> uuid.UUID | None:
    return _origin_map().get(_normal(origin)) if origin else None


def preflight(origin: str | None, headers: Mapping[str, str]) -> Response:
    """Answer an OPTIONS preflight: only origins that belong to some agency are allowed."""
    if agency_for_origin(origin) is None:
        return PlainTextResponse("That origin may not call this API.", status_code=403)
    assert origin is not None
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE",
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        },
    )


def response_headers(origin: str | None, principal: ApiPrincipal) -> dict[str, str]:
    """CORS headers for a real request: only when the origin belongs to the key's agency."""
    if not origin or agency_for_origin(origin) != principal.agency_id:
        return {"Vary": "Origin"}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": EXPOSED_HEADERS,
        "Vary": "Origin",
    }


def requests_per_minute(principal: ApiPrincipal) -> int:
    """The key's limit: the agency's override, else its tenant's plan, else the default."""

    def build() -> tuple[int | None, str | None]:
        with system_session() as db:
            policy = db.exec(
                select(AgencySecurityPolicy).where(
                    AgencySecurityPolicy.agency_id == principal.agency_id
                )
            ).first()
            tenant = db.get(Tenant, principal.tenant_id) if principal.tenant_id else None
        return (policy.api_requests_per_minute if policy else None, tenant.plan if tenant else None)

    override, plan = _cached(f"limit:{principal.agency_id}:{principal.tenant_id}", build)  # type: ignore[misc]
    return ratelimit.limit_for_plan(plan, override)


def frame_ancestors_for_host(host: str | None) -> str:
    """``frame-ancestors`` for a request: the serving agency's own origins, else 'none'."""
    domain = (host or "").strip().lower().rsplit(":", 1)[0].rstrip(".")
    if not domain:
        return "'none'"
    try:
        agency_id = _origin_map().get(f"https://{domain}")
    except Exception:  # the database is down: keep the strictest answer
        return "'none'"
    if agency_id is None:
        return "'none'"
    return " ".join(["'self'", *origins_of(agency_id)])
