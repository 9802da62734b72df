"""Another client's ids in my client's URLs: the pages find nothing and show nothing.

The server must never load another tenant's rows into the page state, whichever id is put
in the address (workflows, runs) — and the other client's own URLs show the no-access page.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from flowyard.seed import DEMO_LOGINS, DEMO_PASSWORD
from support.services import REPO_ROOT

ROSA = DEMO_LOGINS[1].email
SECRET = "Northwind secret pricing run"
pytestmark = pytest.mark.browser

_MAKE_NORTHWIND_RUN = f"""
import json
from sqlmodel import select
from flowyard.db import system_session, tenant_session
from flowyard.engine import executions, versions
from tenants.models import Tenant
with system_session() as db:
    tenant = db.exec(select(Tenant).where(Tenant.slug == "northwind-cycles")).one()
doc = {{"name": "{SECRET}", "trigger": {{"kind": "manual"}}, "edges": [],
        "steps": [{{"kind": "action", "id": "note", "name": "Note", "action": "core.log_note",
                   "inputs": {{"message": "{SECRET}"}}}}]}}
with tenant_session(tenant.id) as db:
    workflow = versions.create_workflow(db, tenant.id, "{SECRET}", doc)
    versions.publish(db, workflow)
    run = executions.start_execution(db, workflow, {{"secret": "{SECRET}"}})
print(json.dumps({{"workflow": str(workflow.id), "run": str(run.id)}}))
"""


@pytest.fixture(scope="module")
def northwind_ids(app_env: dict[str, str]) -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, "-c", _MAKE_NORTHWIND_RUN], env=app_env, cwd=REPO_ROOT,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_other_clients_workflow_and_run_ids_show_nothing(new_page, sign_in, web_url, northwind_ids):
    page = new_page()
    sign_in(page, ROSA, DEMO_PASSWORD)
    page.goto(f"{web_url}/t/rosas-bakery/workflows/{northwind_ids['workflow']}")
    expect(page.get_by_text("We couldn't find that workflow")).to_be_visible(timeout=15_000)
    page.goto(f"{web_url}/t/rosas-bakery/runs/{northwind_ids['run']}")
    expect(page.get_by_text("We couldn't find that run")).to_be_visible(timeout=15_000)
    page.goto(f"{web_url}/t/rosas-bakery/runs")
    expect(page.get_by_role("heading").first).to_be_visible(timeout=15_000)
    page.goto(f"{web_url}/t/northwind-cycles/runs/{northwind_ids['run']}")
    expect(page.get_by_text("You don't have access to")).to_be_visible(timeout=15_000)
    page.wait_for_timeout(1000)
    assert SECRET not in page.content()
