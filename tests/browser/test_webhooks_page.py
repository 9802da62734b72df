"""The Webhooks page in a real browser: add an endpoint, send a test event, see it delivered.

The app runs with the session's web fixture; deliveries are made by a real Dramatiq worker
process on the app's database and Redis. The receiver's exact address is allow-listed for
the SSRF guard before the app starts (the web fixture copies ``os.environ``).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from flowyard.seed import DEMO_PASSWORD
from support import services

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
ROSA = "rosa@rosas-bakery.test"
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


RECEIVER_PORT = _free_port()
_allow = os.environ.get("FLOWYARD_HTTP_ALLOW", "")
os.environ["FLOWYARD_HTTP_ALLOW"] = ",".join(filter(None, [_allow, f"127.0.0.1:{RECEIVER_PORT}"]))


@pytest.fixture
def receiver() -> Iterator[list[dict]]:
    got: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            got.append({"headers": dict(self.headers.items()), "body": self.rfile.read(length)})
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", RECEIVER_PORT), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield got
    server.shutdown()
    server.server_close()


@pytest.fixture
def app_worker(browser_database_url: str, web_url: str) -> Iterator[None]:
    """A Dramatiq worker process on the app's database and Redis (as in production)."""
    env = {
        **os.environ,
        "DATABASE_URL": browser_database_url,
        "REDIS_URL": services.with_redis_db(services.redis_url(), 10),
        "FLOWYARD_ENV": "test",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "flowyard.workers.actors", "--processes", "1",
         "--threads", "2", "--skip-logging", "--queues", "webhooks"],
        env=env, cwd=REPO_ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    yield
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


def test_add_endpoint_send_test_and_see_the_delivery(
    page, new_page, sign_in, receiver, app_worker, sql
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

    url = f"http://127.0.0.1:{RECEIVER_PORT}/orders"
    page.locator("#sub-url").fill(url)
    page.locator("#sub-type").select_option("execution.failed")
    page.locator("#add-endpoint").click()
    expect(page.get_by_text("Signing secret — copy it now")).to_be_visible()
    expect(page.get_by_text(url)).to_be_visible()

    page.locator(".send-test").first.click()
    expect(page.get_by_text("Test event sent")).to_be_visible()
    for _ in range(40):
        if receiver:
            break
        page.wait_for_timeout(250)
    assert receiver, "the receiver got nothing"
    assert receiver[0]["headers"]["webhook-signature"].startswith("v1,")
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
