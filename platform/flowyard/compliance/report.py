"""The compliance report: each control with live evidence from the database and keyring."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from flowyard import clock
from flowyard.db import agency_session
from flowyard.security import audit, mfa_policy
from flowyard.security.keys import load_keyring
from flowyard.security.models import ApiKey, AuditEvent, MfaEnrolment
from flowyard.settings import get_settings
from tenants.models import Membership

KEY_AGE_WARNING_DAYS = 180
ENCRYPTION_KEY_WARNING_DAYS = 365


@dataclass(frozen=True)
class Control:
    """One line of the report: the control, its status (colour *and* word) and the evidence."""

    name: str
    status: str  # "Pass", "Attention", "Fail"
    evidence: str


def _age_days(then: datetime | None, now: datetime) -> int | None:
    return (now - then).days if then else None


def build_report(agency_id: uuid.UUID) -> list[Control]:
    now = clock.now()
    with agency_session(agency_id) as db:
        return [
            _mfa_coverage(db, agency_id),
            *_api_keys(db, now),
            _audit_chain(),
            _encryption_key(now),
            _failed_logins(db, agency_id, now),
        ]


def _mfa_coverage(db: Session, agency_id: uuid.UUID) -> Control:
    people = set(db.exec(select(Membership.user_id)).all())
    enrolled = set(db.exec(select(MfaEnrolment.user_id).where(
        col(MfaEnrolment.user_id).in_(people), col(MfaEnrolment.confirmed_at).is_not(None)
    )).all()) if people else set()  # fmt: skip
    required = mfa_policy.policy_for(db, agency_id).require_mfa
    db.rollback()  # policy_for may have added a default row; the report changes nothing
    covered = mfa_policy.covered_users(db, agency_id)
    missing = len(covered - enrolled) if required else 0
    pct = round(100 * len(enrolled) / len(people)) if people else 100
    status = "Pass" if (required and not missing) else "Attention"
    evidence = (
        f"{len(enrolled)} of {len(people)} people enrolled ({pct}%); required by policy: "
        f"{'yes' if required else 'no'}"
    )
    if missing:
        evidence += f"; {missing} covered people not enrolled yet"
    return Control("Two-step sign-in (MFA)", status, evidence)


def _api_keys(db: Session, now: datetime) -> list[Control]:
    keys = db.exec(select(ApiKey).where(col(ApiKey.revoked_at).is_(None))).all()
    live = [k for k in keys if not k.expires_at or k.expires_at > now]
    ages = [_age_days(k.created_at, now) or 0 for k in live]
    oldest = max(ages, default=0)
    rotated = [k.created_at for k in keys if k.rotated_from_id]
    last_rotation = max(rotated).date().isoformat() if rotated else "never"
    no_expiry = sum(1 for k in live if k.expires_at is None)
    return [
        Control("API key age", "Pass" if oldest <= KEY_AGE_WARNING_DAYS else "Attention",
                f"{len(live)} active keys; oldest {oldest} days; {no_expiry} without expiry"),
        Control("API key rotation", "Pass" if rotated or not live else "Attention",
                f"Last rotation: {last_rotation}"),
    ]  # fmt: skip


def _audit_chain() -> Control:
    report = audit.verify()
    if report.ok:
        return Control("Audit trail integrity", "Pass",
                       f"Hash chain intact over {report.checked} events")  # fmt: skip
    return Control("Audit trail integrity", "Fail",
                   f"{len(report.problems)} problems: {report.problems[0]}")  # fmt: skip


def _encryption_key(now: datetime) -> Control:
    ring = load_keyring(get_settings(), create=False)
    created = ring.created_at.get(ring.primary_kid, "")
    try:
        age = (now - datetime.fromisoformat(created)).days
    except ValueError:
        note = f"Key {ring.primary_kid} (from FLOWYARD_SECRET_KEYS; creation date unknown)"
        return Control("Encryption key age", "Attention", note)
    status = "Pass" if age <= ENCRYPTION_KEY_WARNING_DAYS else "Attention"
    return Control("Encryption key age", status, f"Primary key {ring.primary_kid}, {age} days old")


def _failed_logins(db: Session, agency_id: uuid.UUID, now: datetime) -> Control:
    since = now - timedelta(days=30)
    failed = db.exec(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.agency_id == agency_id, AuditEvent.action == "login.failure",
        col(AuditEvent.occurred_at) >= since)).one()  # fmt: skip
    return Control("Failed sign-ins (30 days)", "Pass" if failed < 100 else "Attention",
                   f"{failed} failed sign-in attempts")  # fmt: skip


def to_csv(controls: list[Control]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Control", "Status", "Evidence"])
    for c in controls:
        writer.writerow([c.name, c.status, c.evidence])
    return out.getvalue()


def to_pdf(controls: list[Control], *, agency_name: str, generated: datetime) -> bytes:
    """A one-page PDF of the report (fpdf2; core fonts, so text is Latin-1)."""
    from fpdf import FPDF

    def latin(text: str) -> str:
        return text.encode("latin-1", "replace").decode("latin-1")

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, latin(f"Security and compliance report: {agency_name}"),
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 8, f"Generated {generated:%Y-%m-%d %H:%M} UTC", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for c in controls:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 7, latin(f"{c.name}: {c.status}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 6, latin(c.evidence), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())
