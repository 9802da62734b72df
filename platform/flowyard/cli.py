"""The ``flowyard`` command: start everything, or one process at a time.

``flowyard up`` is what ``make run`` calls: it starts the embedded PostgreSQL and Redis when no
URLs are given, migrates, seeds the demo agency, then runs the worker pool, the scheduler and
the web app until Ctrl-C.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from flowyard.settings import REPO_ROOT, get_settings

if TYPE_CHECKING:
    from flowyard.services.supervisor import Supervisor

app = typer.Typer(
    name="flowyard",
    help="Flowyard: business automation for agencies and their clients.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def say(message: str) -> None:
    typer.echo(message, err=True)


def _setup_process(component: str) -> None:
    from flowyard.monitoring.logs import configure_logging
    from flowyard.monitoring.sentry import init_sentry

    settings = get_settings()
    configure_logging(json_lines=settings.is_production, component=component)
    init_sentry(settings, component)


def _python(*args: str) -> list[str]:
    return [sys.executable, "-m", "flowyard", *args]


@app.command()
def up(
    web_port: Annotated[int | None, typer.Option(help="Port for the web app.")] = None,
    seed: Annotated[bool, typer.Option(help="Seed the demo agency into an empty database.")] = True,
) -> None:
    """Start PostgreSQL and Redis (embedded unless URLs are given), migrate, seed, and run all."""
    from flowyard.db import migrate as migrations
    from flowyard.security.keys import load_keyring
    from flowyard.services.ports import port_is_open
    from flowyard.services.runtime import resolve_services
    from flowyard.services.supervisor import Supervisor
    from flowyard.web import server

    started = time.monotonic()
    _stop_on_signals()
    settings = get_settings()
    port = web_port or settings.web_port
    if port_is_open("127.0.0.1", port):
        raise UserError(
            f"Port {port} is already in use; stop the other program or set FLOWYARD_WEB_PORT."
        )
    load_keyring(settings)
    services = resolve_services(settings, say)
    os.environ.update({"DATABASE_URL": services.database_url, "REDIS_URL": services.redis_url})
    get_settings.cache_clear()
    supervisor = Supervisor()
    try:
        say("Migrating the database…")
        migrations.upgrade(services.database_url)
        if seed:
            _seed_demo(announce=True)
        env = services.env()
        _start_sandboxes(supervisor, env, connect_demo=seed)
        supervisor.start("worker", _python("worker"), env=env, cwd=REPO_ROOT)
        supervisor.start("scheduler", _python("scheduler"), env=env, cwd=REPO_ROOT)
        say("Building and starting the web interface (the first run takes a minute or two)…")
        web = supervisor.adopt("web", server.start_web(port, server.web_env(env), cwd=REPO_ROOT))
        url = f"http://127.0.0.1:{port}"
        server.wait_until_ready(url, timeout=600, process=web.process, echo=say)
        _print_welcome(url, time.monotonic() - started)
        exited = supervisor.wait()
        say(f"The {exited.name} process stopped (exit code {exited.process.returncode}).")
        raise typer.Exit(1)
    except KeyboardInterrupt:
        say("\nStopping…")
    finally:
        supervisor.stop_all()
        services.stop()
        say("Stopped.")


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both mean "stop everything cleanly" (even when started in the
    background, where a shell leaves SIGINT ignored)."""
    import signal

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def _start_sandboxes(supervisor: Supervisor, env: dict[str, str], *, connect_demo: bool) -> None:
    """In sandbox mode, serve the provider simulators and connect the demo clients to them."""
    from flowyard.integrations import config, sandbox_process, sandboxes
    from flowyard.services.ports import port_is_open

    if not config.sandbox_mode():
        return
    env.update(sandbox_process.demo_env(env.get("FLOWYARD_HTTP_ALLOW", "")))
    os.environ.update(env)
    get_settings.cache_clear()
    say("Starting the sandbox apps (local Xero, HubSpot, Asana …)…")
    supervisor.start("sandboxes", _python("sandboxes"), env=env, cwd=REPO_ROOT)
    deadline = time.monotonic() + 30
    fixed = sandbox_process.fixed_ports()
    ports = [fixed[key] for key in sandboxes.available() if key in fixed]
    while not all(port_is_open("127.0.0.1", p) for p in ports) and time.monotonic() < deadline:
        time.sleep(0.2)
    if connect_demo:
        from flowyard.integrations.demo import connect_demo_tenants

        connect_demo_tenants(say)


