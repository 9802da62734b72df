"""Signing in and out, and accepting invitations: the identity steps behind ``/auth`` routes.

These run before anyone is known (or on the user's own rows), so they use a system session;
everything a page shows afterwards is read through tenant- or agency-scoped sessions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import CookieError, SimpleCookie

from sqlmodel import select

from flowyard.db import system_session
from flowyard.security import audit, passwords, sessions
from flowyard.settings import get_settings
from tenants import invitations
from tenants.models import Agency, Tenant, User
from tenants.service import find_user
from tenants.validation import InvalidInput, clean_email


@dataclass(frozen=True)
class SignedInUser:
    """The few facts about the signed-in person that pages need."""

    user_id: uuid.UUID
    email: str
    full_name: str


@dataclass(frozen=True)
class PublicBranding:
    """What the login and invitation pages may show before sign-in."""

    display_name: str
    primary_color: str
    logo_url: str | None
    support_email: str | None


def session_ttl() -> timedelta:
    return timedelta(hours=get_settings().session_ttl_hours)


def token_from_cookie_header(cookie_header: str | None) -> str | None:
    """The ``fy_session`` value from a raw Cookie header (as the websocket handshake sends it)."""
    if not cookie_header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        return None
    morsel = jar.get(sessions.COOKIE_NAME)
    return morsel.value if morsel is not None else None


def check_password(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same effort either way)."""
    try:
        address = clean_email(email)
    except InvalidInput:
        address = ""
    with system_session() as db:
        user = find_user(db, address) if address else None
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        with system_session() as db:
            fresh = db.get(User, user.id)
            if fresh is not None:
                fresh.password_hash = passwords.hash_password(password)
                db.add(fresh)
                db.commit()
    return user


def sign_in(user_id: uuid.UUID, *, ip: str | None, user_agent: str | None) -> str:
    """Start a login session and return the raw token for the HttpOnly cookie."""
    with system_session() as db:
        user = db.get(User, user_id)
        if user is None:
            raise LookupError("user vanished")
        return sessions.start_session(db, user, ttl=session_ttl(), ip=ip, user_agent=user_agent)


def signed_in_user(token: str | None) -> SignedInUser | None:
    """Who a session cookie belongs to, or None if it is unknown, expired or revoked."""
    if not token:
        return None
    with system_session() as db:
        user = sessions.user_for_token(db, token)
        if user is None:
            return None
        return SignedInUser(user.id, user.email, user.full_name or user.email)


def sign_out(token: str | None) -> None:
    with system_session() as db:
        sessions.end_session(db, token)


def branding_for_host(host: str | None) -> PublicBranding | None:
    """The agency whose custom domain serves this request (Host header), if any."""
    domain = (host or "").strip().lower().rsplit(":", 1)[0].rstrip(".")
    if not domain or domain in {"localhost", "127.0.0.1"}:
        return None
    with system_session() as db:
        agency = db.exec(select(Agency).where(Agency.custom_domain == domain)).first()
    return _public(agency) if agency else None


def _public(agency: Agency) -> PublicBranding:
    return PublicBranding(
        agency.display_name, agency.primary_color, agency.logo_url, agency.support_email
    )


@dataclass(frozen=True)
class InvitationView:
    """An open invitation as the invitee's page shows it."""

    email: str
    tenant_name: str
    tenant_slug: str
    role: str
    has_account: bool
    branding: PublicBranding


def invitation_view(token: str | None) -> InvitationView | None:
    """The invitation behind a link, for the invitee's page; None if used, expired or unknown."""
    with system_session() as db:
        invitation = invitations.open_invitation(db, token)
        if invitation is None:
            return None
        tenant = db.get(Tenant, invitation.tenant_id)
        agency = db.get(Agency, tenant.agency_id) if tenant else None
        if tenant is None or agency is None:
            return None
        return InvitationView(
            email=invitation.email,
            tenant_name=tenant.name,
            tenant_slug=tenant.slug,
            role=invitation.role,
            has_account=find_user(db, invitation.email) is not None,
            branding=_public(agency),
        )


def accept_invitation(token: str, *, full_name: str, password: str) -> tuple[User, str]:
    """Accept an invitation; returns the user and the slug of the tenant they joined.

    A new account gets ``password`` (checked against the password rules); an existing account
    must prove itself with its own password. Raises InvalidInput / WeakPassword with messages
    for the invitee.
    """
    with system_session() as db:
        invitation = invitations.open_invitation(db, token)
        if invitation is None:
            raise InvalidInput("token", "This invitation link has expired or was already used.")
        existing = find_user(db, invitation.email)
        password_hash = None
        if existing is None:
            passwords.check_strength(password, email=invitation.email)
            password_hash = passwords.hash_password(password)
        elif not passwords.verify_password(existing.password_hash, password):
            raise InvalidInput("password", "That password doesn't match your existing account.")
        user = invitations.accept_invitation(
            db, invitation, full_name=full_name, password_hash=password_hash
        )
        tenant = db.get(Tenant, invitation.tenant_id)
        assert tenant is not None
        audit.record("membership.granted", agency_id=tenant.agency_id, tenant_id=tenant.id,
                     actor_user_id=user.id, actor_email=user.email, target_type="user",
                     target_id=user.id, after={"role": str(invitation.role),
                                               "via": "invitation"})  # fmt: skip
        return user, tenant.slug
