"""``/tenants``: the client accounts a key reaches (all of its agency's, or its own)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from flowyard.api.v1 import errors
from flowyard.api.v1.registry import router
from flowyard.api.v1.router import Call
from flowyard.api.v1.schemas import Page, TenantIn, TenantOut
from flowyard.db import agency_session, tenant_session
from flowyard.security import audit
from tenants import service
from tenants.models import Tenant
from tenants.validation import InvalidInput


def _out(t: Tenant) -> TenantOut:
    return TenantOut.model_validate(t, from_attributes=True)


@router.add("GET", "/tenants", action="tenant.view", summary="List client accounts",
            query=Page, response=TenantOut, many=True, tag="Tenants")  # fmt: skip
def list_tenants(call: Call) -> list[TenantOut]:
    p = call.principal
    session = tenant_session(p.tenant_id) if p.tenant_id else agency_session(p.agency_id)
    with session as db:
        rows = db.exec(
            select(Tenant).order_by(col(Tenant.name)).offset(call.query.offset)
            .limit(call.query.limit)
        ).all()  # fmt: skip
    return [_out(t) for t in rows]


@router.add("GET", "/tenants/{tenant_id}", action="tenant.view", summary="Get a client account",
            response=TenantOut, tag="Tenants")  # fmt: skip
def get_tenant(call: Call) -> TenantOut:
    from flowyard.api.v1.scope import tenant_db

    with tenant_db(call) as (_db, tenant):
        return _out(tenant)


@router.add("POST", "/tenants", action="tenant.create", summary="Add a client account "
            "(agency keys only)", body=TenantIn, response=TenantOut, status=201,
            tag="Tenants")  # fmt: skip
def create_tenant(call: Call) -> TenantOut:
    p, body = call.principal, call.body
    if p.tenant_id is not None:
        raise errors.ApiError(403, "forbidden", "Only agency-wide keys can add client accounts.")
    try:
        with agency_session(p.agency_id) as db:
            tenant = service.create_tenant(
                db, p.agency_id, body.name, locale=body.locale, currency=body.currency,
                timezone=body.timezone,
            )  # fmt: skip
            audit.record("tenant.create", agency_id=p.agency_id, tenant_id=tenant.id,
                         target_type="tenant", target_id=tenant.id,
                         after={"plan": tenant.plan})  # fmt: skip
            return _out(tenant)
    except InvalidInput as bad:
        raise errors.invalid(bad.field, bad.message) from None
    except IntegrityError:
        raise errors.invalid("name", "Another client already uses a very similar name.") from None
