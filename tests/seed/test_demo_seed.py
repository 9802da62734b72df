"""The demo agency a newcomer logs into: seeded once, whole, with the right access."""

from __future__ import annotations

from sqlmodel import func, select

from flowyard.db import system_session
from flowyard.security.access import access_for
from flowyard.security.passwords import verify_password
from flowyard.seed import DEMO_LOGINS, DEMO_PASSWORD, seed_demo
from tenants import service
from tenants.models import Agency, Tenant


def test_seed_creates_the_demo_agency_once(db: str) -> None:
    assert seed_demo() is True
    assert seed_demo() is False
    with system_session() as s:
        assert s.exec(select(func.count()).select_from(Agency)).one() == 1
        assert sorted(t.name for t in s.exec(select(Tenant)).all()) == [
            "Northwind Cycles", "Rosa's Bakery"]  # fmt: skip
        owner = service.find_user(s, DEMO_LOGINS[0].email)
        rosa = service.find_user(s, DEMO_LOGINS[1].email)
    assert verify_password(owner.password_hash, DEMO_PASSWORD)
    [agency] = access_for(owner.id)
    assert agency.agency_name == "Demo Agency"
    assert len(agency.tenants) == 2
    [rosas_view] = access_for(rosa.id)
    assert [t.tenant_name for t in rosas_view.tenants] == ["Rosa's Bakery"]
