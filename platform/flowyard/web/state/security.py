"""``/security``: the person's own two-step sign-in and sessions; the agency's security policy.

MFA and session handlers act only on the signed-in person (``@signed_in``); the policy needs
``agency.security.manage`` (checked against the database before the handler runs).
"""

from __future__ import annotations

import uuid

import reflex as rx
from sqlmodel import select

from flowyard.db import agency_session, system_session
from flowyard.security import audit, auth, mfa, mfa_pending, mfa_policy, sessions
from flowyard.security.guard import page_load, protected, signed_in
from flowyard.security.permissions import allowed
from flowyard.web.state.session import SessionState
from tenants.models import User


class SecurityState(SessionState):
    loaded: bool = False
    mfa_on: bool = False
    codes_left: int = 0
    enrolling: bool = False
    qr: str = ""
    manual_secret: str = ""
    code: str = ""
    mfa_error: str = ""
    recovery_codes: list[str] = []
    session_rows: list[dict[str, str]] = []
    can_manage_policy: bool = False
    require_mfa: bool = False
    origins_text: str = ""
    policy_error: str = ""

    @rx.event
    @page_load
    def load(self):  # type: ignore[no-untyped-def]
        self.enrolling, self.qr, self.manual_secret, self.code, self.mfa_error = (
            False,
            "",
            "",
            "",
            "",
        )
        access = self._begin()
        if access is None:
            return self._login_redirect()
        user_id = self._user_uuid()
        assert user_id is not None
        self.recovery_codes = mfa_pending.take_codes(user_id)
        self._refresh(user_id)
        agency = next((a for a in access if str(a.agency_id) == self._agency_id), None)
        self.can_manage_policy = bool(agency and allowed("agency.security.manage", agency.role))
        if self.can_manage_policy and agency:
            with agency_session(agency.agency_id) as db:
                policy = mfa_policy.policy_for(db, agency.agency_id)
                self.require_mfa = policy.require_mfa
                self.origins_text = "\n".join(policy.portal_origins)
                db.rollback()
        self.loaded = True
        return None

    def _refresh(self, user_id: uuid.UUID) -> None:
        token = auth.token_from_cookie_header(self.router.headers.cookie)
        current = sessions._digest(token) if token else ""
        with system_session() as db:
            self.mfa_on = mfa.is_enrolled(db, user_id)
            self.codes_left = mfa.recovery_codes_left(db, user_id)
            self.session_rows = [
                {
                    "id": str(s.id),
                    "where": s.user_agent or "Unknown browser",
                    "ip": s.ip or "",
                    "seen": f"{s.last_seen_at:%d %b %Y %H:%M}",
                    "current": "yes" if s.token_hash == current else "",
                }
                for s in sessions.active_sessions(db, user_id)
            ]

    # --- MFA ----------------------------------------------------------------------------
    @rx.event
    @signed_in
    def start_enrolment(self) -> None:
        user_id = self._user_uuid()
        assert user_id is not None
        with system_session() as db:
            try:
                enrolment = mfa.begin(
                    db, user_id, self.user_email, self.brand_name or "Automations"
                )
            except ValueError as already:
                self.mfa_error = str(already)
                return
        self.enrolling, self.qr, self.manual_secret = True, enrolment.qr_data_uri, enrolment.secret
        self.code, self.mfa_error, self.recovery_codes = "", "", []

    @rx.event
    @signed_in
    def set_code(self, value: str) -> None:
        self.code = value.strip()[:20]
        self.mfa_error = ""

    @rx.event
    @signed_in
    def confirm_enrolment(self):  # type: ignore[no-untyped-def]
        user_id = self._user_uuid()
        assert user_id is not None
        with system_session() as db:
            codes = mfa.confirm(db, user_id, self.code)
        if not codes:
            self.mfa_error = "That code didn't match. Type the 6 digits your app shows now."
            return
        audit.record(
            "mfa.enabled",
            agency_id=_uuid(self._agency_id),
            actor_user_id=user_id,
            actor_email=self.user_email,
            ip=self._ip(),
        )
        self.enrolling, self.qr, self.manual_secret, self.code = False, "", "", ""
        self.recovery_codes = codes
        self._refresh(user_id)
        yield rx.toast.success("Two-step sign-in is on.")

    @rx.event
    @signed_in
    def disable_mfa(self):  # type: ignore[no-untyped-def]
        user_id = self._user_uuid()
        assert user_id is not None
        with system_session() as db:
            if mfa_policy.mfa_required(db, user_id):
                self.mfa_error = "Your agency requires two-step sign-in, so it can't be turned off."
                return
            if mfa.verify(db, user_id, self.code) is None:
                self.mfa_error = "Type a current code (or a recovery code) to turn it off."
                return
            mfa.disable(db, user_id)
        audit.record(
            "mfa.disabled",
            agency_id=_uuid(self._agency_id),
            actor_user_id=user_id,
            actor_email=self.user_email,
            ip=self._ip(),
        )
        self.code = ""
        self._refresh(user_id)
        yield rx.toast.success("Two-step sign-in is off.")

    # --- sessions -----------------------------------------------------------------------
    @rx.event
    @signed_in
    def end_other_sessions(self):  # type: ignore[no-untyped-def]
        user_id = self._user_uuid()
        assert user_id is not None
        token = auth.token_from_cookie_header(self.router.headers.cookie)
        with system_session() as db:
            ended = sessions.end_other_sessions(db, user_id, token)
        audit.record(
            "session.others_ended",
            agency_id=_uuid(self._agency_id),
            actor_user_id=user_id,
            after={"ended": ended},
        )
        self._refresh(user_id)
        yield rx.toast.success(f"Signed out {ended} other session{'s' if ended != 1 else ''}.")

    # --- agency policy ------------------------------------------------------------------
    @rx.event
    @protected("agency.security.manage")
    def set_require_mfa(self, value: bool):  # type: ignore[no-untyped-def]
        agency_id = uuid.UUID(self._agency_id)
        user_id = self._user_uuid()
        if value and user_id is not None:
            with system_session() as db:
                if not mfa.is_enrolled(db, user_id):
                    self.policy_error = "Turn on two-step sign-in for yourself first."
                    return
        with agency_session(agency_id) as db:
            policy = mfa_policy.policy_for(db, agency_id)
            before = policy.require_mfa
            policy.require_mfa = bool(value)
            db.commit()
            ended = 0
            if value:
                covered = mfa_policy.covered_users(db, agency_id)
        if value:
            with system_session() as db:
                for person in covered:
                    if not mfa.is_enrolled(db, person):
                        ended += sessions.end_all_sessions(db, person)
        audit.record(
            "security.policy_changed",
            agency_id=agency_id,
            actor_user_id=user_id,
            before={"require_mfa": before},
            after={"require_mfa": bool(value)},
        )
        self.require_mfa, self.policy_error = bool(value), ""
        yield rx.toast.success(
            "Two-step sign-in is now required."
            + (f" {ended} sessions were signed out." if ended else "")
            if value
            else "Two-step sign-in is no longer required."
        )

    @rx.event
    @protected("agency.security.manage")
    def set_origins_text(self, value: str) -> None:
        self.origins_text = value[:4000]
        self.policy_error = ""

    @rx.event
    @protected("agency.security.manage")
    def save_origins(self):  # type: ignore[no-untyped-def]
        origins = [
            o.strip().rstrip("/").lower() for o in self.origins_text.splitlines() if o.strip()
        ]
        bad = [o for o in origins if not o.startswith("https://") or "/" in o[8:] or " " in o]
        if bad:
            self.policy_error = (
                f"{bad[0]} is not an origin. Use the form https://portal.example.com"
            )
            return
        agency_id = uuid.UUID(self._agency_id)
        with agency_session(agency_id) as db:
            policy = mfa_policy.policy_for(db, agency_id)
            before = list(policy.portal_origins)
            policy.portal_origins = origins
            db.commit()
        audit.record(
            "security.origins_changed",
            agency_id=agency_id,
            actor_user_id=self._user_uuid(),
            before={"origins": before},
            after={"origins": origins},
        )
        yield rx.toast.success("Allowed portal addresses saved.")

    def _ip(self) -> str | None:
        return getattr(self.router.session, "client_ip", None) or None


def _uuid(value: str) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


def user_exists(user_id: uuid.UUID) -> bool:
    with system_session() as db:
        return db.exec(select(User.id).where(User.id == user_id)).first() is not None