def _print_welcome(url: str, seconds: float) -> None:
    from flowyard.seed import DEMO_LOGINS

    say("")
    say(f"Flowyard is running at {url}  (ready in {seconds:.0f} s)")
    say("Demo logins (password for all: " + DEMO_LOGINS[0].password + "):")
    for login in DEMO_LOGINS:
        say(f"  {login.email:<30} {login.role}")
    say("Press Ctrl-C to stop.")


def _seed_demo(*, announce: bool) -> None:
    from flowyard.seed import seed_demo

    if seed_demo() and announce:
        say("Seeded the demo agency with two client accounts.")


def _require_services() -> None:
    settings = get_settings()
    if not settings.database_url or not settings.redis_url:
        raise UserError(
            "DATABASE_URL and REDIS_URL must be set for this command "
            "(`flowyard up` starts embedded servers and sets them for you)."
        )


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    down: Annotated[bool, typer.Option(help="Downgrade to the revision instead.")] = False,
) -> None:
    """Apply (or roll back) database migrations."""
    from flowyard.db import migrate as migrations

    url = get_settings().database_url
    if not url:
        raise UserError("Set DATABASE_URL to the PostgreSQL server to migrate.")
    say("Migrating the database…")
    (migrations.downgrade if down else migrations.upgrade)(url, revision)
    say("Done.")


@app.command()
def seed() -> None:
    """Create the demo agency, its two clients and their users (only into an empty database)."""
    _require_services()
    from flowyard.seed import seed_demo

    say("Seeded the demo agency." if seed_demo() else "The database already has data; skipped.")


@app.command()
def web(port: Annotated[int | None, typer.Option(help="Port to serve on.")] = None) -> None:
    """Run the web app (pages, API, webhooks) on one port."""
    _require_services()
    from flowyard.web import server

    port = port or get_settings().web_port
    process = server.start_web(port, server.web_env(os.environ), cwd=REPO_ROOT)
    try:
        raise typer.Exit(process.wait())
    except KeyboardInterrupt:
        process.terminate()
        raise typer.Exit(process.wait()) from None


WORKER_NICE = 10
"""CPU niceness of the workers. Why: on a machine that runs the web app too, a burst of
webhooks should be answered (stored, 202) before the runs it started are executed; the runs
wait in the queue meanwhile. Measured with ``load.webhook_ingest`` on 2 cores."""


@app.command()
def worker(
    processes: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    threads: Annotated[int | None, typer.Option(help="Threads per process.")] = None,
    nice: Annotated[
        int,
        typer.Option(
            envvar="FLOWYARD_WORKER_NICE",
            help="CPU niceness added to the workers (0 to 19): below the web app's.",
        ),
    ] = WORKER_NICE,
) -> None:
    """Run the Dramatiq worker pool (Dramatiq's own CLI, with our actors)."""
    _require_services()
    settings = get_settings()
    from flowyard.services import priority

    priority.lower(nice)  # inherited by the exec'd Dramatiq and every process it forks
    argv = [
        sys.executable, "-m", "dramatiq", "flowyard.workers.actors",
        "--processes", str(processes or settings.worker_processes),
        "--threads", str(threads or settings.worker_threads), "--skip-logging",
    ]  # fmt: skip
    os.execv(sys.executable, argv)


