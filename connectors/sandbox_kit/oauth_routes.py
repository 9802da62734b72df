"""Starlette routes for an :class:`OAuthServer`, mounted at whatever paths the provider uses."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from connectors.sandbox_kit.oauth import AuthorizePageError, OAuthError, OAuthServer

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """client_secret_basic credentials from the Authorization header (RFC 6749 §2.3.1)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return unquote(user), unquote(password)


async def _params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        params.update({k: str(v) for k, v in (await request.form()).items()})
    return params


def comma_separated_scopes(params: dict[str, str]) -> dict[str, str]:
    """``authorize_params`` for providers whose ``scope`` is comma-separated (Shopify, Slack);
    their authorize endpoints also don't insist on ``response_type``."""
    scopes = params.get("scope", "").replace(",", " ")
    return {**params, "scope": " ".join(scopes.split()), "response_type": "code"}


def oauth_routes(
    server: OAuthServer,
    *,
    authorize_path: str,
    token_path: str,
    revoke_path: str | None = None,
    error_body: Callable[[OAuthError, Mapping[str, str]], Mapping[str, Any]] | None = None,
    error_status: Callable[[OAuthError], int] | None = None,
    authorize_params: Callable[[dict[str, str]], dict[str, str]] | None = None,
    redirect: Callable[[str, Mapping[str, str]], str] | None = None,
    token_body: Callable[[dict[str, Any], Mapping[str, str]], Mapping[str, Any]] | None = None,
) -> list[Route]:
    """Authorize (GET, or POST for the consent form switch), token and RFC 7009 revocation.

    Provider hooks, all optional: ``error_body(error, form)`` replaces the RFC 6749 token error
    body (HubSpot) and ``error_status(error)`` its HTTP status (Slack answers errors with 200);
    ``authorize_params`` rewrites the authorize request first (comma-separated scopes);
    ``redirect(url, params)`` rewrites the URL sent back (Shopify signs it with ``hmac``);
    ``token_body(body, form)`` reshapes a successful token answer.
    """

    async def authorize(request: Request) -> Response:
        params = await _params(request)
        params = authorize_params(params) if authorize_params else params
        try:
            target = server.authorize(params)
        except AuthorizePageError as error:
            return JSONResponse(error.body(), status_code=400)
        return RedirectResponse(redirect(target, params) if redirect else target, status_code=302)

    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        basic = basic_credentials(request)
        try:
            body = server.token(form, basic)
        except OAuthError as error:
            headers = dict(_NO_STORE)
            if error.status == 401 and basic is not None:
                headers["WWW-Authenticate"] = 'Basic realm="token"'
            shaped = error_body(error, form) if error_body else error.body()
            status = error_status(error) if error_status else error.status
            return JSONResponse(dict(shaped), status_code=status, headers=headers)
        shaped_body = token_body(body, form) if token_body else body
        return JSONResponse(dict(shaped_body), headers=_NO_STORE)

    async def revoke(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        try:
            server.authenticate(form, basic_credentials(request))
        except OAuthError as error:
            return JSONResponse(error.body(), status_code=error.status)
        server.revoke(form.get("token", ""))
        return Response(status_code=200)

    routes = [
        Route(authorize_path, authorize, methods=["GET", "POST"]),
        Route(token_path, token, methods=["POST"]),
    ]
    if revoke_path:
        routes.append(Route(revoke_path, revoke, methods=["POST"]))
    return routes
