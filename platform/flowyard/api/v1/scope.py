"""Resolving path ids against the key's reach: another account's ids look like unknown ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session

from flowyard.api.v1 import errors
from flowyard.api.v1.router import Call
from flowyard.db import system_session, tenant_session
from flowyard.security.api_keys import ApiPrincipal
from tenants.models import Tenant


def reaches(principal: ApiPrincipal, tenant: Tenant) -> bool:
    if principal.tenant_id is not None:
        return tenant.id == principal.tenant_id
    return tenant.agency_id == principal.agency_id


@contextmanager
def tenant_db(call: Call) -> Iterator[tuple[Session, Tenant]]:
    """The tenant named by ``{tenant_id}`` in a session scoped to it, or 404."""
    tenant_id = call.id("tenant_id")
    with system_session() as db:
        tenant = db.get(Tenant, tenant_id)
    if tenant is None or not reaches(call.principal, tenant):
        raise errors.not_found("That client account")
    with tenant_session(tenant.id) as db:
        yield db, tenant


def one(db: Session, model: type, row_id: uuid.UUID, what: str):  # type: ignore[no-untyped-def]
    """A row by id through the scoped session (another tenant's row is simply not there)."""
    row = db.get(model, row_id)
    if row is None:
        raise errors.not_found(what)
    return row
