"""The Integrations page in a real browser: connect Xero (sandbox) and see it healthy.

The session's app runs with the provider simulators (see ``_start_sandboxes`` in this folder's
conftest); Connect goes through our ``/oauth/start`` route to the Xero simulator's consent
(which approves at once) and back through ``/oauth/callback`` to the page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from flowyard.seed import DEMO_PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ROSA = "rosa@rosas-bakery.test"
PHONE = {"width": 375, "height": 812}
pytestmark = pytest.mark.browser


def test_connect_xero_sandbox_and_see_it_healthy(new_page, sign_in, sql):
    page = new_page()
    sign_in(page, ROSA, DEMO_PASSWORD)
    page.wait_for_url("**/t/rosas-bakery")
    page.get_by_role("link", name="Integrations").first.click()
    page.wait_for_url("**/t/rosas-bakery/integrations")
    expect(page.get_by_text("No connected apps yet")).to_be_visible()
    page.get_by_placeholder("Search apps").fill("xero")
    expect(page.locator("#connect-hubspot")).to_have_count(0)
    page.locator("#connect-xero").click()

    page.wait_for_url("**/t/rosas-bakery/integrations?connected=xero")
    expect(page.get_by_text("Xero is connected. Workflows can use it now.")).to_be_visible()
    card = page.locator(".connection-card[data-connector='xero']")
    expect(card).to_contain_text("Xero (sandbox)")
    expect(card).to_contain_text("Demo Company (Global)")
    expect(card.locator(".connection-status")).to_have_text("Healthy")
    rows = sql("SELECT status, secret FROM connection")
    assert len(rows) == 1 and rows[0][0] == "active" and rows[0][1].startswith("v1:")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "integrations-1280.png"), full_page=True)
    phone = new_page(viewport=PHONE)
    sign_in(phone, ROSA, DEMO_PASSWORD)
    phone.wait_for_url("**/t/rosas-bakery")
    phone.goto("/t/rosas-bakery/integrations")
    expect(phone.locator(".connection-card[data-connector='xero']")).to_contain_text("Healthy")
    phone.screenshot(path=str(ARTIFACTS / "integrations-375.png"), full_page=True)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width}px)"
