"""Bad input gets a clear message and writes nothing."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from flowyard.db import system_session
from tenants import service
from tenants.models import Tenant, User
from tenants.validation import InvalidInput


def test_duplicate_tenant_name_is_refused_ignoring_case(db: str) -> None:
    with system_session() as s:
        agency = service.create_agency(s, "Alpha Agency")
        service.create_tenant(s, agency.id, "Rosa's Bakery")
        with pytest.raises(InvalidInput) as err:
            service.create_tenant(s, agency.id, "  rosa's   BAKERY ")
        assert err.value.field == "name"
        assert "already have a client" in err.value.message
        assert s.exec(select(func.count()).select_from(Tenant)).one() == 1


def test_same_tenant_name_in_two_agencies_is_fine(db: str) -> None:
    with system_session() as s:
        a1 = service.create_agency(s, "Alpha")
        a2 = service.create_agency(s, "Beta")
        one = service.create_tenant(s, a1.id, "Acme")
        two = service.create_tenant(s, a2.id, "Acme")
        assert one.slug != two.slug


@pytest.mark.parametrize("email", ["", "not-an-email", "a@", "@b.com", "a b@c.com"])
def test_malformed_email_is_refused(db: str, email: str) -> None:
    with system_session() as s:
        with pytest.raises(InvalidInput) as err:
            service.create_user(s, email)
        assert err.value.field == "email"
        assert s.exec(select(func.count()).select_from(User)).one() == 0


def test_duplicate_email_is_refused_case_insensitively(db: str) -> None:
    with system_session() as s:
        service.create_user(s, "Pat@Example.com")
        with pytest.raises(InvalidInput, match="already an account"):
            service.create_user(s, "pat@example.COM")


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [("timezone", {"timezone": "Mars/Olympus"}), ("currency", {"currency": "pounds"}),
     ("locale", {"locale": "english"})],
)  # fmt: skip
def test_bad_tenant_settings_are_refused(db: str, field: str, kwargs: dict) -> None:
    with system_session() as s:
        agency = service.create_agency(s, "Alpha")
        with pytest.raises(InvalidInput) as err:
            service.create_tenant(s, agency.id, "Acme", **kwargs)
        assert err.value.field == field
        assert s.exec(select(func.count()).select_from(Tenant)).one() == 0


def test_bad_branding_colour_leaves_agency_untouched(db: str) -> None:
    with system_session() as s:
        agency = service.create_agency(s, "Alpha", primary_color="#112233")
        with pytest.raises(InvalidInput):
            service.update_branding(
                s, agency, service.BrandingChange(display_name="Alpha", primary_color="red")
            )
        s.rollback()
        s.expire_all()
        assert s.get(type(agency), agency.id).primary_color == "#112233"
