"""The demo agency a newcomer sees after ``make run``: two SME clients and their people."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from flowyard.db import system_session
from flowyard.security.passwords import hash_password
from tenants import service
from tenants.models import Agency
from tenants.roles import Role

DEMO_PASSWORD = "flowyard-demo-2026"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    password: str = DEMO_PASSWORD


DEMO_LOGINS = (
    DemoLogin("owner@demo-agency.test", "Agency owner (sees every client)"),
    DemoLogin("rosa@rosas-bakery.test", "Tenant admin of Rosa's Bakery"),
    DemoLogin("sam@northwind-cycles.test", "Tenant admin of Northwind Cycles"),
)


def seed_demo() -> bool:
    """Create the demo agency if the database has no agency yet; True when it seeded."""
    with system_session() as db:
        if db.exec(select(Agency.id)).first() is not None:
            return False
        password_hash = hash_password(DEMO_PASSWORD)
        once = {"commit": False}  # one transaction: a failed seed leaves nothing behind
        agency = service.create_agency(db, "Demo Agency", primary_color="#0f766e", **once)
        agency.support_email = "help@demo-agency.test"
        bakery = service.create_tenant(db, agency.id, "Rosa's Bakery", **once)
        cycles = service.create_tenant(
            db,
            agency.id,
            "Northwind Cycles",
            locale="en-IE",
            currency="EUR",
            timezone="Europe/Dublin",
            **once,
        )
        people = [
            ("Olivia Owner", Role.AGENCY_OWNER, None),
            ("Rosa Baker", Role.TENANT_ADMIN, bakery.id),
            ("Sam Rider", Role.TENANT_ADMIN, cycles.id),
        ]
        for login, (name, role, tenant_id) in zip(DEMO_LOGINS, people, strict=True):
            user = service.create_user(
                db, login.email, full_name=name, password_hash=password_hash, **once
            )
            service.grant(db, user, agency.id, role, tenant_id, **once)
        db.commit()
    return True
