"""The builder in a real browser: build, publish and run a branching workflow on the canvas.

"Trigger -> condition -> two branches -> HTTP request to a local test server", made with real
mouse and keyboard input: steps are dragged from the action library onto the canvas, joined
by dragging from branch handles, configured in the side panel (generated forms, the value
picker, the condition builder), published, run with Run now, and followed in the run view.
A real worker pool (``app_workers``) runs it; the recording server (``http_target``) is on
the app's SSRF allow-list.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from flowyard.seed import DEMO_PASSWORD

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
ROSA = "rosa@rosas-bakery.test"
pytestmark = pytest.mark.browser


# --- canvas gestures -----------------------------------------------------------------------
def drop_from_library(page: Page, key: str, x: float, y: float) -> None:
    """Drag a library item onto the canvas at (x, y) relative to the canvas's top left."""
    page.locator(f'[data-step-key="{key}"]').drag_to(
        page.locator("#canvas .react-flow__pane"), target_position={"x": x, "y": y}
    )


def connect(page: Page, source: str, handle: str, target: str) -> None:
    """Press on a step's branch handle, move to another step's input, release."""
    start = page.locator(
        f'.react-flow__handle[data-nodeid="{source}"][data-handleid="{handle}"]'
    ).bounding_box()
    end = page.locator(f'.react-flow__handle[data-nodeid="{target}"][data-handleid="in"]'
                       ).bounding_box()  # fmt: skip
    assert start and end, f"handles {source}:{handle} -> {target} not on screen"
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.up()


def select_node(page: Page, step_id: str) -> None:
    """Click a step and wait until the side panel shows it (typing sooner would go to the
    form of the step selected before)."""
    page.locator(f'.react-flow__node[data-id="{step_id}"]').click()
    expect(page.locator("#side-panel")).to_have_attribute("data-selected", step_id)


def field(page: Page, path: str) -> object:
    return page.locator(f'#side-panel [data-field="{path}"]')


def type_into(target: object, text: str) -> None:
    """Type into a field and leave it (fields send their value when left)."""
    target.fill(text)  # type: ignore[attr-defined]
    target.press("Tab")  # type: ignore[attr-defined]


def wait_saved(page: Page) -> None:
    expect(page.locator("#save-state")).to_have_text("Saved", timeout=10_000)


def build_order_router(page: Page, target: str) -> None:
    """On an open, empty builder: trigger -> condition -> (Yes | No) -> HTTP requests."""
    expect(page.locator('.react-flow__node[data-id="trigger"]')).to_be_visible()
    page.locator("#library-search").fill("condition")
    drop_from_library(page, "condition", 240, 180)
    expect(page.locator('.react-flow__node[data-id="condition"]')).to_be_visible()
    page.locator("#library-search").fill("http")
    drop_from_library(page, "http.request", 120, 340)
    drop_from_library(page, "http.request", 360, 340)
    big, small = "send_an_http_request", "send_an_http_request_2"
    expect(page.locator(f'.react-flow__node[data-id="{small}"]')).to_be_visible()
    wait_saved(page)

    connect(page, "condition", "true", big)
    expect(page.locator(f'.react-flow__edge[data-id="condition->{big}:true"]')).to_have_count(1)
    connect(page, "condition", "false", small)
    expect(page.locator(f'.react-flow__edge[data-id="condition->{small}:false"]')).to_have_count(1)

    # The trigger: sample data whose fields the pickers offer.
    select_node(page, "trigger")
    type_into(page.locator("#sample-payload"), json.dumps({"number": 1042, "total": 250}))

    # The condition: total is more than 100, built from rows (not typed JSON).
    select_node(page, "condition")
    type_into(page.locator("#step-name"), "Big order?")
    page.locator(".rule-field-picker").first.select_option("trigger.total")
    expect(page.locator(".rule-field input").first).to_have_value("trigger.total")
    page.locator(".rule-op").first.select_option(">")
    type_into(page.locator(".rule-value input").first, "100")
    expect(page.locator("#rule-json")).to_have_value(re.compile(r'"trigger\.total"'))

    for step_id, path, size in ((big, "/big", "big"), (small, "/small", "small")):
        select_node(page, step_id)
        type_into(field(page, "url"), f"{target}{path}")
        expect(field(page, "url")).to_have_value(f"{target}{path}")
        field(page, "method").select_option("POST")
        page.locator('#side-panel [data-add-pair="headers"]').click()
        type_into(page.locator('#side-panel [data-pair-key="headers"]').first, "X-Order")
        type_into(page.locator('#side-panel [data-pair-value="headers"]').first, "Order ")
        page.locator("#side-panel .form-field").filter(has_text="Headers").locator(
            "select").first.select_option("trigger.number")  # fmt: skip
        type_into(field(page, "json_body"), json.dumps({"size": size}))
    wait_saved(page)
    for step_id, path in ((big, "/big"), (small, "/small")):  # the draft holds what was typed
        select_node(page, step_id)
        expect(field(page, "url")).to_have_value(f"{target}{path}")
        expect(page.locator('#side-panel [data-pair-key="headers"]').first).to_have_value("X-Order")
        expect(page.locator('#side-panel [data-pair-value="headers"]').first).to_have_value(
            "Order {{trigger.number}}"
        )


