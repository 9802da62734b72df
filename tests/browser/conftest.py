"""One running web app per test session, on its own database and Redis number.

The app is started exactly as ``flowyard web`` does (``flowyard.web.server``), against a database
``flowyard_browser_<pid>`` (separate from the unit-test database, which other tests truncate)
that is migrated and seeded with the demo agency. Each test opens a fresh browser context and
signs in as the user it needs. Failed tests leave a screenshot under ``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from flowyard.web.server import start_web, stop_web, wait_until_ready
from support import services
from support.http_target import HttpTarget

# What a person sees can take a few seconds on a loaded 2-core CI machine (page state
# travels over the websocket): wait up to 20 s for it instead of Playwright's default 5 s.
EXPECT_TIMEOUT_MS = 20_000


def pytest_configure(config: pytest.Config) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BROWSER_REDIS_DB = 10
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def browser_database_url() -> Iterator[str]:
    """A migrated, seeded database that only the browser tests' app uses."""
    from flowyard.db import migrate

    admin = services.postgres_admin_url()
    name = f"flowyard_browser_{os.getpid()}"
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = services.with_database(admin, name)
    migrate.upgrade(url)
    # Seed in a child process so this process's cached settings/engine stay untouched.
    subprocess.run(
        [sys.executable, "-c", "from flowyard.seed import seed_demo; assert seed_demo()"],
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        cwd=REPO_ROOT,
    )
    yield url
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def http_target_server() -> Iterator[HttpTarget]:
    """A local HTTP server for the whole session, started before the app so that its
    address is on the app's SSRF allow-list."""
    with HttpTarget() as target:
        yield target


@pytest.fixture
def http_target(http_target_server: HttpTarget) -> HttpTarget:
    """The session's recording HTTP server, with nothing recorded yet for this test."""
    http_target_server.reset()
    return http_target_server


@pytest.fixture(scope="session")
def app_env(browser_database_url: str, http_target_server: HttpTarget) -> Iterator[dict[str, str]]:
    """The environment the app (and its workers) run with: own database and Redis number, its
    port and public URL, and the provider simulators (as in the demo) it is pointed at.

    ``FLOWYARD_BROWSER_REDIS_DB`` picks another Redis number when two people run the browser
    tests on one machine at the same time.
    """
    redis_db = int(os.environ.get("FLOWYARD_BROWSER_REDIS_DB", BROWSER_REDIS_DB))
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": browser_database_url,
        "REDIS_URL": services.with_redis_db(services.redis_url(), redis_db),
        "FLOWYARD_ENV": "test",
        "FLOWYARD_WEB_PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "FLOWYARD_HTTP_ALLOW": ",".join(
            filter(None, [os.environ.get("FLOWYARD_HTTP_ALLOW", ""), http_target_server.address])
        ),
    }
    sandboxes = _start_sandboxes(f"http://127.0.0.1:{port}/oauth/callback", env)
    yield env
    sandboxes.stop()


def _start_sandboxes(redirect_uri: str, env: dict[str, str]):  # type: ignore[no-untyped-def]
    """The provider simulators (Xero, HubSpot, Asana) for this app, as in the demo: the app's
    env points at them and its SSRF allow-list names their ports (added to any already set)."""
    from flowyard.integrations import sandboxes as hosting

    host = hosting.SandboxHost().start(
        [k for k in ("xero", "hubspot", "asana") if k in hosting.available()],
        redirect_uris=[redirect_uri],
    )
    extra = host.env()
    allow = ",".join(
        filter(None, [env.get("FLOWYARD_HTTP_ALLOW", ""), extra.pop("FLOWYARD_HTTP_ALLOW")])
    )
    env.update(extra, FLOWYARD_HTTP_ALLOW=allow)
    return host


