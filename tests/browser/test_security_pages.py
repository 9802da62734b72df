"""Two-step sign-in in a real browser: enrol on /security with the QR page, then sign in."""

from __future__ import annotations

import re
import time
import uuid

import pyotp
import pytest
from playwright.sync_api import expect

from flowyard.security.passwords import hash_password

pytestmark = pytest.mark.browser
PASSWORD = "quiet-harbour-lantern"


def _person(sql) -> str:  # type: ignore[no-untyped-def]
    """A fresh viewer of Rosa's Bakery (so other browser tests' people stay MFA-free)."""
    email = f"mfa-{uuid.uuid4().hex[:8]}@rosas-bakery.test"
    user_id, tenant = uuid.uuid4(), sql("SELECT id, agency_id FROM tenant WHERE slug = %s",
                                        "rosas-bakery")[0]  # fmt: skip
    sql(
        "INSERT INTO app_user (id, email, full_name, password_hash, is_active, created_at) "
        "VALUES (%s, %s, 'Mia Factor', %s, true, now())",
        user_id,
        email,
        hash_password(PASSWORD),
    )
    sql(
        "INSERT INTO membership (id, user_id, agency_id, tenant_id, role, created_at) "
        "VALUES (%s, %s, %s, %s, 'viewer', now())",
        uuid.uuid4(),
        user_id,
        tenant[1],
        tenant[0],
    )
    return email


def test_enrol_in_two_step_sign_in_then_sign_in_with_a_code(new_page, sign_in, sql) -> None:  # type: ignore[no-untyped-def]
    email = _person(sql)
    page = new_page()
    sign_in(page, email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/t/rosas-bakery/?$"))
    page.goto("/security")
    expect(page.locator("#mfa-status")).to_contain_text("Off")
    page.locator("#mfa-start").click()
    secret = page.locator("#mfa-secret").inner_text().strip()
    expect(page.get_by_alt_text("QR code to scan")).to_be_visible()
    page.locator("#mfa-code").fill("123456" if pyotp.TOTP(secret).now() != "123456" else "654321")
    page.locator("#mfa-confirm").click()
    expect(page.get_by_text("That code didn't match")).to_be_visible()
    page.locator("#mfa-code").fill(pyotp.TOTP(secret).now())
    page.locator("#mfa-confirm").click()
    expect(page.locator("#recovery-codes")).to_be_visible()
    assert page.locator("#recovery-codes code").count() == 10
    expect(page.locator("#mfa-status")).to_contain_text("On")
    assert sql(
        "SELECT count(*) FROM mfa_enrolment m JOIN app_user u ON u.id = m.user_id "
        "WHERE u.email = %s AND m.confirmed_at IS NOT NULL",
        email,
    ) == [(1,)]

    fresh = new_page()
    sign_in(fresh, email, PASSWORD)
    expect(fresh).to_have_url(re.compile(r"/login/mfa/?$"))
    fresh.locator("#mfa-code").fill("000000")
    fresh.locator("#mfa-submit").click()
    expect(fresh.locator("#mfa-error")).to_contain_text("didn't work")
    fresh.locator("#mfa-code").fill(pyotp.TOTP(secret).at(time.time() + 30))  # next step
    fresh.locator("#mfa-submit").click()
    expect(fresh).to_have_url(re.compile(r"/t/rosas-bakery/?$"))
    expect(fresh.locator("#signed-in-user")).to_have_text("Mia Factor")
    actions = [
        row[0]
        for row in sql("SELECT action FROM audit_event WHERE actor_email = %s ORDER BY seq", email)
    ]
    assert actions[-3:] == ["mfa.enabled", "login.mfa_failure", "login.success"]


def test_wrong_password_lock_out_message_in_the_browser(new_page, sign_in, sql) -> None:  # type: ignore[no-untyped-def]
    email = _person(sql)
    page = new_page()
    for _ in range(6):
        sign_in(page, email, "not-the-password-1")
    expect(page.locator("#login-error")).to_contain_text("Too many sign-in attempts")
