"""The shared sandbox kit: clock, limiter, OAuth server switches, idempotency, sender, server."""

from __future__ import annotations

import socket

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox_kit import (
    FixedWindowLimiter,
    IdempotencyMismatch,
    IdempotencyStore,
    ManualClock,
    OAuthError,
    OAuthServer,
    OAuthSettings,
    SandboxServer,
    WebhookSender,
    Window,
    fingerprint,
    rebase,
    s256,
)
from connectors.xero import connector as xero

REDIRECT = "http://127.0.0.1:9/cb"


def _code(server: OAuthServer, client, verifier: str = "v" * 50, **params: str) -> str:
    target = server.authorize(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": REDIRECT,
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
            **params,
        }
    )
    return httpx.URL(target).params["code"]


def _exchange(server: OAuthServer, client, code: str, verifier: str = "v" * 50) -> dict:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    return server.token(form, (client.client_id, client.client_secret))


def _refresh(server: OAuthServer, client, token: str) -> dict:
    form = {"grant_type": "refresh_token", "refresh_token": token}
    return server.token(form, (client.client_id, client.client_secret))


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(100)
    assert clock.now() == 100
    assert clock.advance(5.5) == 105.5
    clock.set(7)
    assert clock.now() == 7


def test_limiter_windows_retry_after_and_refusals_do_not_count() -> None:
    clock = ManualClock(1_000_000)  # 1_000_000 % 60 == 40 → 20 s left in the minute
    limiter = FixedWindowLimiter([Window("minute", 2, 60), Window("day", 3, 86400)], clock)
    assert limiter.hit("a").remaining == {"minute": 1, "day": 2}
    assert limiter.hit("a").allowed
    refused = limiter.hit("a")
    assert not refused.allowed and refused.exceeded.name == "minute"
    assert refused.retry_after == 20
    assert limiter.hit("b").allowed  # other keys have their own buckets
    clock.advance(20)
    assert limiter.hit("a").allowed  # the refusal above was not counted against the day
    day = limiter.hit("a")
    assert not day.allowed and day.exceeded.name == "day"
    limiter.reset()
    assert limiter.hit("a").allowed


def test_oauth_without_grace_old_refresh_token_fails_at_once() -> None:
    server = OAuthServer(OAuthSettings(), clock=ManualClock())
    client = server.register_client([REDIRECT])
    first = _exchange(server, client, _code(server, client))
    second = _refresh(server, client, first["refresh_token"])
    with pytest.raises(OAuthError) as caught:
        _refresh(server, client, first["refresh_token"])
    assert caught.value.error == "invalid_grant"
    assert _refresh(server, client, second["refresh_token"])["access_token"]


def test_oauth_non_rotating_mode_keeps_the_refresh_token() -> None:
    server = OAuthServer(OAuthSettings(rotate_refresh_tokens=False), clock=ManualClock())
    client = server.register_client([REDIRECT])
    first = _exchange(server, client, _code(server, client))
    again = _refresh(server, client, first["refresh_token"])
    assert again["refresh_token"] == first["refresh_token"]
    assert again["access_token"] != first["access_token"]


def test_oauth_access_token_expiry_and_test_switches() -> None:
    clock = ManualClock()
    server = OAuthServer(OAuthSettings(access_ttl=60), clock=clock)
    client = server.register_client([REDIRECT])
    token = _exchange(server, client, _code(server, client))["access_token"]
    assert server.check_access(token)[1] == "ok"
    clock.advance(60)
    assert server.check_access(token) == (None, "expired")
    fresh = server.issue_token(client)
    server.expire_access_tokens()
    assert server.check_access(fresh["access_token"]) == (None, "expired")
    server.expire_refresh_tokens()
    with pytest.raises(OAuthError):
        _refresh(server, client, fresh["refresh_token"])
    assert server.check_access(None) == (None, "missing")
    assert server.check_access("nope") == (None, "invalid")


