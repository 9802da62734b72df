"""Fixtures for connector tests: sandboxes on real sockets, a webhook receiver, action contexts.

Nothing here needs PostgreSQL or Redis; every HTTP call crosses a real socket to 127.0.0.1.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.sandbox_kit import Client, ManualClock, SandboxServer
from flowyard.webhooks import asana_handshake, verify
from marketplace.sdk import ActionContext, Connector, OAuth2AuthCode

REDIRECT_URI = "http://127.0.0.1:9/oauth/callback"


@dataclass(frozen=True)
class Received:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    status: int


class Receiver:
    """A webhook endpoint like our ingress: verifies when told how, echoes Asana's handshake."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.scheme: str | None = None
        self.secret: str | None = None
        self.now: Callable[[], float] | None = None
        self.handshake_secrets: list[str] = []
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST"])])

    def verify_with(
        self, scheme: str, secret: str | None, now: Callable[[], float] | None = None
    ) -> None:
        """Answer 200/401 by ``flowyard.webhooks.verify``; ``now`` pins its clock (sandbox's)."""
        self.scheme, self.secret, self.now = scheme, secret, now

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        headers = dict(request.headers)
        status, extra = 200, {}
        hook_secret = asana_handshake(headers)
        if hook_secret is not None:
            self.handshake_secrets.append(hook_secret)
            extra = {"X-Hook-Secret": hook_secret}
        elif self.scheme is not None:
            ok = verify(
                self.scheme,
                self.secret or "",
                headers,
                body,
                method=request.method,
                uri=str(request.url),
                now=self.now() if self.now else None,
            )
            status = 200 if ok else 401
        with self._lock:
            self.received.append(Received(request.method, str(request.url), headers, body, status))
        return Response(status_code=status, headers=extra)


@pytest.fixture
def redirect_uri() -> str:
    return REDIRECT_URI


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_700_000_000.0)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    """(receiver, url) — a running webhook receiver on 127.0.0.1."""
    hooks = Receiver()
    with SandboxServer(hooks.app) as server:
        yield hooks, f"{server.url}/hooks/incoming"


@pytest.fixture
def make_ctx() -> Iterator[Callable[..., ActionContext]]:
    """Builds real ActionContexts (an httpx.Client with the bearer token and the sandbox URL)."""
    clients: list[httpx.Client] = []

    def build(
        base_url: str,
        access_token: str,
        *,
        key: str = "step-run-1",
        credentials: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
        timeout: float = 5.0,
    ) -> ActionContext:
        http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=timeout,
        )
        clients.append(http)
        return ActionContext(
            http=http,
            idempotency_key=key,
            log=logging.getLogger("tests.connectors"),
            credentials=dict(credentials or {}),
            settings=dict(settings or {}),
        )

    yield build
    for http in clients:
        http.close()


@dataclass
class Consent:
    """Where the browser landed after the authorize step, and what the client must remember."""

    client: OAuth2Client
    location: str
    verifier: str
    state: str

    def exchange(self, token_url: str, **kwargs: Any) -> dict[str, Any]:
        return self.client.fetch_token(
            token_url,
            authorization_response=self.location,
            code_verifier=self.verifier,
            **kwargs,
        )


@pytest.fixture
def authorize() -> Iterator[Callable[..., Consent]]:
    """Runs the browser half of the dance with authlib: authorize URL with S256 PKCE, then the
    auto-consenting authorize endpoint; returns the redirect the user agent would follow."""
    opened: list[OAuth2Client] = []

    def run(
        connector: Connector,
        client: Client,
        *,
        auth_method: str = "client_secret_basic",
        scope: str | None = None,
        **extra: str,
    ) -> Consent:
        auth = connector.auth
        assert isinstance(auth, OAuth2AuthCode)
        oauth = OAuth2Client(
            client_id=client.client_id,
            client_secret=client.client_secret,
            scope=scope if scope is not None else " ".join(auth.scopes),
            redirect_uri=REDIRECT_URI,
            code_challenge_method="S256",
            token_endpoint_auth_method=auth_method,
            timeout=5.0,
        )
        opened.append(oauth)
        verifier = generate_token(64)
        url, state = oauth.create_authorization_url(
            auth.authorize_url, code_verifier=verifier, **extra
        )
        answer = httpx.get(url, follow_redirects=False, timeout=5.0)
        assert answer.status_code == 302, answer.text
        return Consent(oauth, answer.headers["location"], verifier, state)

    yield run
    for oauth in opened:
        oauth.close()
