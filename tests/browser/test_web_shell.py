"""What people see in the web shell: sign-in, branding, switching clients, access, invitations."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from flowyard.seed import DEMO_LOGINS, DEMO_PASSWORD

pytestmark = pytest.mark.browser

OWNER, ROSA = DEMO_LOGINS[0].email, DEMO_LOGINS[1].email
DEMO_COLOUR = "#0f766e"
CUSTOM_DOMAIN = "automations.demo-agency.example"
MISMATCH = "That email and password don't match an account."


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def brand_bar_colour(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("#brand-bar").evaluate("e => getComputedStyle(e).borderBottomColor")


def test_owner_sees_both_clients_in_agency_branding_and_switches(page, sign_in) -> None:
    sign_in(page, OWNER, DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    cards = page.locator(".client-card")
    expect(cards.filter(has_text="Rosa's Bakery")).to_be_visible()
    expect(cards.filter(has_text="Northwind Cycles")).to_be_visible()
    expect(page.locator("#brand-name")).to_have_text("Demo Agency")
    assert brand_bar_colour(page) == rgb(DEMO_COLOUR)
    assert "Flowyard" not in page.locator("body").inner_text()

    page.locator("#tenant-switcher").click()
    page.get_by_role("menuitem", name="Northwind Cycles").click()
    expect(page).to_have_url(re.compile(r"/t/northwind-cycles$"))
    expect(page.locator("#tenant-name")).to_have_text("Northwind Cycles")
    expect(page.locator("#tenant-switcher")).to_contain_text("Northwind Cycles")
    expect(page.get_by_text("No workflows yet")).to_be_visible()


def test_changed_agency_colour_shows_after_navigation(page, sign_in, sql) -> None:
    new_colour = "#b91c1c"
    try:
        sign_in(page, OWNER, DEMO_PASSWORD)
        expect(page.locator("#brand-name")).to_have_text("Demo Agency")
        page.goto("/settings")
        colour = page.locator("#primary-color")
        expect(colour).to_have_value(DEMO_COLOUR)
        colour.fill(new_colour)
        page.locator("#save-branding").click()
        expect(page.get_by_text("Branding saved")).to_be_visible()
        page.goto("/")
        expect(page.locator(".client-card").first).to_be_visible()
        assert brand_bar_colour(page) == rgb(new_colour)
        page.reload()
        expect(page.locator(".client-card").first).to_be_visible()
        assert brand_bar_colour(page) == rgb(new_colour)
        assert sql("SELECT primary_color FROM agency") == [(new_colour,)]
    finally:
        sql("UPDATE agency SET primary_color = %s", DEMO_COLOUR)


def test_bad_branding_colour_is_explained_and_not_saved(page, sign_in, sql) -> None:
    sign_in(page, OWNER, DEMO_PASSWORD)
    page.goto("/settings")
    page.locator("#primary-color").fill("teal")
    page.locator("#save-branding").click()
    expect(page.locator("#error-primary_color")).to_have_text(
        "Pick a colour as a hex code such as #4f46e5."
    )
    assert sql("SELECT primary_color FROM agency") == [(DEMO_COLOUR,)]


def test_tenant_user_cannot_open_another_client(page, sign_in) -> None:
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(str(data))))
    sign_in(page, ROSA, DEMO_PASSWORD)
    # A tenant-only user landing on / goes straight to their client.
    expect(page).to_have_url(re.compile(r"/t/rosas-bakery$"))
    expect(page.locator("#tenant-name")).to_have_text("Rosa's Bakery")

    page.goto("/t/northwind-cycles")
    expect(page.locator("#no-access")).to_have_text("You don't have access to this client account")
    body = page.locator("body").inner_text()
    for secret in ("Northwind", "Europe/Dublin", "EUR", "en-IE"):
        assert secret not in body
    # Nothing about Northwind ever reached this browser, not even in page state.
    assert frames, "expected websocket traffic"
    # (The URL the user typed is echoed back in router data; Northwind's own data is not.)
    leaked = [
        s for s in ("Northwind Cycles", "Europe/Dublin", "en-IE", '"EUR"') if s in "".join(frames)
    ]
    assert leaked == []


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        (OWNER, "wrong-password-123", MISMATCH),
        ("nobody@demo-agency.test", DEMO_PASSWORD, MISMATCH),
        ("not-an-email", DEMO_PASSWORD, "Enter a valid email address."),
    ],
    ids=["wrong-password", "unknown-email", "malformed-email"],
)
def test_sign_in_mistakes_are_explained(page, sign_in, email, password, message) -> None:
    sign_in(page, email, password)
    expect(page.locator("#login-error")).to_have_text(message)
    expect(page).to_have_url(re.compile(r"/login/?\?"))
    assert not [c for c in page.context.cookies() if c["name"] == "fy_session"]


def test_duplicate_client_name_is_refused_and_nothing_is_created(page, sign_in, sql) -> None:
    before = sql("SELECT count(*) FROM tenant")[0][0]
    sign_in(page, OWNER, DEMO_PASSWORD)
    page.goto("/settings")
    page.locator("#client-name").fill("  rosa's BAKERY ")
    page.locator("#add-client").click()
    expect(page.locator("#error-name")).to_have_text(
        'You already have a client called "rosa\'s BAKERY".'
    )
    assert sql("SELECT count(*) FROM tenant")[0][0] == before


def test_add_client_then_open_it(page, sign_in, sql) -> None:
    name = f"Harbour Florist {uuid.uuid4().hex[:6]}"
    sign_in(page, OWNER, DEMO_PASSWORD)
    page.goto("/settings")
    page.locator("#client-name").fill(name)
    page.locator("#client-currency").select_option("EUR")
    page.locator("#client-timezone").fill("Europe/Paris")
    page.locator("#add-client").click()
    expect(page.locator("#client-added")).to_contain_text(f"{name} is ready.")
    assert sql("SELECT currency, timezone FROM tenant WHERE name = %s", name) == [
        ("EUR", "Europe/Paris")
    ]
    page.goto("/")
    expect(page.locator(".client-card").filter(has_text=name)).to_be_visible()


def test_invited_person_sets_password_and_sees_only_that_client(new_page, sign_in, sql) -> None:
    email = f"new.baker.{uuid.uuid4().hex[:6]}@example.com"
    admin = new_page()
    sign_in(admin, ROSA, DEMO_PASSWORD)
    expect(admin.locator("#tenant-name")).to_have_text("Rosa's Bakery")
    admin.goto("/settings")
    expect(admin.locator("#invite-tenant")).to_have_value("rosas-bakery")
    # Rosa is a tenant admin: she may invite, but not edit the agency's branding.
    expect(admin.locator("#save-branding")).to_have_count(0)
    admin.locator("#invite-email").fill(email)
    admin.locator("#invite-role").select_option("viewer")
    admin.locator("#send-invite").click()
    expect(admin.get_by_text(f"Send this link to {email}", exact=False)).to_be_visible()
    link = admin.locator("#invite-link").inner_text().strip()
    assert "/invite/" in link

    invitee = new_page()  # a fresh browser context: nobody signed in
    invitee.goto(link)
    expect(invitee.get_by_text("Join Rosa's Bakery")).to_be_visible()
    invitee.locator("#full-name").fill("Nia Newcomer")
    invitee.locator("#new-password").fill("short")
    invitee.locator("#confirm-password").fill("short")
    invitee.locator("#accept-invite").click()
    expect(invitee.locator("#error-password")).to_contain_text("at least 10 characters")
    invitee.locator("#new-password").fill("crumbly-croissant-42")
    invitee.locator("#confirm-password").fill("crumbly-croissant-42")
    invitee.locator("#accept-invite").click()
    expect(invitee).to_have_url(re.compile(r"/t/rosas-bakery$"))
    expect(invitee.locator("#tenant-name")).to_have_text("Rosa's Bakery")
    expect(invitee.locator("#signed-in-user")).to_have_text("Nia Newcomer")
    assert sql(
        "SELECT m.role FROM membership m JOIN app_user u ON u.id = m.user_id WHERE u.email = %s",
        email,
    ) == [("viewer",)]

    invitee.locator("#tenant-switcher").click()
    expect(invitee.get_by_role("menuitem")).to_have_count(1)
    invitee.keyboard.press("Escape")
    invitee.goto("/t/northwind-cycles")
    expect(invitee.locator("#no-access")).to_be_visible()
    invitee.goto("/")
    expect(invitee).to_have_url(re.compile(r"/t/rosas-bakery$"))

    again = new_page()  # the link works once
    again.goto(link)
    expect(again.locator("#invite-invalid")).to_be_visible()


def test_session_cookie_is_httponly_and_logout_revokes_it(new_page, sign_in) -> None:
    page = new_page()
    sign_in(page, OWNER, DEMO_PASSWORD)
    expect(page.locator(".client-card").first).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "fy_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("fy_session") == -1

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/?\?signed_out=1"))
    expect(page.get_by_text("You have signed out.")).to_be_visible()

    replay = new_page()  # someone who copied the old cookie gets nothing
    replay.context.add_cookies([cookie])
    replay.goto("/")
    expect(replay).to_have_url(re.compile(r"/login"))
    expect(replay.locator("#sign-in")).to_be_visible()
    expect(replay.locator(".client-card")).to_have_count(0)


def test_login_is_neutral_except_on_agency_domain(page, launch_browser, web_url, sql) -> None:
    page.goto("/login")
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#brand-name")).to_have_count(0)
    assert "Demo Agency" not in page.locator("body").inner_text()

    sql("UPDATE agency SET custom_domain = %s", CUSTOM_DOMAIN)
    try:
        mapped = launch_browser([f"--host-resolver-rules=MAP {CUSTOM_DOMAIN} 127.0.0.1"])
        context = mapped.new_context()
        branded = context.new_page()
        port = web_url.rsplit(":", 1)[1]
        branded.goto(f"http://{CUSTOM_DOMAIN}:{port}/login")
        expect(branded.locator("#brand-name")).to_have_text("Demo Agency")
        expect(branded.get_by_text("help@demo-agency.test")).to_be_visible()
        context.close()
    finally:
        sql("UPDATE agency SET custom_domain = NULL")
