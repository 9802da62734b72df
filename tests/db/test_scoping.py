"""Tenants never see each other: reads and writes across the line are refused."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from flowyard.db import (
    CrossTenantAccess,
    UnscopedAccess,
    agency_session,
    get_engine,
    system_session,
    tenant_session,
)
from tenants import service
from tenants.models import Agency, Membership, Tenant
from tenants.roles import Role


@pytest.fixture
def two_agencies(db: str) -> dict[str, object]:
    with system_session() as s:
        a1 = service.create_agency(s, "Alpha Agency")
        a2 = service.create_agency(s, "Beta Agency")
        t1 = service.create_tenant(s, a1.id, "Rosa's Bakery")
        t2 = service.create_tenant(s, a1.id, "Northwind Cycles")
        t3 = service.create_tenant(s, a2.id, "Other Agency Client")
        user = service.create_user(s, "pat@example.com")
        service.grant(s, user, a1.id, Role.EDITOR, t1.id)
        service.grant(s, user, a1.id, Role.VIEWER, t2.id)
    return {"a1": a1, "a2": a2, "t1": t1, "t2": t2, "t3": t3, "user": user}


def test_unscoped_session_cannot_read_tenant_rows(two_agencies: dict) -> None:
    with Session(get_engine()) as raw, pytest.raises(UnscopedAccess):
        raw.exec(select(Tenant)).all()


def test_tenant_session_sees_only_its_own_tenant(two_agencies: dict) -> None:
    t1 = two_agencies["t1"]
    with tenant_session(t1.id) as s:
        names = [t.name for t in s.exec(select(Tenant)).all()]
        assert names == ["Rosa's Bakery"]
        assert s.get(Tenant, two_agencies["t2"].id) is None
        memberships = s.exec(select(Membership)).all()
        assert {m.tenant_id for m in memberships} == {t1.id}


def test_agency_session_sees_its_tenants_not_another_agencys(two_agencies: dict) -> None:
    with agency_session(two_agencies["a1"].id) as s:
        names = sorted(t.name for t in s.exec(select(Tenant)).all())
    assert names == ["Northwind Cycles", "Rosa's Bakery"]
    with agency_session(two_agencies["a2"].id) as s:
        assert s.get(Tenant, two_agencies["t1"].id) is None


def test_writing_another_tenants_row_is_refused(two_agencies: dict) -> None:
    t1, t2 = two_agencies["t1"], two_agencies["t2"]
    with tenant_session(t1.id) as s:
        membership = Membership(
            user_id=two_agencies["user"].id,
            agency_id=two_agencies["a1"].id,
            tenant_id=t2.id,
            role=Role.TENANT_ADMIN,
        )
        s.add(membership)
        with pytest.raises(CrossTenantAccess):
            s.commit()


def test_moving_a_row_to_another_tenant_is_refused(two_agencies: dict) -> None:
    a1, t1, t2 = two_agencies["a1"], two_agencies["t1"], two_agencies["t2"]
    with agency_session(a1.id) as s:
        row = s.exec(select(Membership).where(Membership.tenant_id == t1.id)).one()
        row.tenant_id = t2.id
        s.add(row)
        with pytest.raises(CrossTenantAccess):
            s.commit()


def test_agency_cannot_create_a_tenant_in_another_agency(two_agencies: dict) -> None:
    with agency_session(two_agencies["a1"].id) as s:
        s.add(Tenant(agency_id=two_agencies["a2"].id, name="Sneaky", slug="sneaky"))
        with pytest.raises(CrossTenantAccess):
            s.commit()
    with system_session() as s:
        assert s.exec(select(Tenant).where(Tenant.slug == "sneaky")).first() is None


def test_bulk_update_is_scoped_too(two_agencies: dict) -> None:
    from sqlalchemy import update

    with tenant_session(two_agencies["t1"].id) as s:
        s.exec(update(Tenant).values(plan="hacked"))  # type: ignore[call-overload]
        s.commit()
    with system_session() as s:
        plans = {t.name: t.plan for t in s.exec(select(Tenant)).all()}
    assert plans["Rosa's Bakery"] == "hacked"
    assert plans["Northwind Cycles"] == "starter"
    assert plans["Other Agency Client"] == "starter"


def test_agency_rows_are_not_tenant_owned(two_agencies: dict) -> None:
    with tenant_session(two_agencies["t1"].id) as s:
        assert s.get(Agency, two_agencies["a1"].id) is not None
