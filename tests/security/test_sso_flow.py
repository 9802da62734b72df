"""OIDC single sign-on through our real routes against the local provider (real HTTP both ways)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from flowyard.api.auth_routes import auth_app
from flowyard.api.sso_routes import sso_app
from flowyard.db import system_session
from flowyard.security import auth, mfa_policy, sso
from flowyard.security.models import AuditEvent
from flowyard.security.sessions import COOKIE_NAME
from support.asgi_server import serving
from support.oidc_provider import LocalOidcProvider, running_provider
from support.security_world import World
from tenants.models import Agency


@pytest.fixture
def idp() -> Iterator[LocalOidcProvider]:
    with running_provider() as provider:
        yield provider


@pytest.fixture
def ours() -> Iterator[str]:
    app = Starlette(routes=[*auth_app().routes, *sso_app().routes])
    with serving(app) as base_url:
        yield base_url


def configure(world: World, idp: LocalOidcProvider, **options: Any) -> str:
    """Turn SSO on for agency A (domain alpha.example); returns its slug."""
    settings = {"enabled": True, "issuer": idp.issuer, "client_id": idp.client_id,
                "client_secret": idp.client_secret, "domains": "alpha.example",
                "require_sso": False, "counts_as_mfa": False, **options}  # fmt: skip
    with system_session() as db:
        sso.save(db, world.agency_a, **settings)
        agency = db.get(Agency, world.agency_a)
        assert agency is not None
        return agency.slug


def walk(ours: str, slug: str, http: httpx.Client) -> httpx.Response:
    """Start at our route, follow the provider's auto-consent, land on our callback."""
    start = http.get(f"{ours}/auth/sso/{slug}", params={"next": "/t/somewhere"})
    assert start.status_code == 303, start.text
    if start.headers["location"].startswith("/login"):
        return start
    consent = http.get(start.headers["location"])
    assert consent.status_code == 302, consent.text
    return http.get(consent.headers["location"])


def error_of(response: httpx.Response) -> str:
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login?error="), location
    return location.split("error=", 1)[1]


def actions() -> list[tuple[str, dict[str, Any]]]:
    with system_session() as db:
        rows = db.exec(select(AuditEvent).order_by(AuditEvent.seq)).all()  # type: ignore[arg-type]
    return [(row.action, row.summary) for row in rows]


def test_member_signs_in_through_sso_and_gets_a_session(
    world: World, idp: LocalOidcProvider, ours: str
) -> None:
    idp.user = {"sub": "s-42", "email": world.emails["agency_admin"], "email_verified": True}
    slug = configure(world, idp)
    with httpx.Client() as http:
        done = walk(ours, slug, http)
        assert done.status_code == 303 and done.headers["location"] == "/t/somewhere"
        token = http.cookies.get(COOKIE_NAME)
    assert "httponly" in done.headers["set-cookie"].lower()
    person = auth.signed_in_user(token)
    assert person is not None and person.user_id == world.users["agency_admin"]
    assert "login.sso.success" in [name for name, _ in actions()]
    assert idp.codes == {k: v for k, v in idp.codes.items() if k.startswith("access:")}


def test_the_code_and_state_work_once(world: World, idp: LocalOidcProvider, ours: str) -> None:
    idp.user = {"sub": "s-1", "email": world.emails["agency_admin"], "email_verified": True}
    slug = configure(world, idp)
    with httpx.Client() as http:
        start = http.get(f"{ours}/auth/sso/{slug}")
        callback_url = http.get(start.headers["location"]).headers["location"]
        assert http.cookies.get(COOKIE_NAME) is None
        with httpx.Client() as other_browser:  # no binding cookie: login CSRF refused
            assert error_of(other_browser.get(callback_url)) == "sso_state"
        # the state was consumed by the refused attempt: the real browser can't reuse it either
        assert error_of(http.get(callback_url)) == "sso_state"
        assert error_of(http.get(f"{ours}/auth/sso/{slug}/callback?state=forged&code=x")) == (
            "sso_state"
        )


def _aud(c: dict[str, Any]) -> dict[str, Any]:
    return {**c, "aud": "someone-else"}


def _iss(c: dict[str, Any]) -> dict[str, Any]:
    return {**c, "iss": "https://evil.example"}


