"""The Webhooks page in a real browser: add an endpoint, send a test event, see it delivered.

The app runs with the session's web fixture; deliveries are made by a real Dramatiq worker
process on the app's database and Redis; the recording server (``http_target``) is on the
app's SSRF allow-list.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from flowyard.seed import DEMO_PASSWORD

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
ROSA = "rosa@rosas-bakery.test"
pytestmark = pytest.mark.browser


@pytest.fixture
def app_worker(app_env: dict[str, str], web_url: str) -> Iterator[None]:
    """A Dramatiq worker process on the app's database and Redis (as in production), with the
    app's SSRF allow-list (which names the recording server)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "flowyard.workers.actors", "--processes", "1",
         "--threads", "2", "--skip-logging", "--queues", "webhooks"],
        env=app_env, cwd=REPO_ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    yield
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


def test_add_endpoint_send_test_and_see_the_delivery(
    page, new_page, sign_in, http_target, app_worker, sql
) -> None:
    sign_in(page, ROSA, DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/t/rosas-bakery$"))
    page.get_by_role("link", name="Webhooks").first.click()
    expect(page).to_have_url(re.compile(r"/t/rosas-bakery/webhooks$"))
    expect(page.locator("#webhooks-title")).to_have_text("Webhooks")
    expect(page.get_by_text("No endpoints yet")).to_be_visible()

    page.locator("#sub-url").fill("http://10.0.0.1/hook")
    page.locator("#add-endpoint").click()
    expect(page.get_by_role("alert").filter(has_text="private")).to_be_visible()

    url = f"{http_target.url}/orders"
    page.locator("#sub-url").fill(url)
    page.locator("#sub-type").select_option("execution.failed")
    page.locator("#add-endpoint").click()
    expect(page.get_by_text("Signing secret — copy it now")).to_be_visible()
    expect(page.get_by_text(url)).to_be_visible()

    page.locator(".send-test").first.click()
    expect(page.get_by_text("Test event sent")).to_be_visible()
    for _ in range(40):
        if http_target.requests:
            break
        page.wait_for_timeout(250)
    assert http_target.requests, "the receiver got nothing"
    assert http_target.requests[0].headers["webhook-signature"].startswith("v1,")
    page.locator("#refresh-log").click()
    row = page.locator(".delivery-row").first
    expect(row).to_contain_text("webhook.test")
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("200")
    expect(page.locator(".sub-health").first).to_contain_text("100% delivered")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "webhooks-1280.png"), full_page=True)
    phone = new_page(viewport={"width": 375, "height": 812})
    sign_in(phone, ROSA, DEMO_PASSWORD)
    expect(phone).to_have_url(re.compile(r"/t/rosas-bakery$"))
    phone.goto("/t/rosas-bakery/webhooks")
    expect(phone.locator(".delivery-row").first).to_contain_text("Delivered")
    phone.screenshot(path=str(ARTIFACTS / "webhooks-375.png"), full_page=True)
    sql("DELETE FROM webhook_subscription")
