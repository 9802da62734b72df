"""The ``/auth`` routes on the real database, through the same ASGI stack the app serves.

Starlette's TestClient drives ``security_headers(auth_app())``, the exact pair mounted with
``rx.App(api_transformer=...)``; sessions and invitations are real rows in PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from flowyard.api.auth_routes import auth_app
from flowyard.api.security_headers import security_headers
from flowyard.db import system_session
from flowyard.security import auth
from flowyard.security.passwords import hash_password
from tenants import service
from tenants.invitations import create_invitation
from tenants.models import Tenant
from tenants.roles import Role

PASSWORD = "correct-horse-battery"


@pytest.fixture
def client(db: str, redis: str) -> Iterator[TestClient]:
    with TestClient(security_headers(auth_app()), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def people(db: str) -> dict[str, object]:
    with system_session() as s:
        agency = service.create_agency(s, "Alpha Agency")
        tenant = service.create_tenant(s, agency.id, "Rosa's Bakery")
        owner = service.create_user(
            s, "owner@alpha.example", full_name="Olu Owner", password_hash=hash_password(PASSWORD)
        )
        service.grant(s, owner, agency.id, Role.AGENCY_OWNER)
        return {"agency": agency, "tenant": tenant, "owner": owner}


def _login(client: TestClient, email: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/auth/login", data={"email": email, "password": password, **extra})


def test_login_sets_httponly_lax_cookie_backed_by_the_database(client, people) -> None:
    response = _login(client, "Owner@Alpha.example", PASSWORD, next="/settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/settings"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("fy_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http in this test; https adds Secure
    token = response.cookies["fy_session"]
    user = auth.signed_in_user(token)
    assert user is not None and user.email == "owner@alpha.example"


@pytest.mark.parametrize(
    ("email", "password"),
    [("owner@alpha.example", "wrong-password"), ("nobody@alpha.example", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_wrong_password_and_unknown_email_look_the_same(client, people, email, password) -> None:
    response = _login(client, email, password)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?error=credentials"
    assert "set-cookie" not in response.headers


def test_malformed_email_is_reported_as_such(client, people) -> None:
    response = _login(client, "not-an-email", PASSWORD)
    assert response.headers["location"] == "/login?error=email"


def test_next_never_leaves_the_site(client, people) -> None:
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example", "/auth/logout"):
        response = _login(client, "owner@alpha.example", PASSWORD, next=target)
        assert response.headers["location"] == "/", target


def test_cross_site_post_is_refused(client, people) -> None:
    response = client.post(
        "/auth/login",
        data={"email": "owner@alpha.example", "password": PASSWORD},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_logout_revokes_the_session_in_the_database(client, people) -> None:
    token = _login(client, "owner@alpha.example", PASSWORD).cookies["fy_session"]
    response = client.post("/auth/logout")  # the client still holds the cookie
    assert response.status_code == 303
    assert response.headers["location"] == "/login?signed_out=1"
    assert 'fy_session=""' in response.headers["set-cookie"]
    assert auth.signed_in_user(token) is None  # a copied cookie is worthless now


def test_security_headers_and_body_cap(client, people) -> None:
    response = _login(client, "owner@alpha.example", PASSWORD)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" not in response.headers
    https = client.post(
        "/auth/login",
        data={"email": "x@y.example", "password": "p"},
        headers={"x-forwarded-proto": "https"},
    )
    assert "max-age=" in https.headers["strict-transport-security"]
    too_big = client.post(
        "/auth/login",
        content=b"email=" + b"a" * 20_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert too_big.status_code == 413


def test_invitation_is_accepted_once_and_signs_the_person_in(client, people) -> None:
    with system_session() as s:
        tenant = s.get(Tenant, people["tenant"].id)
        made = create_invitation(
            s, tenant, "Nia@Example.com", Role.VIEWER, invited_by=people["owner"].id
        )
    weak = client.post(
        "/auth/invite", data={"token": made.token, "full_name": "Nia", "password": "short"}
    )
    assert weak.headers["location"] == f"/invite/{made.token}?error=password"
    form = {"token": made.token, "full_name": "Nia Newcomer", "password": "crumbly-croissant-42"}
    accepted = client.post("/auth/invite", data=form)
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/t/rosas-bakery"
    user = auth.signed_in_user(accepted.cookies["fy_session"])
    assert user is not None and user.full_name == "Nia Newcomer"
    again = client.post("/auth/invite", data=form)
    assert again.headers["location"] == f"/invite/{made.token}?error=expired"
    assert "set-cookie" not in again.headers
