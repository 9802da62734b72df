"""``/auth`` routes: sign in, sign out and accept an invitation with an HttpOnly cookie.

Reflex event handlers cannot set HttpOnly cookies (``rx.Cookie`` is written by JavaScript), so
these are plain Starlette routes that pages post native forms to. Each answers with a 303
redirect: to where the person was going, or back to the form with an error code that the page
turns into a sentence.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlencode, urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from flowyard.security import auth, login_flow, mfa_pending, sso_login
from flowyard.security.guard import public_route
from flowyard.security.passwords import WeakPassword
from flowyard.security.sessions import COOKIE_NAME
from tenants.validation import InvalidInput, clean_email

MAX_FORM_BYTES = 16 * 1024

# Errors travel as short codes the pages turn into sentences, so no text is echoed from URLs.


def _form(body: bytes) -> dict[str, str]:
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=20)
    return {key: values[0] for key, values in fields.items()}


async def _read_form(request: Request) -> dict[str, str] | None:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    return _form(body)


def safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a signed-in person to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith(("/auth/", "/login")):
        return "/"
    return target


def _same_origin(request: Request) -> bool:
    """Refuse cross-site form posts (login CSRF); browsers always send Origin on POST."""
    origin = request.headers.get("origin")
    if origin:
        return urlsplit(origin).netloc == request.headers.get("host", "")
    return request.headers.get("sec-fetch-site") in (None, "same-origin", "none")


def _is_https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def _set_session_cookie(response: Response, request: Request, token: str) -> None:
    _set_cookie(response, request, COOKIE_NAME, token, int(auth.session_ttl().total_seconds()))


def _set_cookie(response: Response, request: Request, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name, value, max_age=age, path="/", httponly=True, samesite="lax",
        secure=_is_https(request),
    )  # fmt: skip


def _client(request: Request) -> tuple[str | None, str | None]:
    ip = request.client.host if request.client else None
    return ip, request.headers.get("user-agent")


def _back_to_login(error: str, next_path: str) -> RedirectResponse:
    query = {"error": error}
    if next_path != "/":
        query["next"] = next_path
    return RedirectResponse(f"/login?{urlencode(query)}", status_code=303)


@public_route("sign-in form (throttled per account and IP)")
async def login(request: Request) -> Response:
    """Check email and password (throttled); then the MFA step, or the session cookie."""
    if not _same_origin(request):
        return PlainTextResponse("Cross-site sign-in refused.", status_code=403)
    form = await _read_form(request)
    if form is None:
        return PlainTextResponse("Send the sign-in form.", status_code=400)
    next_path = safe_next(form.get("next"))
    try:
        clean_email(form.get("email", ""))
    except InvalidInput:
        return _back_to_login("email", next_path)
    ip, agent = _client(request)
    if await run_in_threadpool(sso_login.refuse_password, form.get("email", ""), ip=ip):
        return _back_to_login("sso_required", next_path)
    outcome = await run_in_threadpool(
        login_flow.password_step, form.get("email", ""), form.get("password", ""), ip=ip,
        user_agent=agent, next_path=next_path,
    )  # fmt: skip
    if outcome.locked is not None:
        query = {"error": "locked", "wait": str(outcome.locked.seconds)}
        return RedirectResponse(f"/login?{urlencode(query)}", status_code=303)
    if outcome.pending_token:
        response = RedirectResponse("/login/mfa", status_code=303)
        _set_cookie(response, request, mfa_pending.COOKIE_NAME, outcome.pending_token,
                    mfa_pending.TTL_SECONDS)  # fmt: skip
        return response
    if outcome.session_token is None:
        return _back_to_login("credentials", next_path)
    response = RedirectResponse(next_path, status_code=303)
    _set_session_cookie(response, request, outcome.session_token)
    return response


@public_route("second sign-in step; the pending-MFA cookie is the credential")
async def mfa_step(request: Request) -> Response:
    """Check the code (or finish a required enrolment) and start the session."""
    if not _same_origin(request):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    form = await _read_form(request)
    if form is None:
        return PlainTextResponse("Send the code form.", status_code=400)
    ip, agent = _client(request)
    pending = request.cookies.get(mfa_pending.COOKIE_NAME)
    outcome = await run_in_threadpool(
        login_flow.code_step, pending, form.get("code", ""), ip=ip, user_agent=agent
    )
    if outcome.session_token is None:
        target = "/login/mfa?error=code" if outcome.retry else "/login?error=mfa_expired"
        response = RedirectResponse(target, status_code=303)
        if not outcome.retry:
            response.delete_cookie(mfa_pending.COOKIE_NAME, path="/")
        return response
    response = RedirectResponse(outcome.next_path, status_code=303)
    response.delete_cookie(mfa_pending.COOKIE_NAME, path="/")
    _set_session_cookie(response, request, outcome.session_token)
    return response


@public_route("password-reset request; always answers the same")
async def reset_request(request: Request) -> Response:
    if not _same_origin(request):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    form = await _read_form(request)
    if form is None:
        return PlainTextResponse("Send the reset form.", status_code=400)
    ip, _agent = _client(request)
    base = f"{request.url.scheme}://{request.headers.get('host', '')}"
    await run_in_threadpool(login_flow.request_reset, form.get("email", ""), ip=ip,
                            base_url=base, host=request.headers.get("host"))  # fmt: skip
    return RedirectResponse("/login?reset=sent", status_code=303)


@public_route("single-use emailed token is the credential")
async def reset_confirm(request: Request) -> Response:
    if not _same_origin(request):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    form = await _read_form(request)
    if form is None:
        return PlainTextResponse("Send the new-password form.", status_code=400)
    token = form.get("token", "")
    ip, _agent = _client(request)
    code = await run_in_threadpool(login_flow.complete_reset, token, form.get("password", ""),
                                   ip=ip)  # fmt: skip
    if code:
        return RedirectResponse(f"/reset/{quote(token, safe='')}?error={code}", status_code=303)
    return RedirectResponse("/login?reset=done", status_code=303)


@public_route("ends the caller's own session")
async def logout(request: Request) -> Response:
    """Revoke the session in the database (the cookie alone is worthless afterwards)."""
    if not _same_origin(request):
        return PlainTextResponse("Cross-site sign-out refused.", status_code=403)
    auth.sign_out(request.cookies.get(COOKIE_NAME))
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return response


def _invite_error_code(error: Exception) -> str:
    if isinstance(error, WeakPassword):
        return "password"
    if isinstance(error, InvalidInput):
        return {"full_name": "name", "password": "existing_password"}.get(error.field, "expired")
    return "expired"


@public_route("the invitation token is the credential")
async def accept_invite(request: Request) -> Response:
    """Accept an invitation (name + password), sign the person in, open their client account."""
    if not _same_origin(request):
        return PlainTextResponse("Cross-site request refused.", status_code=403)
    form = await _read_form(request)
    if form is None:
        return PlainTextResponse("Send the invitation form.", status_code=400)
    token = form.get("token", "")
    try:
        user, slug = auth.accept_invitation(
            token, full_name=form.get("full_name", ""), password=form.get("password", "")
        )
    except (InvalidInput, WeakPassword) as error:
        code = _invite_error_code(error)
        return RedirectResponse(f"/invite/{quote(token, safe='')}?error={code}", status_code=303)
    ip, agent = _client(request)
    response = RedirectResponse(f"/t/{quote(slug)}", status_code=303)
    _set_session_cookie(response, request, auth.sign_in(user.id, ip=ip, user_agent=agent))
    return response


def auth_app() -> Starlette:
    """The Starlette app Reflex mounts in front of its own routes (``api_transformer``)."""
    return Starlette(
        routes=[
            Route("/auth/login", login, methods=["POST"]),
            Route("/auth/logout", logout, methods=["POST"]),
            Route("/auth/invite", accept_invite, methods=["POST"]),
            Route("/auth/mfa", mfa_step, methods=["POST"]),
            Route("/auth/reset", reset_request, methods=["POST"]),
            Route("/auth/reset/confirm", reset_confirm, methods=["POST"]),
        ]
    )