def test_build_publish_and_run_a_branching_workflow(
    page, new_page, sign_in, http_target, app_workers, sql
) -> None:
    sign_in(page, ROSA, DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/t/rosas-bakery$"))
    page.get_by_role("link", name="Workflows").first.click()
    expect(page.locator("#workflows-title")).to_have_text("Workflows")
    page.locator("#new-workflow-name").fill("Order router")
    page.locator("#create-workflow").click()
    expect(page).to_have_url(re.compile(r"/t/rosas-bakery/workflows/[0-9a-f-]{36}$"))
    expect(page.locator("#builder-title")).to_have_text("Order router")

    build_order_router(page, http_target.url)
    expect(page.locator(".fy-node-problems")).to_have_count(0)

    page.locator("#publish").click()
    expect(page.get_by_text("Published version 1")).to_be_visible()
    expect(page.locator("#builder-status")).to_have_text("Published")

    page.locator("#run-now").click()
    expect(page.locator("#run-payload")).to_have_value(re.compile("1042"))
    page.locator("#start-run").click()
    expect(page).to_have_url(re.compile(r"/t/rosas-bakery/runs/[0-9a-f-]{36}$"))
    expect(page.locator("#run-status")).to_have_text("Succeeded", timeout=20_000)
    big_card = page.locator('.step-card[data-step="send_an_http_request"]')
    expect(big_card.locator(".step-status")).to_have_text("Succeeded")
    expect(page.locator('.step-card[data-step="send_an_http_request_2"] .step-status')
           ).to_have_text("Skipped")  # fmt: skip
    expect(page.locator('.step-card[data-step="condition"]')).to_contain_text("Went: true")

    assert [r.path for r in http_target.requests] == ["/big"]
    assert http_target.requests[0].headers["X-Order"] == "Order 1042"
    assert http_target.requests[0].json() == {"size": "big"}
    big_card.get_by_text("What it produced").click()
    expect(big_card).to_contain_text('"ok": true')

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "run-detail-1280.png"), full_page=True)
    phone = new_page(viewport={"width": 375, "height": 812})
    sign_in(phone, ROSA, DEMO_PASSWORD)
    expect(phone).to_have_url(re.compile(r"/t/rosas-bakery$"))
    phone.goto("/t/rosas-bakery/runs")
    expect(phone.locator(".run-row").first).to_contain_text("Succeeded", timeout=30_000)
    phone.screenshot(path=str(ARTIFACTS / "runs-375.png"), full_page=True)
    phone.locator(".run-row").first.click()
    expect(phone.locator("#run-status")).to_have_text("Succeeded", timeout=30_000)
    phone.screenshot(path=str(ARTIFACTS / "run-detail-375.png"), full_page=True)
    phone.goto("/t/rosas-bakery/workflows")
    expect(phone.locator(".workflow-row").first).to_contain_text("Published")
    phone.screenshot(path=str(ARTIFACTS / "workflows-375.png"), full_page=True)
    sql("DELETE FROM workflow WHERE name = 'Order router'")
