"""Sign-in through the real /auth routes: throttling, the MFA step, password reset by email."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pyotp
import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select
from starlette.testclient import TestClient

from flowyard import clock
from flowyard.api.auth_routes import auth_app
from flowyard.api.security_headers import security_headers
from flowyard.db import agency_session, system_session
from flowyard.security import auth, mfa, mfa_policy, throttle
from flowyard.security.models import AuditEvent
from support.security_world import PASSWORD, World

EDITOR = "editor@alpha.example"


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(security_headers(auth_app()), follow_redirects=False) as test_client:
        yield test_client


def _login(client: TestClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/auth/login", data={"email": email, "password": password})


def _actions() -> list[str]:
    with system_session() as db:
        return list(db.exec(select(AuditEvent.action).order_by(AuditEvent.seq)).all())


def test_repeated_failures_lock_the_account_with_growing_back_off(client: TestClient) -> None:
    start = clock.now()
    with clock.frozen(start) as advance:
        for _ in range(throttle.FREE_ATTEMPTS["acct"]):
            assert "error=credentials" in _login(client, EDITOR, "wrong-guess-123").headers[
                "location"]  # fmt: skip
        locked = _login(client, EDITOR, "wrong-guess-124")
        assert "error=locked" in locked.headers["location"] and "wait=30" in locked.headers[
            "location"]  # fmt: skip
        # While locked even the right password is refused, with a clear message.
        refused = _login(client, EDITOR)
        assert "error=locked" in refused.headers["location"]
        assert "30 seconds" in throttle.Locked(30).message
        advance(timedelta(seconds=31))
        again = _login(client, EDITOR, "wrong-guess-125")
        assert "wait=60" in again.headers["location"]  # doubled
        advance(timedelta(seconds=61))
        assert _login(client, EDITOR).headers["location"] == "/"
    assert _actions().count("login.failure") == 7
    assert "login.locked" in _actions() and "login.success" in _actions()


def test_one_ip_guessing_many_accounts_is_locked_too(client: TestClient) -> None:
    with clock.frozen(clock.now()):
        for i in range(throttle.FREE_ATTEMPTS["ip"] + 1):
            answer = _login(client, f"nobody{i}@alpha.example", "wrong-guess-123")
            if "error=locked" in answer.headers["location"]:
                break
        assert "error=locked" in answer.headers["location"]
        assert i == throttle.FREE_ATTEMPTS["ip"]


def test_mfa_login_needs_the_code_after_the_password(client: TestClient, world: World) -> None:
    user_id = world.users["editor"]
    with system_session() as db:
        secret = mfa.begin(db, user_id, EDITOR, "Alpha").secret
        codes = mfa.confirm(db, user_id, pyotp.TOTP(secret).now())
    assert codes and len(codes) == 10
    first = _login(client, EDITOR)
    assert first.headers["location"] == "/login/mfa"
    assert "fy_session" not in first.cookies and "fy_mfa" in first.cookies
    assert "HttpOnly" in first.headers["set-cookie"]
    wrong = client.post("/auth/mfa", data={"code": "000000"})
    assert wrong.headers["location"] == "/login/mfa?error=code"
    with clock.frozen(clock.now() + timedelta(seconds=30)):  # the next code (no replay)
        ok = client.post("/auth/mfa", data={"code": pyotp.TOTP(secret).at(clock.now())})
    assert ok.headers["location"] == "/"
    assert auth.signed_in_user(ok.cookies["fy_session"]) is not None
    # A recovery code works once.
    client.cookies.clear()
    _login(client, EDITOR)
    assert client.post("/auth/mfa", data={"code": codes[0]}).headers["location"] == "/"
    client.cookies.clear()
    _login(client, EDITOR)
    assert "error=code" in client.post("/auth/mfa", data={"code": codes[0]}).headers["location"]


def test_agency_policy_forces_enrolment_before_any_session(client: TestClient, world) -> None:  # type: ignore[no-untyped-def]
    with agency_session(world.agency_a) as db:
        mfa_policy.policy_for(db, world.agency_a).require_mfa = True
        db.commit()
    email = "tenant-admin@alpha.example"
    assert _login(client, email).headers["location"] == "/login/mfa"
    with system_session() as db:
        secret = mfa.begin(db, world.users["tenant_admin"], email, "Alpha").secret
    done = client.post("/auth/mfa", data={"code": pyotp.TOTP(secret).now()})
    assert done.headers["location"] == "/security?new_codes=1"
    with system_session() as db:
        assert mfa.is_enrolled(db, world.users["tenant_admin"])
    # Viewers are not covered by the policy: straight in.
    assert _login(client, "viewer@alpha.example").headers["location"] == "/"


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(envelope.content.decode())
        return "250 OK"


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Inbox]:
    import socket

    from flowyard.settings import get_settings

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = _Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    get_settings.cache_clear()
    yield handler
    controller.stop()
    get_settings.cache_clear()


def test_password_reset_by_emailed_single_use_link(client: TestClient, inbox: _Inbox) -> None:
    session = _login(client, EDITOR).cookies["fy_session"]
    client.cookies.clear()
    sent = client.post("/auth/reset", data={"email": EDITOR})
    assert sent.headers["location"] == "/login?reset=sent"
    unknown = client.post("/auth/reset", data={"email": "nobody@alpha.example"})
    assert unknown.headers["location"] == "/login?reset=sent"  # same answer
    deadline = time.monotonic() + 5
    while not inbox.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(inbox.messages) == 1 and EDITOR in inbox.messages[0]
    token = re.search(r"/reset/([\w-]+)", inbox.messages[0]).group(1)  # type: ignore[union-attr]
    weak = client.post("/auth/reset/confirm", data={"token": token, "password": "password123"})
    assert weak.headers["location"].endswith("error=password")
    ok = client.post("/auth/reset/confirm", data={"token": token, "password": "new-sunny-meadow"})
    assert ok.headers["location"] == "/login?reset=done"
    assert auth.signed_in_user(session) is None  # every session was signed out
    again = client.post("/auth/reset/confirm", data={"token": token, "password": "another-one-9"})
    assert again.headers["location"].endswith("error=expired")
    assert _login(client, EDITOR, "new-sunny-meadow").headers["location"] == "/"
    assert "password.reset" in _actions()
