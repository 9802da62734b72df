"""Drives our /oauth routes like a browser: start, the provider's consent, the callback."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.testclient import TestClient

from flowyard.api.oauth_routes import oauth_app
from flowyard.security.sessions import COOKIE_NAME


@dataclass
class Landing:
    status: int
    location: str
    body: str

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.location).query).items()}

    @property
    def path(self) -> str:
        return urlsplit(self.location).path


def client(session_token: str | None) -> TestClient:
    web = TestClient(oauth_app(), base_url="http://127.0.0.1:9", follow_redirects=False)
    if session_token:
        web.cookies.set(COOKIE_NAME, session_token)
    return web


def start(session_token: str | None, connector: str, slug: str, **extra: str) -> httpx.Response:
    with client(session_token) as web:
        return web.get(f"/oauth/start/{connector}", params={"tenant": slug, **extra})


def consent(authorize_url: str, **extra: str) -> str:
    """What the provider's authorize page redirects the browser to (auto-consent)."""
    if extra:
        joiner = "&" if "?" in authorize_url else "?"
        authorize_url += joiner + "&".join(f"{k}={v}" for k, v in extra.items())
    answer = httpx.get(authorize_url, follow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def callback(session_token: str | None, redirect: str) -> Landing:
    parts = urlsplit(redirect)
    assert parts.path == "/oauth/callback", redirect
    with client(session_token) as web:
        answer = web.get(f"/oauth/callback?{parts.query}")
    return Landing(answer.status_code, answer.headers.get("location", ""), answer.text)


def connect(session_token: str, connector: str, slug: str) -> Landing:
    """The whole happy path; returns where the browser lands."""
    started = start(session_token, connector, slug)
    assert started.status_code == 303, started.text
    return callback(session_token, consent(started.headers["location"]))
