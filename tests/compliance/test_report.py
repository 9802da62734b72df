"""The compliance report shows live evidence, and exports as CSV and PDF."""

from __future__ import annotations

from datetime import timedelta

from flowyard import clock
from flowyard.compliance import report
from flowyard.db import agency_session, system_session
from flowyard.security import api_keys, audit, mfa
from flowyard.security.models import ApiKey
from support.security_world import World


def test_report_reflects_mfa_keys_chain_and_failed_logins(world: World) -> None:
    with system_session() as db:
        enrolment = mfa.begin(db, world.users["agency_owner"], "owner", "Alpha")
        import pyotp

        assert mfa.confirm(db, world.users["agency_owner"], pyotp.TOTP(enrolment.secret).now())
    with agency_session(world.agency_a) as db:
        issued = api_keys.create_key(db, agency_id=world.agency_a, tenant_id=None, name="Old",
                                     scopes=["read"])  # fmt: skip
        api_keys.rotate_key(db, db.get(ApiKey, issued.key.id))
    for _ in range(3):
        audit.record("login.failure", agency_id=world.agency_a, outcome="failed")
    audit.record("login.failure", agency_id=world.agency_b, outcome="failed")
    with clock.frozen(clock.now() + timedelta(days=1)):
        controls = {c.name: c for c in report.build_report(world.agency_a)}
    assert "1 of 7 people enrolled" in controls["Two-step sign-in (MFA)"].evidence
    assert controls["API key rotation"].status == "Pass"
    assert controls["Audit trail integrity"].status == "Pass"
    assert controls["Failed sign-ins (30 days)"].evidence == "3 failed sign-in attempts"
    assert "days old" in controls["Encryption key age"].evidence or "unknown" in controls[
        "Encryption key age"].evidence  # fmt: skip
    rows = report.to_csv(list(controls.values())).splitlines()
    assert rows[0] == "Control,Status,Evidence" and len(rows) == 1 + len(controls)
    pdf = report.to_pdf(list(controls.values()), agency_name="Alpha Agency", generated=clock.now())
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
