"""``/auth/sso``: OpenID Connect sign-in per agency (start, callback), HttpOnly cookies.

Errors go back to ``/login?error=<code>`` and the page turns the code into a sentence; the
technical detail is written to the audit log only.
"""

from __future__ import annotations

import logging
from urllib.parse import quote, urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from flowyard.api.auth_routes import _client, _is_https, _set_cookie, _set_session_cookie, safe_next
from flowyard.security import mfa_pending, sso, sso_flow, sso_login
from flowyard.security.guard import public_route
from flowyard.security.sso_flow import SsoFailure

log = logging.getLogger(__name__)
BROWSER_COOKIE = "fy_sso"


def _callback_url(request: Request, slug: str) -> str:
    scheme = "https" if _is_https(request) else request.url.scheme
    host = request.headers.get("host", request.url.netloc)
    return f"{scheme}://{host}/auth/sso/{quote(slug, safe='')}/callback"


def _to_login(code: str) -> RedirectResponse:
    response = RedirectResponse(f"/login?{urlencode({'error': code})}", status_code=303)
    response.delete_cookie(BROWSER_COOKIE, path="/auth/sso")
    return response


@public_route("starts the agency's OpenID Connect sign-in")
async def start(request: Request) -> Response:
    """Send the browser to the agency's identity provider (state, nonce, PKCE)."""
    slug = request.path_params["agency"]
    next_path = safe_next(request.query_params.get("next"))
    config = await run_in_threadpool(sso.config_for_slug, slug)
    if config is None:
        return _to_login("sso_off")
    try:
        started = await sso_flow.begin(config, _callback_url(request, slug), next_path)
    except SsoFailure as failure:
        ip, _agent = _client(request)
        await run_in_threadpool(sso_login.record_failure, failure, slug=slug, ip=ip)
        return _to_login(failure.code)
    response = RedirectResponse(started.authorize_url, status_code=303)
    response.set_cookie(BROWSER_COOKIE, started.browser_token, max_age=sso_flow.STATE_TTL_SECONDS,
                        path="/auth/sso", httponly=True, samesite="lax",
                        secure=_is_https(request))  # fmt: skip
    return response


@public_route("OpenID Connect callback; the signed ID token is the credential")
async def callback(request: Request) -> Response:
    """Verify the provider's answer, then the MFA step or the session cookie."""
    slug = request.path_params["agency"]
    ip, agent = _client(request)
    params = {key: request.query_params[key] for key in ("state", "code", "error")
              if key in request.query_params}  # fmt: skip
    try:
        identity = await sso_flow.complete(slug, params, request.cookies.get(BROWSER_COOKIE))
        outcome = await run_in_threadpool(sso_login.sign_in, identity, ip=ip, user_agent=agent)
    except SsoFailure as failure:
        log.info("SSO sign-in refused for %s: %s", slug, failure.detail)
        await run_in_threadpool(sso_login.record_failure, failure, slug=slug, ip=ip)
        return _to_login(failure.code)
    if outcome.pending_token:
        response = RedirectResponse("/login/mfa", status_code=303)
        _set_cookie(response, request, mfa_pending.COOKIE_NAME, outcome.pending_token,
                    mfa_pending.TTL_SECONDS)  # fmt: skip
    else:
        assert outcome.session_token is not None
        response = RedirectResponse(outcome.next_path, status_code=303)
        _set_session_cookie(response, request, outcome.session_token)
    response.delete_cookie(BROWSER_COOKIE, path="/auth/sso")
    return response


def sso_app() -> Starlette:
    """Mounted in ``web/app.py``'s ``api_transformer`` list, beside ``auth_app``."""
    return Starlette(
        routes=[
            Route("/auth/sso/{agency}", start, methods=["GET"]),
            Route("/auth/sso/{agency}/callback", callback, methods=["GET"]),
        ]
    )
