"""Turning an identity the provider vouched for into a Flowyard session — audited.

No auto-provisioning: the email must belong to an active person with a membership in the
agency. SSO stands in for the second factor only when the agency ticked "SSO counts as
two-step sign-in"; otherwise someone with MFA on (or required) still enters a TOTP code.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowyard.db import system_session
from flowyard.security import audit, auth, mfa, mfa_pending, mfa_policy, sso
from flowyard.security.sso_flow import Identity, SsoFailure
from tenants.service import find_user


@dataclass(frozen=True)
class SsoOutcome:
    session_token: str | None = None
    pending_token: str | None = None
    next_path: str = "/"


def sign_in(identity: Identity, *, ip: str | None, user_agent: str | None) -> SsoOutcome:
    """A session (or the MFA step) for a member; :class:`SsoFailure` for anyone else."""
    config = sso.config_for_agency(identity.agency_id)
    with system_session() as db:
        user = find_user(db, identity.email)
        if user is None or not user.is_active or not sso.member_of(db, user.id, identity.agency_id):
            raise SsoFailure("sso_unknown", f"{identity.email} is not a member")
        enrolled = mfa.is_enrolled(db, user.id)
        required = mfa_policy.mfa_required(db, user.id)
    counts_as_mfa = bool(config and config.counts_as_mfa)
    details = {"method": "sso"}
    personal = {"subject": identity.subject[:120]}
    if (enrolled or required) and not counts_as_mfa:
        details["mfa"] = "pending"
        audit.record("login.sso.success", agency_id=identity.agency_id, actor_user_id=user.id,
                     actor_email=user.email, ip=ip, after=details, details=personal)  # fmt: skip
        token = mfa_pending.start(user.id, identity.next_path, must_enrol=not enrolled)
        return SsoOutcome(pending_token=token)
    session = auth.sign_in(user.id, ip=ip, user_agent=user_agent)
    audit.record("login.sso.success", agency_id=identity.agency_id, actor_user_id=user.id,
                 actor_email=user.email, ip=ip, after=details, details=personal)  # fmt: skip
    return SsoOutcome(session_token=session, next_path=identity.next_path)


def record_failure(failure: SsoFailure, *, slug: str, ip: str | None) -> None:
    """Audit a refused SSO sign-in (the detail stays in the audit log, not on the page)."""
    config = sso.config_for_slug(slug) if slug else None
    audit.record("login.sso.failure", agency_id=config.agency_id if config else None, ip=ip,
                 outcome="failed", after={"reason": failure.code},
                 details={"detail": failure.detail[:300]})  # fmt: skip


def refuse_password(email: str, *, ip: str | None) -> bool:
    """True (and audited) when the email must sign in through its agency's SSO instead."""
    agency_id = sso.password_login_refused(email)
    if agency_id is None:
        return False
    audit.record("login.failure", agency_id=agency_id, actor_email=email.strip().lower()[:254],
                 ip=ip, outcome="refused", after={"reason": "sso_required"})  # fmt: skip
    return True
