"""``/oauth`` routes: start connecting an app, and the provider's redirect back.

``GET /oauth/start/{connector}?tenant=<slug>[&reconnect=<id>]`` checks the signed-in user may
manage that client's connections, then sends the browser to the provider.
``GET /oauth/callback`` (the one exact redirect URI, ``{PUBLIC_BASE_URL}/oauth/callback``)
finishes the flow and returns to ``/t/<slug>/integrations`` with ``?connected=<key>`` or
``?error=<code>&app=<name>`` for the page's toast.
"""

from __future__ import annotations

import html
import logging
import uuid
from urllib.parse import quote, urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from flowyard.integrations import messages, oauth
from flowyard.security import auth
from flowyard.security.access import tenant_access
from flowyard.security.guard import public_route
from flowyard.security.permissions import allowed
from flowyard.security.sessions import COOKIE_NAME

log = logging.getLogger(__name__)


def integrations_path(slug: str, **query: str) -> str:
    path = f"/t/{quote(slug, safe='')}/integrations"
    return f"{path}?{urlencode(query)}" if query else path


def _dead_end(code: str, app: str = "") -> Response:
    """No client account to go back to: say what happened on a tiny page."""
    sentence = html.escape(messages.connect_error(code, app))
    body = (
        "<!doctype html><meta charset=utf-8><title>Connecting an app</title>"
        "<body style='font-family:system-ui;max-width:36rem;margin:4rem auto;padding:0 1rem'>"
        f"<p role=alert>{sentence}</p><p><a href='/'>Go to your home page</a></p>"
    )
    return HTMLResponse(body, status_code=400, headers={"Cache-Control": "no-store"})


@public_route("signed-in users only; checks connection.manage for the client itself")
async def start(request: Request) -> Response:
    """Database and provider calls block, so they run in the thread pool, not the event loop."""
    return await run_in_threadpool(
        _start,
        request.path_params["connector"],
        dict(request.query_params),
        request.url.query,
        request.cookies.get(COOKIE_NAME),
    )


def _start(
    connector_key: str, params: dict[str, str], raw_query: str, token: str | None
) -> Response:
    slug = params.get("tenant", "")
    user = auth.signed_in_user(token)
    if user is None:
        target = f"/oauth/start/{quote(connector_key)}?{raw_query}"
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    access = tenant_access(user.user_id, slug) if slug else None
    if access is None or not allowed("connection.manage", access.role):
        if access is None:
            return _dead_end("forbidden")
        return RedirectResponse(integrations_path(slug, error="forbidden"), status_code=303)
    reconnect = params.get("reconnect")
    try:
        reconnect_id = uuid.UUID(reconnect) if reconnect else None
        url = oauth.begin(
            connector_key=connector_key,
            user_id=user.user_id,
            session_token=token or "",
            tenant_id=access.tenant_id,
            tenant_slug=slug,
            query=params,
            reconnect_id=reconnect_id,
        )
    except ValueError:
        return RedirectResponse(integrations_path(slug, error="bad_start"), status_code=303)
    except oauth.ConnectFailed as failed:
        query = {"error": failed.code, "app": failed.app}
        return RedirectResponse(integrations_path(slug, **query), status_code=303)
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


@public_route("OAuth callback; the single-use state bound to the login session is the credential")
async def callback(request: Request) -> Response:
    return await run_in_threadpool(
        _callback, dict(request.query_params), request.cookies.get(COOKIE_NAME)
    )


def _callback(query: dict[str, str], token: str | None) -> Response:
    try:
        done = oauth.complete(query, token)
    except oauth.ConnectFailed as failed:
        log.info("oauth callback refused: %s", failed)
        if not failed.tenant_slug:
            return _dead_end(failed.code, failed.app)
        target = integrations_path(failed.tenant_slug, error=failed.code, app=failed.app)
        return RedirectResponse(target, status_code=303)
    target = integrations_path(done.tenant_slug, connected=done.connector_key)
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


def oauth_app() -> Starlette:
    """The Starlette app Reflex mounts in front of its own routes (``api_transformer``)."""
    return Starlette(
        routes=[
            Route("/oauth/start/{connector}", start, methods=["GET"]),
            Route("/oauth/callback", callback, methods=["GET"]),
        ]
    )
