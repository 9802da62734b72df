"""Enforcing the policy at the edges: Reflex event handlers, HTTP routes and actors.

Every Reflex event handler in ``flowyard.web.state`` carries exactly one marker, and a test
walks them all:

* ``@protected("workflow.edit")`` — checked *before* the handler runs, against the roles the
  database holds right now (not the page's memory). Denied → a toast, and the handler never runs.
* ``@self_checked("tenant.view")`` — the handler checks that action itself (page loads that take
  the tenant from the URL and show a "no access" page instead of a toast).
* ``@signed_in`` — acts only on the signed-in person's own account (MFA, own sessions).
* ``@page_load`` — an on_load that signs the person in from the cookie (or redirects) and then
  checks the policy for what it shows.
* ``@public("why")`` — reads or changes nothing protected (sign-in page, typing into a form).

HTTP endpoints carry ``@public_route("why")`` or are /api/v1 routes with an action; actors that
act for a user call :func:`authorize` with the user's id.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from flowyard.security.access import access_for
from flowyard.security.permissions import Forbidden, action, allowed
from tenants.roles import Role

MARKER = "__flowyard_policy__"
F = TypeVar("F", bound=Callable[..., Any])
DENIED = "Your role doesn't allow this. Ask an administrator of your agency."
SIGNED_OUT = "Your session has ended. Sign in again to continue."

# Routes anyone may call: each says who protects it instead of a role.
PUBLIC_ROUTES: dict[str, str] = {
    "/auth/login": "sign-in form (throttled per account and IP)",
    "/auth/logout": "ends the caller's own session",
    "/auth/invite": "invitation token is the credential",
    "/auth/mfa": "second sign-in step; the pending-MFA token is the credential",
    "/auth/reset": "password-reset request; always answers the same",
    "/auth/reset/confirm": "single-use emailed token is the credential",
    "/auth/sso/{agency}": "starts the agency's OpenID Connect sign-in",
    "/auth/sso/{agency}/callback": "OpenID Connect callback; the signed ID token is the credential",
    "/hooks/{token}": "provider webhooks: the unguessable token and signature are the credential",
    "/oauth/start/{connector}": "signed-in users; checks connection.manage for the client itself",
    "/oauth/callback": "OAuth callback; the single-use state bound to the login session",
    "/api/v1/openapi.json": "API description",
    "/api/v1/docs": "API documentation page",
}


@dataclass(frozen=True)
class Marker:
    kind: Literal["protected", "self_checked", "signed_in", "page_load", "public"]
    action: str | None = None
    reason: str = ""


def marker_of(fn: Callable[..., Any]) -> Marker | None:
    return getattr(fn, MARKER, None)


def _mark(fn: F, marker: Marker) -> F:
    setattr(fn, MARKER, marker)
    return fn


# --- Reflex handlers ------------------------------------------------------------------------
def _role_in_state(state: Any, action_name: str) -> tuple[bool, Role | None]:
    """(signed in?, role where the action happens) for a SessionState subclass instance."""
    user = state._session_user()
    if user is None or str(user.user_id) != state._user_id:
        return False, None
    entry = action(action_name)
    access = access_for(user.user_id)
    if entry.scope == "agency":
        agency = next((a for a in access if str(a.agency_id) == state._agency_id), None)
        return True, agency.role if agency else None
    tenant_id = str(getattr(state, "_tenant_id", "") or "")
    slug = getattr(state, "current_tenant_slug", "")
    for agency in access:
        for tenant in agency.tenants:
            if (tenant_id and str(tenant.tenant_id) == tenant_id) or (
                not tenant_id and slug and tenant.tenant_slug == slug
            ):
                return True, tenant.role
    return True, None


def _refusal(signed: bool) -> Any:
    import reflex as rx

    return rx.toast.error(DENIED if signed else SIGNED_OUT)


def _enforcing(fn: F, check: Callable[[Any], Any]) -> F:
    """Wrap ``fn`` (plain, generator or async) so ``check(self)`` runs first; a non-None
    result is the refusal event and the handler does not run."""
    if inspect.isasyncgenfunction(fn):

        @functools.wraps(fn)
        async def agen(self: Any, *args: Any, **kwargs: Any) -> Any:
            refusal = check(self)
            if refusal is not None:
                yield refusal
                return
            async for item in fn(self, *args, **kwargs):
                yield item

        return agen  # type: ignore[return-value]
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def coro(self: Any, *args: Any, **kwargs: Any) -> Any:
            refusal = check(self)
            if refusal is not None:
                return refusal
            return await fn(self, *args, **kwargs)

        return coro  # type: ignore[return-value]
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen(self: Any, *args: Any, **kwargs: Any) -> Any:
            refusal = check(self)
            if refusal is not None:
                yield refusal
                return
            yield from fn(self, *args, **kwargs)

        return gen  # type: ignore[return-value]

    @functools.wraps(fn)
    def plain(self: Any, *args: Any, **kwargs: Any) -> Any:
        refusal = check(self)
        if refusal is not None:
            return refusal
        return fn(self, *args, **kwargs)

    return plain  # type: ignore[return-value]


def protected(action_name: str) -> Callable[[F], F]:
    """Check ``action_name`` against the database before the handler runs (put under @rx.event)."""
    action(action_name)  # a typo fails at import time, not in production

    def check(state: Any) -> Any:
        signed, role = _role_in_state(state, action_name)
        return None if signed and allowed(action_name, role) else _refusal(signed)

    def decorate(fn: F) -> F:
        return _mark(_enforcing(fn, check), Marker("protected", action_name))

    return decorate


def self_checked(action_name: str) -> Callable[[F], F]:
    """Declare that the handler checks ``action_name`` itself (e.g. a page load by URL)."""
    action(action_name)

    def decorate(fn: F) -> F:
        return _mark(fn, Marker("self_checked", action_name))

    return decorate


def signed_in(fn: F) -> F:
    """Only for a signed-in person acting on their own account."""

    def check(state: Any) -> Any:
        user = state._session_user()
        return None if user is not None and str(user.user_id) == state._user_id else _refusal(False)

    return _mark(_enforcing(fn, check), Marker("signed_in"))


def page_load(fn: F) -> F:
    """A page's on_load: it reads the cookie itself (``_begin``), redirects to sign-in when
    there is none, and decides what to show with the policy (each check is inside)."""
    return _mark(fn, Marker("page_load"))


def public(reason: str) -> Callable[[F], F]:
    """Declare that the handler touches nothing protected; ``reason`` says why."""

    def decorate(fn: F) -> F:
        return _mark(fn, Marker("public", reason=reason))

    return decorate


def public_route(reason: str) -> Callable[[F], F]:
    """Mark a Starlette endpoint as reachable without a role; ``reason`` names its credential."""
    return public(reason)


# --- services and actors --------------------------------------------------------------------
def role_of(
    user_id: uuid.UUID, *, tenant_id: uuid.UUID | None = None, agency_id: uuid.UUID | None = None
) -> Role | None:
    """The user's role in a tenant (agency-wide roles reach it) or in an agency."""
    for agency in access_for(user_id):
        if tenant_id is not None:
            for tenant in agency.tenants:
                if tenant.tenant_id == tenant_id:
                    return tenant.role
        elif agency_id is not None and agency.agency_id == agency_id:
            return agency.role
    return None


def authorize(
    user_id: uuid.UUID,
    action_name: str,
    *,
    tenant_id: uuid.UUID | None = None,
    agency_id: uuid.UUID | None = None,
) -> Role:
    """Raise :class:`Forbidden` unless the user may do ``action_name`` there; returns the role.

    For actors and services acting for a user: pass ``tenant_id`` for tenant actions,
    ``agency_id`` for agency actions.
    """
    entry = action(action_name)
    if entry.scope == "tenant" and tenant_id is None:
        raise ValueError(f"{action_name} is decided per tenant: pass tenant_id.")
    if entry.scope == "agency" and agency_id is None:
        raise ValueError(f"{action_name} is decided per agency: pass agency_id.")
    role = (
        role_of(user_id, tenant_id=tenant_id)
        if entry.scope == "tenant"
        else role_of(user_id, agency_id=agency_id)
    )
    if not allowed(action_name, role):
        raise Forbidden(DENIED)
    assert role is not None
    return role
