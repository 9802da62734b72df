"""``/auth`` routes: sign in, sign out and accept an invitation with an HttpOnly cookie.

Reflex event handlers cannot set HttpOnly cookies (``rx.Cookie`` is written by JavaScript), so
these are plain Starlette routes that pages post native forms to. Each answers with a 303
redirect: to where the person was going, or back to the form with an error code that the page
turns into a sentence.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlencode, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from flowyard.security import auth
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
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=int(auth.session_ttl().total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=_is_https(request),
    )


def _client(request: Request) -> tuple[str | None, str | None]:
    ip = request.client.host if request.client else None
    return ip, request.headers.get("user-agent")


def _back_to_login(error: str, next_path: str) -> RedirectResponse:
    query = {"error": error}
    if next_path != "/":
        query["next"] = next_path
    return RedirectResponse(f"/login?{urlencode(query)}", status_code=303)


async def login(request: Request) -> Response:
    """Check email and password; on success set the session cookie and go where asked."""
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
    user = auth.check_password(form.get("email", ""), form.get("password", ""))
    if user is None:
        return _back_to_login("credentials", next_path)
    ip, agent = _client(request)
    token = auth.sign_in(user.id, ip=ip, user_agent=agent)
    response = RedirectResponse(next_path, status_code=303)
    _set_session_cookie(response, request, token)
    return response


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
        ]
    )
