"""The audit trail is hash-chained: edits, deletions and insertions are detected."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid

import psycopg
import pytest
from sqlalchemy.engine import make_url

from flowyard.db import system_session
from flowyard.security import audit


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _write_events(n: int, agency: uuid.UUID | None = None) -> None:
    for i in range(n):
        audit.record("login.success", agency_id=agency, actor_email=f"p{i}@x.example",
                     ip="10.0.0.1", before={"n": i}, after={"n": i + 1})  # fmt: skip


def _raw(url: str, sql: str, *params: object) -> None:
    """Tamper as an attacker with database access would (triggers off first)."""
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        try:
            conn.execute(sql, params)
        finally:
            conn.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")


def test_an_untouched_chain_verifies(db: str) -> None:
    _write_events(5)
    report = audit.verify()
    assert report.ok, report.problems
    assert report.checked == 5


def test_concurrent_appends_keep_one_chain(db: str) -> None:
    threads = [threading.Thread(target=_write_events, args=(10,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = audit.verify()
    assert report.ok, report.problems
    assert report.checked == 40


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("UPDATE audit_event SET action = 'login.failure' WHERE seq = 3", "changed after"),
        ("UPDATE audit_event SET summary = '{}'::jsonb WHERE seq = 3", "changed after"),
        ("UPDATE audit_event SET actor_email = 'x@evil.example' WHERE seq = 3", "personal"),
        ("DELETE FROM audit_event WHERE seq = 3", "deleted or inserted"),
        (
            "UPDATE audit_event SET occurred_at = occurred_at - interval '1 day' WHERE seq = 2",
            "changed after",
        ),
    ],
)
def test_tampering_is_detected(db: str, sql: str, problem: str) -> None:
    _write_events(5)
    _raw(db, sql)
    report = audit.verify()
    assert not report.ok
    assert any(problem in p for p in report.problems), report.problems


def test_database_refuses_edits_and_deletes(db: str) -> None:
    _write_events(1)
    with psycopg.connect(_libpq(db), autocommit=True) as conn:
        for sql in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(sql)


def test_scrubbing_personal_data_keeps_the_chain_valid(db: str) -> None:
    user = uuid.uuid4()
    audit.record("login.success", actor_user_id=user, actor_email="gone@x.example", ip="1.2.3.4")
    audit.record("tenant.user.invite", details={"email": "gone@x.example"})
    audit.record("login.success", actor_email="stays@x.example")
    with system_session() as session:
        assert audit.scrub_personal_data(session, user_id=user, email="gone@x.example") == 2
        session.commit()
    report = audit.verify()
    assert report.ok, report.problems
    with psycopg.connect(_libpq(db)) as conn:
        text = str(conn.execute("SELECT * FROM audit_event").fetchall())
    assert "gone@x.example" not in text and "1.2.3.4" not in text
    assert "stays@x.example" in text


def test_cli_audit_verify_reports_tampering(db: str) -> None:
    _write_events(3)
    ok = subprocess.run([sys.executable, "-m", "flowyard", "audit", "verify"],
                        capture_output=True, text=True, env=_env(db))  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "3 events" in ok.stdout + ok.stderr
    _raw(db, "DELETE FROM audit_event WHERE seq = 2")
    bad = subprocess.run([sys.executable, "-m", "flowyard", "audit", "verify"],
                         capture_output=True, text=True, env=_env(db))  # fmt: skip
    assert bad.returncode == 1
    assert "deleted or inserted" in bad.stdout + bad.stderr


def _env(url: str) -> dict[str, str]:
    import os

    return {**os.environ, "DATABASE_URL": url}