@pytest.fixture(scope="session")
def web_url(app_env: dict[str, str]) -> Iterator[str]:
    """Base URL of the running app (``reflex run --env prod`` on a free port)."""
    import redis as redis_lib

    redis_url = app_env["REDIS_URL"]
    redis_lib.Redis.from_url(redis_url).flushdb()
    port = int(app_env["FLOWYARD_WEB_PORT"])
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "web-browser-tests.log"
    env = dict(app_env)
    with log_path.open("w") as log:
        started = time.monotonic()
        process = start_web(port, env, cwd=REPO_ROOT, log=log)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(base, timeout=600, process=process)
        except Exception:
            stop_web(process)
            print(f"\nWeb app log: {log_path}")
            raise
        took = time.monotonic() - started
        print(f"\nWeb app ready on {base} after {took:.1f} s (log {log_path})")
        yield base
        stop_web(process)
    redis_lib.Redis.from_url(redis_url).flushdb()


@pytest.fixture(scope="session")
def app_workers(app_env: dict[str, str], web_url: str) -> Iterator[None]:
    """The worker pool and the scheduler, as ``flowyard up`` runs them, on the app's services.

    Only tests that ask for it start it (runs started from the UI need it); it is started once
    per session and stopped at the end. Logs go to ``test-artifacts/``.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    processes = []
    for name, args in (
        ("worker", ["worker", "--processes", "1", "--threads", "4"]),
        ("scheduler", ["scheduler"]),
    ):
        log = (ARTIFACTS / f"browser-{name}.log").open("w")
        processes.append((subprocess.Popen(
            [sys.executable, "-m", "flowyard", *args], env=app_env, cwd=REPO_ROOT,
            start_new_session=True, stdout=log, stderr=subprocess.STDOUT,
        ), log))  # fmt: skip
    yield
    for process, _log in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process, log in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance) -> Iterator[object]:  # type: ignore[no-untyped-def]
    instance = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield instance
    instance.close()


@pytest.fixture
def launch_browser(playwright_instance) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """Start an extra Chromium with more flags (e.g. a host map): ``launch_browser([...])``."""
    launched = []

    def launch(extra_args: list[str]) -> object:
        instance = playwright_instance.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args]
        )
        launched.append(instance)
        return instance

    yield launch
    for instance in launched:
        instance.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _shot_on_failure(request: pytest.FixtureRequest, page: object, index: int) -> None:
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{index}.png"
        try:
            page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
            print(f"\nScreenshot of the failure: {path}")
        except Exception as error:  # the page may be gone; the test failure matters more
            print(f"\nCould not save a screenshot: {error}")


@pytest.fixture
def new_page(browser: object, web_url: str, request: pytest.FixtureRequest) -> Iterator[object]:
    """Open pages in fresh browser contexts: ``new_page()`` or ``new_page(viewport=PHONE)``."""
    contexts = []
    pages = []

    def open_page(viewport: dict[str, int] = DESKTOP) -> object:
        context = browser.new_context(viewport=viewport, base_url=web_url)  # type: ignore[attr-defined]
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page

    yield open_page
    for index, page in enumerate(pages):
        _shot_on_failure(request, page, index)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> object:  # type: ignore[no-untyped-def]
    return new_page()


def _sign_in(page: object, email: str, password: str) -> None:
    page.goto("/login")  # type: ignore[attr-defined]
    page.locator("#email").fill(email)  # type: ignore[attr-defined]
    page.locator("#password").fill(password)  # type: ignore[attr-defined]
    page.locator("#sign-in").click()  # type: ignore[attr-defined]


@pytest.fixture
def sign_in():  # type: ignore[no-untyped-def]
    """Sign in through the login form, as a person would: ``sign_in(page, email, password)``."""
    return _sign_in


@pytest.fixture
def sql(browser_database_url: str):  # type: ignore[no-untyped-def]
    """Run a query on the app's database (to check what was or wasn't written)."""

    def run(query: str, *params: object) -> list[tuple]:
        with psycopg.connect(_libpq(browser_database_url), autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    return run
