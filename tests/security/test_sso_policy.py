"""Require-SSO refuses password sign-in; issuer URLs must be https outside development."""

from __future__ import annotations

import httpx
import pytest

from flowyard.api.auth_routes import auth_app
from flowyard.db import system_session
from flowyard.security import sso
from flowyard.settings import get_settings
from support.asgi_server import serving
from support.security_world import PASSWORD, World


def _enable(world: World, *, require: bool) -> None:
    with system_session() as db:
        sso.save(db, world.agency_a, enabled=True, issuer="https://idp.alpha.example",
                 client_id="fy", client_secret="s", domains="alpha.example",
                 require_sso=require, counts_as_mfa=False)  # fmt: skip


def _password_login(base: str, email: str) -> str:
    response = httpx.post(f"{base}/auth/login", data={"email": email, "password": PASSWORD},
                          headers={"Origin": base})  # fmt: skip
    assert response.status_code == 303
    return response.headers["location"]


def test_require_sso_refuses_password_sign_in_for_that_agency(world: World) -> None:
    with serving(auth_app()) as base:
        _enable(world, require=False)
        assert _password_login(base, world.emails["agency_admin"]) == "/"
        _enable(world, require=True)
        assert _password_login(base, world.emails["agency_admin"]) == "/login?error=sso_required"
        assert _password_login(base, "nobody@alpha.example") == "/login?error=sso_required"
        assert _password_login(base, world.emails["b_owner"]) == "/"  # agency B unaffected


def test_secret_is_stored_encrypted_and_kept_when_left_blank(world: World) -> None:
    _enable(world, require=False)
    with system_session() as db:
        from flowyard.security.sso_models import AgencySso

        row = db.query(AgencySso).one()
        assert row.client_secret and row.client_secret.startswith("v1:")
        sso.save(db, world.agency_a, enabled=True, issuer="https://idp.alpha.example",
                 client_id="fy", client_secret=None, domains="alpha.example",
                 require_sso=False, counts_as_mfa=False)  # fmt: skip
    config = sso.config_for_agency(world.agency_a)
    assert config is not None and config.client_secret == "s"


def test_settings_are_validated_in_plain_english(world: World) -> None:
    with system_session() as db, pytest.raises(sso.SsoSettingsError, match="https"):
        sso.save(db, world.agency_a, enabled=True, issuer="http://idp.example", client_id="x",
                 client_secret="s", domains="alpha.example", require_sso=False,
                 counts_as_mfa=False)  # fmt: skip
    with pytest.raises(sso.SsoSettingsError, match="not an email domain"):
        sso.clean_domains("alpha.example, not a domain!")
    assert sso.check_issuer("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"


def test_local_http_issuer_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWYARD_ENV", "production")
    get_settings.cache_clear()
    try:
        with pytest.raises(sso.SsoSettingsError, match="https"):
            sso.check_issuer("http://127.0.0.1:8080")
        assert sso.check_issuer("https://login.example.com/") == "https://login.example.com"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
