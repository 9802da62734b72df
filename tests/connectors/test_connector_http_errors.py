"""The one shared mapping from provider HTTP failures to SDK errors, over real sockets."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.common import raise_for_status, retry_after_seconds, send
from connectors.sandbox_kit import SandboxServer
from marketplace.sdk import (
    ActionError,
    ActionTimeout,
    AuthError,
    InvalidInputError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)


async def _status(request: Request) -> Response:
    code = int(request.path_params["code"])
    headers = (
        {"Retry-After": request.query_params["retry"]} if "retry" in request.query_params else {}
    )
    return Response(b'{"message": "from provider"}', status_code=code, headers=headers)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    app = Starlette(routes=[Route("/status/{code}", _status, methods=["GET", "POST"])])
    with SandboxServer(app) as server, httpx.Client(base_url=server.url, timeout=5) as client:
        yield client


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (401, AuthError),
        (403, AuthError),
        (404, NotFoundError),
        (400, InvalidInputError),
        (409, InvalidInputError),
        (422, InvalidInputError),
        (429, RateLimitedError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (418, ActionError),
    ],
)
def test_status_codes_map_to_sdk_errors(http: httpx.Client, code: int, error: type) -> None:
    with pytest.raises(error) as caught:
        send(http, "GET", f"/status/{code}", provider="Acme")
    assert type(caught.value) is error
    assert caught.value.details["status"] == code


def test_success_passes_through(http: httpx.Client) -> None:
    assert send(http, "GET", "/status/200", provider="Acme").status_code == 200


def test_messages_are_plain_english_and_carry_the_providers_words(http: httpx.Client) -> None:
    with pytest.raises(AuthError) as caught:
        send(http, "GET", "/status/401", provider="Xero")
    assert caught.value.message.startswith("Xero asked us to sign in again")
    with pytest.raises(InvalidInputError) as caught:
        send(http, "GET", "/status/400", provider="Xero", detail=lambda r: r.json()["message"])
    assert "from provider" in caught.value.message


def test_429_uses_retry_after(http: httpx.Client) -> None:
    with pytest.raises(RateLimitedError) as caught:
        send(http, "GET", "/status/429?retry=17", provider="Acme")
    assert caught.value.retry_after == 17 and caught.value.retryable
    with pytest.raises(RateLimitedError) as caught:
        send(http, "GET", "/status/429", provider="Acme")
    assert caught.value.retry_after is None


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds({"Retry-After": "3"}) == 3
    assert (
        retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470) == 10
    )
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_timeout_is_action_timeout() -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        with httpx.Client(timeout=0.3) as client, pytest.raises(ActionTimeout) as caught:
            send(client, "GET", url, provider="Acme")
    assert caught.value.retryable


def test_refused_connection_is_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    with httpx.Client(timeout=2) as client, pytest.raises(NetworkError) as caught:
        send(client, "GET", url, provider="Acme")
    assert caught.value.retryable


def test_raise_for_status_ignores_redirects_and_success() -> None:
    raise_for_status(httpx.Response(302), provider="Acme")
    raise_for_status(httpx.Response(204), provider="Acme")