@app.command()
def scheduler() -> None:
    """Run the scheduler loop (periodic jobs; workflow schedules)."""
    _require_services()
    _setup_process("scheduler")
    from flowyard.workers.scheduler import run_forever

    run_forever()


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt every stored secret under the first key of FLOWYARD_SECRET_KEYS (no downtime)."""
    if not get_settings().database_url:
        raise UserError("Set DATABASE_URL to the PostgreSQL server whose secrets to rotate.")
    from flowyard.integrations.encrypted_columns import remaining, rotate_all

    for report in rotate_all():
        if not report.skipped_missing_table:
            say(f"{report.table}.{report.column}: re-encrypted {report.rotated}")
    left = remaining()
    if left == 0:
        say("Every secret uses the current key; old keys can be removed.")
    else:
        say(f"{left} secrets still use an old key (written meanwhile?); run this again.")


@app.command()
def sandboxes() -> None:
    """Serve the provider simulators (Xero, HubSpot, Asana …) for the demo, on fixed ports."""
    _setup_process("sandboxes")
    from flowyard.integrations.sandbox_process import serve_forever

    serve_forever(say)


@app.command("create-agency")
def create_agency(
    name: Annotated[str, typer.Argument(help="The agency's display name.")],
    owner_email: Annotated[str, typer.Option("--owner", help="Email of the agency owner.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create an agency and its owner account."""
    _require_services()
    from flowyard.db import system_session
    from flowyard.security.passwords import check_strength, hash_password
    from tenants import service
    from tenants.roles import Role

    check_strength(password, email=owner_email)
    with system_session() as db:
        user = service.find_user(db, owner_email)
        agency = service.create_agency(db, name)
        if user is None:
            user = service.create_user(db, owner_email, password_hash=hash_password(password))
        service.grant(db, user, agency.id, Role.AGENCY_OWNER)
    say(f'Created agency "{agency.display_name}" owned by {user.email}.')


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Argument(help="Email address to sign in with.")],
    agency: Annotated[str, typer.Option(help="Agency slug the user belongs to.")],
    role: Annotated[str, typer.Option(help="Role: agency_admin, tenant_admin, editor, …")],
    tenant: Annotated[str | None, typer.Option(help="Tenant slug (for tenant roles).")] = None,
    full_name: Annotated[str, typer.Option(help="The person's name.")] = "",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a user and give them a role in an agency or one of its tenants."""
    _require_services()
    from sqlmodel import select

    from flowyard.db import system_session
    from flowyard.security.passwords import check_strength, hash_password
    from tenants import service
    from tenants.models import Agency, Tenant
    from tenants.roles import Role

    try:
        chosen_role = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise UserError(f"Unknown role {role!r}; use one of {choices}.") from None
    check_strength(password, email=email)
    with system_session() as db:
        found = db.exec(select(Agency).where(Agency.slug == agency)).first()
        if found is None:
            raise UserError(f"No agency with the slug {agency!r}.")
        tenant_id = None
        if tenant:
            row = db.exec(
                select(Tenant).where(Tenant.slug == tenant, Tenant.agency_id == found.id)
            ).first()
            if row is None:
                raise UserError(f"No client account {tenant!r} in {found.display_name}.")
            tenant_id = row.id
        user = service.create_user(
            db, email, full_name=full_name, password_hash=hash_password(password)
        )
        service.grant(db, user, found.id, chosen_role, tenant_id)
    say(f"Created {user.email} as {chosen_role.label}.")


audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain; exits 1 if an event was changed or deleted."""
    from flowyard.security.audit_cli import verify_command

    raise SystemExit(verify_command(say))


class UserError(Exception):
    """A problem the person running the command can fix; printed as one sentence."""


def _one_sentence(error: BaseException) -> str | None:
    """Translate the errors people actually hit into one clear sentence."""
    from flowyard.db.engine import DatabaseNotConfigured
    from flowyard.security.keys import KeyringError
    from flowyard.security.passwords import WeakPassword
    from flowyard.services.embedded import EmbeddedServiceError
    from flowyard.services.runtime import ServiceUnreachable
    from flowyard.web.server import WebNotReady
    from flowyard.workers.broker import BrokerNotConfigured
    from tenants.validation import InvalidInput

    known = (
        UserError, DatabaseNotConfigured, BrokerNotConfigured, EmbeddedServiceError,
        ServiceUnreachable, KeyringError, WeakPassword, InvalidInput, WebNotReady,
    )  # fmt: skip
    if isinstance(error, known):
        return str(error)
    from sqlalchemy.exc import OperationalError

    if isinstance(error, OperationalError):
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "no answer"
        return f"Cannot reach the database: {reason}"
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f"Configuration problem in {first['loc'][0]}: {first['msg']}"
    return None


def main() -> None:
    try:
        app(standalone_mode=False)
    except (typer.Exit, SystemExit) as done:
        code = getattr(done, "exit_code", None) or getattr(done, "code", 0) or 0
        sys.exit(code)
    except typer.Abort:
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # translate known failures, keep tracebacks for real bugs
        import click

        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(error.exit_code)
        sentence = _one_sentence(error)
        if sentence is None:
            raise
        say(f"Error: {sentence}")
        sys.exit(1)


if __name__ == "__main__":
    main()
