"""Screenshots of every page at desktop and phone width, for people to look at.

Saved under ``test-artifacts/screens/`` (not committed). The test also checks what must hold at
375 px: no sideways scrolling, and the navigation folds into a Menu button that opens.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from flowyard.seed import DEMO_LOGINS, DEMO_PASSWORD

pytestmark = pytest.mark.browser

SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 812}}


def _save(page, name: str, size: str) -> None:  # type: ignore[no-untyped-def]
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let fonts and transitions settle
    page.screenshot(path=str(SCREENS / f"{name}-{size}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"], f"{name} scrolls sideways at {size} ({width}px)"


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_screenshot(new_page, sign_in, size: str) -> None:
    viewport = SIZES[size]
    anon = new_page(viewport)
    anon.goto("/login")
    expect(anon.locator("#sign-in")).to_be_visible()
    _save(anon, "login", size)
    sign_in(anon, "someone@example.com", "nope-nope-nope")
    expect(anon.locator("#login-error")).to_be_visible()
    _save(anon, "login-error", size)
    anon.goto("/invite/not-a-real-token")
    expect(anon.locator("#invite-invalid")).to_be_visible()
    _save(anon, "invite-invalid", size)

    owner = new_page(viewport)
    sign_in(owner, DEMO_LOGINS[0].email, DEMO_PASSWORD)
    expect(owner.locator(".client-card").first).to_be_visible()
    _save(owner, "home", size)
    owner.goto("/t/rosas-bakery")
    expect(owner.locator("#tenant-name")).to_be_visible()
    _save(owner, "tenant", size)
    owner.goto("/settings")
    expect(owner.locator("#invite-email")).to_be_visible()
    owner.locator("#invite-email").fill("screenshot.person@example.com")
    owner.locator("#send-invite").click()
    expect(owner.locator("#invite-link")).to_be_visible()
    link = owner.locator("#invite-link").inner_text().strip()
    _save(owner, "settings", size)
    if size == "phone":
        owner.locator("#menu-button").click()
        expect(owner.get_by_role("navigation", name="Main").last).to_be_visible()
        _save(owner, "menu-open", size)
        owner.keyboard.press("Escape")

    invitee = new_page(viewport)
    invitee.goto(link)
    expect(invitee.locator("#accept-invite")).to_be_visible()
    _save(invitee, "invite", size)

    rosa = new_page(viewport)
    sign_in(rosa, DEMO_LOGINS[1].email, DEMO_PASSWORD)
    expect(rosa.locator("#tenant-name")).to_be_visible()
    rosa.goto("/t/northwind-cycles")
    expect(rosa.locator("#no-access")).to_be_visible()
    _save(rosa, "no-access", size)
    rosa.goto("/settings")
    expect(rosa.locator("#invite-email")).to_be_visible()
    _save(rosa, "settings-tenant-admin", size)
