"""The sign-in steps behind the ``/auth`` routes: throttle, password, MFA, reset — audited.

Each returns a small outcome the route turns into a redirect; nothing here knows HTTP.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from dataclasses import dataclass

from sqlmodel import select

from flowyard.db import system_session
from flowyard.security import (
    audit,
    auth,
    mfa,
    mfa_pending,
    mfa_policy,
    password_reset,
    ratelimit,
    throttle,
)
from flowyard.security.passwords import WeakPassword
from tenants.models import Agency, Membership, User
from tenants.validation import InvalidInput

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PasswordOutcome:
    session_token: str | None = None
    pending_token: str | None = None
    locked: throttle.Locked | None = None


@dataclass(frozen=True)
class CodeOutcome:
    session_token: str | None = None
    next_path: str = "/"
    retry: bool = True


def _agency_of(user_id: uuid.UUID) -> uuid.UUID | None:
    with system_session() as db:
        return db.exec(select(Membership.agency_id).where(Membership.user_id == user_id)).first()


def password_step(
    email: str, password: str, *, ip: str | None, user_agent: str | None, next_path: str
) -> PasswordOutcome:
    """Throttle, check the password, then either sign in or hand over to the MFA step."""
    locked = throttle.check(email, ip)
    if locked is not None:
        audit.record("login.locked", actor_email=email.strip().lower()[:254], ip=ip,
                     outcome="refused")  # fmt: skip
        return PasswordOutcome(locked=locked)
    user = auth.check_password(email, password)
    if user is None:
        locked = throttle.failed(email, ip)
        audit.record("login.failure", actor_email=email.strip().lower()[:254], ip=ip,
                     outcome="failed", agency_id=_agency_for_email(email))  # fmt: skip
        return PasswordOutcome(locked=locked)
    throttle.succeeded(email, ip)
    with system_session() as db:
        enrolled = mfa.is_enrolled(db, user.id)
        required = mfa_policy.mfa_required(db, user.id)
    if enrolled or required:
        token = mfa_pending.start(user.id, next_path, must_enrol=not enrolled)
        return PasswordOutcome(pending_token=token)
    return PasswordOutcome(session_token=_start(user, ip, user_agent, method="password"))


def _agency_for_email(email: str) -> uuid.UUID | None:
    with system_session() as db:
        user = db.exec(select(User).where(User.email == email.strip().lower())).first()
    return _agency_of(user.id) if user else None


def _start(user: User, ip: str | None, user_agent: str | None, *, method: str) -> str:
    token = auth.sign_in(user.id, ip=ip, user_agent=user_agent)
    audit.record("login.success", agency_id=_agency_of(user.id), actor_user_id=user.id,
                 actor_email=user.email, ip=ip, after={"method": method})  # fmt: skip
    return token


def code_step(
    pending_token: str | None, code: str, *, ip: str | None, user_agent: str | None
) -> CodeOutcome:
    """Check the TOTP or recovery code (or confirm a required enrolment) and sign in."""
    pending = mfa_pending.lookup(pending_token)
    if pending is None or pending_token is None:
        return CodeOutcome(retry=False)
    with system_session() as db:
        user = db.get(User, pending.user_id)
        if user is None or not user.is_active:
            return CodeOutcome(retry=False)
        agency_id = _agency_of(user.id)
        if pending.must_enrol:
            codes = mfa.confirm(db, user.id, code)
            method = "totp-enrolled" if codes else None
            if codes:
                mfa_pending.stash_codes(user.id, codes)
                audit.record("mfa.enabled", agency_id=agency_id, actor_user_id=user.id,
                             actor_email=user.email, ip=ip)  # fmt: skip
        else:
            method = mfa.verify(db, user.id, code)
    if method is None:
        audit.record("login.mfa_failure", agency_id=agency_id, actor_user_id=user.id,
                     actor_email=user.email, ip=ip, outcome="failed")  # fmt: skip
        used_up = mfa_pending.wrong_code(pending_token)
        return CodeOutcome(retry=not used_up)
    mfa_pending.finish(pending_token)
    session = _start(user, ip, user_agent, method=method)
    target = "/security?new_codes=1" if pending.must_enrol else pending.next_path
    return CodeOutcome(session_token=session, next_path=target)


def request_reset(email: str, *, ip: str | None, base_url: str, host: str | None) -> None:
    """Send a reset email if the account exists (same answer either way; rate-limited)."""
    if ip and not ratelimit.hit(f"reset-ip:{ip}", 5).allowed:
        return
    brand = auth.branding_for_host(host)
    name = brand.display_name if brand else ""
    with system_session() as db:
        try:
            token = password_reset.request_reset(db, email, base_url=base_url, brand=name)
        except (OSError, smtplib.SMTPException):
            log.exception("could not send the password-reset email")
            return
    if token:
        audit.record("password.reset_requested", actor_email=email.strip().lower(), ip=ip)


def complete_reset(token: str, password: str, *, ip: str | None) -> str | None:
    """Set the new password; returns an error code for the page, or None on success."""
    with system_session() as db:
        try:
            user_id = password_reset.complete_reset(db, token, password)
        except WeakPassword:
            return "password"
        except InvalidInput:
            return "expired"
    audit.record("password.reset", agency_id=_agency_of(user_id), actor_user_id=user_id, ip=ip)
    return None


def agency_name(agency_id: uuid.UUID | None) -> str:
    if agency_id is None:
        return ""
    with system_session() as db:
        agency = db.get(Agency, agency_id)
    return agency.display_name if agency else ""