def test_oauth_authorize_requires_s256_pkce_and_known_scopes() -> None:
    server = OAuthServer(OAuthSettings(allowed_scopes=frozenset({"a"})), clock=ManualClock())
    client = server.register_client([REDIRECT])
    base = {"response_type": "code", "client_id": client.client_id, "redirect_uri": REDIRECT}
    assert "code_challenge+is+required" in server.authorize(base)
    plain = server.authorize({**base, "code_challenge": "x" * 43, "code_challenge_method": "plain"})
    assert "error=invalid_request" in plain
    scoped = server.authorize(
        {**base, "code_challenge": "x" * 43, "code_challenge_method": "S256", "scope": "a b"}
    )
    assert "error=invalid_scope" in scoped
    assert "error=unsupported_response_type" in server.authorize({**base, "response_type": "token"})


def test_oauth_code_bound_to_redirect_uri_and_client() -> None:
    server = OAuthServer(OAuthSettings(), clock=ManualClock())
    client = server.register_client([REDIRECT, REDIRECT + "/other"])
    intruder = server.register_client([REDIRECT])
    code = _code(server, client)
    with pytest.raises(OAuthError) as caught:
        _exchange(server, intruder, code)
    assert caught.value.error == "invalid_grant"
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": "v" * 50}
    form["redirect_uri"] = REDIRECT + "/other"
    with pytest.raises(OAuthError) as caught:
        server.token(form, (client.client_id, client.client_secret))
    assert caught.value.error == "invalid_grant"


def test_idempotency_store_replays_and_refuses_reuse() -> None:
    store = IdempotencyStore()
    first = fingerprint("PUT", "/x", b"{}")
    assert store.replay("t", "k", first) is None
    store.remember("t", "k", first, JSONResponse({"id": 1}, status_code=201))
    replay = store.replay("t", "k", first)
    assert replay.status_code == 201 and replay.body == b'{"id":1}'
    with pytest.raises(IdempotencyMismatch):
        store.replay("t", "k", fingerprint("PUT", "/x", b'{"a":1}'))
    assert store.replay("other-tenant", "k", first) is None
    store.remember("t", "k5", first, Response(status_code=503))
    assert store.replay("t", "k5", first) is None  # 5xx stays retryable


def test_rebase_swaps_only_the_listed_origins() -> None:
    local = rebase(xero, ["https://identity.xero.com", "https://api.xero.com"], "http://h:1/")
    assert local.auth.token_url == "http://h:1/connect/token"
    assert local.auth.authorize_url == "https://login.xero.com/identity/connect/authorize"
    assert local.base_url == "http://h:1"
    assert local.actions == xero.actions and xero.base_url == "https://api.xero.com"


def test_server_serves_on_a_free_port_and_releases_it() -> None:
    app = Starlette(routes=[Route("/ping", lambda _r: JSONResponse({"pong": True}))])
    with SandboxServer(app) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{server.url}/ping").json() == {"pong": True}
        port = server.port
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1)
    with pytest.raises(RuntimeError):
        _ = server.url


def test_sender_signs_records_and_survives_unreachable_targets() -> None:
    received = []

    async def hook(request):
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=204)

    sender = WebhookSender(lambda secret, url, body: {"X-Sig": f"{secret}:{len(body)}"})
    with SandboxServer(Starlette(routes=[Route("/h", hook, methods=["POST"])])) as server:
        sub = sender.register(f"{server.url}/h", "s3cret")
        (delivery,) = sender.send({"a": 1})
    assert delivery.status == 204
    headers, body = received[0]
    assert body == b'{"a":1}' and headers["x-sig"] == "s3cret:7"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/h"
    failed = sender.post(dead, b"{}", {})
    assert failed.status is None and failed.error
    assert len(sender.deliveries) == 2
    assert sender.unregister(sub.subscription_id) and sender.subscriptions() == []