def _expired(c: dict[str, Any]) -> dict[str, Any]:
    return {**c, "iat": int(time.time()) - 3600, "exp": int(time.time()) - 600}


def _nonce(c: dict[str, Any]) -> dict[str, Any]:
    return {**c, "nonce": "not-the-one-we-sent"}


@pytest.mark.parametrize("tamper", [_aud, _iss, _expired, _nonce],
                         ids=["audience", "issuer", "expired", "nonce"])  # fmt: skip
def test_bad_id_token_claims_are_refused(
    world: World, idp: LocalOidcProvider, ours: str, tamper: Callable[..., dict[str, Any]]
) -> None:
    idp.user = {"sub": "s-1", "email": world.emails["agency_admin"], "email_verified": True}
    idp.claims_override = tamper
    slug = configure(world, idp)
    with httpx.Client() as http:
        assert error_of(walk(ours, slug, http)) == "sso_invalid"
        assert http.cookies.get(COOKIE_NAME) is None
    failures = [s for name, s in actions() if name == "login.sso.failure"]
    assert failures and failures[-1]["after"]["reason"] == "sso_invalid"


def test_forged_signature_is_refused(world: World, idp: LocalOidcProvider, ours: str) -> None:
    idp.user = {"sub": "s-1", "email": world.emails["agency_admin"], "email_verified": True}
    idp.sign_with_stranger_key = True
    slug = configure(world, idp)
    with httpx.Client() as http:
        assert error_of(walk(ours, slug, http)) == "sso_invalid"
        assert http.cookies.get(COOKIE_NAME) is None


@pytest.mark.parametrize(
    ("email", "verified", "code"),
    [("intruder@other.example", True, "sso_domain"),
     ("nobody@alpha.example", True, "sso_unknown"),
     (None, False, "sso_unverified")],
    ids=["domain-not-allowed", "unknown-user", "email-unverified"],
)  # fmt: skip
def test_people_we_do_not_know_are_refused(
    world: World, idp: LocalOidcProvider, ours: str, email: str | None, verified: bool, code: str
) -> None:
    idp.user = {"sub": "s-9", "email": email or world.emails["agency_admin"],
                "email_verified": verified}  # fmt: skip
    slug = configure(world, idp)
    with httpx.Client() as http:
        assert error_of(walk(ours, slug, http)) == code
        assert http.cookies.get(COOKIE_NAME) is None


def test_member_of_another_agency_is_refused(
    world: World, idp: LocalOidcProvider, ours: str
) -> None:
    idp.user = {"sub": "s-b", "email": world.emails["b_owner"], "email_verified": True}
    slug = configure(world, idp, domains="alpha.example beta.example")
    with httpx.Client() as http:
        assert error_of(walk(ours, slug, http)) == "sso_unknown"


def test_denied_consent_says_so(world: World, idp: LocalOidcProvider, ours: str) -> None:
    idp.deny = True
    slug = configure(world, idp)
    with httpx.Client() as http:
        assert error_of(walk(ours, slug, http)) == "sso_denied"


def test_unreachable_provider_and_switched_off_sso(world: World, ours: str) -> None:
    gone = LocalOidcProvider(issuer="http://127.0.0.1:9")  # discard port: nothing listens
    slug = configure(world, gone)
    with httpx.Client() as http:
        assert error_of(walk(ours, slug, http)) == "sso_unreachable"
        assert error_of(http.get(f"{ours}/auth/sso/no-such-agency")) == "sso_off"


def test_mfa_is_still_asked_unless_the_agency_counts_sso_as_mfa(
    world: World, idp: LocalOidcProvider, ours: str
) -> None:
    idp.user = {"sub": "s-1", "email": world.emails["agency_admin"], "email_verified": True}
    slug = configure(world, idp)
    with system_session() as db:
        mfa_policy.policy_for(db, world.agency_a).require_mfa = True
        db.commit()
    with httpx.Client() as http:
        done = walk(ours, slug, http)
        assert done.headers["location"] == "/login/mfa"
        assert http.cookies.get(COOKIE_NAME) is None
    configure(world, idp, counts_as_mfa=True)
    with httpx.Client() as http:
        assert walk(ours, slug, http).headers["location"] == "/t/somewhere"
        assert auth.signed_in_user(http.cookies.get(COOKIE_NAME)) is not None
