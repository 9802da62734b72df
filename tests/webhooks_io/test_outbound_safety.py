"""Outbound safety: SSRF destinations refused (when saved and when sent), and a worker killed
mid-delivery leads to redelivery of the same ``webhook-id``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from webhooks_io.outbound_helpers import (
    agency_of,
    attempts,
    deliveries,
    emit,
    subscribe,
    wait_until,
)

from flowyard import clock
from support.http_target import HttpTarget
from support.workers import running_worker
from tenants.validation import InvalidInput

REPO_ROOT = Path(__file__).resolve().parents[2]

REFUSED_URLS = [
    "http://127.0.0.1/hook",
    "http://[::1]:8080/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/hook",
    "http://2130706433/hook",  # 127.0.0.1 as a decimal number
    "http://0x7f000001/hook",  # 127.0.0.1 in hex
    "http://0177.0.0.1/hook",  # 127.0.0.1 in octal
    "http://localhost:9000/hook",  # a name resolving to loopback
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_private_destinations_are_refused_when_saved(tenant, url):
    with pytest.raises(InvalidInput) as refused:
        subscribe(tenant, url, ["execution.completed"])
    assert refused.value.field == "url"
    assert "private" in str(refused.value).lower() or "internal" in str(refused.value).lower()


def test_refused_at_delivery_time_too(tenant, worker):
    """A row that points inside (e.g. DNS changed after saving) is still never reached."""
    from flowyard.db import system_session
    from flowyard.security import vault
    from flowyard.webhooks import fanout, subscriptions
    from flowyard.webhooks.models import WebhookSubscription

    with HttpTarget() as inside:
        with system_session() as db:
            row = WebhookSubscription(
                agency_id=agency_of(tenant), tenant_id=tenant, url=f"{inside.url}/x",
                event_types=["*"], secret="",
            )  # fmt: skip
            row.secret = vault.encrypt(
                "whsec_" + "A" * 43, context=subscriptions.secret_context(row)
            )
            db.add(row)
            db.commit()
            fanout.send_test(db, row, tenant)
        wait_until(lambda: attempts(tenant), what="attempt")
        assert inside.requests == []
    (attempt,) = attempts(tenant)
    assert attempt.response_status is None
    assert "private" in attempt.error.lower() or "internal" in attempt.error.lower()


@pytest.mark.slow
def test_worker_killed_mid_delivery_is_redelivered(tenant, db, redis, monkeypatch):
    from flowyard.settings import get_settings
    from flowyard.webhooks import actors  # noqa: F401
    from flowyard.webhooks.delivery import release_due

    with HttpTarget() as receiver:
        allow = f"127.0.0.1:{receiver.url.rsplit(':', 1)[1]}"
        monkeypatch.setenv("FLOWYARD_HTTP_ALLOW", allow)
        get_settings.cache_clear()
        receiver.on("/in", delay_seconds=30)
        subscribe(tenant, f"{receiver.url}/in", ["execution.completed"])
        env = {**os.environ, "DATABASE_URL": db, "REDIS_URL": redis, "FLOWYARD_HTTP_ALLOW": allow}
        process = subprocess.Popen(
            [sys.executable, "-m", "dramatiq", "flowyard.workers.actors", "--processes", "1",
             "--threads", "2", "--skip-logging"],
            env=env, cwd=REPO_ROOT, start_new_session=True,
        )  # fmt: skip
        try:
            emit(tenant, "execution.completed", {"n": 1})
            wait_until(lambda: receiver.received("/in"), timeout=30, what="first attempt")
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        (delivery,) = deliveries(tenant)
        assert delivery.status == "pending" and delivery.lease_until is not None
        assert attempts(tenant) == []  # the attempt died before it was logged
        receiver.on("/in")  # answers at once from now on
        with running_worker(), clock.frozen(datetime.now(UTC) + timedelta(minutes=3)):
            assert release_due() == 1
            wait_until(lambda: deliveries(tenant)[0].status == "succeeded", what="redelivery")
        got = receiver.received("/in")
        assert len(got) == 2
        assert got[0].headers["webhook-id"] == got[1].headers["webhook-id"] == delivery.id
    get_settings.cache_clear()
